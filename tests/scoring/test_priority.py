"""The exploration priority that orders re-evaluations."""

from __future__ import annotations

import math

import pytest

from scoring.priority import Candidate, exploration_priority, rank_for_reevaluation


def test_priority_known_answer() -> None:
    # 0.6 + 0.3 * 0.8 * 0.5 / sqrt(1 + 3)
    assert exploration_priority(0.6, 0.8, 0.5, 3) == pytest.approx(0.6 + 0.3 * 0.4 / 2)


def test_bonus_grows_with_novelty_times_potential_and_shrinks_with_evaluations() -> None:
    assert exploration_priority(0.5, 0.9, 0.9, 1) > exploration_priority(0.5, 0.3, 0.9, 1)
    values = [exploration_priority(0.5, 0.8, 0.8, n) for n in range(6)]
    assert values == sorted(values, reverse=True)
    assert exploration_priority(0.5, 0.8, 0.8, 10_000) == pytest.approx(0.5, abs=3e-3)


def test_unknown_inputs_take_the_neutral_prior() -> None:
    assert exploration_priority(None, None, None, 0) == pytest.approx(0.5 + 0.3 * 0.25)
    with pytest.raises(ValueError, match="novelty must be in"):
        exploration_priority(0.5, math.nan, 0.5, 0)


def test_rank_for_reevaluation_prefers_understudied_promise() -> None:
    candidates = [
        Candidate("h-studied", 0.70, 0.9, 0.9, evaluations=50),
        Candidate("h-fresh", 0.62, 0.9, 0.9, evaluations=0),
        Candidate("h-dull", 0.65, 0.1, 0.2, evaluations=0),
    ]
    assert rank_for_reevaluation(candidates, 2) == ["h-fresh", "h-studied"]
