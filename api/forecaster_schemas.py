"""A forecaster's grades as a backtest report stores them (``scoring.forecasts``): the rows of
its table, and of the grades on the outcomes a model cannot have read."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class ReliabilityBinOut(BaseModel):
    low: float
    high: float
    count: int
    mean_forecast: float | None = Field(description="Mean forecast in the bin; null if empty.")
    observed: float | None = Field(description="Share validated in the bin; null if empty.")


class ForecasterOut(BaseModel):
    """One forecaster's grades; ``*_low``/``*_high`` bound the bootstrap interval. They are
    null when undefined (an AUC with one outcome only) and when too few hypotheses were
    graded for the bootstrap to cover what it claims (the report's ``min_interval_n`` and
    ``min_auc_interval_each``)."""

    name: str
    kind: Literal["rating", "baseline", "persona"]
    n: int
    brier: float
    brier_low: float | None
    brier_high: float | None
    log_loss: float
    log_loss_low: float | None
    log_loss_high: float | None
    auc: float | None
    auc_low: float | None
    auc_high: float | None
    auc_folds: Literal["leave-pair-out", "leave-one-out", "none"] | None = Field(
        None,
        description="How the AUC kept each outcome from the forecasts it ranks: leave-pair-out "
        "for a forecaster fitted on outcomes (base rate, recalibration), leave-one-out for "
        "believability weights, none when nothing is fitted; null in reports stored before it.",
    )
    reliability: list[ReliabilityBinOut]
