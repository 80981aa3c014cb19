"""Leave-pair-out AUC: how well a forecaster fitted on outcomes ranks hypotheses it never saw.

Leave-one-out is the wrong fold for the AUC of such a forecaster. Holding out a validated
hypothesis leaves the training folds with one validated fewer, so whatever is fitted to them
(a base rate, a recalibration map) leans *against* the held-out outcome, and it leans the
other way for a refuted one. Each hypothesis gets its own fit, and the fits differ in just
the direction that mis-orders them. A base rate fitted leave-one-out has an AUC of exactly 0,
though it ranks nothing; a recalibration, a monotone map that keeps every order, loses AUC.

The AUC only ever compares a validated hypothesis with a refuted one, so each such pair is
held out together (Airola et al., "An experimental comparison of cross-validation techniques
for estimating the area under the ROC curve", Comput. Stat. Data Anal. 2011): one fit on all
the other hypotheses forecasts both, and the pair counts 1 if the validated one is ranked
above, 1/2 on a tie. Neither side's own outcome reaches the fit that ranks it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from scoring.forecasts import Array, ForecastError

# (validated index, refuted index) -> both hypotheses' forecasts from one fit without them.
PairForecast = Callable[[int, int], tuple[float, float]]


def pair_table(y: Sequence[bool], forecast_pair: PairForecast) -> Array:
    """The table ``scoring.forecasts.grade`` reads the AUC from: ``[i, j]`` for validated i
    and refuted j is 1, 1/2 or 0 as the fit without both ranks i above, level with or below
    j; every other cell is 0 and never read."""
    outcomes = list(y)
    if len(outcomes) < 3:
        raise ForecastError("a leave-pair-out AUC needs at least three outcomes")
    table = np.zeros((len(outcomes), len(outcomes)))
    for i, validated in enumerate(outcomes):
        if not validated:
            continue
        for j, other in enumerate(outcomes):
            if other:
                continue
            p_i, p_j = forecast_pair(i, j)
            table[i, j] = 1.0 if p_i > p_j else 0.5 if p_i == p_j else 0.0
    return table


def base_rate_pairs(y: Sequence[bool]) -> PairForecast:
    """The base-rate baseline's pair forecast: the share validated among the others, the
    same number for both, so it ranks no pair either way."""
    outcomes = list(y)
    total = sum(outcomes)

    def forecast(i: int, j: int) -> tuple[float, float]:
        rate = (total - outcomes[i] - outcomes[j]) / (len(outcomes) - 2)
        return rate, rate

    return forecast
