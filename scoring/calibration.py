"""Persona calibration: Brier scores on resolved hypotheses, and believability from them.

A persona's Brier score on one resolved hypothesis is the mean of (p - o)^2 over the
probabilities it stated about it (o = 1 validated, 0 refuted). Its overall Brier is the mean over
resolved hypotheses, so a hypothesis debated ten times does not count ten times.

Believability is a bounded function of that record, shrunk toward the prior by the number of
resolved hypotheses n:

    skill  = 1 - brier / 0.25                  (0 for always saying 0.5, 1 for perfect, <0 worse)
    target = clip(1 + skill, FLOOR, CEILING)
    believability = clip(prior + (target - prior) * n / (n + PRIOR_WEIGHT), FLOOR, CEILING)

The rule depends only on the record, not on the order hypotheses resolved in, so recomputing it
is always safe. The floor keeps every persona in the conversation: a badly calibrated persona
still trades and blends, just with little weight.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

# Brier score of the forecaster that always says 0.5; the zero point of skill.
UNINFORMED_BRIER = 0.25
FLOOR = 0.1
CEILING = 2.0
PRIOR = 1.0
# Resolved hypotheses' worth of trust in the prior: after 10, the record and the prior weigh
# the same.
PRIOR_WEIGHT = 10.0


class CalibrationError(ValueError):
    """A probability outside [0, 1], or nothing to score."""


def brier(probabilities: Sequence[float], outcome: bool) -> float:
    """Mean squared error of ``probabilities`` against the resolved ``outcome``."""
    if not probabilities:
        raise CalibrationError("no probabilities to score")
    target = 1.0 if outcome else 0.0
    for i, p in enumerate(probabilities):
        if not (math.isfinite(p) and 0.0 <= p <= 1.0):
            raise CalibrationError(f"probability #{i} must be in [0, 1], got {p!r}")
    return math.fsum((p - target) ** 2 for p in probabilities) / len(probabilities)


def brier_of_moments(count: int, total: float, total_of_squares: float, outcome: bool) -> float:
    """``brier`` from the sums a database can keep: n, the sum of p and the sum of p squared.

    mean((p - o)^2) = (sum p^2 - 2 o sum p + n o^2) / n, so a persona's whole record is read as
    three numbers per hypothesis instead of every probability it ever stated. Agrees with
    ``brier`` to rounding; clipped to [0, 1] so that rounding cannot leave the range.
    """
    if count < 1:
        raise CalibrationError("no probabilities to score")
    target = 1.0 if outcome else 0.0
    if not (0.0 <= total <= count and 0.0 <= total_of_squares <= total + 1e-9 * count):
        raise CalibrationError(
            f"sums of {count} probabilities in [0, 1] cannot be {total!r} and {total_of_squares!r}"
        )
    mean = (total_of_squares - 2.0 * target * total + count * target * target) / count
    return min(1.0, max(0.0, mean))


def mean_brier(per_hypothesis: Iterable[float]) -> float:
    """A persona's overall Brier: the mean of its per-hypothesis scores."""
    scores = list(per_hypothesis)
    if not scores:
        raise CalibrationError("no resolved hypotheses to average")
    return math.fsum(scores) / len(scores)


def update_believability(
    brier_score: float,
    n: int,
    *,
    prior: float = PRIOR,
    prior_weight: float = PRIOR_WEIGHT,
    floor: float = FLOOR,
    ceiling: float = CEILING,
) -> float:
    """Believability from an overall Brier over ``n`` resolved hypotheses; in [floor, ceiling]."""
    if not (math.isfinite(brier_score) and 0.0 <= brier_score <= 1.0):
        raise CalibrationError(f"Brier score must be in [0, 1], got {brier_score!r}")
    if n < 0:
        raise CalibrationError(f"resolved count must be >= 0, got {n}")
    if not 0.0 < floor <= prior <= ceiling:
        raise CalibrationError(
            f"need 0 < floor <= prior <= ceiling, got {floor}, {prior}, {ceiling}"
        )
    skill = 1.0 - brier_score / UNINFORMED_BRIER
    target = min(ceiling, max(floor, 1.0 + skill))
    shrunk = prior + (target - prior) * n / (n + prior_weight)
    return min(ceiling, max(floor, shrunk))
