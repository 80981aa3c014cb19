"""The tournament fit's own numbers as JSON: what the leaderboard's summary sentence says."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from scoring.bt_ratings import INTERVAL_LEVEL
from scoring.bt_spread import judge_accuracy
from storage.queries.leaderboard import FitSummary


class Estimate(BaseModel):
    """A fitted number with its 80% interval (null ends when the fit stored none)."""

    value: float
    low: float | None
    high: float | None


class TournamentFit(BaseModel):
    """The newest fit of the ratings of record. Every field but the counts is null before a
    fit has stored it."""

    fitted_at: datetime | None
    matches: int = Field(description="Valid matches judged.")
    rated: int
    hypotheses: int
    groups: int = Field(description="Components of the comparison graph with rated hypotheses.")
    not_entered: int = Field(description="Resolved hypotheses pairing never takes.")
    interval_level: float = INTERVAL_LEVEL
    position_bias: Estimate | None = Field(
        description="The judge's lean towards the first-shown, in log-odds."
    )
    spread: Estimate | None = Field(
        description="The sd of log-strengths the fit learnt from the matches; null until "
        "something is rated."
    )
    judge_accuracy: Estimate | None = Field(
        description="How often a judge that decisive names the stronger of two random "
        "hypotheses (from the spread and its interval)."
    )
    refit_refused: str | None = Field(
        None,
        description="Why the latest refit refused (its fit would need more memory than the "
        "worker may take), so the ratings are those fitted at fitted_at; null when it wrote.",
    )


def _estimate(value: float | None, low: float | None, high: float | None) -> Estimate | None:
    return None if value is None else Estimate(value=value, low=low, high=high)


def tournament_fit(summary: FitSummary) -> TournamentFit:
    spread = _estimate(summary.spread, summary.spread_low, summary.spread_high)
    accuracy = None
    if spread is not None:
        accuracy = Estimate(
            value=judge_accuracy(spread.value),
            low=None if spread.low is None else judge_accuracy(spread.low),
            high=None if spread.high is None else judge_accuracy(spread.high),
        )
    return TournamentFit(
        fitted_at=summary.fitted_at,
        matches=summary.matches,
        rated=summary.rated,
        hypotheses=summary.hypotheses,
        groups=summary.groups,
        not_entered=summary.not_entered,
        position_bias=_estimate(summary.position_bias, summary.bias_low, summary.bias_high),
        spread=spread,
        judge_accuracy=accuracy,
        refit_refused=summary.refit_refused,
    )
