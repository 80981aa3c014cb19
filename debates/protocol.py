"""The debate's rules, as pure functions of the panel, the configuration and the turns so far.

Opening rounds follow the personas' stages: 1 the Theorist states the claim, 2 the Skeptic
attacks it, 3 the Domain Expert and the specialists judge practicality, 4 the Synthesizer
scores. Stages with nobody on the panel are skipped. When ``max_rounds`` is smaller than the
number of opening stages, the stages that do not fit are folded into the last allowed round,
in stage order, so the Synthesizer still closes the debate (e.g. ``max_rounds=2``: round 1
Theorist; round 2 Skeptic, Domain Expert, specialists, Synthesizer). Later rounds are
rebuttals: every member answers in panel order, then the Synthesizer re-scores.

Nothing here keeps state: the runner replays these rules over the turns, which is what makes a
resumed debate take exactly the decisions the interrupted one took.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from debates.personas import SYNTHESIZER, get_persona
from debates.schema import Verdict
from debates.transcript import latest_by_persona
from debates.types import DebateConfig, TurnRecord
from scoring.dimensions import Dimension

SPLIT_ROUNDS_BEFORE_ESCALATION = 2

Phase = Literal["opening", "rebuttal"]


def planned_rounds(config: DebateConfig) -> int:
    """The most rounds the debate can take: the denominator of a "round k of n" progress bar."""
    return config.max_rounds


def progress(turns: Sequence[TurnRecord], config: DebateConfig) -> dict[str, int]:
    """What a worker reports while debating: the current round, its bound, the turns done."""
    return {
        "round": max((t.round for t in turns), default=0),
        "max_rounds": planned_rounds(config),
        "turns_done": len(turns),
    }


@dataclass(frozen=True)
class OpeningPlan:
    """Which opening stages speak in which round; fixed from the initial panel."""

    stage_round: Mapping[int, int]

    @property
    def rounds(self) -> int:
        return max(self.stage_round.values(), default=0)


def opening_plan(panel: Sequence[str], max_rounds: int) -> OpeningPlan:
    stages = sorted({get_persona(key).stage for key in panel})
    last = min(len(stages), max_rounds)
    return OpeningPlan({stage: min(index + 1, last) for index, stage in enumerate(stages)})


@dataclass(frozen=True)
class RoundSpeakers:
    personas: tuple[str, ...]
    phase: Phase


def speakers(
    round: int, *, panel: Sequence[str], plan: OpeningPlan, spoken: set[str]
) -> RoundSpeakers:
    """Who speaks in ``round``, in order; the Synthesizer always last.

    A member added after its stage's round (an escalation specialist) speaks in the next round,
    before the Synthesizer, whatever the phase.
    """
    if round > plan.rounds:
        others = [key for key in panel if key != SYNTHESIZER]
        return RoundSpeakers((*others, SYNTHESIZER), "rebuttal")
    chosen: list[str] = []
    for key in panel:
        scheduled = plan.stage_round.get(get_persona(key).stage)
        if scheduled == round or (key not in spoken and (scheduled is None or scheduled < round)):
            chosen.append(key)
    chosen.sort(key=lambda key: key == SYNTHESIZER)  # stable: keeps panel order otherwise
    return RoundSpeakers(tuple(chosen), "opening")


def is_split(turns: Sequence[TurnRecord]) -> bool:
    """True when the members' latest verdicts include both support and oppose."""
    verdicts = {turn.output.verdict for turn in latest_by_persona(turns).values()}
    return Verdict.SUPPORT in verdicts and Verdict.OPPOSE in verdicts


def running_synthesis(
    turns: Sequence[TurnRecord], believability: Mapping[str, float] | None = None
) -> dict[Dimension, float]:
    """The debate's scores as they stand: the Synthesizer's latest, else the panel's mean.

    The panel mean weighs each member's latest score by its believability (default 1.0); it
    also fills any dimension the Synthesizer left out.
    """
    latest = latest_by_persona(turns)
    sums: dict[Dimension, float] = defaultdict(float)
    weights: dict[Dimension, float] = defaultdict(float)
    for persona, turn in latest.items():
        if persona == SYNTHESIZER:
            continue
        weight = (believability or {}).get(persona, 1.0)
        for dimension, score in turn.output.scores.items():
            sums[dimension] += weight * score
            weights[dimension] += weight
    scores = {d: sums[d] / weights[d] for d in sums if weights[d] > 0}
    synthesis = latest.get(SYNTHESIZER)
    if synthesis is not None:
        scores.update(synthesis.output.scores)
    return scores


def movement(before: Mapping[Dimension, float], after: Mapping[Dimension, float]) -> float:
    """Mean absolute change over the dimensions of either; one present on one side only moves 1."""
    dimensions = set(before) | set(after)
    if not dimensions:
        return 0.0
    total = sum(
        abs(after[d] - before[d]) if d in before and d in after else 1.0 for d in dimensions
    )
    return total / len(dimensions)


def synthesizer_verdicts(turns: Sequence[TurnRecord]) -> list[Verdict]:
    return [turn.output.verdict for turn in turns if turn.persona == SYNTHESIZER]
