"""The backtest reports the API and the views serve: schemas, and a stored report as one.

A stored report is the JSON document ``workers.backtest_report`` computed; it is validated
into these models as is, nothing recomputed, so ``hyposcore backtest --json``, the API and the
web view show the same numbers.
"""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field, JsonValue, ValidationError

from api.backtest_knowledge import KnowledgeOut
from api.forecaster_schemas import ForecasterOut
from debates.backends.knowledge import cutoffs_variable, reads_only_the_request
from scoring.forecasts import DEFAULT_LEVEL
from storage.queries.backtests import ReportGrades, StoredReport


class ComparisonOut(BaseModel):
    """A rating's Brier score minus a baseline's on the same hypotheses; below 0 is better.
    The interval is the paired bootstrap interval of the difference."""

    forecaster: str
    baseline: str
    n: int
    brier_difference: float
    brier_difference_low: float
    brier_difference_high: float


class BacktestHypothesisOut(BaseModel):
    """One resolved hypothesis as the backtest saw it, as of ``as_of``."""

    hypothesis_id: str
    title: str
    validated: bool
    resolved_on: date
    as_of: date
    evidence_kept: int
    evidence_total: int
    quality: float
    exchange_rating: float
    composite: float | None
    base_rate: float
    personas: dict[str, float] = Field(description="Each persona's final probability.")
    believability: dict[str, float] = Field(
        description="The weights learned from the other hypotheses (leave-one-out)."
    )


class BacktestSettingsOut(BaseModel):
    horizon_days: int
    as_of_rule: str
    believability: str
    debate: dict[str, JsonValue]
    weights_hash: str
    market_liquidity: float
    seed: int
    resamples: int
    level: float = Field(description="Level of every bootstrap interval, e.g. 0.9.")
    bins: int
    min_interval_n: int | None = Field(
        None,
        description="A forecaster graded on fewer hypotheses has no intervals (null in "
        "reports stored before 2026-12-06, which gave every forecaster intervals).",
    )
    min_auc_interval_each: int | None = Field(
        None, description="An AUC with fewer of either outcome has no interval (null: as above)."
    )


class JudgeOut(BaseModel):
    """The tournament's judge on every validated-refuted pair (or a seeded random sample of
    them), each judged once, blind as of the earlier of its two as-of dates
    (workers.backtest_judge)."""

    backend: str
    pairs: int = Field(description="Pairs judged.")
    of_pairs: int | None = Field(
        default=None,
        description="Validated-refuted pairs in all, when only a random sample was judged "
        "(reports before this field judged every pair).",
    )
    validated_preferred: int = Field(description="Pairs where it chose the validated one.")
    unreadable: int = Field(description="Replies it could not read, counted as ties.")
    share: float | None = Field(description="The share of pairs it got right (0.5: chance).")
    share_low: float | None
    share_high: float | None
    as_of: str
    # What the judge may know beyond the blind cases (workers.backtest_judge_grade); all
    # null in a report from before it was kept.
    model: str | None = None
    reads_only_the_request: bool | None = Field(
        default=None, description="True for a judge that knows nothing but what it is asked."
    )
    cutoff: str | None = Field(
        default=None, description="The last day of the judge model's configured training cutoff."
    )
    unseen_pairs: int | None = Field(
        default=None,
        description="Judged pairs whose two outcomes were both settled certainly after what the "
        "judge knows; null when that cannot be told (a model with no configured cutoff).",
    )
    unseen_share: float | None = Field(
        default=None, description="The share right on those pairs alone, when they are some."
    )
    unseen_share_low: float | None = None
    unseen_share_high: float | None = None


def judge_text(judge: JudgeOut, *, level: float) -> str:
    """One sentence for every view: how often the judge, shown blind cases, preferred the
    validated one, and whether it may have known the outcomes all the same."""
    # A sample's interval is conservative (scoring.forecasts.table_auc), and says so.
    sampled = judge.of_pairs is not None and judge.of_pairs != judge.pairs
    unreadable = f", {judge.unreadable} unreadable (counted as ties)" if judge.unreadable else ""
    of_all = f" (a random {judge.pairs} of {judge.of_pairs})" if sampled else ""
    who = judge.backend + (f", {judge.model}" if judge.model else "")
    offline = judge.reads_only_the_request
    if offline is None:  # a report from before it was kept: only the backend's class can tell
        offline = reads_only_the_request(judge.backend)
    blind = offline or judge.unseen_pairs == judge.pairs
    return (
        f"Tournament judge ({who}), {'blind' if blind else 'on blind cases'}: it preferred the "
        f"validated hypothesis in {judge.validated_preferred} of {judge.pairs} "
        f"validated-refuted pairs{of_all}{unreadable}; "
        f"share right {_share_text(judge.share, judge.share_low, judge.share_high, level, sampled)}"
        f" (0.5 is chance), {judge.as_of}{_judge_knowledge_text(judge, level, sampled)}"
    )


def _share_text(
    share: float | None, low: float | None, high: float | None, level: float, sampled: bool
) -> str:
    interval = ""
    if low is not None and high is not None:
        covers = f"at least {level:.0%}" if sampled else f"{level:.0%}"
        interval = f" [{covers}: {low:.3f}, {high:.3f}]"
    return ("—" if share is None else f"{share:.3f}") + interval


def _judge_knowledge_text(judge: JudgeOut, level: float, sampled: bool) -> str:
    """What a model judge may have read in training, after the sentence's facts."""
    if judge.reads_only_the_request is not False:  # offline, or a report from before
        return ""
    if judge.unseen_pairs is None:
        return (
            "; a model with no configured training cutoff, which may have read these outcomes, "
            f"so the share is not shown to be blind (set {cutoffs_variable(judge.backend)})"
        )
    if judge.unseen_pairs == judge.pairs:
        return f"; trained to {judge.cutoff}, before every outcome"
    if judge.unseen_pairs == 0:
        return (
            f"; trained to {judge.cutoff}: no pair was settled after it, so it may have read "
            "them and the share is not blind"
        )
    share = _share_text(
        judge.unseen_share, judge.unseen_share_low, judge.unseen_share_high, level, sampled
    )
    return (
        f"; trained to {judge.cutoff}: on the {judge.unseen_pairs} pairs both settled after "
        f"it, the only ones certainly unseen, share right {share}"
    )


def latest_judge_text(grades: ReportGrades | None) -> str | None:
    """What the newest stored backtest says of the tournament's judge, naming the backtest;
    None when no backtest graded it. The leaderboards show it beside the strengths."""
    if grades is None or not grades.judge:
        return None
    try:
        judge = JudgeOut.model_validate(grades.judge)
    except ValidationError:  # a report of another shape costs the leaderboard a line, no more
        return None
    level = float(grades.settings.get("level", DEFAULT_LEVEL))
    return f"{judge_text(judge, level=level)} (backtest {grades.name})"


class BacktestReportOut(BaseModel):
    name: str
    created_at: datetime
    version: int
    n: int
    validated: int
    refuted: int
    settings: BacktestSettingsOut
    forecasters: list[ForecasterOut]
    comparisons: list[ComparisonOut]
    hypotheses: list[BacktestHypothesisOut]
    judge: JudgeOut | None = Field(
        None,
        description="The tournament's judge graded on the same outcomes; null when the "
        "backtest skipped it (--no-judge) or was stored before it was graded.",
    )
    knowledge: KnowledgeOut | None = Field(
        None, description="What the backend may have known; null in reports stored before it."
    )
    links: dict[str, str]


class BacktestSummaryOut(BaseModel):
    name: str
    created_at: datetime
    horizon_days: int
    n: int
    exchange_rating_brier: float | None
    base_rate_brier: float | None
    links: dict[str, str]


def report_links(name: str) -> dict[str, str]:
    return {"self": f"/backtests/{name}", "page": f"/web/backtests/{name}"}


def report_out(stored: StoredReport) -> BacktestReportOut:
    return BacktestReportOut.model_validate(
        {
            **stored.report,
            "name": stored.name,
            "created_at": stored.created_at,
            "links": report_links(stored.name),
        }
    )


def summary_out(stored: StoredReport) -> BacktestSummaryOut:
    brier = {row["name"]: row["brier"] for row in stored.report.get("forecasters", [])}
    return BacktestSummaryOut(
        name=stored.name,
        created_at=stored.created_at,
        horizon_days=stored.horizon_days,
        n=stored.n,
        exchange_rating_brier=brier.get("exchange rating"),
        base_rate_brier=brier.get("base rate (training folds)"),
        links=report_links(stored.name),
    )
