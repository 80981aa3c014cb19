"""The spread of strengths, learnt from the matches and integrated out."""

from __future__ import annotations

import math

import numpy as np
import pytest

from scoring.bt_posterior import fit_posterior, tally
from scoring.bt_spread import SPREAD_GRID, SpreadFit, fit_spread
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
