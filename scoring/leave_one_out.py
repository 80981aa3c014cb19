"""Leave-one-out folds: what a forecaster could have known about each resolved hypothesis.

Each function returns, for every held-out hypothesis, what the *other* resolved hypotheses
alone tell: no hypothesis is graded with anything learned from its own outcome. (The AUC
needs pairs held out instead: ``scoring.leave_pair_out`` says why.)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from scoring.calibration import PRIOR, brier, mean_brier, update_believability
from scoring.forecasts import ForecastError


def loo_base_rate(y: Sequence[bool]) -> list[float]:
    """For each hypothesis, the share validated among the others (its training folds)."""
    if len(y) < 2:
        raise ForecastError("a leave-one-out base rate needs at least two outcomes")
    total = sum(1 for outcome in y if outcome)
    return [(total - (1 if outcome else 0)) / (len(y) - 1) for outcome in y]


def loo_believability(
    stated: Mapping[str, Mapping[str, Sequence[float]]],
    outcomes: Mapping[str, bool],
) -> dict[str, dict[str, float]]:
    """Each held-out hypothesis's believabilities, learned from the other hypotheses only.

    ``stated[hypothesis][persona]`` are the probabilities the persona stated about it. The rule
    is the ledger's (``scoring.calibration``): per-hypothesis Brier, its mean over the
    persona's record, ``update_believability``. A persona with no record outside the held-out
    hypothesis keeps the prior, as an uncalibrated persona does in production.
    """
    per_hypothesis = {
        h: {persona: brier(list(ps), outcomes[h]) for persona, ps in by_persona.items() if ps}
        for h, by_persona in stated.items()
    }
    personas = sorted({persona for scores in per_hypothesis.values() for persona in scores})
    folds: dict[str, dict[str, float]] = {}
    for held_out in per_hypothesis:
        weights: dict[str, float] = {}
        for persona in personas:
            record = [
                scores[persona]
                for h, scores in per_hypothesis.items()
                if h != held_out and persona in scores
            ]
            weights[persona] = (
                update_believability(mean_brier(record), len(record)) if record else PRIOR
            )
        folds[held_out] = weights
    return folds
