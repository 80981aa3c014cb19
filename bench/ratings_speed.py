"""What the ratings of record cost: learning the spread of strengths against a fixed spread,
from a small tournament to 10,000 entrants.

``scoring.bt_ratings.rate`` fits the match log at the spreads that carry weight
(``scoring.bt_spread``); with ``prior_sd`` given it fits once. Random pairs, strengths from
N(0, 1.2^2) (a judge right 75% of the time about two random hypotheses) or ``--spread``'s,
one call a match. Medians of --repeats runs, both timed in the same process, so
read the ratio; the peak is what numpy allocated (tracemalloc) in one more learnt fit.

    OPENBLAS_NUM_THREADS=1 .venv/bin/python -m bench.ratings_speed
    OPENBLAS_NUM_THREADS=1 .venv/bin/python -m bench.ratings_speed --large --repeats 1
    OPENBLAS_NUM_THREADS=1 .venv/bin/python -m bench.ratings_speed --spread 4.4   # a 91% judge
    OPENBLAS_NUM_THREADS=1 .venv/bin/python -m bench.ratings_speed --newton   # the solver's switch
"""

from __future__ import annotations

import argparse
import statistics
import time
import tracemalloc

import numpy as np

from scoring import bt_posterior
from scoring.bt_posterior import BIAS_PRIOR_SD, PRIOR_SD, Tally, tally
from scoring.bt_ratings import rate
from scoring.tournament import Match

SIZES = ((64, 3_000), (500, 10_000), (1_000, 20_000))
LARGE_SIZES = ((3_000, 60_000), (10_000, 200_000))


def entrant_names(n: int) -> list[str]:
    return [f"h{i:05d}" for i in range(n)]


def match_log(n: int, m: int, seed: int = 0, spread: float = PRIOR_SD) -> list[Match]:
    """``m`` one-call matches between random pairs of ``entrant_names(n)``, strengths from
    N(0, spread^2), the first named shown first."""
    rng = np.random.default_rng(seed)
    theta = rng.normal(0.0, spread, n)
    names = entrant_names(n)
    log = []
    for _ in range(m):
        a, b = rng.choice(n, 2, replace=False)
        won = rng.random() < 1.0 / (1.0 + np.exp(-(theta[a] - theta[b])))
        log.append(Match(names[a], names[b], "a" if won else "b", positioned=True))
    return log


def seconds(log: list[Match], repeats: int, prior_sd: float | None) -> float:
    runs = []
    for _ in range(repeats):
        began = time.perf_counter()
        rate(log, prior_sd=prior_sd)
        runs.append(time.perf_counter() - began)
    return statistics.median(runs)


def newton_seconds(counts: Tally, repeats: int, dense_up_to: int) -> float:
    """The Newton iterations alone, from zero, with each step solved densely up to
    ``dense_up_to`` unknowns and by conjugate gradients beyond."""
    precision = bt_posterior._precision(len(counts.ids), PRIOR_SD, BIAS_PRIOR_SD)
    saved = bt_posterior._DENSE_NEWTON_UP_TO
    bt_posterior._DENSE_NEWTON_UP_TO = dense_up_to
    try:
        runs = []
        for _ in range(repeats):
            began = time.perf_counter()
            bt_posterior._mode(counts, precision, None, 1e-10)
            runs.append(time.perf_counter() - began)
    finally:
        bt_posterior._DENSE_NEWTON_UP_TO = saved
    return statistics.median(runs)


def solver_table(repeats: int) -> None:
    print("| entrants | matches | Newton, dense steps | Newton, conjugate gradients |")
    print("| ---: | ---: | ---: | ---: |")
    for n in (200, 500, 1_000, 2_000):
        counts = tally(match_log(n, 20 * n))
        dense = newton_seconds(counts, repeats, dense_up_to=10**9)
        iterative = newton_seconds(counts, repeats, dense_up_to=0)
        print(f"| {n:,} | {20 * n:,} | {dense:.3f} s | {iterative:.3f} s |", flush=True)


def peak_megabytes(log: list[Match]) -> float:
    tracemalloc.start()
    rate(log)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument(
        "--large", action="store_true", help="3,000 and 10,000 entrants instead (minutes)"
    )
    parser.add_argument(
        "--newton", action="store_true", help="time the Newton steps' two solvers instead"
    )
    parser.add_argument(
        "--spread",
        type=float,
        default=PRIOR_SD,
        help="sd of the planted log-strengths (default %(default)s)",
    )
    args = parser.parse_args()
    if args.newton:
        solver_table(args.repeats)
        return
    print("| entrants | matches | spread fixed | spread learnt | learnt / fixed | learnt, peak |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: |")
    for n, m in LARGE_SIZES if args.large else SIZES:
        log = match_log(n, m, spread=args.spread)
        fixed = seconds(log, args.repeats, PRIOR_SD)
        learnt = seconds(log, args.repeats, None)
        peak = peak_megabytes(log)
        print(
            f"| {n:,} | {m:,} | {fixed:.3f} s | {learnt:.3f} s | {learnt / fixed:.1f} "
            f"| {peak:,.0f} MB |",
            flush=True,
        )


if __name__ == "__main__":
    main()
