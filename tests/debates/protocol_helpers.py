"""Cases and scripted replies shared by the protocol tests."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from debates.backends.base import BackendRequest
from debates.case import Case, DrugFact, Evidence, GeneFacts

SUPPORTING = "PMID:11111"
CONTRADICTING = "DOI:10.1000/contra.2"


def make_case(
    *,
    statement: str = "Restoring autophagy through MTOR inhibition rescues APOE4 neurons.",
    diseases: tuple[str, ...] = ("Alzheimer's disease",),
    intervention_type: str | None = "small-molecule",
    claim: str = "Rapamycin restored autophagic flux in APOE4 mice",
) -> Case:
    return Case(
        hypothesis_id="h-test0001",
        title="APOE-Dependent Autophagy Restoration",
        statement=statement,
        intervention_type=intervention_type,
        diseases=diseases,
        genes=(
            GeneFacts(
                symbol="MTOR",
                full_name="mechanistic target of rapamycin kinase",
                functions=(("mTORC1", "growth signalling"),),
                drugs=(DrugFact(name="Rapamycin", mechanism="allosteric mTORC1 inhibitor"),),
                diseases=("Alzheimer's disease",),
            ),
        ),
        evidence=(
            Evidence(SUPPORTING, claim, "supports", "animal-model", "mouse", 2019, 24, True),
            Evidence(CONTRADICTING, "No benefit at 12 months", "contradicts", "animal-model"),
        ),
    )


def reply(
    scores: Mapping[str, float] | None = None,
    *,
    verdict: str = "uncertain",
    citations: tuple[str, ...] = (SUPPORTING,),
    argument: str = "An argument.",
    probability: float = 0.5,
) -> dict[str, Any]:
    return {
        "argument": argument,
        "claims": [{"text": "A claim.", "citations": list(citations)}] if citations else [],
        "scores": dict(scores or {}),
        "confidence": 0.5,
        "probability": probability,
        "verdict": verdict,
    }


def uniform(request: BackendRequest[Any], level: float) -> dict[str, float]:
    return dict.fromkeys(request.context.extra["dimensions"], level)


Responder = Callable[[BackendRequest[Any]], dict[str, Any]]


def responder(
    *,
    verdicts: Mapping[str, str] | None = None,
    synth_level: Callable[[int], float] | None = None,
    level: float = 0.5,
) -> Responder:
    """Everyone scores ``level`` on its dimensions; the Synthesizer scores ``synth_level(round)``.

    With the defaults the Synthesizer agrees with the panel, so the debate converges as soon as
    it has spoken.
    """

    def answer(request: BackendRequest[Any]) -> dict[str, Any]:
        persona = request.context.persona or ""
        round_number = request.context.round or 0
        value = level
        if persona == "synthesizer" and synth_level is not None:
            value = synth_level(round_number)
        verdict = (verdicts or {}).get(persona, "uncertain")
        return reply(uniform(request, value), verdict=verdict)

    return answer
