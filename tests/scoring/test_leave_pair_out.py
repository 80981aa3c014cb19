"""Leave-pair-out AUC: a forecaster fitted on outcomes is ranked by fits that saw neither side
of a pair, where leave-one-out folds lean against each held-out outcome."""

from __future__ import annotations

import numpy as np
import pytest

from scoring.forecasts import ForecastError, auc, bootstrap_interval, grade
from scoring.leave_one_out import loo_base_rate
from scoring.leave_pair_out import base_rate_pairs, pair_table
from scoring.recalibration import fit, loo_recalibrated, pair_recalibrated
from tests.scoring.test_recalibration import drawn

OUTCOMES = [True] * 17 + [False] * 43  # the bundled resolved set's split


def test_a_leave_one_out_base_rate_ranks_every_pair_wrongly_and_a_pair_held_out_ties() -> None:
    # What was found: the base-rate baseline reported AUC 0.000 [0.000, 0.000].
    assert auc(loo_base_rate(OUTCOMES), OUTCOMES) == 0.0
    table = pair_table(OUTCOMES, base_rate_pairs(OUTCOMES))
    graded = grade(loo_base_rate(OUTCOMES), OUTCOMES, seed=0, resamples=200, pair_table=table)
    assert graded.auc == 0.5 and graded.auc_interval == (0.5, 0.5)
    # Its Brier and log loss are still those of its leave-one-out forecasts.
    assert graded.brier == grade(loo_base_rate(OUTCOMES), OUTCOMES, seed=0, resamples=200).brier


def test_a_table_of_the_forecasts_own_order_grades_as_the_forecasts_do() -> None:
    p, y = drawn(40, seed=5)
    table = pair_table(y, lambda i, j: (p[i], p[j]))
    graded = grade(p, y, seed=11, resamples=500, pair_table=table)
    assert graded.auc == pytest.approx(auc(p, y), abs=1e-12)
    # The same resamples as every other grade of these hypotheses: the intervals are paired.
    assert graded.auc_interval == pytest.approx(
        bootstrap_interval(p, y, lambda q, o: auc(list(q), list(o)), seed=11, resamples=500)
    )


def test_recalibration_keeps_the_order_when_each_pair_is_held_out_together() -> None:
    p, y = drawn(60, seed=2)
    assert fit(p, y)[1] > 0  # an increasing map
    # Leave-one-out maps differ with the held-out outcome, and the difference mis-orders.
    assert auc(loo_recalibrated(p, y), y) < auc(p, y)  # type: ignore[operator]
    table = pair_table(y, pair_recalibrated(p, y))
    assert grade(p, y, seed=0, resamples=10, pair_table=table).auc == auc(p, y)


def test_the_fit_for_a_pair_never_sees_either_outcome() -> None:
    p, y = drawn(30, seed=8)
    i, j = y.index(True), y.index(False)
    before = pair_recalibrated(p, y)(i, j)
    swapped = list(y)
    swapped[i], swapped[j] = False, True
    assert pair_recalibrated(p, swapped)(i, j) == before
    # Another hypothesis's outcome does reach it.
    k = next(k for k in range(len(y)) if k not in (i, j))
    other = list(y)
    other[k] = not other[k]
    assert pair_recalibrated(p, other)(i, j) != before


def test_mistakes_are_errors() -> None:
    with pytest.raises(ForecastError, match="at least three"):
        pair_table([True, False], lambda i, j: (0.5, 0.5))
    with pytest.raises(ForecastError, match="must be 3x3, got 2x2"):
        grade([0.1, 0.2, 0.3], [True, False, False], seed=0, pair_table=np.zeros((2, 2)))
