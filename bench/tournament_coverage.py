"""Do the tournament's 80% intervals hold the truth 80% of the time on small data?

Each world: 21 hypotheses with log-strengths drawn from N(0, scale^2), a judge position bias
drawn from N(0, 0.5^2), and 60 one-call matches between random pairs (random presentation
order is implied: the pair is drawn ordered). The ratings of record (``scoring.bt_posterior``)
are fitted, and each rated hypothesis's interval is checked against its true strength centred
on the mean of the rated hypotheses of its component, which is what the rating estimates.

"top/bottom of leaderboard": the hypotheses a reader sees first and last in each group (by
fitted strength). "truly best/worst": the same by planted strength; a shrinking estimator
cannot cover those at the nominal rate, and the table says how far short it falls. The old
fit's bootstrap intervals (``scoring.tournament.fit_bradley_terry``) are shown for comparison
on the same worlds, centred the same way.

    .venv/bin/python -m bench.tournament_coverage --worlds 1000
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass, field

import numpy as np

from scoring.bt_posterior import MIN_DECIDED, PRIOR_SD, centred, components, fit_posterior, tally
from scoring.tournament import Match, fit_bradley_terry

N_HYPOTHESES = 21
N_MATCHES = 60
Z80 = 1.2815515655446004


@dataclass
class Tally80:
    overall: list[bool] = field(default_factory=list)
    shown_extremes: list[bool] = field(default_factory=list)
    true_extremes: list[bool] = field(default_factory=list)

    def add(self, inside: np.ndarray, fitted: np.ndarray, truth: np.ndarray) -> None:
        self.overall.extend(inside.tolist())
        self.shown_extremes += [bool(inside[fitted.argmax()]), bool(inside[fitted.argmin()])]
        self.true_extremes += [bool(inside[truth.argmax()]), bool(inside[truth.argmin()])]

    def row(self, label: str) -> str:
        return (
            f"| {label} | {np.mean(self.overall):.3f} | {np.mean(self.shown_extremes):.3f} "
            f"| {np.mean(self.true_extremes):.3f} | {len(self.overall):,} |"
        )


def world(seed: int, scale: float) -> tuple[np.ndarray, list[str], list[Match]]:
    rng = np.random.default_rng(seed)
    theta = rng.normal(0.0, scale, N_HYPOTHESES)
    bias = rng.normal(0.0, 0.5)
    names = [f"h{i:02d}" for i in range(N_HYPOTHESES)]
    matches = []
    for _ in range(N_MATCHES):
        a, b = rng.choice(N_HYPOTHESES, 2, replace=False)
        won = rng.random() < 1.0 / (1.0 + np.exp(-(theta[a] - theta[b] + bias)))
        matches.append(Match(names[a], names[b], "a" if won else "b", positioned=True))
    return theta, names, matches


def measure(worlds: int, scale: float, *, bootstrap: bool) -> tuple[Tally80, Tally80]:
    posterior_hits, bootstrap_hits = Tally80(), Tally80()
    for seed in range(worlds):
        theta, names, matches = world(seed, scale)
        counts = tally(matches, names)
        post = fit_posterior(counts)
        label = components(counts)
        old = fit_bradley_terry(matches, entrants=names) if bootstrap else None
        for group in set(label.tolist()):
            members = np.flatnonzero((label == group) & (counts.decided >= MIN_DECIDED))
            if len(members) < 2:
                continue
            truth = theta[members] - theta[members].mean()
            value, sd = centred(post, members)
            posterior_hits.add(np.abs(value - truth) <= Z80 * sd, value, truth)
            if old is not None:
                fits = [old[names[i]] for i in members]
                shift = np.mean([s.value for s in fits])
                low = np.array([s.low for s in fits]) - shift
                high = np.array([s.high for s in fits]) - shift
                estimate = np.array([s.value for s in fits]) - shift
                bootstrap_hits.add((low <= truth) & (truth <= high), estimate, truth)
    return posterior_hits, bootstrap_hits


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--worlds", type=int, default=1000)
    args = parser.parse_args()
    began = time.perf_counter()
    print("| truth drawn from | overall | top/bottom of leaderboard | truly best/worst | n |")
    print("| --- | --- | --- | --- | --- |")
    posterior, old = measure(args.worlds, PRIOR_SD, bootstrap=True)
    print(posterior.row(f"N(0, {PRIOR_SD}²) = the prior: Laplace posterior"))
    print(old.row(f"N(0, {PRIOR_SD}²): old bootstrap fit"))
    for scale in (0.8, 1.5):
        posterior, _ = measure(args.worlds // 2, scale, bootstrap=False)
        print(posterior.row(f"N(0, {scale}²), prior misstated: Laplace posterior"))
    print(f"{time.perf_counter() - began:.0f} s")


if __name__ == "__main__":
    main()
