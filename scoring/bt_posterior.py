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
from typing import Any

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
# Up to this many unknowns a dense solve is quicker than conjugate gradients' iterations.
_DENSE_NEWTON_UP_TO = 500
# _scipy_on_first_fit: scipy is imported by the functions that fit, not with this module. It
# costs about 0.2 s, and most importers (the CLI, the views, pairing's callers reading stored
# ratings) never fit.


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
    fit = laplace_fit(counts, prior_sd=prior_sd, bias_prior_sd=bias_prior_sd, start=start, tol=tol)
    return fit.posterior()


class LaplaceFit:
    """A fit before its covariance is formed: the mode, the Cholesky factor of the curvature
    there, and the evidence. Inverting the factor costs as much again as making it, so a caller
    that may discard the fit (``scoring.bt_spread``, for a spread of negligible weight) reads
    the evidence first."""

    def __init__(
        self, ids: list[str], mode: FloatArray, factor: FloatArray, log_evidence: float
    ) -> None:
        self.ids = ids
        self.mode = mode  # n + 1 values, gamma last
        self.log_evidence = log_evidence
        self._factor: FloatArray | None = factor

    def posterior(self) -> Posterior:
        """The Laplace posterior; it inverts the factor in place, so it can be asked once."""
        if self._factor is None:
            raise RuntimeError("this fit's covariance has already been formed")
        cov, self._factor = _inverse_from_cholesky(self._factor), None
        n = len(self.ids)
        bias_sd = math.sqrt(float(cov[n, n]))
        return Posterior(
            ids=self.ids,
            mean=self.mode[:n],
            cov=_leading_block(cov, n),
            bias=float(self.mode[n]),
            bias_sd=bias_sd,
        )


def _leading_block(symmetric: FloatArray, n: int) -> FloatArray:
    """The leading n x n block of the (n + 1)-square ``symmetric``, made C-contiguous in its
    own buffer (each row moved up against the one before; ``symmetric`` is spent). Pairing's
    row blocks run some 20% faster on it than on a strided view, and a copy would be one more
    n x n array. LAPACK leaves the covariance column-major: its transpose, the same matrix, is
    the C-ordered one."""
    square = symmetric if symmetric.flags.c_contiguous else symmetric.T
    if not square.flags.c_contiguous:
        raise ValueError("the covariance must be one contiguous array")
    flat = square.reshape(-1)
    for row in range(1, n):
        # Source and destination overlap; numpy copies through a buffer when they do.
        flat[row * n : (row + 1) * n] = square[row, :n]
    return flat[: n * n].reshape(n, n)


def laplace_fit(
    counts: Tally,
    *,
    prior_sd: float = PRIOR_SD,
    bias_prior_sd: float = BIAS_PRIOR_SD,
    start: FloatArray | None = None,
    tol: float = _NEWTON_TOL,
) -> LaplaceFit:
    """The mode, and the curvature's factor with the evidence it gives: log p(matches | prior
    sds) by the Laplace approximation, by which ``scoring.bt_spread`` weighs spreads."""
    precision = _precision(len(counts.ids), prior_sd, bias_prior_sd)
    x = _mode(counts, precision, start, tol)
    factor = cholesky_in_place(_dense_hessian(counts, _first_wins(counts, x), precision))
    evidence = _evidence(counts, x, precision, _log_det(factor))
    return LaplaceFit(counts.ids, x, factor, evidence)


def _precision(n: int, prior_sd: float, bias_prior_sd: float) -> FloatArray:
    if prior_sd <= 0 or bias_prior_sd <= 0:
        raise ValueError(f"prior sds must be > 0, got {prior_sd} and {bias_prior_sd}")
    return np.append(np.full(n, prior_sd**-2.0), bias_prior_sd**-2.0)


def _evidence(counts: Tally, x: FloatArray, precision: FloatArray, log_det: float) -> float:
    # The 2*pi terms of the prior's density and of the Gaussian integral cancel; the prior's
    # normalising constant is half the log of each precision.
    normalising = 0.5 * float(np.sum(np.log(precision)))
    return _log_posterior(counts, x, precision) + normalising - 0.5 * log_det


def _mode(counts: Tally, precision: FloatArray, start: FloatArray | None, tol: float) -> FloatArray:
    x = np.zeros(len(precision)) if start is None else np.array(start, dtype=np.float64)
    value = _log_posterior(counts, x, precision)
    for _ in range(_NEWTON_MAX_ITER):
        step = _newton_step(counts, x, precision)
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
    return x


def _newton_step(counts: Tally, x: FloatArray, precision: FloatArray) -> FloatArray:
    """Solve curvature x step = gradient: densely for a small field; for a large one by
    conjugate gradients on the sparse curvature, which costs per match, not per entrant cubed
    (bench/ratings_speed.py)."""
    p = _first_wins(counts, x)
    gradient = _gradient(counts, x, p, precision)
    if len(x) <= _DENSE_NEWTON_UP_TO:
        return np.asarray(
            np.linalg.solve(_dense_hessian(counts, p, precision), gradient), dtype=np.float64
        )
    from scipy import sparse  # here, not at the top: see _scipy_on_first_fit
    from scipy.sparse import linalg as sparse_linalg

    hessian = _sparse_hessian(counts, p, precision)
    jacobi = 1.0 / hessian.diagonal()
    # Inexact Newton: the solve need only be as exact as the gradient is small (forcing term),
    # and never beyond what rounding lets conjugate gradients reach.
    rtol = min(0.1, max(float(np.linalg.norm(gradient)), 1e-10))
    step, info = sparse_linalg.cg(
        hessian, gradient, rtol=rtol, atol=0.0, M=sparse.diags_array(jacobi)
    )
    if info != 0:
        raise ArithmeticError(f"conjugate gradients did not converge ({info})")
    return np.asarray(step, dtype=np.float64)


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


def _first_wins(counts: Tally, x: FloatArray) -> FloatArray:
    """Each cell's fitted probability that the first side wins: the gradient and the
    curvature both read it."""
    return np.asarray(1.0 / (1.0 + np.exp(-_margins(counts, x))), dtype=np.float64)


def _gradient(counts: Tally, x: FloatArray, p: FloatArray, precision: FloatArray) -> FloatArray:
    n = len(x) - 1
    residual = counts.first_points - counts.games * p
    gradient = -precision * x
    gradient[:n] += np.bincount(counts.first, residual, n) - np.bincount(counts.second, residual, n)
    gradient[n] += float(np.sum(counts.positioned * residual))
    return np.asarray(gradient, dtype=np.float64)


def _hessian_entries(
    counts: Tally, p: FloatArray, precision: FloatArray
) -> tuple[IntArray, IntArray, FloatArray]:
    """The negative Hessian (positive definite) at win probabilities ``p`` as (row, column,
    value) triples; repeated cells add up."""
    n = len(precision) - 1
    weight = counts.games * p * (1.0 - p)
    f, s, h = counts.first, counts.second, counts.positioned
    bias = np.full(len(f), n, dtype=np.int64)
    diagonal = np.arange(n + 1, dtype=np.int64)
    rows = np.concatenate((f, s, f, s, bias, bias, f, s, bias, diagonal))
    cols = np.concatenate((f, s, s, f, f, s, bias, bias, bias, diagonal))
    lean = h * weight
    values = np.concatenate(
        (weight, weight, -weight, -weight, lean, -lean, lean, -lean, h * lean, precision)
    )
    return rows, cols, values


def _dense_hessian(counts: Tally, p: FloatArray, precision: FloatArray) -> FloatArray:
    size = len(precision)
    rows, cols, values = _hessian_entries(counts, p, precision)
    summed = np.bincount(rows * size + cols, values, size * size)
    return np.asarray(summed.reshape(size, size), dtype=np.float64)


def _sparse_hessian(counts: Tally, p: FloatArray, precision: FloatArray) -> Any:
    from scipy import sparse  # here, not at the top: see _scipy_on_first_fit

    size = len(precision)
    rows, cols, values = _hessian_entries(counts, p, precision)
    return sparse.coo_array((values, (rows, cols)), shape=(size, size)).tocsr()


def cholesky_in_place(matrix: FloatArray) -> FloatArray:
    """The lower Cholesky factor, computed in place of the symmetric, C-ordered ``matrix``;
    only its lower triangle is the factor (the strict upper one keeps what it held).

    LAPACK works on column-major arrays: the transpose is one, and the same matrix, so it is
    factorised where it lies instead of in an n x n copy."""
    from scipy import linalg  # here, not at the top: see _scipy_on_first_fit

    factor, _ = linalg.cho_factor(matrix.T, lower=True, overwrite_a=True, check_finite=False)
    return np.asarray(factor, dtype=np.float64)


# Besides its (n + 1)-square arrays a fit holds, for each cell of the tally (a pair shown in
# one order: at most one a match, at most n(n - 1)), the curvature's triples and their keys:
# some 300 to 350 bytes a match, measured (tests/scoring/test_fit_memory.py).
_BYTES_PER_MATCH = 500
# And what grows with neither: pairing's look-ahead table, which its cell bound keeps under
# some 60 MB (scoring.pairing), and small arrays.
_FIXED_BYTES = 96 * 2**20


def square_bytes(entrants: int) -> int:
    """Bytes of one (n + 1) x (n + 1) float array: the curvature, its factor or the
    covariance, each held whole by a fit of ``entrants`` hypotheses."""
    return 8 * (entrants + 1) ** 2


def fit_bytes(*, entrants: int, matches: int, squares: int) -> int:
    """An upper estimate of the memory a fit of ``entrants`` hypotheses from ``matches``
    matches takes while it holds ``squares`` (n + 1)-square arrays at once. The squares are
    what grow as n²: at 10,000 hypotheses each is 0.8 GB."""
    cells = min(matches, entrants * (entrants - 1))
    return squares * square_bytes(entrants) + _BYTES_PER_MATCH * cells + _FIXED_BYTES


def row_blocks(n: int, size: int = 512) -> list[slice]:
    """Slices of a few hundred rows covering ``range(n)``: the n x n work of the tournament's
    fit and pairing goes block by block, so no second n x n temporary is made (an n x n array
    is 0.8 GB at 10,000 hypotheses)."""
    return [slice(start, min(start + size, n)) for start in range(0, n, size)]


def _log_det(factor: FloatArray) -> float:
    return 2.0 * float(np.sum(np.log(np.diag(factor))))


def _inverse_from_cholesky(factor: FloatArray) -> FloatArray:
    """The inverse of L L^T from L, in place of ``factor``: LAPACK fills the lower triangle,
    which is mirrored in blocks so that no second n x n array is made."""
    from scipy.linalg import lapack  # here, not at the top: see _scipy_on_first_fit

    inverse, info = lapack.dpotri(factor, lower=1, overwrite_c=1)
    if info != 0:
        raise np.linalg.LinAlgError(f"the curvature is singular (dpotri info {info})")
    for rows in row_blocks(len(inverse)):
        square = inverse[rows, rows]
        square[...] = np.tril(square) + np.tril(square, -1).T
        inverse[rows, rows.stop :] = inverse[rows.stop :, rows].T
    return np.asarray(inverse, dtype=np.float64)


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
