"""Pairing: connect components first, then spend calls where the order (or the top k) is unsure."""

from __future__ import annotations

import itertools
import math
from collections import Counter

import numpy as np
import pytest

from scoring.bt_posterior import Posterior, components, fit_posterior, tally
from scoring.pairing import (
    IntArray,
    _normal_cdf,
    _observe,
    _pair_value,
    _unsettled,
    choose_pairs,
    expected_misorder_drop,
    lookahead_candidates,
    posterior_draws,
    shown_first,
)
from scoring.tournament import Match


def _posterior(mean: list[float], sd: list[float]) -> Posterior:
    ids = [f"h{i}" for i in range(len(mean))]
    return Posterior(
        ids=ids, mean=np.array(mean), cov=np.diag(np.square(sd)), bias=0.0, bias_sd=1.0
    )


def test_pairs_joining_components_come_first_and_stay_eligible() -> None:
    matches = [Match("a", "b", "a", True)] * 3 + [Match("c", "d", "a", True)] * 3
    counts = tally(matches, ["e"])
    eligible = [("a", "b"), ("a", "c"), ("b", "d"), ("d", "e"), ("c", "d")]
    chosen = choose_pairs(fit_posterior(counts), eligible, 2, component=components(counts).tolist())
    # the lone entrant joins first, then the two pairs are joined to each other
    assert chosen[0] == ("d", "e")
    assert chosen[1] in {("a", "c"), ("b", "d")}
    assert all(pair in eligible for pair in chosen)


def test_rank_mode_prefers_close_unsettled_pairs() -> None:
    post = _posterior([2.0, 0.05, 0.0, -2.0], [0.3, 0.3, 0.3, 0.3])
    every = list(itertools.combinations(post.ids, 2))
    assert choose_pairs(post, every, 1, component=[1, 1, 1, 1]) == [("h1", "h2")]


def _fitted(n: int, games: int, seed: int) -> tuple[Posterior, list[tuple[str, str]], IntArray]:
    """The posterior after ``games`` random one-call matches among ``n`` planted hypotheses,
    every pair of them by name, and the same pairs as index rows."""
    rng = np.random.default_rng(seed)
    theta = rng.normal(0.0, 1.2, n)
    ids = [f"h{i:02d}" for i in range(n)]
    matches = []
    for _ in range(games):
        a, b = rng.choice(n, 2, replace=False)
        won = rng.random() < 1.0 / (1.0 + math.exp(theta[b] - theta[a]))
        matches.append(Match(ids[a], ids[b], "a" if won else "b", True))
    every = list(itertools.combinations(ids, 2))
    rows = np.array([[int(a[1:]), int(b[1:])] for a, b in every])
    return fit_posterior(tally(matches, ids)), every, rows


def _screen(mean: np.ndarray, cov: np.ndarray, rows: IntArray) -> np.ndarray:
    return _pair_value(mean, cov, rows[:, 0], rows[:, 1], _unsettled(mean, cov))


def test_rank_mode_plays_the_game_the_look_ahead_values_most() -> None:
    # Eight entrants: every pair is a look-ahead candidate, and here the cheap screen alone
    # would have played another pair.
    post, every, rows = _fitted(8, 40, seed=0)
    drops = expected_misorder_drop(post.mean, post.cov, rows)
    assert choose_pairs(post, every, 1, component=[1] * 8) == [every[int(np.argmax(drops))]]
    assert every[int(np.argmax(drops))] == ("h01", "h02")
    assert every[int(np.argmax(_screen(post.mean, post.cov, rows)))] != ("h01", "h02")


def test_the_screen_keeps_the_games_the_look_ahead_values_most() -> None:
    # 24 entrants, 276 pairs: only the screen's best 100 are looked ahead; the game played
    # is still the best of all 276 (the screen's worst 100 hold none better than half of it).
    for seed in range(4):
        post, every, rows = _fitted(24, 150, seed)
        drops = expected_misorder_drop(post.mean, post.cov, rows)
        (pick,) = choose_pairs(post, every, 1, component=[1] * 24)
        assert drops[every.index(pick)] >= 0.95 * drops.max()


def test_a_batch_counts_each_chosen_game_as_one_more_observation() -> None:
    # Within a batch the covariance is updated as if the game were judged: its precision
    # gains the game's Fisher information p(1 - p) on theta_i - theta_j.
    post, _, _ = _fitted(6, 30, seed=1)
    cov = post.cov.copy()
    _observe(cov, post.mean, 1, 4)
    p = 1.0 / (1.0 + math.exp(post.mean[4] - post.mean[1]))
    u = np.zeros(6)
    u[1], u[4] = 1.0, -1.0
    expected = np.linalg.inv(np.linalg.inv(post.cov) + p * (1 - p) * np.outer(u, u))
    assert cov == pytest.approx(expected, abs=1e-10)


def test_the_screens_normal_cdf_is_within_a_hundredth() -> None:
    x = np.linspace(-6.0, 6.0, 1201)
    exact = 0.5 * np.array([math.erfc(-v / math.sqrt(2)) for v in x])
    assert np.max(np.abs(_normal_cdf(x) - exact)) < 0.01


def test_bridges_come_first_the_newcomer_to_the_largest_group() -> None:
    # A group of six close, uncertain hypotheses, a pair apart, and a newcomer.
    six = [f"g{i}" for i in range(6)]
    matches = [Match(a, b, "a", True) for a, b in itertools.combinations(six, 2)]
    matches += [Match("p0", "p1", "a", True)] * 3
    counts = tally(matches, ["new"])
    post = fit_posterior(counts)
    every = list(itertools.combinations(counts.ids, 2))
    group = components(counts).tolist()
    chosen = choose_pairs(post, every, 2, component=group)
    label = dict(zip(counts.ids, group, strict=True))
    joined = [{label[a], label[b]} for a, b in chosen]
    # the newcomer first, to the largest group; then the pair apart joins the rest
    assert "new" in chosen[0] and joined[0] == {label["new"], label["g0"]}
    assert len(joined[1]) == 2 and label["p0"] in joined[1]


def test_top_k_mode_spends_calls_at_the_boundary() -> None:
    # top 2 wanted: h0 is surely in, h5 surely out; the boundary is h1 / h2
    post = _posterior([3.0, 0.8, 0.5, 0.0, -0.01, -3.0], [0.3] * 6)
    every = list(itertools.combinations(post.ids, 2))
    top = choose_pairs(post, every, 24, component=[1] * 6, top_k=2)
    ranked = choose_pairs(post, every, 1, component=[1] * 6)
    counts = Counter(top)
    assert counts.most_common(1)[0][0] == ("h1", "h2")
    # every game is one that could move a hypothesis across the line; none is settled
    assert all({"h1", "h2"} & set(pair) for pair in top)
    assert not {pair for pair in top if {"h0", "h5"} & set(pair)}
    assert ranked != [("h1", "h2")]  # the whole order cares more about the close h3 / h4
    with pytest.raises(ValueError, match="top_k"):
        choose_pairs(post, every, 1, component=[1] * 6, top_k=6)


def test_top_k_mode_plays_challengers_against_the_holder_of_the_last_place() -> None:
    # h1 holds second place; h2 is close behind and h3, barely measured, may be far better
    # than fitted. Both are played against h1, never against each other: a game between two
    # hypotheses outside the line cannot show that either belongs inside it.
    post = _posterior([3.0, 1.0, 0.9, 0.6, -3.0], [0.05, 0.05, 0.05, 1.0, 0.05])
    every = list(itertools.combinations(post.ids, 2))
    top = choose_pairs(post, every, 16, component=[1] * 5, top_k=2)
    assert all("h1" in pair for pair in top)
    assert {("h1", "h2"), ("h1", "h3")} <= set(top)


def test_top_k_picks_are_replayable_and_only_eligible() -> None:
    post = _posterior([1.0, 0.5, 0.4, 0.3, 0.0, -1.0], [0.4] * 6)
    eligible = [("h0", "h1"), ("h1", "h4"), ("h2", "h5"), ("h3", "h4")]
    first = choose_pairs(post, eligible, 12, component=[1] * 6, top_k=2)
    assert first == choose_pairs(post, eligible, 12, component=[1] * 6, top_k=2)
    assert set(first) <= set(eligible)
    # no eligible pair crosses any line: the whole-order rule still spends the calls
    apart = [("h2", "h3"), ("h4", "h5")]
    assert set(choose_pairs(post, apart, 3, component=[1] * 6, top_k=2)) <= set(apart)


def test_top_k_draws_follow_the_posterior_and_leave_it_untouched() -> None:
    rng = np.random.default_rng(3)
    loadings = rng.normal(size=(5, 5))
    # strongly correlated, so a factor that read the wrong triangle would show
    cov = loadings @ loadings.T + 0.5 * np.eye(5)
    mean = np.array([1.0, -0.5, 0.0, 2.0, 0.3])
    before = cov.copy()
    draw = posterior_draws(mean, cov)
    samples = np.array([draw() for _ in range(20_000)])
    np.testing.assert_array_equal(cov, before)
    scale = np.sqrt(np.outer(np.diag(cov), np.diag(cov)))
    # 20,000 draws: each correlation within about 0.007 (one sd) of the posterior's
    assert np.max(np.abs(np.corrcoef(samples.T) - cov / scale)) < 0.03
    np.testing.assert_allclose(samples.mean(axis=0), mean, atol=0.1)
    np.testing.assert_allclose(samples.var(axis=0), np.diag(cov), rtol=0.05)
    replay = posterior_draws(mean, cov)
    np.testing.assert_array_equal(replay(), samples[0])


@pytest.mark.parametrize("top_k", [None, 3])
def test_overwriting_the_covariance_chooses_the_same_pairs_and_updates_it(
    top_k: int | None,
) -> None:
    post, groups, _ = _fitted(12, 60, seed=5)
    component = [1] * 12
    before = post.cov.copy()
    kept = choose_pairs(post, groups, 6, component=component, top_k=top_k)
    np.testing.assert_array_equal(post.cov, before)  # the default leaves it alone
    chosen = choose_pairs(post, groups, 6, component=component, top_k=top_k, overwrite_cov=True)
    assert chosen == kept
    expected = before.copy()
    index = {name: i for i, name in enumerate(post.ids)}
    for a, b in chosen:
        _observe(expected, post.mean, index[a], index[b])
    np.testing.assert_array_equal(post.cov, expected)  # each chosen pair's update, in place


def test_a_batch_spreads_over_pairs_instead_of_repeating_one() -> None:
    post = _posterior([0.0, 0.0, 0.0, 0.0], [1.0] * 4)
    chosen = choose_pairs(post, list(itertools.combinations(post.ids, 2)), 4, component=[1] * 4)
    assert len(chosen) == 4 and len(set(chosen)) == 4


def test_who_is_shown_first_is_a_fair_replayable_coin() -> None:
    pairs = [(f"h{i}", f"h{j}") for i, j in itertools.combinations(range(40), 2)]
    orders = [shown_first(a, b, seed="17") for a, b in pairs]
    assert orders == [shown_first(b, a, seed="17") for a, b in pairs]  # argument order is moot
    assert all(set(order) == set(pair) for order, pair in zip(orders, pairs, strict=True))
    swapped = sum(order != pair for order, pair in zip(orders, pairs, strict=True))
    assert 0.45 < swapped / len(pairs) < 0.55  # 780 pairs: sd 1.8%
    assert [shown_first(a, b, seed="18") for a, b in pairs] != orders


def _misorder(gap: np.ndarray, sd: np.ndarray) -> np.ndarray:
    """Phi(-|gap| / sd), exactly."""
    return 0.5 * np.array([math.erfc(x / math.sqrt(2)) for x in np.abs(gap) / sd])


def _kalman_drop(mean: np.ndarray, cov: np.ndarray, i: int, j: int) -> float:
    """The expected drop in mis-ordered pairs from one game on (i, j), worked out as a Gaussian
    observation of theta_i - theta_j whose precision is the game's Fisher information, averaged
    over its predictive distribution."""
    first, second = np.triu_indices(len(mean), k=1)

    def doubt(m: np.ndarray, c: np.ndarray) -> float:
        var = np.diag(c)[first] + np.diag(c)[second] - 2 * c[first, second]
        return float(_misorder(m[first] - m[second], np.sqrt(var)).sum())

    z = np.linspace(-8.0, 8.0, 1601)
    density = np.exp(-0.5 * z**2)
    density /= density.sum()
    p = 1 / (1 + np.exp(mean[j] - mean[i]))
    u = np.zeros(len(mean))
    u[i], u[j] = 1.0, -1.0
    predictive = u @ cov @ u + 1 / (p * (1 - p))
    gain = cov @ u / predictive
    after = cov - np.outer(gain, u @ cov)
    expected = sum(
        weight * doubt(mean + gain * np.sqrt(predictive) * zk, after)
        for zk, weight in zip(z, density, strict=True)
    )
    return doubt(mean, cov) - expected


def test_the_look_ahead_matches_one_game_worked_out_as_a_kalman_update() -> None:
    mean = np.array([0.3, 0.1, -0.2, -0.25])
    root = np.array(
        [[0.5, 0.1, 0.0, 0.0], [0.1, 0.4, 0.1, 0.0], [0.0, 0.2, 0.45, 0.1], [0.1, 0.0, 0.1, 0.5]]
    )
    cov = root @ root.T
    games = np.array([[0, 1], [1, 2], [2, 3], [0, 3]])
    drops = expected_misorder_drop(mean, cov, games)
    for (i, j), drop in zip(games, drops, strict=True):
        assert drop == pytest.approx(_kalman_drop(mean, cov, i, j), abs=1e-4)
    assert drops.min() > 0
    assert int(np.argmax(drops)) == 2  # the closest pair with the widest doubt


def test_pairs_a_game_cannot_flip_may_be_skipped_without_changing_its_worth() -> None:
    # A wide table of fairly sure hypotheses: most pairs sit many of a game's moves apart, so
    # the look-ahead integrates only a few of them; the full Kalman sum counts them all.
    rng = np.random.default_rng(4)
    mean = np.sort(rng.normal(0.0, 1.5, 14))
    root = np.diag(np.full(14, 0.15)) + rng.normal(0.0, 0.02, (14, 14))
    cov = root @ root.T
    games = np.array([[0, 13], [7, 8], [6, 7], [8, 9], [2, 9]])
    drops = expected_misorder_drop(mean, cov, games)
    for (i, j), drop in zip(games, drops, strict=True):
        assert drop == pytest.approx(_kalman_drop(mean, cov, i, j), abs=1e-4)
    assert drops[0] < 1e-6 < drops[1]


def test_a_game_between_settled_hypotheses_is_worth_next_to_nothing() -> None:
    post = _posterior([3.0, 0.02, 0.0, -3.0], [0.1, 0.6, 0.6, 0.1])
    drops = expected_misorder_drop(post.mean, post.cov, np.array([[0, 3], [1, 2], [0, 1]]))
    assert drops[0] < 1e-6
    assert drops[1] == max(drops)


def test_the_look_ahead_scores_fewer_candidates_as_the_table_grows_and_then_none() -> None:
    assert lookahead_candidates(64) == 100
    assert 1 < lookahead_candidates(500) < lookahead_candidates(200) <= 100
    assert lookahead_candidates(2001) < 2  # the cheap screen alone picks


def test_past_the_look_ahead_the_screens_best_pair_is_played() -> None:
    n = 2_001  # lookahead_candidates(2001) < 2
    rng = np.random.default_rng(5)
    ids = [f"h{i:04d}" for i in range(n)]
    post = Posterior(
        ids=ids, mean=rng.normal(0, 1, n), cov=np.diag(rng.uniform(0.1, 1, n)), bias=0, bias_sd=1
    )
    pairs = [(ids[i], ids[i + 1]) for i in range(0, n - 1, 2)]
    chosen = choose_pairs(post, pairs, 1, component=[1] * n)
    codes = np.array([[i, i + 1] for i in range(0, n - 1, 2)])
    best = int(np.argsort(-_screen(post.mean, post.cov, codes), kind="stable")[0])
    assert chosen == [pairs[best]]


def test_the_screen_and_the_update_in_row_blocks_equal_the_whole_tables() -> None:
    n = 1_300  # three blocks of rows, the last one short
    rng = np.random.default_rng(6)
    root = rng.normal(size=(n, n))
    cov, mean = root @ root.T / n + 0.1 * np.eye(n), rng.normal(size=n)
    pairs = np.array([[k, (7 * k + 3) % n] for k in range(n) if (7 * k + 3) % n > k])
    # the screen written with whole n x n tables
    spread = np.diag(cov)
    variance = np.maximum(spread[:, None] + spread[None, :] - 2.0 * cov, 1e-12)
    gap = mean[:, None] - mean[None, :]
    misorder = _normal_cdf(-np.abs(gap) / np.sqrt(variance))
    np.fill_diagonal(misorder, 0.0)
    i, j = pairs[:, 0], pairs[:, 1]
    p = 1.0 / (1.0 + np.exp(-gap[i, j]))
    information = variance[i, j] * p * (1.0 - p)
    unsettled = misorder.sum(axis=1)
    whole = (unsettled[i] + unsettled[j]) * (information / (1.0 + information))
    assert np.array_equal(_screen(mean, cov, pairs), whole)
    # and one game's update with the whole outer product
    column = cov[:, 5] - cov[:, 900]
    q = 1.0 / (1.0 + np.exp(mean[900] - mean[5]))
    weight = q * (1.0 - q)
    expected = cov - np.outer(column, column) * (
        weight / (1.0 + weight * (column[5] - column[900]))
    )
    updated = cov.copy()
    _observe(updated, mean, 5, 900)
    assert np.array_equal(updated, expected)


def _kruskal_over_every_pair(
    groups: list[list[int]], component: np.ndarray, count: int
) -> list[tuple[int, int]]:
    """The bridges' rule written plainly: every crossing pair, sorted, joined Kruskal-style."""
    size = Counter(component.tolist())
    crossing = {
        (min(a, b), max(a, b))
        for group in groups
        for a, b in itertools.combinations(group, 2)
        if component[a] != component[b]
    }

    def key(pair: tuple[int, int]) -> tuple[int, int, tuple[int, int]]:
        sizes = sorted((size[component[pair[0]]], size[component[pair[1]]]))
        return sizes[0], -sizes[1], pair

    parent = {c: c for c in size}

    def root(c: int) -> int:
        while parent[c] != c:
            c = parent[c]
        return c

    chosen: list[tuple[int, int]] = []
    for i, j in sorted(crossing, key=key):
        ri, rj = root(int(component[i])), root(int(component[j]))
        if ri != rj and len(chosen) < count:
            parent[ri] = rj
            chosen.append((i, j))
    return chosen


@pytest.mark.parametrize("seed", range(6))
def test_bridges_from_groups_are_kruskal_over_every_crossing_pair(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = 60
    # many small components and singletons, in overlapping groups
    component = rng.integers(0, 25, size=n)
    groups = [sorted(rng.choice(n, size=int(rng.integers(2, 12)), replace=False).tolist())]
    groups += [
        sorted(rng.choice(n, size=int(rng.integers(2, 6)), replace=False).tolist())
        for _ in range(15)
    ]
    ids = [f"h{i:02d}" for i in range(n)]
    post = _posterior([0.0] * n, [1.0] * n)
    post = Posterior(ids=ids, mean=post.mean, cov=post.cov, bias=0.0, bias_sd=1.0)
    for count in (1, 4, 12):
        chosen = choose_pairs(
            post, [[ids[i] for i in g] for g in groups], count, component=component.tolist()
        )
        expected = _kruskal_over_every_pair(groups, component, count)
        assert chosen[: len(expected)] == [(ids[i], ids[j]) for i, j in expected]


@pytest.mark.parametrize("top_k", [None, 3])
def test_the_pairs_chosen_do_not_depend_on_the_block_size(
    monkeypatch: pytest.MonkeyPatch, top_k: int | None
) -> None:
    post, _, _ = _fitted(40, 120, seed=3)
    rng = np.random.default_rng(8)
    # overlapping groups, so some pairs are handed out twice
    groups = [sorted(rng.choice(post.ids, size=12, replace=False).tolist()) for _ in range(9)]
    component = components(tally([], post.ids)).tolist()  # everyone alone: bridges first
    settled = [1] * 40

    def run() -> list[list[tuple[str, str]]]:
        return [
            choose_pairs(post, groups, 30, component=component, top_k=top_k),
            choose_pairs(post, groups, 12, component=settled, top_k=top_k),
        ]

    whole = run()
    monkeypatch.setattr("scoring.eligible_pairs.PAIRS_PER_BLOCK", 5)
    assert run() == whole
