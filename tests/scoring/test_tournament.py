"""Tournament: verdicts in both orders, the Bradley–Terry fit, Elo and active pairing."""

from __future__ import annotations

import math
import random
from collections.abc import Callable

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from debates.schema import JudgeChoice
from scoring.tournament import (
    Match,
    MatchOutcome,
    elo_update,
    fit_bradley_terry,
    kendall_tau,
    match_outcome,
)


@pytest.mark.parametrize(
    ("ab", "ba", "expected"),
    [
        ("first", "second", MatchOutcome.A),
        ("second", "first", MatchOutcome.B),
        ("first", "first", MatchOutcome.TIE),  # each order preferred whatever came first
        ("second", "second", MatchOutcome.TIE),
        (JudgeChoice.FIRST, JudgeChoice.SECOND, MatchOutcome.A),
        (" First ", "SECOND", MatchOutcome.A),
        ("first", None, MatchOutcome.INVALID),
        ("the first one, probably", "second", MatchOutcome.INVALID),
    ],
)
def test_match_outcome_from_both_orders(ab: object, ba: object, expected: MatchOutcome) -> None:
    assert match_outcome(ab, ba) is expected


def _solve(f: Callable[[float], float], low: float, high: float) -> float:
    for _ in range(200):
        mid = (low + high) / 2
        if f(mid) > 0:
            high = mid
        else:
            low = mid
    return (low + high) / 2


def test_bradley_terry_two_entrants_known_answer() -> None:
    # A beat B 3 times of 4. With one prior game each against the reference (strength 1, i.e.
    # log-strength 0) the fit is symmetric, theta_A = t = -theta_B, and A's score equation is
    # 3 + 1/2 = 4 sigmoid(2t) + sigmoid(t).
    def sig(x: float) -> float:
        return 1 / (1 + math.exp(-x))

    t = _solve(lambda x: 4 * sig(2 * x) + sig(x) - 3.5, 0.0, 5.0)
    matches = [Match("A", "B", "a")] * 3 + [Match("B", "A", "a")]
    fit = fit_bradley_terry(matches, bootstrap=0)
    assert fit["A"].value == pytest.approx(t, abs=1e-7)
    assert fit["B"].value == pytest.approx(-t, abs=1e-7)
    assert fit["A"].matches == 4


def test_fit_satisfies_the_score_equations_on_a_random_log() -> None:
    rng = random.Random(7)
    ids = [f"h{i}" for i in range(8)]
    pairs = [rng.sample(ids, 2) for _ in range(60)]
    matches = [Match(a, b, rng.choice(["a", "b", "tie"])) for a, b in pairs]
    fit = fit_bradley_terry(matches, bootstrap=0)
    p = {k: math.exp(v.value) for k, v in fit.items()}
    for i in ids:
        observed = 0.5  # the prior's half win against the reference
        expected = p[i] / (p[i] + 1.0)
        for m in matches:
            score = {"a": 1.0, "b": 0.0, "tie": 0.5}[str(m.outcome)]
            if m.a == i:
                observed += score
                expected += p[i] / (p[i] + p[m.b])
            elif m.b == i:
                observed += 1 - score
                expected += p[i] / (p[i] + p[m.a])
        assert expected == pytest.approx(observed, abs=1e-6)


def test_unbeaten_and_unplayed_entrants_get_finite_strengths() -> None:
    fit = fit_bradley_terry([Match("A", "B", "a")] * 20, entrants=["C"], bootstrap=50)
    assert all(math.isfinite(s.value) for s in fit.values())
    assert fit["A"].value > fit["C"].value > fit["B"].value
    # C has only its prior: log-strength 0, the reference's, with no spread
    assert fit["C"].matches == 0
    assert fit["C"].value == pytest.approx(0.0, abs=1e-9)
    assert (fit["C"].low, fit["C"].high) == pytest.approx((0.0, 0.0), abs=1e-3)


def test_invalid_matches_change_no_rating() -> None:
    base = [Match("A", "B", "a"), Match("B", "C", "tie"), Match("C", "A", "b")]
    with_invalid = [*base, Match("A", "C", "invalid"), Match("B", "A", MatchOutcome.INVALID)]
    assert fit_bradley_terry(with_invalid) == fit_bradley_terry(base)


def test_bootstrap_interval_contains_the_estimate_and_narrows_with_data() -> None:
    few = fit_bradley_terry([Match("A", "B", "a"), Match("A", "B", "b")] * 3)
    many = fit_bradley_terry([Match("A", "B", "a"), Match("A", "B", "b")] * 60)
    for fit in (few, many):
        for s in fit.values():
            assert s.low <= s.value <= s.high
    assert many["A"].high - many["A"].low < few["A"].high - few["A"].low
    assert fit_bradley_terry([Match("A", "B", "a")] * 5) == fit_bradley_terry(
        [Match("A", "B", "a")] * 5
    )


ids = st.sampled_from(["h1", "h2", "h3", "h4", "h5"])
match_strategy = st.builds(
    Match, a=ids, b=ids, outcome=st.sampled_from(["a", "b", "tie", "invalid"])
).filter(lambda m: m.a != m.b)


@settings(max_examples=40, deadline=None)
@given(st.lists(match_strategy, min_size=1, max_size=25), st.randoms(use_true_random=False))
def test_fit_is_the_same_for_any_order_of_the_same_matches(
    matches: list[Match], rnd: random.Random
) -> None:
    shuffled = list(matches)
    rnd.shuffle(shuffled)
    # the same match may also be written with its sides swapped
    swapped = [
        Match(m.b, m.a, {"a": "b", "b": "a"}.get(str(m.outcome), m.outcome)) for m in shuffled
    ]
    fit = fit_bradley_terry(matches, bootstrap=20)
    assert fit_bradley_terry(shuffled, bootstrap=20) == fit
    assert fit_bradley_terry(swapped, bootstrap=20) == fit


def test_elo_known_answer_and_invalid_is_a_no_op() -> None:
    assert elo_update(1200.0, 1200.0, "a") == (1216.0, 1184.0)
    assert elo_update(1200.0, 1200.0, "tie") == (1200.0, 1200.0)
    a, b = elo_update(1400.0, 1200.0, "b")
    assert a == pytest.approx(1400 - 32 * (1 / (1 + 10 ** (-0.5))))
    assert a + b == pytest.approx(2600.0)
    assert elo_update(1300.0, 1100.0, "invalid") == (1300.0, 1100.0)


def test_the_bootstrap_cannot_see_a_prior_only_entrants_uncertainty() -> None:
    # Why the ratings of record are a Bayesian posterior (scoring.bt_posterior), not this fit.
    fit = fit_bradley_terry(
        [Match("A", "B", "a"), Match("B", "A", "a")] * 4, entrants=["C"], bootstrap=50
    )
    assert fit["C"].sd < 1e-3


def test_kendall_tau_known_answers() -> None:
    assert kendall_tau([1, 2, 3, 4], [10, 20, 30, 40]) == pytest.approx(1.0)
    assert kendall_tau([1, 2, 3, 4], [4, 3, 2, 1]) == pytest.approx(-1.0)
    # one discordant pair of six: (5 - 1) / 6
    assert kendall_tau([1, 2, 3, 4], [1, 3, 2, 4]) == pytest.approx(4 / 6)
    assert kendall_tau(np.zeros(4), [1, 2, 3, 4]) == 0.0
