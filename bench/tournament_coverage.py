"""Do the tournament's 80% intervals hold the truth 80% of the time on small data?

Each world: 21 hypotheses with log-strengths drawn from N(0, spread^2), a judge position bias
drawn from N(0, 0.5^2), and 60 (``--matches``) one-call matches between random pairs (random
presentation order is implied: the pair is drawn ordered). The ratings of record
(``scoring.bt_ratings.rate``, the spread learnt from the matches) are fitted, and each rated
hypothesis's interval is checked against its true strength centred on the mean of the rated
hypotheses of its component, which is what the rating estimates. The same fit with the spread
fixed at ``PRIOR_SD`` (the ratings before the twenty-seventh session) is shown on the same
worlds, and at that spread also the old fit's bootstrap (``scoring.tournament``).

"top/bottom of leaderboard": the hypotheses a reader sees first and last in each group (by
fitted strength). "truly best/worst": the same by planted strength; a shrinking estimator
cannot cover those at the nominal rate, and the table says how far short it falls.

    .venv/bin/python -m bench.tournament_coverage --worlds 1000
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass, field

import numpy as np

from scoring.bt_posterior import PRIOR_SD
from scoring.bt_ratings import RatingFit, rate
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


def world(
    seed: int, scale: float, n_matches: int = N_MATCHES
) -> tuple[np.ndarray, list[str], list[Match]]:
    rng = np.random.default_rng(seed)
    theta = rng.normal(0.0, scale, N_HYPOTHESES)
    bias = rng.normal(0.0, 0.5)
    names = [f"h{i:02d}" for i in range(N_HYPOTHESES)]
    matches = []
    for _ in range(n_matches):
        a, b = rng.choice(N_HYPOTHESES, 2, replace=False)
        won = rng.random() < 1.0 / (1.0 + np.exp(-(theta[a] - theta[b] + bias)))
        matches.append(Match(names[a], names[b], "a" if won else "b", positioned=True))
    return theta, names, matches


# What a view shows of one rated hypothesis: (component, value, low, high).
Shown = tuple[int, float, float, float]


def _add(hits: Tally80, shown: dict[str, Shown], names: list[str], theta: np.ndarray) -> None:
    """Score each component's rated intervals against the truth centred on that component."""
    for group in {row[0] for row in shown.values()}:
        members = [i for i, h in enumerate(names) if h in shown and shown[h][0] == group]
        if len(members) < 2:
            continue
        truth = theta[members] - theta[members].mean()
        rows = np.array([shown[names[i]][1:] for i in members])
        inside = (rows[:, 1] <= truth) & (truth <= rows[:, 2])
        hits.add(inside, rows[:, 0], truth)


def _ratings(fit: RatingFit) -> dict[str, Shown]:
    return {
        h: (r.component, r.value, r.low, r.high)
        for h, r in fit.ratings.items()
        if r.value is not None and r.low is not None and r.high is not None
    }


def _bootstrap(
    matches: list[Match], names: list[str], groups: dict[str, Shown]
) -> dict[str, Shown]:
    """The old fit's intervals, re-centred on the same rated members of each component."""
    old = fit_bradley_terry(matches, entrants=names)
    shown: dict[str, Shown] = {}
    for group in {row[0] for row in groups.values()}:
        members = [h for h in groups if groups[h][0] == group]
        shift = float(np.mean([old[h].value for h in members]))
        for h in members:
            shown[h] = (group, old[h].value - shift, old[h].low - shift, old[h].high - shift)
    return shown


def measure(
    worlds: int, spread: float, *, bootstrap: bool, n_matches: int = N_MATCHES
) -> dict[str, Tally80]:
    """Coverage of the learnt-spread ratings, the fixed-prior ones and (optionally) the old
    bootstrap, on the same worlds."""
    hits = {"learnt": Tally80(), "fixed": Tally80(), "bootstrap": Tally80()}
    for seed in range(worlds):
        theta, names, matches = world(seed, spread, n_matches)
        learnt = _ratings(rate(matches, entrants=names))
        _add(hits["learnt"], learnt, names, theta)
        _add(
            hits["fixed"], _ratings(rate(matches, entrants=names, prior_sd=PRIOR_SD)), names, theta
        )
        if bootstrap:
            _add(hits["bootstrap"], _bootstrap(matches, names, learnt), names, theta)
    return hits


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--worlds", type=int, default=1000)
    parser.add_argument("--matches", type=int, default=N_MATCHES, help="per world")
    args = parser.parse_args()
    began = time.perf_counter()
    columns = ("overall", "top/bottom of leaderboard", "truly best/worst", "intervals")
    print("| truth drawn from | ratings | " + " | ".join(columns) + " |")
    print("| --- | --- | --- | --- | --- | --- |")
    for spread in (PRIOR_SD, 0.5, 0.8, 1.5, 2.0):
        stated = spread == PRIOR_SD
        worlds = args.worlds if stated else args.worlds // 2
        hits = measure(worlds, spread, bootstrap=stated, n_matches=args.matches)
        truth = f"N(0, {spread}²)" + (" (the stated spread)" if stated else "")
        print(hits["learnt"].row(f"{truth} | spread learnt (`rate`)"))
        print(hits["fixed"].row(f"{truth} | spread fixed at {PRIOR_SD}"))
        if stated:
            print(hits["bootstrap"].row(f"{truth} | old bootstrap fit"))
    print(f"{time.perf_counter() - began:.0f} s")


if __name__ == "__main__":
    main()
