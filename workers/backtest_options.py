"""How a backtest report is built: its horizon, seed, bootstrap and floors."""

from __future__ import annotations

from dataclasses import dataclass

from scoring.forecasts import MIN_AUC_INTERVAL_EACH, MIN_INTERVAL_N


@dataclass(frozen=True)
class ReportOptions:
    horizon_days: int
    seed: int
    resamples: int
    bins: int
    liquidity: float
    interval_level: float  # the composite's interval, as the workers blend it
    level: float = 0.9  # the bootstrap interval of every grade
    mode: str = "local"  # debated in-process ("local") or by the workers ("pipeline")
    # Fewer graded hypotheses (or, for an AUC, of either outcome) get no interval.
    min_interval_n: int = MIN_INTERVAL_N
    min_auc_interval_each: int = MIN_AUC_INTERVAL_EACH
    # The judge is asked about this many validated-refuted pairs, drawn with ``seed``; None: all.
    judge_pairs: int | None = None
