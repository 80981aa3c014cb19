"""Blind debates made by hand, for tests of the backtest report, the API and the view."""

from __future__ import annotations

from datetime import date
from typing import Any

from debates.types import DebateConfig
from storage.db import Database
from storage.queries.backtests import save_report
from workers.backtest import Forecasted
from workers.backtest_judge import JudgedPair
from workers.backtest_options import ReportOptions
from workers.backtest_report import build_report
from workers.scoring_phase import TurnView

# Five made-up hypotheses are far too few for the bootstrap (scoring.forecasts.MIN_INTERVAL_N);
# the floors are lowered so that the views' rendering of intervals is tested on them, and
# test_backtest checks the floors themselves.
OPTIONS = ReportOptions(
    horizon_days=1,
    seed=0,
    resamples=300,
    bins=5,
    liquidity=100.0,
    interval_level=0.8,
    min_interval_n=1,
    min_auc_interval_each=1,
)

# (hypothesis id, validated, theorist's probabilities by round, skeptic's, shared score)
SAID = (
    ("h-bt000001", True, (0.7, 0.8), (0.4, 0.6), 0.7),
    ("h-bt000002", False, (0.6, 0.5), (0.3, 0.2), 0.4),
    ("h-bt000003", True, (0.5, 0.6), (0.5, 0.5), 0.6),
    ("h-bt000004", False, (0.8, 0.7), (0.3, 0.4), 0.5),
    ("h-bt000005", False, (0.4, 0.3), (0.2, 0.1), 0.3),
)


def _turns(theorist: tuple[float, ...], skeptic: tuple[float, ...], score: float) -> list[TurnView]:
    turns = []
    for round_number, (p_theorist, p_skeptic) in enumerate(
        zip(theorist, skeptic, strict=True), start=1
    ):
        for persona, p, lean in (("theorist", p_theorist, 0.1), ("skeptic", p_skeptic, -0.1)):
            scores = {"evidence_strength": score + lean, "feasibility": score}
            turns.append(TurnView(persona, round_number, scores, 0.8, p))
    return turns


def forecasted_items() -> list[Forecasted]:
    return [
        Forecasted(
            hypothesis_id=hypothesis_id,
            title=f"Hypothesis <{hypothesis_id}>",
            validated=validated,
            resolved_on=date(2020, 6, 1 + i),
            as_of=date(2020, 5, 31 + i) if i == 0 else date(2020, 6, i),
            evidence_total=4,
            evidence_kept=3,
            turns=tuple(_turns(theorist, skeptic, score)),
            quality=0.9,
        )
        for i, (hypothesis_id, validated, theorist, skeptic, score) in enumerate(SAID)
    ]


def seed_report(
    database: Database, name: str = "baseline", options: ReportOptions = OPTIONS
) -> dict[str, Any]:
    """A report built by the real builder from ``forecasted_items``, stored as ``name``."""
    report = build_report(forecasted_items(), DebateConfig(), options)
    with database.transaction() as session:
        save_report(session, name=name, report=report, horizon_days=OPTIONS.horizon_days)
    return report


def judged_pairs() -> list[JudgedPair]:
    """A verdict on every validated-refuted pair of ``forecasted_items``: the validated one
    preferred on each but the last, whose reply was unreadable (5 right, 1 unreadable of 6)."""
    items = forecasted_items()
    validated = sorted(i.hypothesis_id for i in items if i.validated)
    refuted = sorted(i.hypothesis_id for i in items if not i.validated)
    last = (validated[-1], refuted[-1])
    return [
        JudgedPair(v, r, date(2020, 5, 1), v, None if (v, r) == last else v)
        for v in validated
        for r in refuted
    ]


def seed_judged_report(database: Database, name: str = "judged") -> dict[str, Any]:
    """``seed_report``'s report with the judge's verdicts of ``judged_pairs``, stored."""
    report = build_report(forecasted_items(), DebateConfig(), OPTIONS, judged_pairs())
    with database.transaction() as session:
        save_report(session, name=name, report=report, horizon_days=OPTIONS.horizon_days)
    return report


def in_band(report: dict[str, Any], key: str, record: dict[str, Any]) -> list[dict[str, Any]]:
    """The report's hypotheses whose blind ``key`` fell in a track record's band, counted from
    the report's rows rather than from its reliability bins."""
    low, high, last = record["band_low"], record["band_high"], record["band_high"] == 1.0
    return [
        h
        for h in report["hypotheses"]
        if h[key] is not None and low <= h[key] and (h[key] < high or (last and h[key] <= high))
    ]
