"""How often the backtest's nominal 90% bootstrap intervals cover the truth, by sample size.

``scoring.forecasts.grade`` withholds an interval below ``MIN_INTERVAL_N`` hypotheses, and an
AUC interval with fewer than ``MIN_AUC_INTERVAL_EACH`` of either outcome. This bench is where
those floors come from: it draws backtests whose true grades are known and counts how often
the percentile bootstrap's interval holds them.

- **Brier.** Forecasts p uniform on [0.1, 0.9] and outcomes drawn from them (a calibrated
  forecaster), so the true Brier score is E[p(1 - p)] = 0.5 - (0.25 + 0.8^2/12) = 0.19667.
- **AUC.** Scores of validated hypotheses normal around 1, of refuted ones around 0 (unit
  variance), so the true AUC is Phi(1/sqrt 2) = 0.760; the refuted side is held at 40 and the
  validated count varies, as in a backtest where one outcome is rare.

    .venv/bin/python -m bench.backtest_coverage [--trials 1000] [--resamples 1000] [--seed 5]
"""

from __future__ import annotations

import argparse
import math

import numpy as np

from scoring.forecasts import DEFAULT_LEVEL, MIN_AUC_INTERVAL_EACH, MIN_INTERVAL_N, Graded, grade

SIZES = (3, 5, 10, 15, MIN_INTERVAL_N, 30, 60)
RARE_COUNTS = (2, 3, 5, MIN_AUC_INTERVAL_EACH, 12, 20)
REFUTED = 40
LOW, HIGH = 0.1, 0.9
TRUE_BRIER = (LOW + HIGH) / 2 - (((LOW + HIGH) / 2) ** 2 + (HIGH - LOW) ** 2 / 12)
TRUE_AUC = 0.5 * (1.0 + math.erf(0.5))  # Phi(1 / sqrt 2)


def _ungated(p: list[float], y: list[bool], *, seed: int, resamples: int) -> Graded:
    """``grade`` as the backtest calls it, with every interval given however few the data."""
    return grade(p, y, seed=seed, resamples=resamples, min_interval_n=1, min_auc_interval_each=1)


def _holds(interval: tuple[float, float] | None, truth: float) -> bool | None:
    return None if interval is None else interval[0] <= truth <= interval[1]


def brier_coverage(n: int, *, trials: int, resamples: int, seed: int) -> float:
    """Share of ``trials`` backtests of ``n`` hypotheses whose Brier interval holds the truth."""
    rng = np.random.default_rng([seed, n])
    held = 0
    for trial in range(trials):
        p = rng.uniform(LOW, HIGH, n)
        y = rng.random(n) < p
        graded = _ungated(list(p), list(y), seed=trial, resamples=resamples)
        held += bool(_holds(graded.brier_interval, TRUE_BRIER))
    return held / trials


def auc_coverage(validated: int, *, trials: int, resamples: int, seed: int) -> float:
    """Share of ``trials`` backtests (``validated`` against ``REFUTED``) whose AUC interval holds
    the truth."""
    rng = np.random.default_rng([seed, validated, REFUTED])
    held = defined = 0
    y = [True] * validated + [False] * REFUTED
    for trial in range(trials):
        scores = np.r_[rng.normal(1.0, 1.0, validated), rng.normal(0.0, 1.0, REFUTED)]
        p = list(1.0 / (1.0 + np.exp(-scores)))
        covered = _holds(_ungated(p, y, seed=trial, resamples=resamples).auc_interval, TRUE_AUC)
        if covered is not None:
            defined += 1
            held += covered
    return held / defined


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=1000)
    parser.add_argument("--resamples", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=5)
    args = parser.parse_args()
    runs = {"trials": args.trials, "resamples": args.resamples, "seed": args.seed}
    print(f"nominal level {DEFAULT_LEVEL:.0%}; {args.trials} backtests per row\n")
    print("| hypotheses | Brier interval covers | interval shown |")
    print("| ---: | ---: | --- |")
    for n in SIZES:
        shown = "yes" if n >= MIN_INTERVAL_N else "no"
        print(f"| {n} | {brier_coverage(n, **runs):.1%} | {shown} |")
    print(f"\n| validated (against {REFUTED} refuted) | AUC interval covers | interval shown |")
    print("| ---: | ---: | --- |")
    for k in RARE_COUNTS:
        shown = "yes" if k >= MIN_AUC_INTERVAL_EACH else "no"
        print(f"| {k} | {auc_coverage(k, **runs):.1%} | {shown} |")


if __name__ == "__main__":
    main()
