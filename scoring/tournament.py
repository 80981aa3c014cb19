"""Pairwise tournament: match outcomes, live Elo, Kendall's tau, and the bootstrap BT fit.

The ratings of record and the pairing live in ``scoring.bt_posterior`` and ``scoring.pairing``
(one call per match, a position-bias term, a Bayesian posterior). This module reads verdicts
(``match_outcome`` for a match judged in both orders, ``single_outcome`` for one call), keeps
Elo as the live number between fits, and keeps the earlier Bradley–Terry fit of the whole log
by the MM algorithm (Hunter 2004) with bootstrap intervals, which the benches use as the
comparison. Its weak prior (every entrant has drawn ``prior_games`` games against a reference
of strength 1) keeps unbeaten or isolated entrants finite; it sorts the log canonically first,
so it depends only on the set of matches. See docs/scoring.md, section 5.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

PRIOR_GAMES = 1.0
BOOTSTRAP_SAMPLES = 200
BOOTSTRAP_SEED = 20260101
INTERVAL_LEVEL = 0.8
ELO_K = 32.0
ELO_START = 1200.0
_MAX_EXTRAPOLATION = 64.0
# Bootstrap replicates are fitted together in blocks of at most this many match slots.
_BLOCK_SLOTS = 4_000_000


class MatchOutcome(StrEnum):
    """A match judged in both orders; the ledger stores these values (``storage.models``
    re-exports this enum)."""

    A = "a"
    B = "b"
    TIE = "tie"
    INVALID = "invalid"


@dataclass(frozen=True)
class Match:
    """A judged pair. ``positioned``: judged once, with ``a`` shown first (the position-bias
    term of ``scoring.bt_posterior`` applies); otherwise judged in both orders."""

    a: str
    b: str
    outcome: MatchOutcome | str
    positioned: bool = False


@dataclass(frozen=True)
class Strength:
    """A Bradley–Terry log-strength with its bootstrap interval and standard deviation."""

    value: float
    low: float
    high: float
    sd: float
    matches: int


_FIRST = {"first", "1", "a", "left"}
_SECOND = {"second", "2", "b", "right"}


def _read(verdict: object) -> str | None:
    if verdict is None:
        return None
    text = str(getattr(verdict, "value", verdict)).strip().lower()
    if text in _FIRST:
        return "first"
    if text in _SECOND:
        return "second"
    return None


def match_outcome(verdict_ab: object, verdict_ba: object) -> MatchOutcome:
    """Combine the verdict with A shown first and the one with B shown first.

    Each verdict is "first" or "second" (a ``JudgeChoice`` works too). If either cannot be read
    the match is INVALID; if the two orders name different hypotheses the judge was swayed by
    position, and the match is a TIE.
    """
    ab, ba = _read(verdict_ab), _read(verdict_ba)
    if ab is None or ba is None:
        return MatchOutcome.INVALID
    a_won_ab = ab == "first"
    a_won_ba = ba == "second"
    if a_won_ab and a_won_ba:
        return MatchOutcome.A
    if not a_won_ab and not a_won_ba:
        return MatchOutcome.B
    return MatchOutcome.TIE


def single_outcome(verdict: object) -> MatchOutcome:
    """The outcome of a match judged once with ``a`` shown first: "first" means ``a`` won.

    An unreadable verdict makes the match INVALID. The judge's lean towards the first-shown is
    not corrected here but estimated by ``scoring.bt_posterior`` from the whole log.
    """
    read = _read(verdict)
    if read is None:
        return MatchOutcome.INVALID
    return MatchOutcome.A if read == "first" else MatchOutcome.B


def _score_of(outcome: MatchOutcome | str) -> float | None:
    value = MatchOutcome(outcome)
    return {MatchOutcome.A: 1.0, MatchOutcome.B: 0.0, MatchOutcome.TIE: 0.5}.get(value)


@dataclass(frozen=True)
class _Log:
    ids: list[str]
    a: IntArray
    b: IntArray
    score: FloatArray  # 1: a won, 0: b won, 0.5: tie


def _canonical_log(matches: Iterable[Match], entrants: Iterable[str]) -> _Log:
    triples: list[tuple[str, str, float]] = []
    for match in matches:
        points = _score_of(match.outcome)
        if points is None:
            continue  # invalid: recorded, but changes no rating
        if match.a == match.b:
            raise ValueError(f"a hypothesis cannot play itself: {match.a!r}")
        triples.append((match.a, match.b, points))
    ids = sorted({x for a, b, _ in triples for x in (a, b)} | set(entrants))
    index = {name: i for i, name in enumerate(ids)}
    a = np.fromiter((index[t[0]] for t in triples), dtype=np.int64, count=len(triples))
    b = np.fromiter((index[t[1]] for t in triples), dtype=np.int64, count=len(triples))
    score = np.fromiter((t[2] for t in triples), dtype=np.float64, count=len(triples))
    # Orient every match low-index first and sort: the same set of matches, in any order,
    # becomes the same arrays, so floating-point sums (and the fit) come out bit-identical.
    flip = a > b
    a, b = np.where(flip, b, a), np.where(flip, a, b)
    score = np.where(flip, 1.0 - score, score)
    order = np.lexsort((score, b, a))
    return _Log(ids=ids, a=a[order], b=b[order], score=score[order])


def _mm_fit(
    log: _Log,
    weights: FloatArray,
    start: FloatArray,
    *,
    prior_games: float,
    tol: float,
    max_iter: int,
) -> FloatArray:
    """MM iterations for R weightings at once: ``weights`` (R, M), ``start`` (R, n) log-strengths.

    Returns (R, n) log-strengths relative to the reference entrant.
    """
    replicates, n = start.shape
    offsets = (np.arange(replicates, dtype=np.int64) * n)[:, None]
    flat_a = (offsets + log.a[None, :]).ravel()
    flat_b = (offsets + log.b[None, :]).ravel()
    slots = replicates * n
    wins = _sum_by(flat_a, weights=(weights * log.score).ravel(), minlength=slots)
    wins = wins + _sum_by(flat_b, weights=(weights * (1.0 - log.score)).ravel(), minlength=slots)
    wins = wins.reshape(replicates, n) + prior_games / 2.0

    def mm_step(theta: FloatArray) -> FloatArray:
        p = np.exp(theta)
        per_match = (weights / (p[:, log.a] + p[:, log.b])).ravel()
        denominator = _sum_by(flat_a, weights=per_match, minlength=slots)
        denominator = denominator + _sum_by(flat_b, weights=per_match, minlength=slots)
        denominator = denominator.reshape(replicates, n) + prior_games / (p + 1.0)
        return _recentre(np.log(wins) - np.log(denominator))

    # Plain MM crawls (hundreds of steps on a large log); SQUAREM extrapolation (Varadhan and
    # Roland 2008) along the last two steps reaches the same fixed point in far fewer.
    theta = start.copy()
    for _ in range(max(1, max_iter // 3)):
        first = mm_step(theta)
        residual = first - theta
        if float(np.max(np.abs(residual))) < tol:
            return first
        second = mm_step(first)
        curve = second - first - residual
        r_norm = np.sqrt(np.sum(residual**2, axis=1, keepdims=True))
        v_norm = np.sqrt(np.sum(curve**2, axis=1, keepdims=True))
        alpha = np.clip(-r_norm / np.maximum(v_norm, 1e-300), -_MAX_EXTRAPOLATION, -1.0)
        jumped = theta - 2.0 * alpha * residual + alpha**2 * curve
        theta = mm_step(jumped) if np.all(np.isfinite(jumped)) else second
        if not np.all(np.isfinite(theta)):
            theta = second
    return theta


def fit_bradley_terry(
    matches: Iterable[Match],
    *,
    entrants: Iterable[str] = (),
    prior_games: float = PRIOR_GAMES,
    bootstrap: int = BOOTSTRAP_SAMPLES,
    level: float = INTERVAL_LEVEL,
    seed: int = BOOTSTRAP_SEED,
    tol: float = 1e-9,
    max_iter: int = 10_000,
) -> dict[str, Strength]:
    """Fit log-strengths to every valid match; ``entrants`` adds ids that have not played.

    Intervals are percentile intervals over ``bootstrap`` Poisson-bootstrap refits (each match
    reweighted by a Poisson(1) draw from a generator seeded with ``seed``); with ``bootstrap=0``
    the interval collapses to the point estimate.
    """
    if prior_games <= 0:
        raise ValueError(f"prior_games must be > 0 so every strength is finite, got {prior_games}")
    if not 0.0 < level < 1.0:
        raise ValueError(f"interval level must be strictly between 0 and 1, got {level}")
    log = _canonical_log(matches, entrants)
    n, m = len(log.ids), len(log.a)
    if n == 0:
        return {}
    point = _mm_fit(
        log,
        np.ones((1, m)),
        np.zeros((1, n)),
        prior_games=prior_games,
        tol=tol,
        max_iter=max_iter,
    )[0]
    low = high = point
    sd = np.zeros(n)
    if bootstrap > 0:
        samples = _bootstrap(log, point, bootstrap, seed=seed, prior_games=prior_games)
        tail = (1.0 - level) / 2.0
        low = np.minimum(np.quantile(samples, tail, axis=0), point)
        high = np.maximum(np.quantile(samples, 1.0 - tail, axis=0), point)
        sd = samples.std(axis=0)
    played = np.bincount(log.a, minlength=n) + np.bincount(log.b, minlength=n)
    return {
        name: Strength(
            value=float(point[i]),
            low=float(low[i]),
            high=float(high[i]),
            sd=float(sd[i]),
            matches=int(played[i]),
        )
        for i, name in enumerate(log.ids)
    }


def _recentre(theta: FloatArray) -> FloatArray:
    """Shift each row of ``theta`` to the best common offset, by a few 1-d Newton steps.

    The matches fix only differences of strengths; their common level is pinned by the weak
    prior alone, and plain MM moves that level about 1/(games per entrant) of the way per
    iteration. Solving for the level exactly each time removes that slow mode.
    """
    shift = np.zeros((theta.shape[0], 1))
    for _ in range(20):
        p = 1.0 / (1.0 + np.exp(-(theta + shift)))
        gradient = np.sum(0.5 - p, axis=1, keepdims=True)
        curvature = np.sum(p * (1.0 - p), axis=1, keepdims=True)
        step = gradient / np.maximum(curvature, 1e-12)
        shift = shift + step
        if float(np.max(np.abs(step))) < 1e-12:
            break
    return theta + shift


def _bootstrap(
    log: _Log, point: FloatArray, samples: int, *, seed: int, prior_games: float
) -> FloatArray:
    rng = np.random.default_rng(seed)
    n, m = len(point), len(log.a)
    block = max(1, _BLOCK_SLOTS // max(1, m))
    fitted: list[FloatArray] = []
    for start in range(0, samples, block):
        count = min(block, samples - start)
        weights = rng.poisson(1.0, size=(count, m)).astype(np.float64)
        warm = np.broadcast_to(point, (count, n))
        # Warm-started from the point fit, each replicate needs few iterations; intervals do not
        # need the point estimate's precision.
        fitted.append(
            _mm_fit(log, weights, warm, prior_games=prior_games, tol=1e-3, max_iter=2_000)
        )
    return np.concatenate(fitted, axis=0)


def _sum_by(index: IntArray, *, weights: FloatArray, minlength: int) -> FloatArray:
    """Sum ``weights`` into bins by ``index`` (``np.bincount``, typed as float)."""
    return np.asarray(np.bincount(index, weights=weights, minlength=minlength), dtype=np.float64)


def elo_expected(rating_a: float, rating_b: float) -> float:
    return 1.0 / (1.0 + math.pow(10.0, (rating_b - rating_a) / 400.0))


def elo_update(
    rating_a: float, rating_b: float, outcome: MatchOutcome | str, *, k: float = ELO_K
) -> tuple[float, float]:
    """The live Elo ratings after one match; an invalid match changes neither."""
    score = _score_of(outcome)
    if score is None:
        return rating_a, rating_b
    delta = k * (score - elo_expected(rating_a, rating_b))
    return rating_a + delta, rating_b - delta


def kendall_tau(x: Sequence[float] | FloatArray, y: Sequence[float] | FloatArray) -> float:
    """Kendall's tau-b between two score vectors (ties in either count as neither agreement)."""
    xa, ya = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    if xa.shape != ya.shape or xa.ndim != 1:
        raise ValueError("kendall_tau needs two 1-d sequences of the same length")
    upper = np.triu_indices(len(xa), k=1)
    dx = np.sign(xa[:, None] - xa[None, :])[upper]
    dy = np.sign(ya[:, None] - ya[None, :])[upper]
    norm = math.sqrt(float(np.sum(dx != 0)) * float(np.sum(dy != 0)))
    return float(np.sum(dx * dy)) / norm if norm else 0.0
