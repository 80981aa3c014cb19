"""The Bradley–Terry model with position bias: its mode, curvature and evidence."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest

from scoring import bt_posterior
from scoring.bt_posterior import (
    BIAS_PRIOR_SD,
    PRIOR_SD,
    fit_posterior,
    laplace_fit,
    tally,
)
from scoring.tournament import Match, single_outcome


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def test_single_verdict_outcome() -> None:
    assert single_outcome("first").value == "a"
    assert single_outcome(" Second ").value == "b"
    assert single_outcome(None).value == "invalid"
    assert single_outcome("maybe").value == "invalid"


def test_posterior_mode_solves_its_score_equations() -> None:
    rng = random.Random(3)
    ids = [f"h{i}" for i in range(6)]
    matches = [Match(*rng.sample(ids, 2), rng.choice("ab"), positioned=True) for _ in range(40)]
    counts = tally(matches)
    post = fit_posterior(counts)
    theta = dict(zip(counts.ids, post.mean.tolist(), strict=True))
    # d/d theta_i: sum over i's matches of (won - P(won)) = theta_i / prior_sd^2
    for name in ids:
        residual = 0.0
        for m in matches:
            if name not in (m.a, m.b):
                continue
            p_a = _sigmoid(theta[m.a] - theta[m.b] + post.bias)
            won_a = 1.0 if m.outcome == "a" else 0.0
            residual += (won_a - p_a) if m.a == name else -(won_a - p_a)
        assert residual == pytest.approx(theta[name] / PRIOR_SD**2, abs=1e-8)


def _log_posterior_by_hand(matches: list[Match], ids: list[str], x: np.ndarray) -> float:
    """The model written out match by match, independently of the vectorised fit."""
    theta, gamma = dict(zip(ids, x[:-1].tolist(), strict=True)), float(x[-1])
    total = -0.5 * float(np.sum(x[:-1] ** 2)) / PRIOR_SD**2 - 0.5 * gamma**2 / BIAS_PRIOR_SD**2
    for m in matches:
        p = _sigmoid(theta[m.a] - theta[m.b] + (gamma if m.positioned else 0.0))
        points = {"a": 1.0, "b": 0.0, "tie": 0.5}[str(m.outcome)]
        total += points * math.log(p) + (1.0 - points) * math.log(1.0 - p)
    return total


def test_laplace_covariance_is_the_inverse_curvature_of_the_log_posterior() -> None:
    # One-call and both-order matches together, so the bias term's cross terms count.
    rng = random.Random(5)
    ids = [f"h{i}" for i in range(5)]
    matches = [
        Match(*rng.sample(ids, 2), rng.choice(["a", "b", "tie"]), positioned=k % 3 != 0)
        for k in range(60)
    ]
    counts = tally(matches)
    post = fit_posterior(counts)
    mode = np.append(post.mean, post.bias)
    size, step = len(mode), 1e-4
    curvature = np.empty((size, size))
    for i in range(size):
        for j in range(size):
            e_i, e_j = np.eye(size)[i] * step, np.eye(size)[j] * step
            corners = (e_i + e_j, e_i - e_j, -e_i + e_j, -e_i - e_j)
            values = [_log_posterior_by_hand(matches, counts.ids, mode + c) for c in corners]
            curvature[i, j] = -(values[0] - values[1] - values[2] + values[3]) / (4 * step**2)
    expected = np.linalg.inv(curvature)
    assert post.cov == pytest.approx(expected[:-1, :-1], abs=1e-5)
    assert post.bias_sd == pytest.approx(math.sqrt(expected[-1, -1]), abs=1e-5)


def test_both_order_matches_carry_no_position_term() -> None:
    matches = [Match("A", "B", "a"), Match("B", "A", "b")] * 10  # A always, both orders
    post = fit_posterior(tally(matches))
    assert post.bias == pytest.approx(0.0, abs=1e-12)


def _evidence_by_quadrature(wins: int, losses: int, spread: float) -> float:
    """log p(matches | spread) for A against B, judged in both orders, integrated on a grid."""
    grid = np.linspace(-10 * spread, 10 * spread, 2001)
    a, b = np.meshgrid(grid, grid, indexing="ij")
    log_likelihood = -wins * np.logaddexp(0, b - a) - losses * np.logaddexp(0, a - b)
    log_prior = -(a**2 + b**2) / (2 * spread**2) - math.log(2 * math.pi * spread**2)
    joint = log_likelihood + log_prior
    top = float(joint.max())
    return top + math.log(float(np.exp(joint - top).sum()) * (grid[1] - grid[0]) ** 2)


@pytest.mark.parametrize("spread", [0.5, 1.2, 3.0])
def test_laplace_evidence_matches_the_integral_and_tightens_with_data(spread: float) -> None:
    # No one-call match, so the bias term meets only its prior and integrates to 1.
    errors = []
    for wins, losses in ((28, 12), (70, 30)):
        counts = tally([Match("A", "B", "a")] * wins + [Match("A", "B", "b")] * losses)
        approx = laplace_fit(counts, prior_sd=spread).log_evidence
        errors.append(abs(approx - _evidence_by_quadrature(wins, losses, spread)))
    # Laplace's error shrinks as 1/matches: under 0.01 at 40, under 0.004 at 100
    assert errors[0] < 0.01
    assert errors[1] < 0.004


def _random_log(entrants: int, matches: int, seed: int) -> list[Match]:
    rng = np.random.default_rng(seed)
    strength = rng.normal(0.0, PRIOR_SD, entrants)
    log = []
    for k in range(matches):
        a, b = (int(i) for i in rng.choice(entrants, 2, replace=False))
        won = rng.random() < _sigmoid(float(strength[a] - strength[b]) + 0.3)
        log.append(Match(f"h{a:03d}", f"h{b:03d}", "a" if won else "b", positioned=k % 5 != 0))
    return log


def test_a_large_field_solves_by_conjugate_gradients_to_the_dense_answer(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # 600 entrants, so the inverse is mirrored in more than one block of rows.
    counts = tally(_random_log(600, 6_000, seed=11))
    monkeypatch.setattr(bt_posterior, "_DENSE_NEWTON_UP_TO", 10**9)
    dense_fit = laplace_fit(counts, prior_sd=1.0)
    monkeypatch.setattr(bt_posterior, "_DENSE_NEWTON_UP_TO", 0)
    large_fit = laplace_fit(counts, prior_sd=1.0)
    dense, large = dense_fit.posterior(), large_fit.posterior()
    dense_evidence, large_evidence = dense_fit.log_evidence, large_fit.log_evidence
    assert np.max(np.abs(large.mean - dense.mean)) < 1e-8
    assert large.bias == pytest.approx(dense.bias, abs=1e-8)
    assert np.max(np.abs(large.cov - dense.cov)) < 1e-8
    assert large_evidence == pytest.approx(dense_evidence, abs=1e-6)


def test_the_covariance_is_the_symmetric_inverse_of_the_curvature() -> None:
    matches = _random_log(700, 5_000, seed=12)
    counts = tally(matches)
    fit = laplace_fit(counts)
    post = fit.posterior()
    with pytest.raises(RuntimeError, match="already been formed"):
        fit.posterior()  # the factor was spent forming the covariance
    assert np.array_equal(post.cov, post.cov.T) and post.cov.flags.c_contiguous
    precision = np.append(np.full(700, PRIOR_SD**-2.0), BIAS_PRIOR_SD**-2.0)
    wins = bt_posterior._first_wins(counts, np.append(post.mean, post.bias))
    curvature = bt_posterior._dense_hessian(counts, wins, precision)
    expected = np.linalg.inv(curvature)
    assert np.max(np.abs(post.cov - expected[:-1, :-1])) < 1e-10
    assert post.bias_sd == pytest.approx(math.sqrt(expected[-1, -1]), rel=1e-10)
    # and the evidence's determinant is the curvature's
    _, log_det = np.linalg.slogdet(curvature)
    normalising = 0.5 * float(np.sum(np.log(precision)))
    at_mode = _log_posterior_by_hand(matches, counts.ids, np.append(post.mean, post.bias))
    assert fit.log_evidence == pytest.approx(at_mode + normalising - 0.5 * log_det, abs=1e-8)


@pytest.mark.parametrize("n", [0, 1, 2, 300])
@pytest.mark.parametrize("order", ["C", "F"])  # LAPACK hands the covariance back column-major
def test_the_covariance_is_the_leading_block_moved_together_in_its_own_buffer(
    n: int, order: str
) -> None:
    loadings = np.random.default_rng(n).normal(size=(n + 1, n + 1))
    square = np.array(loadings + loadings.T, order=order)  # symmetric to the bit
    expected = square[:n, :n].copy()
    block = bt_posterior._leading_block(square, n)
    np.testing.assert_array_equal(block, expected)  # every row moved over its overlap intact
    assert block.flags.c_contiguous and (n == 0 or np.shares_memory(block, square))
