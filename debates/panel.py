"""Who sits on the panel: a configured list checked against the registry, or a pick by case.

Every choice comes back as a :class:`~debates.types.Decision` with its reason, so the ledger
can say why an Ethicist argued over one hypothesis and not over another.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from debates.case import Case
from debates.config import validate_panel
from debates.personas import (
    CORE_KEYS,
    SYNTHESIZER,
    Persona,
    all_personas,
    get_persona,
    specialists,
)
from debates.types import Decision

MAX_AUTO_SPECIALISTS = 2


@dataclass(frozen=True)
class PanelChoice:
    panel: tuple[str, ...]
    decision: Decision


def relevance(persona: Persona, case: Case) -> tuple[str, ...]:
    """The case facts that make ``persona`` relevant, e.g. ("disease 'Alzheimer disease'",)."""
    reasons: list[str] = []
    for disease in case.diseases:
        lowered = disease.lower()
        if any(term in lowered for term in persona.disease_terms):
            reasons.append(f"disease {disease!r}")
    intervention = (case.intervention_type or "").lower()
    if intervention and any(term in intervention for term in persona.intervention_terms):
        reasons.append(f"intervention type {case.intervention_type!r}")
    return tuple(reasons)


def ranked_specialists(
    case: Case, *, exclude: Sequence[str] = ()
) -> list[tuple[Persona, tuple[str, ...]]]:
    """Specialists not in ``exclude``, most relevant first; registry order breaks ties."""
    candidates = [(p, relevance(p, case)) for p in specialists() if p.key not in exclude]
    order = {p.key: i for i, p in enumerate(all_personas())}
    return sorted(candidates, key=lambda item: (-len(item[1]), order[item[0].key]))


def ordered(keys: Sequence[str]) -> tuple[str, ...]:
    """Panel keys sorted by opening stage, keeping the given order within a stage."""
    position = {key: i for i, key in enumerate(keys)}
    return tuple(sorted(keys, key=lambda k: (get_persona(k).stage, position[k])))


def choose_panel(case: Case, requested: Sequence[str] | None) -> PanelChoice:
    """The debate's panel: ``requested`` validated, or the core four plus relevant specialists."""
    if requested is not None:
        return _configured(requested)
    picked = [(persona, reasons) for persona, reasons in ranked_specialists(case) if reasons][
        :MAX_AUTO_SPECIALISTS
    ]
    panel = ordered([*CORE_KEYS, *(p.key for p, _ in picked)])
    if picked:
        why = "; ".join(f"{p.key} for {', '.join(reasons)}" for p, reasons in picked)
        reason = f"core panel plus specialists picked from the case: {why}"
    else:
        reason = (
            "core panel only: no specialist matches the diseases "
            f"{list(case.diseases)} or intervention type {case.intervention_type!r}"
        )
    return PanelChoice(
        panel,
        Decision(
            round=0,
            action="panel",
            reason=reason,
            detail={"panel": list(panel), "source": "auto"},
        ),
    )


def _configured(requested: Sequence[str]) -> PanelChoice:
    keys = list(validate_panel(requested))
    seen = set(keys)
    reason = "panel as configured"
    if SYNTHESIZER not in seen:
        keys.append(SYNTHESIZER)
        reason += "; synthesizer added because it must close the debate"
    panel = ordered(keys)
    return PanelChoice(
        panel,
        Decision(
            round=0,
            action="panel",
            reason=reason,
            detail={"panel": list(panel), "source": "config"},
        ),
    )


def escalation_candidate(case: Case, panel: Sequence[str]) -> tuple[Persona, str] | None:
    """The specialist to add when the panel stays split, with why it was chosen."""
    ranked = ranked_specialists(case, exclude=panel)
    if not ranked:
        return None
    persona, reasons = ranked[0]
    why = f"most relevant by {', '.join(reasons)}" if reasons else "next specialist in registry"
    return persona, why


def described_panel(config: Mapping[str, Any], decisions: Sequence[Mapping[str, Any]]) -> str:
    """Who an evaluation debates with, in words: the panel its round-0 decision chose, and
    what was asked for where that differs (a synthesizer added, specialists picked); before
    that decision, what was asked for."""
    asked = [str(key) for key in config.get("panel") or []]
    chosen = next(
        (
            [str(key) for key in decision["detail"]["panel"]]
            for decision in decisions
            if decision.get("action") == "panel"
            and isinstance(decision.get("detail"), Mapping)
            and decision["detail"].get("panel")
        ),
        None,
    )
    if chosen is None:
        return ", ".join(asked) if asked else "the configured panel"
    if asked and asked != chosen:
        return f"{', '.join(chosen)} (asked for {', '.join(asked)})"
    return ", ".join(chosen)
