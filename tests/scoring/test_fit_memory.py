"""The tournament fit's memory estimates against what the fits take (traced by tracemalloc,
which numpy reports its arrays to): never under, and growing as the fits do."""

from __future__ import annotations

import tracemalloc
from collections.abc import Callable

import numpy as np
import pytest

from scoring.bt_posterior import PRIOR_SD, components, fit_posterior, square_bytes, tally
from scoring.bt_ratings import rate, rate_bytes
from scoring.pairing import choose_pairs, round_bytes
from scoring.tournament import Match


def _peak(work: Callable[[], object]) -> int:
    tracemalloc.start()
    try:
        work()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def _refit(ids: list[str], log: list[Match]) -> Callable[[], object]:
    return lambda: rate(log, entrants=ids)


def _round(ids: list[str], log: list[Match], top_k: int | None) -> Callable[[], object]:
    def play() -> object:
        counts = tally(log, ids)
        posterior = fit_posterior(counts)
        component = components(counts).tolist()
        return choose_pairs(
            posterior, [ids], 8, component=component, top_k=top_k, overwrite_cov=True
        )

    return play


def _log(n: int, each: int) -> tuple[list[str], list[Match]]:
    """``n * each`` one-call matches between random pairs, strengths from the fit's prior."""
    rng = np.random.default_rng(n)
    theta = rng.normal(0.0, PRIOR_SD, n)
    first = rng.integers(0, n, n * each)
    second = (first + rng.integers(1, n, n * each)) % n  # never the same hypothesis
    won = rng.random(n * each) < 1.0 / (1.0 + np.exp(theta[second] - theta[first]))
    ids = [f"h{i}" for i in range(n)]
    log = [
        Match(ids[a], ids[b], "a" if w else "b", positioned=True)
        for a, b, w in zip(first.tolist(), second.tolist(), won.tolist(), strict=True)
    ]
    return ids, log


@pytest.fixture(autouse=True, scope="module")
def _warm() -> None:
    """Each kind of fit once, untraced: the first fit imports scipy's modules, whose
    allocations would be counted as the fit's."""
    for kind in ("refit", "rank", "top-k"):
        _work(40, 10, kind)[0]()


def _work(n: int, each: int, kind: str) -> tuple[Callable[[], object], int]:
    ids, log = _log(n, each)
    if kind == "refit":
        return _refit(ids, log), rate_bytes(entrants=n, matches=len(log))
    top_k = 8 if kind == "top-k" else None
    estimate = round_bytes(entrants=n, matches=len(log), top_k=top_k is not None)
    return _round(ids, log, top_k), estimate


def test_pairings_look_ahead_table_fits_in_the_estimates_fixed_part() -> None:
    """A small field, where the look-ahead's table outweighs the squares."""
    work, estimate = _work(1_000, 20, "rank")
    assert _peak(work) <= estimate


@pytest.mark.parametrize(("kind", "squares"), [("refit", 2), ("rank", 1), ("top-k", 2)])
def test_no_fit_takes_more_than_its_estimate_which_grows_as_the_fit_does(
    kind: str, squares: int
) -> None:
    """Past the look-ahead's bound, where the squares dominate. Growing the field adds about
    the estimate's number of squares: the estimate is not an upper bound by a margin that
    would refuse fits that fit."""
    (small_work, small_estimate), (large_work, large_estimate) = (
        _work(1_600, 5, kind),
        _work(2_400, 5, kind),
    )
    small, large = _peak(small_work), _peak(large_work)
    assert small <= small_estimate and large <= large_estimate
    in_squares = (large - small) / (square_bytes(2_400) - square_bytes(1_600))
    assert squares - 0.5 < in_squares <= squares + 0.5


def test_the_estimate_grows_with_the_log_as_the_fit_does() -> None:
    """Five times the matches on one field: the refit grows by more than half of what the
    estimate adds for them, and by no more."""
    short, long = _work(1_000, 20, "refit"), _work(1_000, 100, "refit")
    grown = _peak(long[0]) - _peak(short[0])
    assert 0.5 * (long[1] - short[1]) < grown <= long[1] - short[1]
