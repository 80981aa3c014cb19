"""Ratings of record: a Bayesian Bradley–Terry fit with the judge's position bias, by component.

Each match is judged once, with one hypothesis shown first. The model is

    P(the first-shown wins) = sigmoid(theta_first - theta_second + gamma),

with a weak prior theta_i ~ N(0, PRIOR_SD^2) and gamma ~ N(0, BIAS_PRIOR_SD^2). gamma is the
judge's pull towards whatever it reads first, estimated from the log instead of paid for with a
second call. Older matches judged in both orders carry no position term (``positioned`` False).
The posterior mode is found by Newton's method and its covariance by the Laplace approximation.

Matches only ever compare hypotheses inside one connected component of the comparison graph, so
a rating is reported relative to the mean of the rated hypotheses of its component: it orders
them and nothing else. An entrant with fewer than ``MIN_DECIDED`` decided (non-tie) matches, or
alone in its component, is unrated (value None). See docs/scoring.md, "Tournament ratings".
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np
import numpy.typing as npt

from scoring.tournament import Match, MatchOutcome

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

# The spread of log-strengths at which a judge names the stronger of two random hypotheses 75%
# of the time; the coverage bench draws its truths from this prior (BENCHMARKS.md).
PRIOR_SD = 1.2
BIAS_PRIOR_SD = 1.0
MIN_DECIDED = 3
INTERVAL_LEVEL = 0.8
_NEWTON_TOL = 1e-10
_NEWTON_MAX_ITER = 100


@dataclass(frozen=True)
class Tally:
    """The match log aggregated by (first, second, positioned): the sufficient statistics.

    Keys are sorted, so the same set of matches gives identical arrays in any order.
    """

    ids: list[str]
    first: IntArray
    second: IntArray
    positioned: FloatArray  # 1.0: one call with ``first`` shown first; 0.0: both orders judged
    games: FloatArray
    first_points: FloatArray  # wins of ``first`` plus half its ties
    decided: IntArray  # per entrant: won or lost matches
    played: IntArray  # per entrant: valid matches, ties included


_POINTS = {MatchOutcome.A: 1.0, MatchOutcome.B: 0.0, MatchOutcome.TIE: 0.5}


def tally(matches: Iterable[Match], entrants: Iterable[str] = ()) -> Tally:
    """Aggregate the valid matches; invalid ones are on the record but inform nothing."""
    cells: dict[tuple[str, str, bool], list[float]] = {}
    decided: dict[str, int] = {}
    played: dict[str, int] = {}
    for match in matches:
        points = _POINTS.get(MatchOutcome(match.outcome))
        if points is None:
            continue
        if match.a == match.b:
            raise ValueError(f"a hypothesis cannot play itself: {match.a!r}")
        first, second = match.a, match.b
        if not match.positioned and first > second:
            # Order carries no meaning when both orders were judged: orient it canonically.
            first, second, points = second, first, 1.0 - points
        cell = cells.setdefault((first, second, match.positioned), [0.0, 0.0])
        cell[0] += 1.0
        cell[1] += points
        for name in (first, second):
            played[name] = played.get(name, 0) + 1
            decided[name] = decided.get(name, 0) + (points != 0.5)
    ids = sorted(set(played) | set(entrants))
    index = {name: i for i, name in enumerate(ids)}
    keys = sorted(cells)
    return Tally(
        ids=ids,
        first=np.array([index[k[0]] for k in keys], dtype=np.int64),
        second=np.array([index[k[1]] for k in keys], dtype=np.int64),
        positioned=np.array([float(k[2]) for k in keys], dtype=np.float64),
        games=np.array([cells[k][0] for k in keys], dtype=np.float64),
        first_points=np.array([cells[k][1] for k in keys], dtype=np.float64),
        decided=np.array([decided.get(name, 0) for name in ids], dtype=np.int64),
        played=np.array([played.get(name, 0) for name in ids], dtype=np.int64),
    )


@dataclass(frozen=True)
class Posterior:
    """Laplace approximation: the mode and covariance of (theta_1..theta_n), and gamma."""

    ids: list[str]
    mean: FloatArray
    cov: FloatArray
    bias: float
    bias_sd: float


def fit_posterior(
    counts: Tally,
    *,
    prior_sd: float = PRIOR_SD,
    bias_prior_sd: float = BIAS_PRIOR_SD,
    start: FloatArray | None = None,
    tol: float = _NEWTON_TOL,
) -> Posterior:
    """The posterior mode by damped Newton steps (the log-posterior is strictly concave).

    ``start`` (n + 1 values, gamma last) warm-starts a refit after a few more matches; ``tol``
    is the largest Newton step accepted as converged.
    """
    if prior_sd <= 0 or bias_prior_sd <= 0:
        raise ValueError(f"prior sds must be > 0, got {prior_sd} and {bias_prior_sd}")
    n = len(counts.ids)
    precision = np.append(np.full(n, prior_sd**-2.0), bias_prior_sd**-2.0)
    x = np.zeros(n + 1) if start is None else np.array(start, dtype=np.float64)
    value = _log_posterior(counts, x, precision)
    for _ in range(_NEWTON_MAX_ITER):
        gradient, hessian = _derivatives(counts, x, precision)
        step = np.linalg.solve(hessian, gradient)
        scale = 1.0
        while scale > 1e-6:
            candidate = x + scale * step
            new_value = _log_posterior(counts, candidate, precision)
            if new_value >= value - 1e-12:
                break
            scale /= 2.0
        x, value = candidate, new_value
        if float(np.max(np.abs(scale * step), initial=0.0)) < tol:
            break
    _, hessian = _derivatives(counts, x, precision)
    cov = np.asarray(np.linalg.inv(hessian), dtype=np.float64)
    return Posterior(
        ids=counts.ids,
        mean=x[:n],
        cov=cov[:n, :n],
        bias=float(x[n]),
        bias_sd=math.sqrt(float(cov[n, n])),
    )


def _margins(counts: Tally, x: FloatArray) -> FloatArray:
    return np.asarray(
        x[counts.first] - x[counts.second] + counts.positioned * x[-1], dtype=np.float64
    )


def _log_posterior(counts: Tally, x: FloatArray, precision: FloatArray) -> float:
    d = _margins(counts, x)
    # log sigmoid(d) = -log(1 + e^-d), computed without overflow
    log_win, log_loss = -np.logaddexp(0.0, -d), -np.logaddexp(0.0, d)
    likelihood = counts.first_points * log_win + (counts.games - counts.first_points) * log_loss
    return float(np.sum(likelihood) - 0.5 * np.sum(precision * x * x))


def _derivatives(
    counts: Tally, x: FloatArray, precision: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Gradient of the log-posterior and the negative Hessian (positive definite)."""
    n = len(x) - 1
    p = 1.0 / (1.0 + np.exp(-_margins(counts, x)))
    residual = counts.first_points - counts.games * p
    weight = counts.games * p * (1.0 - p)
    f, s, h = counts.first, counts.second, counts.positioned
    gradient = -precision * x
    gradient[:n] += np.bincount(f, residual, n) - np.bincount(s, residual, n)
    gradient[n] += float(np.sum(h * residual))
    size = n + 1
    cells = np.concatenate((f * size + f, s * size + s, f * size + s, s * size + f))
    cells = np.concatenate((cells, n * size + f, n * size + s, f * size + n, s * size + n))
    signs = np.concatenate((weight, weight, -weight, -weight))
    signs = np.concatenate((signs, h * weight, -h * weight, h * weight, -h * weight))
    summed = np.asarray(np.bincount(cells, signs, size * size), dtype=np.float64)
    hessian = summed.reshape(size, size) + np.diag(precision)
    hessian[n, n] += float(np.sum(h * h * weight))
    return gradient, hessian


def components(counts: Tally) -> IntArray:
    """Component number of each entrant in the comparison graph: 1 is the largest, then by
    size and smallest id; an entrant with no valid match is a component of its own."""
    n = len(counts.ids)
    # Label propagation with pointer jumping: every entrant ends with the smallest index of
    # its component, in about log(diameter) vectorised sweeps.
    label = np.arange(n, dtype=np.int64)
    while True:
        joined = np.minimum(label[counts.first], label[counts.second])
        new = label.copy()
        np.minimum.at(new, counts.first, joined)
        np.minimum.at(new, counts.second, joined)
        new = new[new]
        if np.array_equal(new, label):
            break
        label = new
    roots, first_index, sizes = np.unique(label, return_index=True, return_counts=True)
    ordered = sorted(range(len(roots)), key=lambda k: (-int(sizes[k]), int(first_index[k])))
    number = np.empty(len(roots), dtype=np.int64)
    number[ordered] = np.arange(1, len(roots) + 1)
    return np.asarray(number[np.searchsorted(roots, label)], dtype=np.int64)


@dataclass(frozen=True)
class TournamentRating:
    """One entrant's rating: log-strength relative to the mean of the rated hypotheses of its
    component, with its posterior interval; all four None when unrated."""

    value: float | None
    low: float | None
    high: float | None
    sd: float | None
    matches: int
    decided: int
    component: int
    component_size: int

    @property
    def rated(self) -> bool:
        return self.value is not None


@dataclass(frozen=True)
class RatingFit:
    ratings: dict[str, TournamentRating]
    position_bias: float
    bias_low: float
    bias_high: float
    posterior: Posterior


def rate(
    matches: Iterable[Match],
    *,
    entrants: Iterable[str] = (),
    min_decided: int = MIN_DECIDED,
    level: float = INTERVAL_LEVEL,
    prior_sd: float = PRIOR_SD,
    bias_prior_sd: float = BIAS_PRIOR_SD,
) -> RatingFit:
    """Fit the whole log once and report each entrant within its component."""
    if not 0.0 < level < 1.0:
        raise ValueError(f"interval level must be strictly between 0 and 1, got {level}")
    if min_decided < 1:
        raise ValueError(f"min_decided must be at least 1, got {min_decided}")
    counts = tally(matches, entrants)
    posterior = fit_posterior(counts, prior_sd=prior_sd, bias_prior_sd=bias_prior_sd)
    z = NormalDist().inv_cdf(0.5 + level / 2.0)
    label = components(counts)
    eligible = counts.decided >= min_decided
    value = np.full(len(counts.ids), np.nan)
    sd = np.full(len(counts.ids), np.nan)
    sizes = np.bincount(label)
    for number in range(1, len(sizes)):
        rated = np.flatnonzero((label == number) & eligible)
        if len(rated) >= 2:  # one rated entrant alone has nothing to be ordered against
            value[rated], sd[rated] = centred(posterior, rated)
    ratings = {
        name: _rating(value[i], sd[i], z, counts, i, int(label[i]), int(sizes[label[i]]))
        for i, name in enumerate(counts.ids)
    }
    return RatingFit(
        ratings=ratings,
        position_bias=posterior.bias,
        bias_low=posterior.bias - z * posterior.bias_sd,
        bias_high=posterior.bias + z * posterior.bias_sd,
        posterior=posterior,
    )


def centred(posterior: Posterior, members: IntArray) -> tuple[FloatArray, FloatArray]:
    """Log-strengths of ``members`` less their mean, and the posterior sd of each."""
    mean = posterior.mean[members]
    block = posterior.cov[np.ix_(members, members)]
    variance = np.diag(block) - 2.0 * block.mean(axis=1) + block.mean()
    sd = np.sqrt(np.maximum(variance, 0.0)).astype(np.float64)
    return np.asarray(mean - mean.mean(), dtype=np.float64), sd


def _rating(
    value: float, sd: float, z: float, counts: Tally, i: int, component: int, size: int
) -> TournamentRating:
    matches, decided = int(counts.played[i]), int(counts.decided[i])
    if math.isnan(value):
        return TournamentRating(None, None, None, None, matches, decided, component, size)
    return TournamentRating(
        value=float(value),
        low=float(value - z * sd),
        high=float(value + z * sd),
        sd=float(sd),
        matches=matches,
        decided=decided,
        component=component,
        component_size=size,
    )
