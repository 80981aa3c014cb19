"""Judge calls (one per match) each pairing needs to rank 64 hypotheses, or to find the 8 best.

64 hypotheses get planted log-strengths drawn from a normal distribution, scaled so that the
simulated judge names the truly stronger of a pair 75% of the time on average over all pairs
(``--accuracy``).
The judge sees one pair in one order and picks the first-shown with probability
sigmoid(theta_first - theta_second + POSITION_BIAS): it leans towards whatever it reads first.

Every design pays one call per match, randomises who is shown first, and fits the same model
(``scoring.bt_posterior``: Bradley–Terry with a position-bias term, weak prior, Newton fit), at
the spread ``PRIOR_SD`` or, with ``--learn-spread``, at the one last learnt from the matches.
Only the pairing differs:

- random: uniformly random pairs;
- active: ``scoring.pairing.choose_pairs`` from the current posterior (rank mode);
- active top-k: the same in top-k mode (k = 8).

Each seed also prints its information bound: one judged game's Fisher information about the
gap of a uniformly random pair, over that of a tied pair, the most a game can carry. If calls
to tau >= 0.9 scale with the information they must gather, no pairing rule needs fewer than
about this share of random pairing's calls (a bound on the per-call gain, before any saving
from spending calls on some hypotheses more than others).

The fit is refreshed after every batch of ``--batch`` matches. For each seed we count the calls
until Kendall's tau between fitted and planted strengths reaches 0.9, and until the fitted top 8
hold at least 90% of the true top 8 (that is, all 8). "held" counts from the check where the
goal starts to hold at every check up to 1.25 times as many calls; "first" from the first check
where it holds at all, which a noisy fit can pass by luck. Medians over seeds; the top-8 medians
are also given apart for seeds whose planted 8th and 9th are nearly tied (the "line gap").

    .venv/bin/python -m bench.tournament_sim --seeds 45 [--goal tau|top8] [--accuracy 0.75] \
        [--jobs 2] [--first-seed 0]

Seeds are independent, so ``--jobs`` runs that many at once; each seed's calls are the same
however many run together.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from functools import partial

import numpy as np

from scoring.bt_posterior import PRIOR_SD, Posterior, Tally, components, fit_posterior
from scoring.bt_spread import fit_spread
from scoring.pairing import choose_pairs
from scoring.tournament import kendall_tau

N_HYPOTHESES = 64
TARGET_ACCURACY = 0.75
POSITION_BIAS = 0.4
TARGET_TAU = 0.9
TOP_K = 8
TARGET_PRECISION = 0.9
CLOSE_LINE = 0.05  # planted log-strength gap at the top-k line below which seeds are split out


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return np.asarray(1.0 / (1.0 + np.exp(-x)), dtype=np.float64)


@dataclass
class World:
    ids: list[str]
    theta: np.ndarray
    rng: np.random.Generator
    calls: int = 0

    def judge(self, first: int, second: int) -> bool:
        """One call: True when the first-shown wins."""
        self.calls += 1
        margin = self.theta[first] - self.theta[second] + POSITION_BIAS
        return bool(self.rng.random() < 1.0 / (1.0 + np.exp(-margin)))


def mean_accuracy(theta: np.ndarray) -> float:
    gaps = np.abs(theta[:, None] - theta[None, :])[np.triu_indices(len(theta), k=1)]
    return float(np.mean(_sigmoid(gaps)))


def game_information(gap: np.ndarray) -> np.ndarray:
    """Fisher information p(1 - p) of one game about a pair's gap, the pair shown in a random
    order to the position-biased judge."""
    ahead, behind = _sigmoid(gap + POSITION_BIAS), _sigmoid(gap - POSITION_BIAS)
    return np.asarray(0.5 * (ahead * (1.0 - ahead) + behind * (1.0 - behind)), dtype=np.float64)


def information_bound(theta: np.ndarray) -> float:
    """A random pair's mean Fisher information per game over a tied pair's."""
    gaps = (theta[:, None] - theta[None, :])[np.triu_indices(len(theta), k=1)]
    return float(np.mean(game_information(gaps)) / game_information(np.zeros(1))[0])


def line_gap(theta: np.ndarray) -> float:
    """The planted gap between the k-th and the (k+1)-th: what the top-k goal must resolve."""
    ordered = np.sort(theta)[::-1]
    return float(ordered[TOP_K - 1] - ordered[TOP_K])


def planted_world(seed: int, accuracy: float = TARGET_ACCURACY) -> World:
    rng = np.random.default_rng(seed)
    raw = rng.normal(0.0, 1.0, N_HYPOTHESES)
    low, high = 0.0, 10.0
    for _ in range(60):  # bisection on the scale that makes the judge this right on average
        mid = (low + high) / 2
        low, high = (mid, high) if mean_accuracy(raw * mid) < accuracy else (low, mid)
    ids = [f"h-{i:02d}" for i in range(N_HYPOTHESES)]
    return World(ids=ids, theta=raw * (low + high) / 2, rng=np.random.default_rng(seed + 1))


class Log:
    """The match log as a games / first-wins matrix, so a refit costs the same at any length."""

    def __init__(self, n: int, *, learn_every: int = 0) -> None:
        self.games = np.zeros((n, n))
        self.wins = np.zeros((n, n))
        self.start: np.ndarray | None = None
        # As the scheduled refit does: every ``learn_every`` calls the spread of strengths is
        # learnt again (``scoring.bt_spread``) and the pairing's fit uses it; 0 keeps PRIOR_SD.
        self.learn_every = learn_every
        self.spread, self.learnt_at = PRIOR_SD, 0

    def add(self, first: int, second: int, first_won: bool) -> None:
        self.games[first, second] += 1.0
        self.wins[first, second] += float(first_won)

    def fit(self, ids: list[str]) -> tuple[Posterior, Tally]:
        first, second = np.nonzero(self.games)
        per_entrant = self.games.sum(axis=0) + self.games.sum(axis=1)
        counts = Tally(
            ids=ids,
            first=first.astype(np.int64),
            second=second.astype(np.int64),
            positioned=np.ones(len(first)),
            games=self.games[first, second],
            first_points=self.wins[first, second],
            decided=per_entrant.astype(np.int64),
            played=per_entrant.astype(np.int64),
        )
        calls = int(self.games.sum())
        if self.learn_every and calls - self.learnt_at >= self.learn_every:
            self.spread, self.learnt_at = fit_spread(counts).spread, calls
        # Warm-started after a few more matches, one or two Newton steps suffice for a ranking.
        posterior = fit_posterior(counts, prior_sd=self.spread, start=self.start, tol=1e-4)
        self.start = np.append(posterior.mean, posterior.bias)
        return posterior, counts


Goal = Callable[[np.ndarray, np.ndarray], bool]


def tau_reached(fitted: np.ndarray, truth: np.ndarray) -> bool:
    return kendall_tau(fitted, truth) >= TARGET_TAU


def top_k_found(fitted: np.ndarray, truth: np.ndarray) -> bool:
    chosen = set(np.argsort(-fitted)[:TOP_K].tolist())
    best = set(np.argsort(-truth)[:TOP_K].tolist())
    return len(chosen & best) / TOP_K >= TARGET_PRECISION


@dataclass(frozen=True)
class Reached:
    """Calls when the goal first held (``first``), and when it began to hold at every check
    until at least SUSTAIN times as many calls (``held``); None: not within --max-calls."""

    first: int | None
    held: int | None


SUSTAIN = 1.25


def run(
    world: World,
    goal: Goal,
    *,
    mode: str,
    batch: int,
    max_calls: int,
    log: Log | None = None,
    learn_every: int = 0,
) -> Reached:
    """Plays ``mode``'s pairs until ``goal`` holds; the games land in ``log`` when one is given."""
    n = len(world.ids)
    log = Log(n, learn_every=learn_every) if log is None else log
    everyone = [world.ids]  # one group: any two may meet
    index = {name: i for i, name in enumerate(world.ids)}
    posterior, counts = log.fit(world.ids)
    first: int | None = None
    streak: int | None = None  # calls at the start of the current unbroken run of successes
    while world.calls < max_calls:
        if mode == "random":
            pairs = [tuple(world.rng.choice(n, size=2, replace=False)) for _ in range(batch)]
        else:
            named = choose_pairs(
                posterior,
                everyone,
                batch,
                component=components(counts).tolist(),
                top_k=TOP_K if mode == "top-k" else None,
            )
            pairs = [(index[a], index[b]) for a, b in named]
        for a, b in pairs:
            first_shown, second = (a, b) if world.rng.random() < 0.5 else (b, a)
            won = world.judge(int(first_shown), int(second))
            log.add(int(first_shown), int(second), won)
        posterior, counts = log.fit(world.ids)
        if goal(posterior.mean, world.theta):
            first = world.calls if first is None else first
            streak = world.calls if streak is None else streak
            if world.calls >= SUSTAIN * streak:
                return Reached(first, streak)
        else:
            streak = None
    return Reached(first, None)


def _median(values: list[int | None]) -> float:
    return statistics.median(float("inf") if v is None else float(v) for v in values)


def _cell(reached: Reached) -> str:
    return f"{reached.held!s} ({reached.first!s})"


def _columns(goal: str) -> dict[str, tuple[str, Goal]]:
    columns: dict[str, tuple[str, Goal]] = {}
    if goal in ("both", "tau"):
        columns["tau: random"] = ("random", tau_reached)
        columns["tau: active"] = ("active", tau_reached)
    if goal in ("both", "top8"):
        columns["top8: random"] = ("random", top_k_found)
        columns["top8: active top-k"] = ("top-k", top_k_found)
    return columns


# Each active design against the random pairing of the same goal, with the goal's words.
COMPARISONS = (
    ("tau: active", "tau: random", f"calls to tau >= {TARGET_TAU}, active / random"),
    (
        "top8: active top-k",
        "top8: random",
        f"to top-{TOP_K} precision >= {TARGET_PRECISION}, top-k / random",
    ),
)


def _print_ratios(held: dict[str, float], first: dict[str, float]) -> None:
    for label, medians in (("held", held), ("first", first)):
        ratios = [
            f"{words} = {medians[design] / medians[baseline]:.3f}"
            for design, baseline, words in COMPARISONS
            if design in medians
        ]
        print(f"{label}: " + "; ".join(ratios) + " (targets: tau <= 0.5, top-k <= 0.3)")


def held_ratio_interval(
    design: list[Reached], baseline: list[Reached], *, resamples: int = 2000
) -> tuple[float, float]:
    """A 95% bootstrap interval, over seeds (paired), of median held calls design / baseline:
    how far the ratio of medians could move with another draw of worlds. Seeded."""
    rng = np.random.default_rng(0)
    ours = np.array([np.inf if r.held is None else r.held for r in design], dtype=float)
    theirs = np.array([np.inf if r.held is None else r.held for r in baseline], dtype=float)
    picks = rng.integers(0, len(ours), size=(resamples, len(ours)))
    with np.errstate(invalid="ignore"):
        ratios = np.median(ours[picks], axis=1) / np.median(theirs[picks], axis=1)
    low, high = np.nanquantile(ratios, [0.025, 0.975])
    return float(low), float(high)


def _print_intervals(results: dict[str, list[Reached]]) -> None:
    for design, baseline, words in COMPARISONS:
        if design in results:
            low, high = held_ratio_interval(results[design], results[baseline])
            print(f"held, {words}: 95% bootstrap interval over seeds [{low:.3f}, {high:.3f}]")


def _print_top_k_by_line_gap(results: dict[str, list[Reached]], gaps: list[float]) -> None:
    """Top-k medians apart for seeds whose k-th and (k+1)-th are nearly tied: no design can
    order a pair that close within the run, so those seeds finish by luck or not at all."""
    for label, close in ((f"line gap < {CLOSE_LINE}", True), (f"line gap >= {CLOSE_LINE}", False)):
        chosen = [i for i, gap in enumerate(gaps) if (gap < CLOSE_LINE) == close]
        if not chosen:
            continue
        random = _median([results["top8: random"][i].held for i in chosen])
        active = _median([results["top8: active top-k"][i].held for i in chosen])
        print(
            f"top-{TOP_K}, {label} ({len(chosen)} seeds): held medians random {random:g}, "
            f"top-k {active:g}, top-k / random = {active / random:.3f}"
        )


def _seed_row(
    seed: int,
    *,
    columns: dict[str, tuple[str, Goal]],
    accuracy: float,
    batch: int,
    max_calls: int,
    learn_every: int = 0,
) -> tuple[float, float, list[Reached]]:
    """One seed's world: its information bound, its line gap, and each column's calls."""
    world = planted_world(seed, accuracy)
    row = [
        run(
            planted_world(seed, accuracy),
            goal,
            mode=mode,
            batch=batch,
            max_calls=max_calls,
            learn_every=learn_every,
        )
        for mode, goal in columns.values()
    ]
    return information_bound(world.theta), line_gap(world.theta), row


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--seeds", type=int, default=15)
    parser.add_argument("--batch", type=int, default=8, help="matches between refits")
    parser.add_argument("--max-calls", type=int, default=40_000)
    parser.add_argument(
        "--accuracy",
        type=float,
        default=TARGET_ACCURACY,
        help="how often the judge names the stronger of a random pair (default %(default)s)",
    )
    parser.add_argument("--goal", choices=("both", "tau", "top8"), default="both")
    parser.add_argument(
        "--learn-spread",
        type=int,
        default=0,
        metavar="CALLS",
        help="learn the spread of strengths every CALLS calls, as the scheduled refit does "
        "(default 0: the fit keeps PRIOR_SD, as the recorded runs did)",
    )
    parser.add_argument("--first-seed", type=int, default=0, help="the first world's seed")
    parser.add_argument(
        "--jobs", type=int, default=1, help="seeds run at once, each in a process of its own"
    )
    args = parser.parse_args()
    began = time.perf_counter()
    columns = _columns(args.goal)
    results: dict[str, list[Reached]] = {name: [] for name in columns}
    bounds: list[float] = []
    gaps: list[float] = []
    print("held (first) calls; seed  " + "  ".join(f"{name:>22}" for name in columns))
    one_seed = partial(
        _seed_row,
        columns=columns,
        accuracy=args.accuracy,
        batch=args.batch,
        max_calls=args.max_calls,
        learn_every=args.learn_spread,
    )
    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        seeds = range(args.first_seed, args.first_seed + args.seeds)
        for seed, (bound, gap, row) in zip(seeds, pool.map(one_seed, seeds), strict=True):
            bounds.append(bound)
            gaps.append(gap)
            for name, reached in zip(columns, row, strict=True):
                results[name].append(reached)
            cells = "  ".join(f"{_cell(reached):>22}" for reached in row)
            print(f"{seed:4d}  {cells}  bound {bound:.3f}  line gap {gap:.3f}", flush=True)
    held = {name: _median([r.held for r in rs]) for name, rs in results.items()}
    first = {name: _median([r.first for r in rs]) for name, rs in results.items()}
    print("median " + "  ".join(f"{held[n]:>13g} ({first[n]:g})" for n in columns))
    print(f"information bound (random pair / tied pair), median: {statistics.median(bounds):.3f}")
    _print_ratios(held, first)
    _print_intervals(results)
    if "top8: random" in results:
        _print_top_k_by_line_gap(results, gaps)
    print(f"{time.perf_counter() - began:.0f} s")


if __name__ == "__main__":
    main()
