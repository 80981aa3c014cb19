"""Ratings of record: the tournament's strengths, reported by component of the comparison graph.

Matches only ever compare hypotheses inside one connected component of the comparison graph, so
a rating is reported relative to the mean of the rated hypotheses of its component: it orders
them and nothing else. An entrant with fewer than ``MIN_DECIDED`` decided (non-tie) matches, or
alone in its component, is unrated (value None). The posterior is the Bradley–Terry fit of
``scoring.bt_posterior`` with the spread of strengths learnt from the matches
(``scoring.bt_spread``). See docs/scoring.md, "Tournament ratings".
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np

from scoring.bt_posterior import (
    BIAS_PRIOR_SD,
    FloatArray,
    IntArray,
    Posterior,
    Tally,
    components,
    fit_bytes,
    fit_posterior,
    row_blocks,
    tally,
)
from scoring.bt_spread import fit_spread
from scoring.tournament import Match

MIN_DECIDED = 3
INTERVAL_LEVEL = 0.8
# The spread's walk keeps the heaviest fit's factor while it forms the next fit's
# (scoring.bt_spread), and the covariance is formed in place of the factor.
_RATE_SQUARES = 2


@dataclass(frozen=True)
class TournamentRating:
    """One entrant's rating: log-strength relative to the mean of the rated hypotheses of its
    component, with its posterior interval; all four None when unrated."""

    value: float | None
    low: float | None
    high: float | None
    sd: float | None
    matches: int
    decided: int
    component: int
    component_size: int

    @property
    def rated(self) -> bool:
        return self.value is not None


@dataclass(frozen=True)
class Spread:
    """The sd of log-strengths: when learnt, its posterior mean and interval at the ratings'
    level; when given, the value given, three times."""

    value: float
    low: float
    high: float


@dataclass(frozen=True)
class RatingFit:
    ratings: dict[str, TournamentRating]
    position_bias: float
    bias_low: float
    bias_high: float
    posterior: Posterior
    spread: Spread


def rate(
    matches: Iterable[Match],
    *,
    entrants: Iterable[str] = (),
    min_decided: int = MIN_DECIDED,
    level: float = INTERVAL_LEVEL,
    prior_sd: float | None = None,
    bias_prior_sd: float = BIAS_PRIOR_SD,
) -> RatingFit:
    """Fit the whole log once and report each entrant within its component.

    The spread of strengths is learnt from the matches unless ``prior_sd`` fixes it.
    """
    if not 0.0 < level < 1.0:
        raise ValueError(f"interval level must be strictly between 0 and 1, got {level}")
    if min_decided < 1:
        raise ValueError(f"min_decided must be at least 1, got {min_decided}")
    counts = tally(matches, entrants)
    if prior_sd is None:
        learnt = fit_spread(counts, bias_prior_sd=bias_prior_sd)
        posterior = learnt.posterior
        spread = Spread(learnt.spread, *learnt.interval(level))
    else:
        posterior = fit_posterior(counts, prior_sd=prior_sd, bias_prior_sd=bias_prior_sd)
        spread = Spread(prior_sd, prior_sd, prior_sd)
    z = NormalDist().inv_cdf(0.5 + level / 2.0)
    label = components(counts)
    eligible = counts.decided >= min_decided
    value = np.full(len(counts.ids), np.nan)
    sd = np.full(len(counts.ids), np.nan)
    sizes = np.bincount(label)
    for number in range(1, len(sizes)):
        rated = np.flatnonzero((label == number) & eligible)
        if len(rated) >= 2:  # one rated entrant alone has nothing to be ordered against
            value[rated], sd[rated] = centred(posterior, rated)
    ratings = {
        name: _rating(value[i], sd[i], z, counts, i, int(label[i]), int(sizes[label[i]]))
        for i, name in enumerate(counts.ids)
    }
    return RatingFit(
        ratings=ratings,
        position_bias=posterior.bias,
        bias_low=posterior.bias - z * posterior.bias_sd,
        bias_high=posterior.bias + z * posterior.bias_sd,
        posterior=posterior,
        spread=spread,
    )


def rate_bytes(*, entrants: int, matches: int) -> int:
    """An upper estimate of the memory ``rate`` takes (``bt_posterior.fit_bytes``)."""
    return fit_bytes(entrants=entrants, matches=matches, squares=_RATE_SQUARES)


def centred(posterior: Posterior, members: IntArray) -> tuple[FloatArray, FloatArray]:
    """Log-strengths of ``members`` less their mean, and the posterior sd of each."""
    mean = posterior.mean[members]
    # Row means of the members' block of the covariance, a few hundred rows at a time: the
    # block itself is as large as the covariance when one component holds everyone.
    row_means = np.empty(len(members))
    for block in row_blocks(len(members)):
        row_means[block] = posterior.cov[members[block]][:, members].mean(axis=1)
    own = posterior.cov[members, members]
    variance = own - 2.0 * row_means + row_means.mean()
    sd = np.sqrt(np.maximum(variance, 0.0)).astype(np.float64)
    return np.asarray(mean - mean.mean(), dtype=np.float64), sd


def _rating(
    value: float, sd: float, z: float, counts: Tally, i: int, component: int, size: int
) -> TournamentRating:
    matches, decided = int(counts.played[i]), int(counts.decided[i])
    if math.isnan(value):
        return TournamentRating(None, None, None, None, matches, decided, component, size)
    return TournamentRating(
        value=float(value),
        low=float(value - z * sd),
        high=float(value + z * sd),
        sd=float(sd),
        matches=matches,
        decided=decided,
        component=component,
        component_size=size,
    )
