"""The spread of strengths, learnt from the matches and integrated out."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

from scoring import bt_spread
from scoring.bt_posterior import LaplaceFit, Posterior, fit_posterior, tally
from scoring.bt_spread import SPREAD_GRID, SpreadFit, fit_spread, judge_accuracy
from scoring.tournament import Match


def _world(spread: float, *, n: int, m: int, seed: int) -> list[Match]:
    rng = np.random.default_rng(seed)
    theta = rng.normal(0.0, spread, n)
    matches = []
    for _ in range(m):
        a, b = rng.choice(n, 2, replace=False)
        won = rng.random() < 1.0 / (1.0 + math.exp(-(theta[a] - theta[b] + 0.3)))
        matches.append(Match(f"h{a}", f"h{b}", "a" if won else "b", positioned=True))
    return matches


def _spread_sd(fit: SpreadFit) -> float:
    w, grid = np.array(fit.weights), np.array(fit.grid)
    return float(np.sqrt(w @ (grid - fit.spread) ** 2))


@pytest.mark.parametrize("spread", [0.6, 1.2, 2.5])
def test_many_matches_pin_the_spread_down(spread: float) -> None:
    learnt = fit_spread(tally(_world(spread, n=60, m=3000, seed=1)))
    assert sum(learnt.weights) == pytest.approx(1.0)
    # 60 strengths estimate their sd to about 1/sqrt(120) of itself, and the draw's own sd
    # differs from the spread by about as much.
    assert learnt.spread == pytest.approx(spread, rel=0.25)


def test_few_matches_leave_the_spread_open() -> None:
    few = fit_spread(tally(_world(1.2, n=60, m=60, seed=2)))
    many = fit_spread(tally(_world(1.2, n=60, m=3000, seed=2)))
    # 60 matches among 60 barely tell 1.2 from 0.6 or 2.4; 3,000 pin it to about 10%
    assert _spread_sd(few) > 0.3 and _spread_sd(many) < 0.15


def test_the_posterior_is_the_mixture_of_the_grid_fits_by_their_weights() -> None:
    counts = tally(_world(1.2, n=8, m=40, seed=3))
    learnt = fit_spread(counts)
    fits = [fit_posterior(counts, prior_sd=s) for s in SPREAD_GRID]
    w = np.array(learnt.weights)
    mean = sum(wk * f.mean for wk, f in zip(w, fits, strict=True))
    second = sum(wk * (f.cov + np.outer(f.mean, f.mean)) for wk, f in zip(w, fits, strict=True))
    assert learnt.posterior.mean == pytest.approx(mean, abs=1e-8)
    assert learnt.posterior.cov == pytest.approx(second - np.outer(mean, mean), abs=1e-8)
    bias = sum(wk * f.bias for wk, f in zip(w, fits, strict=True))
    bias_var = sum(wk * (f.bias_sd**2 + f.bias**2) for wk, f in zip(w, fits, strict=True))
    assert learnt.posterior.bias == pytest.approx(bias, abs=1e-8)
    assert learnt.posterior.bias_sd == pytest.approx(math.sqrt(bias_var - bias**2), abs=1e-8)


def test_one_grid_point_is_the_fit_at_that_spread() -> None:
    counts = tally(_world(1.2, n=8, m=40, seed=4))
    learnt = fit_spread(counts, grid=(0.9,))
    fixed = fit_posterior(counts, prior_sd=0.9)
    assert learnt.weights == (1.0,) and learnt.spread == 0.9
    assert learnt.posterior.mean == pytest.approx(fixed.mean, abs=1e-9)
    assert learnt.posterior.cov == pytest.approx(fixed.cov, abs=1e-12)


def test_judge_accuracy_is_the_share_of_random_pairs_it_orders_right() -> None:
    rng = np.random.default_rng(0)
    for spread in (0.5, 1.2, 2.0):
        theta = rng.normal(0.0, spread, (400_000, 2))
        gap = np.abs(theta[:, 0] - theta[:, 1])
        simulated = float(np.mean(1.0 / (1.0 + np.exp(-gap))))
        assert judge_accuracy(spread) == pytest.approx(simulated, abs=0.002)
    # no spread: a coin; the prior's 1.2 is the 75% judge the docs speak of
    assert judge_accuracy(0.0) == 0.5
    assert judge_accuracy(1.2) == pytest.approx(0.753, abs=0.001)
    with pytest.raises(ValueError, match="cannot be negative"):
        judge_accuracy(-0.1)


def test_the_spread_interval_holds_the_given_share_of_its_weight() -> None:
    learnt = fit_spread(tally(_world(1.2, n=60, m=600, seed=5)))
    low, high = learnt.interval(0.8)
    narrow = learnt.interval(0.5)
    assert low < narrow[0] < learnt.spread < narrow[1] < high
    grid, weights = np.array(learnt.grid), np.array(learnt.weights)
    # each point's weight is split evenly either side of it: the cumulative weight at a point
    # is the weight below it plus half its own, and runs straight between points (log scale)
    cumulative = np.cumsum(weights) - weights / 2.0
    held = np.interp(np.log([low, high]), np.log(grid), cumulative)
    assert held[1] - held[0] == pytest.approx(0.8)
    assert held[0] == pytest.approx(0.1)
    with pytest.raises(ValueError, match="strictly between"):
        learnt.interval(1.0)


def test_the_walk_fits_only_the_spreads_that_carry_weight(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    counts = tally(_world(2.5, n=60, m=3000, seed=6))
    walked = fit_spread(counts)
    monkeypatch.setattr(bt_spread, "NEGLIGIBLE", math.inf)  # every spread on the grid
    full = fit_spread(counts)
    skipped = [w for w in walked.weights if w == 0.0]
    assert len(skipped) >= 10  # many matches: most of the grid is never fitted
    assert all(w < 1e-5 for w, kept in zip(full.weights, walked.weights, strict=True) if not kept)
    assert walked.posterior.mean == pytest.approx(full.posterior.mean, abs=1e-6)
    assert walked.posterior.cov == pytest.approx(full.posterior.cov, abs=1e-6)
    assert walked.spread == pytest.approx(full.spread, rel=1e-6)


def test_a_covariance_is_formed_only_for_the_spreads_mixed_in(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # a wide spread: the walk from 1.2 passes several spreads on its way up to the heaviest
    counts = tally(_world(4.0, n=60, m=3000, seed=7))
    fitted: list[float] = []
    formed: list[float] = []
    laplace_fit, posterior = bt_spread.laplace_fit, LaplaceFit.posterior

    def counting_fit(*args: Any, **kwargs: Any) -> LaplaceFit:
        fitted.append(kwargs["prior_sd"])
        return laplace_fit(*args, **kwargs)

    def counting_posterior(self: LaplaceFit) -> Posterior:
        formed.append(1.0)
        return posterior(self)

    monkeypatch.setattr(bt_spread, "laplace_fit", counting_fit)
    monkeypatch.setattr(LaplaceFit, "posterior", counting_posterior)
    learnt = fit_spread(counts)
    mixed = [w for w in learnt.weights if w > 0.0]
    assert len(set(fitted)) >= len(mixed) + 3  # the walk read more spreads than it mixed
    # the weight peaks far above the origin, so nothing below it is fitted
    origin = min(SPREAD_GRID, key=lambda s: abs(math.log(s / bt_spread.PRIOR_SD)))
    assert min(fitted) == origin and origin > bt_spread.PRIOR_SD
    assert len(formed) == len(mixed)
    # the heaviest spread's fit is kept from the walk; only the others are fitted again
    assert len(fitted) == len(set(fitted)) + len(mixed) - 1
    assert min(mixed) >= math.exp(-bt_spread.NEGLIGIBLE) * max(mixed)
