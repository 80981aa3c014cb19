"""Ratings of record: a Bayesian Bradley–Terry fit with the judge's position bias, by component.

Each match is judged once, with one hypothesis shown first. The model is

    P(the first-shown wins) = sigmoid(theta_first - theta_second + gamma),

with a weak prior theta_i ~ N(0, PRIOR_SD^2) and gamma ~ N(0, BIAS_PRIOR_SD^2). gamma is the
judge's pull towards whatever it reads first, estimated from the log instead of paid for with a
second call. Older matches judged in both orders carry no position term (``positioned`` False).
The posterior mode is found by Newton's method and its covariance by the Laplace approximation.

``PRIOR_SD`` is the spread the pairing's fit assumes; the ratings of record do not assume it but
learn it from the matches (``scoring.bt_spread``), and report by component
(``scoring.bt_ratings``). See docs/scoring.md, "Tournament ratings".
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from scoring.tournament import Match, MatchOutcome

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

# The spread of log-strengths at which a judge names the stronger of two random hypotheses 75%
# of the time; the coverage bench draws its truths from this prior (BENCHMARKS.md).
PRIOR_SD = 1.2
BIAS_PRIOR_SD = 1.0
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


def log_evidence(
    counts: Tally,
    posterior: Posterior,
    *,
    prior_sd: float = PRIOR_SD,
    bias_prior_sd: float = BIAS_PRIOR_SD,
) -> float:
    """log p(matches | prior sds) by the Laplace approximation at ``posterior``'s mode, which
    must be the fit under the same prior sds; ``scoring.bt_spread`` weighs spreads by it."""
    n = len(counts.ids)
    x = np.append(posterior.mean, posterior.bias)
    precision = np.append(np.full(n, prior_sd**-2.0), bias_prior_sd**-2.0)
    _, hessian = _derivatives(counts, x, precision)
    _, log_det = np.linalg.slogdet(hessian)
    # The 2*pi terms of the prior's density and of the Gaussian integral cancel.
    normalising = n * math.log(prior_sd) + math.log(bias_prior_sd)
    return _log_posterior(counts, x, precision) - normalising - 0.5 * float(log_det)


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
