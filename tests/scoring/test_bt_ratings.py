"""Ratings of record: position bias, components, unrated, intervals and their coverage."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scoring.bt_posterior import Posterior
from scoring.bt_ratings import MIN_DECIDED, centred, rate
from scoring.tournament import Match


def test_centred_sd_is_the_sd_of_each_value_less_the_members_mean() -> None:
    rng = np.random.default_rng(2)
    root = rng.normal(size=(6, 6))
    cov = root @ root.T + np.eye(6)  # correlated, rows with different means
    names = [f"h{i}" for i in range(6)]
    post = Posterior(ids=names, mean=rng.normal(size=6), cov=cov, bias=0.0, bias_sd=1.0)
    members = np.array([0, 2, 3, 5])
    value, sd = centred(post, members)
    centring = np.eye(4) - np.full((4, 4), 0.25)
    assert value == pytest.approx(centring @ post.mean[members])
    expected = centring @ cov[np.ix_(members, members)] @ centring.T
    assert sd == pytest.approx(np.sqrt(np.diag(expected)))


def test_position_bias_is_estimated_not_paid_for_twice() -> None:
    # Equal hypotheses, a judge that picks the first-shown 75% of the time.
    rng = np.random.default_rng(0)
    ids = [f"h{i}" for i in range(10)]
    matches = []
    for _ in range(2000):
        a, b = rng.choice(10, 2, replace=False)
        won = rng.random() < 0.75
        matches.append(Match(ids[a], ids[b], "a" if won else "b", positioned=True))
    fit = rate(matches)
    bias_sd = (fit.bias_high - fit.bias_low) / (2 * 1.2815515655446004)
    assert abs(fit.position_bias - math.log(3)) < 3 * bias_sd < 0.2  # logit(0.75)
    # With the lean removed, nobody stands out.
    assert all(abs(r.value or 0.0) < 0.2 for r in fit.ratings.values())


def test_components_are_reported_separately_and_never_ordered_across() -> None:
    left = [Match("a1", "a2", "a", True), Match("a2", "a3", "a", True)] * 3
    right = [Match("b1", "b2", "a", True), Match("b2", "b1", "b", True)] * 3
    fit = rate(left + right, entrants=["lonely"])
    groups = {name: r.component for name, r in fit.ratings.items()}
    assert groups["a1"] == groups["a2"] == groups["a3"] == 1  # the largest group
    assert groups["b1"] == groups["b2"] == 2 and groups["lonely"] == 3
    # each group is centred on its own rated mean: values mean nothing across groups
    for group in (1, 2):
        values = [r.value for r in fit.ratings.values() if r.component == group]
        assert sum(v for v in values if v is not None) == pytest.approx(0.0, abs=1e-12)
    assert fit.ratings["lonely"].value is None and fit.ratings["lonely"].matches == 0


def test_too_few_decided_matches_is_unrated_not_zero() -> None:
    matches = [Match("A", "B", "a", True)] * MIN_DECIDED + [Match("A", "C", "a", True)]
    matches += [Match("B", "C", "b", True)] * (MIN_DECIDED - 1)
    matches += [Match("D", "A", "tie")] * 5  # ties are played, not decided
    fit = rate(matches)
    assert fit.ratings["A"].rated and fit.ratings["B"].rated and fit.ratings["C"].rated
    d = fit.ratings["D"]
    assert (d.value, d.low, d.high, d.sd) == (None, None, None, None)
    assert (d.matches, d.decided) == (5, 0)


def test_interval_is_symmetric_around_the_value_and_narrows_with_data() -> None:
    # A wins two of three whichever is shown first
    games = [("A", "B", "a"), ("A", "B", "a"), ("A", "B", "b")]
    games += [("B", "A", "b"), ("B", "A", "b"), ("B", "A", "a")]
    few = rate([Match(a, b, o, True) for a, b, o in games])
    many = rate([Match(a, b, o, True) for a, b, o in games] * 25)
    for fit in (few, many):
        for r in fit.ratings.values():
            assert r.low is not None and r.high is not None and r.value is not None
            assert r.value - r.low == pytest.approx(r.high - r.value)
            assert r.high - r.value == pytest.approx(1.2815515655446004 * (r.sd or 0.0))
    half = rate([Match(a, b, o, True) for a, b, o in games], level=0.5).ratings["A"]
    assert half.high is not None and half.value is not None and half.sd is not None
    assert half.high - half.value == pytest.approx(0.6744897501960817 * half.sd)
    width = {}
    for name, fit in (("few", few), ("many", many)):
        sd = fit.ratings["A"].sd
        assert sd is not None
        width[name] = sd
    assert width["many"] < width["few"] / 3
    assert (many.ratings["A"].value or 0.0) > 0.0


ids = st.sampled_from(["h1", "h2", "h3", "h4", "h5"])
match_strategy = st.builds(
    Match,
    a=ids,
    b=ids,
    outcome=st.sampled_from(["a", "b", "tie", "invalid"]),
    positioned=st.booleans(),
).filter(lambda m: m.a != m.b)


@settings(max_examples=40, deadline=None)
@given(st.lists(match_strategy, min_size=1, max_size=25), st.randoms(use_true_random=False))
def test_ratings_are_the_same_for_any_order_of_the_same_matches(
    matches: list[Match], rnd: random.Random
) -> None:
    shuffled = list(matches)
    rnd.shuffle(shuffled)
    # a both-orders match may be written with its sides swapped; a one-call match may not
    swapped = [
        m if m.positioned else Match(m.b, m.a, {"a": "b", "b": "a"}.get(str(m.outcome), m.outcome))
        for m in shuffled
    ]
    fit = rate(matches)
    assert rate(shuffled).ratings == fit.ratings
    assert rate(swapped).ratings == fit.ratings
