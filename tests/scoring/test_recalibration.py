"""Logistic recalibration fitted on the training folds: it corrects the level, keeps the
ranking, and never learns from the outcome it is applied to."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from scoring.forecasts import auc, brier_score
from scoring.recalibration import RIDGE, RecalibrationError, apply, fit, loo_recalibrated


def drawn(n: int, seed: int) -> tuple[list[float], list[bool]]:
    """Forecasts that are calibrated by construction: each outcome drawn with its p."""
    rng = np.random.default_rng(seed)
    p = rng.uniform(0.05, 0.95, n)
    return [float(v) for v in p], [bool(v) for v in rng.uniform(size=n) < p]


def test_a_calibrated_forecaster_gets_the_identity_map_back() -> None:
    p, y = drawn(20_000, seed=1)
    a, b = fit(p, y)
    assert a == pytest.approx(0.0, abs=0.05)
    assert b == pytest.approx(1.0, abs=0.05)


def test_the_map_maximises_the_penalised_likelihood() -> None:
    # Small data, where the ridge matters: the gradient of the objective written out by hand
    # vanishes at (a, b), and every step away from it does worse.
    p, y = drawn(12, seed=3)

    def objective(a: float, b: float) -> float:
        total = -0.5 * RIDGE * (a * a + b * b)
        for forecast, outcome in zip(p, y, strict=True):
            q = 1 / (1 + math.exp(-(a + b * math.log(forecast / (1 - forecast)))))
            total += math.log(q) if outcome else math.log(1 - q)
        return total

    a, b = fit(p, y)
    h = 1e-5
    assert (objective(a + h, b) - objective(a - h, b)) / (2 * h) == pytest.approx(0, abs=1e-6)
    assert (objective(a, b + h) - objective(a, b - h)) / (2 * h) == pytest.approx(0, abs=1e-6)
    for da, db in ((0.05, 0), (-0.05, 0), (0, 0.05), (0, -0.05)):
        assert objective(a + da, b + db) < objective(a, b)


def test_a_forecaster_set_too_high_is_brought_down_to_what_happened() -> None:
    # Ranks perfectly, but says 0.55-0.65 where one in five is validated.
    p = [0.55 + 0.1 * i / 99 for i in range(100)]
    y = [i >= 80 for i in range(100)]
    recalibrated = loo_recalibrated(p, y)
    assert brier_score(recalibrated, y) < brier_score(p, y)
    assert np.mean(recalibrated) == pytest.approx(0.2, abs=0.05)
    a, b = fit(p, y)
    assert b > 0 and auc(apply(a, b, p), y) == auc(p, y)  # one map keeps the order


def test_a_held_out_outcome_never_reaches_its_own_forecast() -> None:
    p, y = drawn(30, seed=3)
    before = loo_recalibrated(p, y)
    for i in range(len(y)):
        flipped = list(y)
        flipped[i] = not flipped[i]
        assert loo_recalibrated(p, flipped)[i] == pytest.approx(before[i], abs=1e-12)


@given(
    st.lists(st.floats(0, 1), min_size=3, max_size=12),
    st.lists(st.booleans(), min_size=12, max_size=12),
)
def test_separated_or_one_sided_folds_stay_finite(p: list[float], y: list[bool]) -> None:
    outcomes = y[: len(p)]
    out = loo_recalibrated(p, outcomes)
    assert all(0 <= v <= 1 and np.isfinite(v) for v in out)
    a, b = fit(p, outcomes)
    assert np.isfinite(a) and np.isfinite(b)
    assert all(np.isfinite(v) for v in apply(a, b, p))


def test_bad_input_is_named() -> None:
    with pytest.raises(RecalibrationError, match="3 forecasts but 2 outcomes"):
        loo_recalibrated([0.1, 0.2, 0.3], [True, False])
    with pytest.raises(RecalibrationError, match="at least three"):
        loo_recalibrated([0.1, 0.2], [True, False])
