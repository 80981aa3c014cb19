"""Turns whose scores contradict the case's evidence: found, recorded, and kept out of scoring.

A model can be talked into scoring a hypothesis as it is told rather than as its evidence
reads (a prompt injection it obeys, a reply about another case). Fencing keeps such text from
being read as instructions; this check catches a model that follows it anyway, by what it
answered.

A turn is measured two ways, each as the mean absolute difference over the dimensions it
scored plus its probability of validation:

- against the **offline rubric** (``debates.backends.evidence``) reading the same case
  through the same persona's lens: the deterministic score the evidence supports;
- against its **peers**: for each of those coordinates, the median of the other personas'
  last words that gave one.

It is flagged when it is further than ``RUBRIC_TOLERANCE`` from the rubric or further than
``PEER_TOLERANCE`` from its peers. Honest disagreement stays well inside both: a persona that
reads every dimension 0.15 off the rubric is 0.15 away; one that scores everything 1.0 on thin
evidence is about twice the tolerance away. The offline debate is never flagged (its turns are the
rubric's own; tests/debates/test_consistency.py checks every bundled hypothesis).

A flag is a ``Decision`` with action ``FLAG_ACTION``, so it is stored, replayed and shown
with the debate's other decisions; scoring reads them back with :func:`flagged_turns`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from statistics import median
from typing import Any

from debates.backends.evidence.rubric import belief, scores
from debates.backends.evidence.rubric_lenses import lens_for
from debates.case import Case
from debates.transcript import latest_by_persona
from debates.types import Decision, TurnRecord

FLAG_ACTION = "flag_turn"
# Mean absolute distance from the rubric's reading of the same case past which a turn is not
# believed. The rubric and a careful reader differ by about 0.1 to 0.2 per coordinate.
RUBRIC_TOLERANCE = 0.35
# Mean absolute distance from the other personas' median past which a turn is not believed.
PEER_TOLERANCE = 0.35
PROBABILITY = "probability"  # the coordinate name of the probability in the detail


@dataclass(frozen=True)
class Distance:
    """How far one turn is from a reference, and over how many coordinates."""

    value: float
    coordinates: int


def reading(turn: TurnRecord) -> dict[str, float]:
    """A turn's coordinates: each dimension it scored, and its probability of validation."""
    values = {dimension.value: float(score) for dimension, score in turn.output.scores.items()}
    values[PROBABILITY] = float(turn.output.probability)
    return values


def rubric_reading(case: Case, turn: TurnRecord) -> dict[str, float]:
    """What the offline rubric reads in ``case`` for the coordinates ``turn`` gave."""
    lens = lens_for(turn.persona)
    values = {d.value: s for d, s in scores(case, turn.output.scores, lens).items()}
    values[PROBABILITY] = belief(case, lens).probability
    return values


def peer_reading(
    persona: str, values: Mapping[str, float], latest: Mapping[str, Mapping[str, float]]
) -> dict[str, float]:
    """The median of the other personas' last words (``latest``: each persona's reading), for
    each coordinate in ``values``, what ``persona`` gave."""
    others = [given for speaker, given in latest.items() if speaker != persona]
    medians: dict[str, float] = {}
    for name in values:
        given = [values[name] for values in others if name in values]
        if given:
            medians[name] = float(median(given))
    return medians


def distance(values: Mapping[str, float], reference: Mapping[str, float]) -> Distance:
    """Mean absolute difference over the coordinates both give (0 over none)."""
    shared = [name for name in values if name in reference]
    if not shared:
        return Distance(0.0, 0)
    total = math.fsum(abs(values[name] - reference[name]) for name in shared)
    return Distance(total / len(shared), len(shared))


def contradiction_flags(turns: Sequence[TurnRecord], case: Case) -> list[Decision]:
    """A flag decision for each turn too far from the rubric or from its peers, in turn order."""
    latest = {persona: reading(t) for persona, t in latest_by_persona(turns).items()}
    flags = []
    for turn in turns:
        values = reading(turn)
        from_rubric = distance(values, rubric_reading(case, turn))
        from_peers = distance(values, peer_reading(turn.persona, values, latest))
        reasons = []
        if from_rubric.value > RUBRIC_TOLERANCE:
            reasons.append(
                f"{from_rubric.value:.2f} from what the evidence supports "
                f"(tolerance {RUBRIC_TOLERANCE})"
            )
        if from_peers.value > PEER_TOLERANCE:
            reasons.append(
                f"{from_peers.value:.2f} from the other personas (tolerance {PEER_TOLERANCE})"
            )
        if reasons:
            flags.append(_flag(turn, from_rubric, from_peers, reasons))
    return flags


def _flag(turn: TurnRecord, rubric: Distance, peers: Distance, reasons: list[str]) -> Decision:
    return Decision(
        round=turn.round,
        action=FLAG_ACTION,
        reason=(
            f"{turn.persona}'s round {turn.round} scores contradict the case's evidence: "
            f"{'; and '.join(reasons)}. Kept out of the composite and the market."
        ),
        detail={
            "persona": turn.persona,
            "round": turn.round,
            "from_rubric": round(rubric.value, 4),
            "from_peers": round(peers.value, 4),
            "rubric_tolerance": RUBRIC_TOLERANCE,
            "peer_tolerance": PEER_TOLERANCE,
        },
    )


def flag_reasons(decisions: Iterable[Decision | Mapping[str, Any]]) -> dict[tuple[int, str], str]:
    """Why each flagged turn among ``decisions`` (stored or live) was flagged, by turn."""
    found = {}
    for decision in decisions:
        if isinstance(decision, Decision):
            action: object = decision.action
            detail: Mapping[str, Any] = decision.detail
            reason = decision.reason
        else:
            action, detail = decision.get("action"), decision.get("detail") or {}
            reason = str(decision.get("reason", ""))
        if action == FLAG_ACTION:
            found[(int(detail["round"]), str(detail["persona"]))] = reason
    return found


def flagged_turns(decisions: Iterable[Decision | Mapping[str, Any]]) -> frozenset[tuple[int, str]]:
    """The (round, persona) of every flagged turn among ``decisions``, stored or live."""
    return frozenset(flag_reasons(decisions))
