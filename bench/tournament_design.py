"""How much of active pairing's saving a fixed spread of games could give, even one chosen
knowing the planted strengths.

For each world of ``bench.tournament_sim`` (same seeds, strengths and position-biased judge),
the Bradley–Terry fit after games spread over pairs is taken as the planted strengths plus
normal noise with the inverse Fisher information as covariance (the prior included). Its
expected number of mis-ordered pairs is then a sum of Phi(-gap / sd) over pairs, and the tau 0.9
line is crossed when that sum falls to 5% of the pairs. We compare the calls that takes with
the games spread evenly over all pairs (what random pairing does on average) against the best
fixed spread (exponentiated-gradient descent on the shares of the calls, with the exact
gradient). An adaptive rule may do better than the best fixed spread: it also reacts to the
outcomes, playing again the pairs whose fit came out wrong.

With ``--active`` each world is also played by rank mode (``bench.tournament_sim``'s active
design) until tau 0.9 holds, and the expected mis-orders of its spread of games are set beside
those of the best fixed spread and of the even spread with as many calls.

    .venv/bin/python -m bench.tournament_design --seeds 15 [--first-seed 0] [--active]
"""

from __future__ import annotations

import argparse
import math
import statistics
from collections.abc import Callable

import numpy as np

from bench.tournament_sim import (
    N_HYPOTHESES,
    TARGET_TAU,
    Log,
    game_information,
    planted_world,
    run,
    tau_reached,
)
from scoring.bt_posterior import PRIOR_SD

FIRST, SECOND = np.triu_indices(N_HYPOTHESES, k=1)
# Expected mis-ordered pairs at tau = TARGET_TAU: tau = 1 - 2 * (mis-ordered share).
LINE = (1.0 - TARGET_TAU) / 2.0 * len(FIRST)
_ERF = np.frompyfunc(math.erf, 1, 1)


def _normal_cdf(x: np.ndarray) -> np.ndarray:
    return np.asarray(0.5 * (1.0 + _ERF(x / math.sqrt(2.0)).astype(float)), dtype=np.float64)


def pair_information(theta: np.ndarray) -> np.ndarray:
    """Fisher information of one game on each pair (``FIRST``, ``SECOND``) about its gap."""
    return game_information(theta[FIRST] - theta[SECOND])


def _covariance(games: np.ndarray, information: np.ndarray) -> np.ndarray:
    weight = games * information
    fisher = np.eye(N_HYPOTHESES) * PRIOR_SD**-2.0
    fisher[FIRST, SECOND] -= weight
    fisher[SECOND, FIRST] -= weight
    diagonal = np.arange(N_HYPOTHESES)
    fisher[diagonal, diagonal] += np.bincount(FIRST, weight, N_HYPOTHESES)
    fisher[diagonal, diagonal] += np.bincount(SECOND, weight, N_HYPOTHESES)
    return np.asarray(np.linalg.inv(fisher), dtype=np.float64)


def expected_misorders(
    games: np.ndarray, theta: np.ndarray, information: np.ndarray
) -> tuple[float, np.ndarray]:
    """Expected mis-ordered pairs after ``games`` (one count a pair), and its gradient in them."""
    cov = _covariance(games, information)
    variance = np.maximum(cov[FIRST, FIRST] + cov[SECOND, SECOND] - 2.0 * cov[FIRST, SECOND], 1e-15)
    gap = np.abs(theta[FIRST] - theta[SECOND])
    z = gap / np.sqrt(variance)
    # d(misorders)/d(variance of each pair's difference), spread as a graph Laplacian so that
    # the gradient in every pair's games is one quadratic form: -w (e_i - e_j)' S L S (e_i - e_j).
    slope = np.exp(-0.5 * z * z) / math.sqrt(2.0 * math.pi) * gap / (2.0 * variance**1.5)
    laplacian = np.zeros((N_HYPOTHESES, N_HYPOTHESES))
    laplacian[FIRST, SECOND] = laplacian[SECOND, FIRST] = -slope
    laplacian[np.arange(N_HYPOTHESES), np.arange(N_HYPOTHESES)] = -laplacian.sum(axis=1)
    m = cov @ laplacian @ cov
    gradient = -information * (m[FIRST, FIRST] + m[SECOND, SECOND] - 2.0 * m[FIRST, SECOND])
    return float(_normal_cdf(-z).sum()), gradient


def even_spread(calls: float, theta: np.ndarray, information: np.ndarray) -> float:
    """Expected mis-orders after ``calls`` games spread evenly over all pairs (what random
    pairing does on average)."""
    return expected_misorders(np.full(len(FIRST), calls / len(FIRST)), theta, information)[0]


def best_fixed_spread(
    calls: float, theta: np.ndarray, information: np.ndarray, *, steps: int = 200
) -> float:
    """The fewest expected mis-orders a fixed spread of ``calls`` games reaches, as found by
    exponentiated-gradient descent on the shares (at 3,000 calls 200 steps are within 1e-4 of
    4,000)."""
    share = np.full(len(FIRST), 1.0 / len(FIRST))
    for _ in range(steps):
        _, gradient = expected_misorders(calls * share, theta, information)
        share *= np.exp(-1.5 * gradient / (np.abs(gradient).max() + 1e-30))
        share /= share.sum()
    return expected_misorders(calls * share, theta, information)[0]


def calls_to_line(misorders_after: Callable[[float], float], line: float = LINE) -> float:
    """Calls (to 0.1%) at which ``misorders_after(calls)`` falls to ``line`` (by default the
    tau line): bisection."""
    low, high = 100.0, 100_000.0
    while high / low > 1.001:
        middle = math.sqrt(low * high)
        low, high = (middle, high) if misorders_after(middle) > line else (low, middle)
    return high


def even_and_best(seed: int) -> tuple[float, float]:
    """Calls to the tau line for one world: games spread evenly, and the best fixed spread."""
    theta = planted_world(seed).theta
    information = pair_information(theta)
    return (
        calls_to_line(lambda calls: even_spread(calls, theta, information)),
        calls_to_line(lambda calls: best_fixed_spread(calls, theta, information)),
    )


def active_spread(seed: int) -> tuple[int, np.ndarray]:
    """Rank mode's own spread of games on one world: its held calls to tau 0.9, and its games on
    each pair by the end of the run (SUSTAIN times the held calls, where the run stops)."""
    world = planted_world(seed)
    log = Log(N_HYPOTHESES)
    reached = run(world, tau_reached, mode="active", batch=8, max_calls=40_000, log=log)
    games = log.games + log.games.T
    return world.calls if reached.held is None else reached.held, games[FIRST, SECOND]


def _compare_with_active(seed: int) -> tuple[str, float]:
    """Expected mis-orders of rank mode's spread, the best fixed spread and the even spread, at
    the calls rank mode played; and the share of those calls the best fixed spread needs to
    match rank mode's expected mis-orders (rank mode's allocation efficiency)."""
    theta = planted_world(seed).theta
    information = pair_information(theta)
    held, games = active_spread(seed)
    calls = float(games.sum())
    active = expected_misorders(games, theta, information)[0]
    even = even_spread(calls, theta, information)
    best = best_fixed_spread(calls, theta, information)
    matched = calls_to_line(lambda more: best_fixed_spread(more, theta, information), active)
    row = f"{held:9d}  {calls:6.0f}  {active:13.1f}  {best:11.1f}  {even:11.1f}"
    return f"{row}  {matched / calls:14.3f}", matched / calls


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--seeds", type=int, default=15)
    parser.add_argument("--first-seed", type=int, default=0)
    parser.add_argument(
        "--active",
        action="store_true",
        help="also play rank mode to its held calls and compare its spread's expected mis-orders",
    )
    args = parser.parse_args()
    ratios, efficiencies = [], []
    header = "seed  even spread  best fixed spread  best / even"
    if args.active:
        header += "  |  held  played  E[mis] active  E[mis] best  E[mis] even  best to match"
    print(header + f"  (tau line: {LINE:.1f} expected mis-orders)")
    for seed in range(args.first_seed, args.first_seed + args.seeds):
        even, best = even_and_best(seed)
        ratios.append(best / even)
        row = f"{seed:4d}  {even:11.0f}  {best:17.0f}  {best / even:11.3f}"
        if args.active:
            cells, efficiency = _compare_with_active(seed)
            row += "  |  " + cells
            efficiencies.append(efficiency)
        print(row, flush=True)
    print(f"median best / even: {statistics.median(ratios):.3f}")
    if efficiencies:
        print(f"median best to match rank mode: {statistics.median(efficiencies):.3f}")


if __name__ == "__main__":
    main()
