"""How many judge calls does each tournament design need to rank 64 hypotheses?

64 hypotheses get planted log-strengths; a simulated judge picks the first-shown hypothesis with
the Bradley–Terry probability sigmoid(theta_first - theta_second), and the strengths are scaled
so that the judge names the truly stronger one 75% of the time on average over all pairs.

- active: hyposcore's design. Each round picks pairs with ``choose_pairs`` from the current
  Bradley–Terry fit, has each judged in both orders (two calls; disagreement is a tie), and
  refits. Every call counts.
- elo: the usual baseline. Uniformly random pairs, one call each (random presentation order),
  Elo with K = 32 from 1200.

For each seed we count the calls until Kendall's tau between the ratings and the planted
strengths first reaches the target, and report the median over seeds.

    .venv/bin/python -m bench.tournament_sim --seeds 7
"""

from __future__ import annotations

import argparse
import itertools
import statistics
from dataclasses import dataclass

import numpy as np

from scoring.tournament import (
    ELO_START,
    Match,
    Strength,
    choose_pairs,
    elo_update,
    fit_bradley_terry,
    kendall_tau,
    match_outcome,
)

N_HYPOTHESES = 64
TARGET_ACCURACY = 0.75
TARGET_TAU = 0.9


@dataclass(frozen=True)
class World:
    ids: list[str]
    theta: np.ndarray
    rng: np.random.Generator

    def judge(self, first: int, second: int) -> str:
        p_first = 1.0 / (1.0 + np.exp(self.theta[second] - self.theta[first]))
        return "first" if self.rng.random() < p_first else "second"


def mean_accuracy(theta: np.ndarray) -> float:
    gaps = np.abs(theta[:, None] - theta[None, :])[np.triu_indices(len(theta), k=1)]
    return float(np.mean(1.0 / (1.0 + np.exp(-gaps))))


def planted_world(seed: int) -> World:
    rng = np.random.default_rng(seed)
    raw = rng.normal(0.0, 1.0, N_HYPOTHESES)
    low, high = 0.0, 10.0
    for _ in range(60):  # bisection on the scale that makes the judge 75% right on average
        mid = (low + high) / 2
        low, high = (mid, high) if mean_accuracy(raw * mid) < TARGET_ACCURACY else (low, mid)
    ids = [f"h-{i:02d}" for i in range(N_HYPOTHESES)]
    return World(ids=ids, theta=raw * (low + high) / 2, rng=np.random.default_rng(seed + 1))


def active_bradley_terry(world: World, *, batch: int, max_calls: int) -> int | None:
    ids = world.ids
    index = {name: i for i, name in enumerate(ids)}
    eligible = list(itertools.combinations(ids, 2))
    matches: list[Match] = []
    played: dict[frozenset[str], int] = {}
    ratings: dict[str, Strength] = {}  # nobody rated yet: every entrant is new
    calls = 0
    while calls < max_calls:
        for a, b in choose_pairs(ratings, eligible, batch, played=played):
            ab = world.judge(index[a], index[b])
            ba = world.judge(index[b], index[a])
            calls += 2
            matches.append(Match(a, b, match_outcome(ab, ba)))
            key = frozenset((a, b))
            played[key] = played.get(key, 0) + 1
        ratings = fit_bradley_terry(matches, entrants=ids, bootstrap=100)
        fitted = np.array([ratings[name].value for name in ids])
        if kendall_tau(fitted, world.theta) >= TARGET_TAU:
            return calls
    return None


def random_bradley_terry(world: World, *, batch: int, max_calls: int) -> int | None:
    """Ablation: the same judging and fit as ``active``, but pairs drawn at random."""
    ids, n = world.ids, len(world.ids)
    matches: list[Match] = []
    calls = 0
    while calls < max_calls:
        for _ in range(batch):
            a, b = (int(x) for x in world.rng.choice(n, size=2, replace=False))
            outcome = match_outcome(world.judge(a, b), world.judge(b, a))
            calls += 2
            matches.append(Match(ids[a], ids[b], outcome))
        ratings = fit_bradley_terry(matches, entrants=ids, bootstrap=0)
        fitted = np.array([ratings[name].value for name in ids])
        if kendall_tau(fitted, world.theta) >= TARGET_TAU:
            return calls
    return None


def random_elo(world: World, *, check_every: int, max_calls: int) -> tuple[int | None, float]:
    """Calls until tau first reaches the target (None: never), and tau at the end."""
    n = len(world.ids)
    elo = np.full(n, ELO_START)
    for calls in range(1, max_calls + 1):
        a, b = world.rng.choice(n, size=2, replace=False)
        verdict = world.judge(int(a), int(b))
        outcome = "a" if verdict == "first" else "b"
        elo[a], elo[b] = elo_update(float(elo[a]), float(elo[b]), outcome)
        if calls % check_every == 0 and kendall_tau(elo, world.theta) >= TARGET_TAU:
            return calls, kendall_tau(elo, world.theta)
    return None, kendall_tau(elo, world.theta)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=7)
    parser.add_argument("--batch", type=int, default=16, help="pairs per active round")
    parser.add_argument("--max-calls", type=int, default=100_000)
    args = parser.parse_args()
    active_calls: list[float] = []
    elo_calls: list[float] = []
    print("seed  accuracy  active_bt_calls  random_bt_calls  random_elo_calls  elo_tau_at_stop")
    for seed in range(args.seeds):
        world = planted_world(seed)
        accuracy = mean_accuracy(world.theta)
        active = active_bradley_terry(world, batch=args.batch, max_calls=args.max_calls)
        plain = random_bradley_terry(
            planted_world(seed), batch=args.batch, max_calls=min(args.max_calls, 40_000)
        )
        elo, elo_tau = random_elo(planted_world(seed), check_every=16, max_calls=args.max_calls)
        active_calls.append(float(active) if active is not None else float("inf"))
        elo_calls.append(float(elo) if elo is not None else float("inf"))
        print(
            f"{seed:4d}  {accuracy:8.3f}  {active!s:>15}  {plain!s:>15}  {elo!s:>16}"
            f"  {elo_tau:15.3f}"
        )
    med_active = statistics.median(active_calls)
    med_elo = statistics.median(elo_calls)
    print(f"median judge calls to tau >= {TARGET_TAU}: active BT {med_active:g}, Elo {med_elo:g}")
    print(f"ratio active / Elo: {med_active / med_elo:.3f} (None: not reached by --max-calls)")


if __name__ == "__main__":
    main()
