"""Grading forecasts of resolved hypotheses: the backtest's scoring rules and intervals.

Everything here is a pure function of probabilities ``p`` (in [0, 1]) and outcomes ``y``
(True = validated):

- ``brier_score``: mean (p - y)^2; 0.25 for always saying 0.5.
- ``log_loss``: mean -log of the probability given to what happened, with p clipped to
  [EPS, 1 - EPS] so that one confident miss costs a large but finite amount.
- ``auc``: the chance that a validated hypothesis got a higher p than a refuted one, ties
  counting half (the Mann-Whitney statistic from mid-ranks); None without both outcomes.
- ``bootstrap_interval``: a percentile interval from resampling hypotheses with replacement,
  drawn from a seeded numpy Generator so a report is reproducible.
- ``reliability``: equal-width bins of p with the observed frequency in each.

What a forecaster could have known about a held-out hypothesis is in ``scoring.leave_one_out``
(its folds) and ``scoring.leave_pair_out`` (the AUC's).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

# Clip for the log loss: -log(1e-6) = 13.8 is the most one forecast can cost.
EPS = 1e-6
DEFAULT_LEVEL = 0.9
DEFAULT_RESAMPLES = 2000
DEFAULT_BINS = 5
# Below these the percentile bootstrap covers far less than it claims (bench.backtest_coverage:
# a nominal 90% Brier interval holds the truth in 59% of backtests of 3 hypotheses, 75% of 5
# and 82% of 10, against 86.5% at 20 and 89% at 60; an AUC interval in 75% with 3 of one
# outcome and 81% with 5, against 86% with 8). ``grade`` then gives the point alone, with no
# interval, rather than a range it cannot stand behind.
MIN_INTERVAL_N = 20
MIN_AUC_INTERVAL_EACH = 8

Array = npt.NDArray[np.float64]
Metric = Callable[[Array, Array], float | None]


class ForecastError(ValueError):
    """Forecasts that cannot be graded: a bad probability, lengths that differ, nothing at all."""


def _arrays(p: Sequence[float], y: Sequence[bool]) -> tuple[Array, Array]:
    if len(p) != len(y):
        raise ForecastError(f"{len(p)} probabilities but {len(y)} outcomes")
    if not p:
        raise ForecastError("no forecasts to grade")
    probabilities = np.asarray(p, dtype=np.float64)
    bad = np.flatnonzero(
        ~(np.isfinite(probabilities) & (probabilities >= 0) & (probabilities <= 1))
    )
    if bad.size:
        i = int(bad[0])
        raise ForecastError(f"probability #{i} must be in [0, 1], got {p[i]!r}")
    return probabilities, np.asarray(y, dtype=np.float64)


def brier_score(p: Sequence[float], y: Sequence[bool]) -> float:
    probabilities, outcomes = _arrays(p, y)
    return _brier(probabilities, outcomes)


def log_loss(p: Sequence[float], y: Sequence[bool], *, eps: float = EPS) -> float:
    probabilities, outcomes = _arrays(p, y)
    return _log_loss(probabilities, outcomes, eps)


def auc(p: Sequence[float], y: Sequence[bool]) -> float | None:
    probabilities, outcomes = _arrays(p, y)
    return _auc(probabilities, outcomes)


def _brier(p: Array, y: Array) -> float:
    return float(np.mean((p - y) ** 2))


def _log_loss(p: Array, y: Array, eps: float = EPS) -> float:
    clipped = np.clip(p, eps, 1.0 - eps)
    return float(-np.mean(y * np.log(clipped) + (1.0 - y) * np.log(1.0 - clipped)))


def mid_ranks(values: Array) -> Array:
    """1-based ranks, tied values sharing the mean of the ranks they span."""
    _, inverse, counts = np.unique(values, return_inverse=True, return_counts=True)
    first = np.cumsum(counts) - counts + 1.0
    return (first + (counts - 1.0) / 2.0)[inverse]


def _auc(p: Array, y: Array) -> float | None:
    positives = float(y.sum())
    negatives = float(y.size - positives)
    if positives == 0 or negatives == 0:
        return None
    rank_sum = float(mid_ranks(p)[y == 1].sum())
    return (rank_sum - positives * (positives + 1.0) / 2.0) / (positives * negatives)


METRICS: dict[str, Metric] = {"brier": _brier, "log_loss": _log_loss, "auc": _auc}

# A metric over many resamples at once: rows of hypothesis indices in, one value per row out,
# NaN where the metric is undefined. The bootstrap's hot loop, so numpy does the looping.
RowsMetric = Callable[[Array, Array, npt.NDArray[np.int64]], Array]


def _brier_rows(p: Array, y: Array, rows: npt.NDArray[np.int64]) -> Array:
    return np.asarray(((p[rows] - y[rows]) ** 2).mean(axis=1), dtype=np.float64)


def _log_loss_rows(p: Array, y: Array, rows: npt.NDArray[np.int64]) -> Array:
    clipped, outcomes = np.clip(p[rows], EPS, 1.0 - EPS), y[rows]
    per_item = outcomes * np.log(clipped) + (1.0 - outcomes) * np.log(1.0 - clipped)
    return np.asarray(-per_item.mean(axis=1), dtype=np.float64)


def _ordered_pairs(p: Array) -> Array:
    """The pair table of forecasts ``p``: 1 where i's forecast is above j's, 1/2 for a tie."""
    ordered = (p[:, None] > p[None, :]) + 0.5 * (p[:, None] == p[None, :])
    return np.asarray(ordered, dtype=np.float64)


def _auc_rows(p: Array, y: Array, rows: npt.NDArray[np.int64]) -> Array:
    """The Mann-Whitney AUC of each resample: every (validated copy, refuted copy) pair
    scores 1 when ordered right and 1/2 when tied, which is what the mid-rank formula of
    ``_auc`` counts."""
    return ordered_auc_rows(_ordered_pairs(p), y, rows)


def ordered_auc_rows(
    ordered: Array, y: Array, rows: npt.NDArray[np.int64], observed: Array | None = None
) -> Array:
    """The AUC of each resample from a pair table, counted by how often it drew each
    hypothesis: ``ordered[i, j]`` is 1 when validated i was put above refuted j, 1/2 for a
    tie, 0 otherwise (only those cells are read). With ``observed`` (1 where a pair was
    ordered at all, 0 where it was left out), the share over the observed pairs a resample
    drew. NaN where a resample draws no pair."""
    count, size = rows.shape
    drawn = np.bincount(
        (rows + size * np.arange(count)[:, None]).ravel(), minlength=count * size
    ).reshape(count, size)
    mask = _pair_mask(y, observed)
    right = ((drawn @ (ordered * mask)) * drawn).sum(axis=1)
    if observed is None:  # every pair: the count is a product, no n x n product needed
        pairs = (drawn @ y) * (drawn @ (1.0 - y))
    else:
        pairs = ((drawn @ mask) * drawn).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(pairs > 0, right / pairs, np.nan)


_ROWS: dict[Metric, RowsMetric] = {_brier: _brier_rows, _log_loss: _log_loss_rows, _auc: _auc_rows}


def _rows_metric(metric: Metric) -> RowsMetric:
    """The batched form of ``metric``: its own for the three above, else one row at a time."""
    if metric in _ROWS:
        return _ROWS[metric]

    def one_by_one(p: Array, y: Array, rows: npt.NDArray[np.int64]) -> Array:
        values = (metric(p[row], y[row]) for row in rows)
        return np.asarray([np.nan if v is None else v for v in values], dtype=np.float64)

    return one_by_one


def bootstrap_interval(
    p: Sequence[float],
    y: Sequence[bool],
    metric: Metric,
    *,
    seed: int,
    resamples: int = DEFAULT_RESAMPLES,
    level: float = DEFAULT_LEVEL,
) -> tuple[float, float] | None:
    """The central ``level`` percentile interval of ``metric`` over resampled hypotheses.

    Resamples where the metric is undefined (an AUC with one outcome only) are left out; None
    when none is defined. The same seed draws the same resamples for every forecaster of the
    same hypotheses, so their intervals are paired.
    """
    probabilities, outcomes = _arrays(p, y)
    batched = _rows_metric(metric)
    return _percentile_interval(
        probabilities.size,
        lambda rows: batched(probabilities, outcomes, rows),
        seed=seed,
        resamples=resamples,
        level=level,
    )


def _percentile_interval(
    size: int,
    statistic: Callable[[npt.NDArray[np.int64]], Array],
    *,
    seed: int,
    resamples: int,
    level: float,
) -> tuple[float, float] | None:
    if resamples < 1:
        raise ForecastError(f"resamples must be >= 1, got {resamples}")
    if not 0.0 < level < 1.0:
        raise ForecastError(f"level must be strictly between 0 and 1, got {level!r}")
    rng = np.random.default_rng(seed)
    rows = rng.integers(0, size, size=(resamples, size))
    values = statistic(rows)
    defined = values[~np.isnan(values)]
    if defined.size == 0:
        return None
    tail = (1.0 - level) / 2.0
    low, high = np.quantile(defined, [tail, 1.0 - tail])
    return float(low), float(high)


def paired_difference(
    p: Sequence[float],
    q: Sequence[float],
    y: Sequence[bool],
    *,
    seed: int,
    resamples: int = DEFAULT_RESAMPLES,
    level: float = DEFAULT_LEVEL,
) -> tuple[float, tuple[float, float]]:
    """Brier of ``p`` minus Brier of ``q`` on the same hypotheses, with its paired interval.

    Each resample grades both forecasters on the same hypotheses (the resamples of
    ``bootstrap_interval`` with the same seed), so the interval is of the difference itself:
    much narrower than the two separate intervals suggest when the forecasts move together.
    Below 0, ``p`` is the better forecaster.
    """
    first, outcomes = _arrays(p, y)
    second, _ = _arrays(q, y)
    losses = (first - outcomes) ** 2 - (second - outcomes) ** 2
    interval = _percentile_interval(
        losses.size,
        lambda rows: np.asarray(losses[rows].mean(axis=1), dtype=np.float64),
        seed=seed,
        resamples=resamples,
        level=level,
    )
    assert interval is not None  # a mean is defined on every resample
    return float(losses.mean()), interval


def few_for_an_interval(
    min_interval_n: int | None, min_auc_interval_each: int | None
) -> str | None:
    """The caption of a table whose grades ``grade`` gave with these floors; None for a report
    stored before it had floors (its every forecaster got intervals)."""
    if min_interval_n is None or min_auc_interval_each is None:
        return None
    return (
        f"No interval under {min_interval_n} hypotheses, nor for an AUC with under "
        f"{min_auc_interval_each} of either outcome: there the bootstrap covers far less than "
        "it claims"
    )


@dataclass(frozen=True)
class Graded:
    """One forecaster's grades over ``n`` hypotheses, each with its bootstrap interval."""

    n: int
    brier: float
    brier_interval: tuple[float, float] | None
    log_loss: float
    log_loss_interval: tuple[float, float] | None
    auc: float | None
    auc_interval: tuple[float, float] | None


def grade(
    p: Sequence[float],
    y: Sequence[bool],
    *,
    seed: int,
    resamples: int = DEFAULT_RESAMPLES,
    level: float = DEFAULT_LEVEL,
    pair_table: Array | None = None,
    min_interval_n: int = MIN_INTERVAL_N,
    min_auc_interval_each: int = MIN_AUC_INTERVAL_EACH,
) -> Graded:
    """Brier, log loss and AUC of ``p`` with their intervals (one seed for all three).

    No interval below ``min_interval_n`` hypotheses, nor one for the AUC with fewer than
    ``min_auc_interval_each`` of either outcome: there the bootstrap would claim a coverage it
    does not have (``bench.backtest_coverage`` lowers both to 1 to measure it). With
    ``pair_table`` (``scoring.leave_pair_out.pair_table``) the AUC and its interval are
    read from it instead of from ``p``: for a forecaster fitted on training folds, whose
    leave-one-out forecasts lean against their own outcomes.
    """
    probabilities, outcomes = _arrays(p, y)
    enough = probabilities.size >= min_interval_n

    def interval(metric: Metric) -> tuple[float, float] | None:
        if not enough:
            return None
        return bootstrap_interval(p, y, metric, seed=seed, resamples=resamples, level=level)

    table = _ordered_pairs(probabilities) if pair_table is None else pair_table
    value, value_interval = table_auc(
        table,
        outcomes,
        seed=seed,
        resamples=resamples,
        level=level,
        min_interval_n=min_interval_n,
        min_auc_interval_each=min_auc_interval_each,
    )
    return Graded(
        n=probabilities.size,
        brier=_brier(probabilities, outcomes),
        brier_interval=interval(_brier),
        log_loss=_log_loss(probabilities, outcomes),
        log_loss_interval=interval(_log_loss),
        auc=value,
        auc_interval=value_interval,
    )


def table_auc(
    pair_table: Array,
    y: Sequence[bool] | Array,
    *,
    seed: int,
    resamples: int = DEFAULT_RESAMPLES,
    level: float = DEFAULT_LEVEL,
    min_interval_n: int = MIN_INTERVAL_N,
    min_auc_interval_each: int = MIN_AUC_INTERVAL_EACH,
    observed: Array | None = None,
) -> tuple[float | None, tuple[float, float] | None]:
    """The AUC a pair table gives (``pair_table[i, j]``: 1 when validated i was put above
    refuted j, 1/2 for a tie, 0 otherwise), and its bootstrap interval over resampled
    hypotheses: the same resamples as every forecaster's with this seed. No interval under
    ``min_interval_n`` hypotheses or ``min_auc_interval_each`` of either outcome (``grade``).

    ``observed`` (1 where a pair was ordered, 0 where it was left out; default: every pair)
    grades a random sample of the pairs: the share right among those, and the same
    resampling of hypotheses, each resample over the sampled pairs it drew. That interval is
    conservative: a sampled pair's own noise reaches a resample through both of its
    hypotheses' draws, so the sparser the sample, the more it covers beyond its level
    (``tests/scoring/test_forecasts.py`` measures how much; docs/validation.md)."""
    outcomes = np.asarray(y, dtype=np.float64)
    value = _table_auc(pair_table, outcomes, observed)
    fewest = int(min(outcomes.sum(), outcomes.size - outcomes.sum()))
    if value is None or outcomes.size < min_interval_n or fewest < min_auc_interval_each:
        return value, None
    return value, _percentile_interval(
        outcomes.size,
        lambda rows: ordered_auc_rows(pair_table, outcomes, rows, observed),
        seed=seed,
        resamples=resamples,
        level=level,
    )


def _pair_mask(y: Array, observed: Array | None) -> Array:
    """1 on every (validated, refuted) cell that holds a verdict, 0 elsewhere."""
    pairs = np.outer(y, 1.0 - y)
    return pairs if observed is None else pairs * observed


def _table_auc(pair_table: Array, y: Array, observed: Array | None) -> float | None:
    for name, table in (("a pair table", pair_table), ("its observed pairs", observed)):
        if table is not None and table.shape != (y.size, y.size):
            raise ForecastError(
                f"{name} for {y.size} hypotheses must be {y.size}x{y.size}, "
                f"got {'x'.join(map(str, table.shape))}"
            )
    mask = _pair_mask(y, observed)
    pairs = float(mask.sum())
    return float((pair_table * mask).sum() / pairs) if pairs else None


@dataclass(frozen=True)
class ReliabilityBin:
    low: float
    high: float
    count: int
    mean_forecast: float | None  # None for an empty bin
    observed: float | None  # share validated among the bin's hypotheses


def reliability(
    p: Sequence[float], y: Sequence[bool], *, bins: int = DEFAULT_BINS
) -> list[ReliabilityBin]:
    """Equal-width bins over [0, 1]; the last one includes 1."""
    probabilities, outcomes = _arrays(p, y)
    if bins < 1:
        raise ForecastError(f"bins must be >= 1, got {bins}")
    index = np.minimum((probabilities * bins).astype(np.int64), bins - 1)
    result = []
    for b in range(bins):
        members = index == b
        count = int(members.sum())
        result.append(
            ReliabilityBin(
                low=b / bins,
                high=(b + 1) / bins,
                count=count,
                mean_forecast=float(probabilities[members].mean()) if count else None,
                observed=float(outcomes[members].mean()) if count else None,
            )
        )
    return result
