"""bench.backtest_coverage: the measurement behind grade's floors for showing an interval."""

from __future__ import annotations

from bench.backtest_coverage import auc_coverage, brier_coverage
from scoring.forecasts import MIN_AUC_INTERVAL_EACH, MIN_INTERVAL_N

RUNS = {"trials": 300, "resamples": 300, "seed": 5}


def test_below_the_floor_the_bootstrap_covers_far_less_than_it_claims() -> None:
    assert brier_coverage(3, **RUNS) < 0.7
    assert auc_coverage(2, **RUNS) < 0.7


def test_at_the_floors_the_shown_intervals_come_near_their_90_percent() -> None:
    assert brier_coverage(MIN_INTERVAL_N, **RUNS) > 0.83
    assert auc_coverage(MIN_AUC_INTERVAL_EACH, **RUNS) > 0.83
