"""Leave-one-out folds against hand-computed values, and what a fold must never see."""

from __future__ import annotations

import pytest

from scoring.calibration import update_believability
from scoring.forecasts import ForecastError
from scoring.leave_one_out import loo_base_rate, loo_believability


def test_loo_base_rate_leaves_each_outcome_out() -> None:
    assert loo_base_rate([True, True, False, False]) == pytest.approx([1 / 3, 1 / 3, 2 / 3, 2 / 3])
    with pytest.raises(ForecastError):
        loo_base_rate([True])


def test_loo_believability_by_hand() -> None:
    stated = {
        "h1": {"skeptic": [0.2, 0.4], "theorist": [0.9]},
        "h2": {"skeptic": [0.5], "theorist": [0.6]},
        "h3": {"theorist": [0.1]},
    }
    outcomes = {"h1": False, "h2": True, "h3": False}
    folds = loo_believability(stated, outcomes)
    # h1 held out: skeptic graded on h2 only, (0.5-1)^2 = 0.25; theorist on h2 and h3:
    # mean of (0.6-1)^2 = 0.16 and 0.1^2 = 0.01.
    assert folds["h1"]["skeptic"] == pytest.approx(update_believability(0.25, 1))
    assert folds["h1"]["theorist"] == pytest.approx(update_believability(0.085, 2))
    # h3 held out: skeptic's record is h1 (mean of 0.04 and 0.16) and h2.
    assert folds["h3"]["skeptic"] == pytest.approx(update_believability((0.1 + 0.25) / 2, 2))
    # h2 held out: the skeptic's only other record is h1.
    assert folds["h2"]["skeptic"] == pytest.approx(update_believability(0.1, 1))


def test_a_hypothesis_never_weighs_its_own_forecasts() -> None:
    """Changing what was said about the held-out hypothesis cannot change its weights."""
    outcomes = {"h1": True, "h2": False, "h3": True}
    base = {"h1": {"a": [0.3]}, "h2": {"a": [0.4]}, "h3": {"a": [0.8]}}
    leaked = {**base, "h1": {"a": [1.0]}}
    assert loo_believability(base, outcomes)["h1"] == loo_believability(leaked, outcomes)["h1"]
    assert loo_believability(base, outcomes)["h2"] != loo_believability(leaked, outcomes)["h2"]


def test_a_persona_without_another_record_keeps_the_prior() -> None:
    folds = loo_believability({"h1": {"a": [0.9]}, "h2": {"b": [0.2]}}, {"h1": True, "h2": False})
    assert folds["h1"] == {"a": 1.0, "b": update_believability(0.04, 1)}
