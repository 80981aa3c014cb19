"""Brier scores and the bounded believability rule."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scoring.calibration import (
    CEILING,
    FLOOR,
    CalibrationError,
    brier,
    brier_of_moments,
    mean_brier,
    update_believability,
)


def test_brier_known_answers() -> None:
    assert brier([0.8, 0.6], True) == pytest.approx((0.04 + 0.16) / 2)
    assert brier([0.8, 0.6], False) == pytest.approx((0.64 + 0.36) / 2)
    assert brier([0.5], True) == 0.25
    assert mean_brier([0.1, 0.3]) == pytest.approx(0.2)


def test_believability_update_known_answers() -> None:
    # skill = 1 - 0.1 / 0.25 = 0.6, target 1.6, halfway there after 10 of prior weight 10
    assert update_believability(0.1, 10) == pytest.approx(1.3)
    assert update_believability(0.25, 50) == pytest.approx(1.0)  # a coin-flipper stays at 1
    assert update_believability(0.1, 0) == pytest.approx(1.0)  # no record, no change
    # always wrong with certainty: the target is the floor, approached but never passed
    assert update_believability(1.0, 1000) == pytest.approx(1 + (0.1 - 1) * 1000 / 1010)


def test_bad_input_is_refused() -> None:
    with pytest.raises(CalibrationError, match=r"probability #1 must be in \[0, 1\]"):
        brier([0.2, 1.3], True)
    with pytest.raises(CalibrationError, match="no probabilities"):
        brier([], True)
    with pytest.raises(CalibrationError, match="Brier score must be in"):
        update_believability(-0.1, 3)


@given(st.floats(0.0, 1.0), st.integers(0, 10_000))
def test_believability_is_bounded_and_better_calibration_never_hurts(b: float, n: int) -> None:
    value = update_believability(b, n)
    assert FLOOR <= value <= CEILING
    assert update_believability(b / 2, n) >= value


@given(st.lists(st.floats(0.0, 1.0), min_size=1, max_size=400), st.booleans())
def test_brier_of_moments_agrees_with_brier(probabilities: list[float], outcome: bool) -> None:
    moments = brier_of_moments(
        len(probabilities),
        sum(probabilities),
        sum(p * p for p in probabilities),
        outcome,
    )
    assert 0.0 <= moments <= 1.0
    assert moments == pytest.approx(brier(probabilities, outcome), abs=1e-12)


def test_brier_of_moments_refuses_sums_no_probabilities_have() -> None:
    with pytest.raises(CalibrationError, match="no probabilities"):
        brier_of_moments(0, 0.0, 0.0, True)
    with pytest.raises(CalibrationError, match="sums of 2 probabilities"):
        brier_of_moments(2, 2.5, 1.0, True)
    with pytest.raises(CalibrationError, match="sums of 2 probabilities"):
        brier_of_moments(2, 0.5, 0.9, False)  # sum of squares above the sum
