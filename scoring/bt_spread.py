"""How widely the hypotheses' strengths spread, learnt from the matches rather than assumed.

A fixed prior theta_i ~ N(0, s^2) makes the intervals right only when the real spread is s:
with 60 matches among 21 hypotheses, 80% intervals cover 71% of truths spread 1.5 and 57% of
truths spread 2.0 under s = 1.2 (BENCHMARKS.md). So s gets a prior of its own, a half-normal
with scale ``SPREAD_PRIOR_SCALE``, and is integrated out on a log-spaced grid: each grid value
that can carry weight is fitted (``fit_posterior``), weighed by its Laplace evidence times its
prior, and the mixture is summarised by its mean and covariance. Few matches leave s
uncertain and the intervals wide; many pin it down, and the fit tends to the one at the spread
the data show.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from scoring.bt_posterior import (
    BIAS_PRIOR_SD,
    PRIOR_SD,
    FloatArray,
    LaplaceFit,
    Posterior,
    Tally,
    laplace_fit,
    row_blocks,
)

# A half-normal of scale 2 keeps in play spreads from near 0 (a judge at chance) to about 4
# (one right 91% of the time about two random hypotheses), with the 75% judge's 1.2 inside.
SPREAD_PRIOR_SCALE = 2.0
# The grid reaches past where the prior leaves any weight (P(s > 8) < 0.01%), so that the prior,
# not the grid's end, bounds a very decisive judge's spread.
SPREAD_GRID: tuple[float, ...] = tuple(float(s) for s in np.geomspace(0.25, 10.0, 21))
# A spread whose weight is below e^-14 (8e-7) of the largest moves no reported digit.
NEGLIGIBLE = 14.0


@dataclass(frozen=True)
class SpreadFit:
    """The posterior over the spread: one weight per grid value, and the mixed posterior."""

    grid: tuple[float, ...]
    weights: tuple[float, ...]
    posterior: Posterior

    @property
    def spread(self) -> float:
        """The posterior mean of the spread s."""
        return float(np.dot(self.grid, self.weights))

    def interval(self, level: float) -> tuple[float, float]:
        """The central ``level`` interval of s: each grid value's weight sits at its point, and
        the cumulative weight is interpolated between points on the log scale."""
        if not 0.0 < level < 1.0:
            raise ValueError(f"interval level must be strictly between 0 and 1, got {level}")
        weights = np.array(self.weights)
        midpoints = np.cumsum(weights) - weights / 2.0
        log_grid = np.log(self.grid)
        tails = [(1.0 - level) / 2.0, (1.0 + level) / 2.0]
        low, high = np.exp(np.interp(tails, midpoints, log_grid))
        return float(low), float(high)


def judge_accuracy(spread: float) -> float:
    """How often a judge with no lean names the stronger of two random hypotheses, when
    log-strengths spread ``spread``: E sigmoid(|d|) with d ~ N(0, 2 spread^2)."""
    if spread < 0:
        raise ValueError(f"a spread is an sd and cannot be negative, got {spread}")
    # |d| = sqrt(2) * spread * |z|: integrate over the half-normal |z| on a fine grid
    z = np.linspace(0.0, 9.0, 3601)
    density = np.sqrt(2.0 / np.pi) * np.exp(-0.5 * z * z)
    sigmoid = 1.0 / (1.0 + np.exp(-math.sqrt(2.0) * spread * z))
    return float(np.trapezoid(density * sigmoid, z))


def _log_spread_prior(s: float) -> float:
    # Half-normal density on s; the grid is log-spaced, so each point stands for a width
    # proportional to s.
    return -0.5 * (s / SPREAD_PRIOR_SCALE) ** 2 + math.log(s)


def fit_spread(
    counts: Tally,
    *,
    grid: tuple[float, ...] = SPREAD_GRID,
    bias_prior_sd: float = BIAS_PRIOR_SD,
) -> SpreadFit:
    """The posterior with the spread integrated out (moment-matched to one normal).

    Each spread within e^-NEGLIGIBLE of the largest weight is mixed in; the rest would move
    no reported digit. Which those are, ``_walk`` finds from the evidence alone: the covariance
    costs as much again as the evidence, so it is formed only for the spreads mixed in.
    """
    walk = _walk(counts, grid, bias_prior_sd)
    top = max(walk.log_weights)
    kept = [i for i, weight in enumerate(walk.log_weights) if weight >= top - NEGLIGIBLE]
    mixture = _Mixture(len(counts.ids))
    # the heaviest first, so that its factor is spent before any other is made
    for index in sorted(kept, key=lambda i: i != walk.best_index):
        if index == walk.best_index and walk.best is not None:
            fit, walk.best = walk.best, None
        else:
            fit = laplace_fit(
                counts, prior_sd=grid[index], bias_prior_sd=bias_prior_sd, start=walk.modes[index]
            )
        mixture.add(fit.posterior(), walk.log_weights[index])
        del fit  # a factor is as large as the covariance
    raw = np.exp([walk.log_weights[i] - top if i in kept else -math.inf for i in range(len(grid))])
    return SpreadFit(
        grid=grid,
        weights=tuple(float(w) for w in raw / raw.sum()),
        posterior=mixture.moments(counts.ids),
    )


@dataclass
class _Walk:
    """Each walked spread's log weight (-inf where not walked) and mode, and the fit of the
    heaviest, whose factor is kept because it is always mixed in."""

    log_weights: list[float]
    modes: dict[int, FloatArray]
    best_index: int
    best: LaplaceFit | None


def _walk(counts: Tally, grid: tuple[float, ...], bias_prior_sd: float) -> _Walk:
    """The grid walked outwards from the value nearest ``PRIOR_SD``, each way until the weight
    falls below e^-NEGLIGIBLE of the largest seen: with many matches only two or three spreads
    carry weight, and a refit need not fit the log at all 21. Stopping at the first negligible
    value takes the weight to rise to one peak and fall; by the same token the walk down is
    skipped when the origin itself is negligible."""
    origin = int(np.argmin(np.abs(np.log(grid) - math.log(PRIOR_SD))))
    walk = _Walk(log_weights=[-math.inf] * len(grid), modes={}, best_index=origin, best=None)
    for direction in (1, -1):
        if direction == -1 and walk.log_weights[origin] < max(walk.log_weights) - NEGLIGIBLE:
            break  # the weight rose above the origin's and fell away again: below it, it falls
        index = origin if direction == 1 else origin - 1
        start = None if direction == 1 else walk.modes[origin]  # neighbours: nearby modes
        while 0 <= index < len(grid):
            fit = laplace_fit(
                counts, prior_sd=grid[index], bias_prior_sd=bias_prior_sd, start=start
            )
            start = walk.modes[index] = fit.mode
            weight = walk.log_weights[index] = fit.log_evidence + _log_spread_prior(grid[index])
            if walk.best is None or weight > walk.log_weights[walk.best_index]:
                walk.best_index, walk.best = index, fit  # the previous best's factor is let go
            del fit
            if weight < max(walk.log_weights) - NEGLIGIBLE:
                break
            index += direction
    return walk


class _Mixture:
    """Running weighted moments of the grid's posteriors, so that one covariance matrix is
    held at a time, not one per grid value (21 of them at a few thousand entrants is GBs)."""

    def __init__(self, n: int) -> None:
        self.top = -math.inf  # the largest log weight so far; the sums are scaled by it
        self.total = 0.0
        self.first = np.zeros(n)  # sum of w * mean
        self.second = np.zeros((n, n))  # sum of w * (cov + mean mean^T)
        self.bias_first = 0.0
        self.bias_second = 0.0

    def add(self, post: Posterior, log_weight: float) -> None:
        if log_weight > self.top:
            shrink = math.exp(self.top - log_weight)  # 0.0 while the sums are empty
            self.total *= shrink
            self.first *= shrink
            self.second *= shrink
            self.bias_first *= shrink
            self.bias_second *= shrink
            self.top = log_weight
        w = math.exp(log_weight - self.top)
        self.total += w
        self.first += w * post.mean
        for rows in row_blocks(len(post.mean)):  # no n x n temporaries at a time
            self.second[rows] += w * (post.cov[rows] + np.outer(post.mean[rows], post.mean))
        self.bias_first += w * post.bias
        self.bias_second += w * (post.bias_sd**2 + post.bias**2)

    def moments(self, ids: list[str]) -> Posterior:
        """One normal with the mixture's mean and covariance (law of total variance); the
        sums are spent making it."""
        mean = self.first / self.total
        cov = self.second
        for rows in row_blocks(len(mean)):
            cov[rows] /= self.total
            cov[rows] -= np.outer(mean[rows], mean)
        bias = self.bias_first / self.total
        bias_var = max(self.bias_second / self.total - bias * bias, 0.0)
        return Posterior(ids=ids, mean=mean, cov=cov, bias=bias, bias_sd=math.sqrt(bias_var))
