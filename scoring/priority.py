"""Which hypothesis to re-evaluate next: an upper-confidence-bound style priority.

priority = composite + c * novelty * therapeutic_potential / sqrt(1 + evaluations)

The bonus favours hypotheses that would matter most if they turned out better than they look
(novel and therapeutically promising) and fades as evaluations accumulate, so well-studied
hypotheses stop crowding out under-studied ones. Unknown inputs (never evaluated, or the
dimension was not scored) take the neutral prior 0.5 instead of 0, so a new hypothesis is not
buried.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

EXPLORATION_WEIGHT = 0.3
NEUTRAL_PRIOR = 0.5


@dataclass(frozen=True)
class Candidate:
    hypothesis_id: str
    composite: float | None
    novelty: float | None
    therapeutic_potential: float | None
    evaluations: int


def exploration_term(
    novelty: float | None, therapeutic_potential: float | None, evaluations: int
) -> float:
    if evaluations < 0:
        raise ValueError(f"evaluations must be >= 0, got {evaluations}")
    nov = _known(novelty, "novelty")
    ther = _known(therapeutic_potential, "therapeutic_potential")
    return nov * ther / math.sqrt(1 + evaluations)


def exploration_priority(
    composite: float | None,
    novelty: float | None,
    therapeutic_potential: float | None,
    evaluations: int,
    *,
    weight: float = EXPLORATION_WEIGHT,
) -> float:
    """The priority of re-evaluating one hypothesis; higher first."""
    return _known(composite, "composite") + weight * exploration_term(
        novelty, therapeutic_potential, evaluations
    )


def rank_for_reevaluation(candidates: Sequence[Candidate], k: int) -> list[str]:
    """The ids of the ``k`` candidates with the highest priority (ties broken by id)."""
    ranked = sorted(
        candidates,
        key=lambda c: (
            -exploration_priority(c.composite, c.novelty, c.therapeutic_potential, c.evaluations),
            c.hypothesis_id,
        ),
    )
    return [c.hypothesis_id for c in ranked[: max(0, k)]]


def _known(value: float | None, name: str) -> float:
    if value is None:
        return NEUTRAL_PRIOR
    if not (math.isfinite(value) and 0.0 <= value <= 1.0):
        raise ValueError(f"{name} must be in [0, 1], got {value!r}")
    return float(value)
