"""Time the MM Bradley–Terry fit with bootstrap intervals (``scoring.tournament``) at scale:
10,000 hypotheses, 200,000 matches. It was the fit of record until the Bayesian ratings
(``scoring.bt_ratings``), which ``bench.ratings_speed --large`` times at the same scale.

Matches are drawn between random pairs and decided by a Bradley–Terry model of planted
strengths (standard normal), with 10% ties. Reports the best of ``--repeats`` runs for the
point fit (no intervals) and the cost per bootstrap replicate.

    .venv/bin/python -m bench.bt_fit_speed
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from scoring.tournament import Match, fit_bradley_terry


def synthetic_log(n: int, m: int, seed: int) -> tuple[list[str], np.ndarray, list[Match]]:
    rng = np.random.default_rng(seed)
    theta = rng.normal(0.0, 1.0, n)
    a = rng.integers(0, n, m)
    b = rng.integers(0, n - 1, m)
    b = np.where(b >= a, b + 1, b)
    p_a = 1.0 / (1.0 + np.exp(theta[b] - theta[a]))
    draw = rng.random(m)
    tie = rng.random(m) < 0.1
    ids = [f"h-{i:05d}" for i in range(n)]
    outcomes = np.where(tie, "tie", np.where(draw < p_a, "a", "b"))
    matches = [Match(ids[x], ids[y], str(o)) for x, y, o in zip(a, b, outcomes, strict=True)]
    return ids, theta, matches


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hypotheses", type=int, default=10_000)
    parser.add_argument("--matches", type=int, default=200_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--bootstrap", type=int, default=20)
    args = parser.parse_args()
    ids, theta, matches = synthetic_log(args.hypotheses, args.matches, seed=0)
    point_times = []
    for _ in range(args.repeats):
        start = time.perf_counter()
        fit = fit_bradley_terry(matches, bootstrap=0)
        point_times.append(time.perf_counter() - start)
    fitted = np.array([fit[i].value for i in ids])
    print(f"{args.hypotheses} hypotheses, {args.matches} matches")
    print(f"point fit (tol 1e-9): best {min(point_times):.2f} s of {args.repeats}")
    print(f"correlation with planted strengths: {np.corrcoef(fitted, theta)[0, 1]:.4f}")
    if args.bootstrap:
        start = time.perf_counter()
        fit_bradley_terry(matches, bootstrap=args.bootstrap)
        with_bootstrap = time.perf_counter() - start
        per = (with_bootstrap - min(point_times)) / args.bootstrap
        print(
            f"with {args.bootstrap} bootstrap replicates: {with_bootstrap:.2f} s ({per:.3f} s each)"
        )


if __name__ == "__main__":
    main()
