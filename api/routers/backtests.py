"""Stored backtest reports: the list, one report, and its web view with a reliability diagram."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse
from markupsafe import Markup

from api.backtest_knowledge import knowledge_text
from api.backtests import (
    BacktestReportOut,
    BacktestSummaryOut,
    judge_text,
    report_out,
    summary_out,
)
from api.deps import PageDep, SessionDep
from api.reliability_chart import reliability_chart
from api.routers.web import not_found_page, render_page
from api.schemas import Paginated
from api.track_record import band_table
from scoring.forecasts import few_for_an_interval
from storage.errors import NotFoundError
from storage.queries.backtests import NAME_PATTERN, count_reports, get_report, list_reports

router = APIRouter(prefix="/backtests", tags=["backtests"])
web_router = APIRouter(include_in_schema=False)

Name = Annotated[
    str,
    Path(
        min_length=1,
        max_length=64,
        pattern=NAME_PATTERN,
        description="The name the report was saved under (hyposcore backtest --save NAME).",
    ),
]

# The series the diagram draws (docs/validation.md's figure too): the blind exchange rating, the
# composite, and both recalibrated on the training folds (the composite's has the best Brier).
CHARTED = (
    "exchange rating",
    "composite",
    "exchange rating, recalibrated (training folds)",
    "composite, recalibrated (training folds)",
)
PAGE_SIZE = 100


@router.get("", response_model=Paginated[BacktestSummaryOut])
def list_all(session: SessionDep, page: PageDep) -> Paginated[BacktestSummaryOut]:
    """Stored backtest reports, newest first, each with its blind exchange rating's Brier
    score and the base rate's beside it."""
    rows = list_reports(session, limit=page.limit, offset=page.offset)
    return Paginated(
        items=[summary_out(row) for row in rows],
        total=count_reports(session),
        limit=page.limit,
        offset=page.offset,
    )


@router.get("/{name}", response_model=BacktestReportOut)
def get_one(session: SessionDep, name: Name) -> BacktestReportOut:
    """A stored backtest: every forecaster's Brier score, log loss and AUC with bootstrap
    intervals, its reliability bins, and each hypothesis as it was forecast."""
    return report_out(get_report(session, name=name))


@web_router.get("/web/backtests", response_class=HTMLResponse, name="web_backtests")
def backtests_page(request: Request, session: SessionDep) -> HTMLResponse:
    """The stored backtests, newest first, with the blind exchange rating's Brier score."""
    reports = [summary_out(row) for row in list_reports(session, limit=PAGE_SIZE)]
    return render_page(request, "backtests.html", {"reports": reports})


@web_router.get("/web/backtests/{name}", response_class=HTMLResponse, name="web_backtest")
def backtest_page(request: Request, session: SessionDep, name: Name) -> HTMLResponse:
    """The report as a page: the grades table, the reliability diagram, every hypothesis."""
    try:
        stored = get_report(session, name=name)
    except NotFoundError as exc:
        return not_found_page(request, exc)
    report = report_out(stored)
    bands = band_table(stored.report.get("settings", {}), stored.report.get("forecasters", []))
    charted = [f for f in report.forecasters if f.name in CHARTED]
    chart = Markup(  # noqa: S704 - api.reliability_chart escapes every label it draws
        reliability_chart(
            [
                (f.name, [(b.mean_forecast, b.observed, b.count) for b in f.reliability])
                for f in charted
            ],
            title=f"Reliability of backtest {name}",
        )
    )
    settings = report.settings
    floors = few_for_an_interval(settings.min_interval_n, settings.min_auc_interval_each)
    judge = None if report.judge is None else judge_text(report.judge, level=settings.level)
    known = None if report.knowledge is None else knowledge_text(report.knowledge, n=report.n)
    context = {
        "knowledge": known,
        "report": report,
        "chart": chart,
        "few_for_an_interval": floors,
        "bands": bands,
        "judge": judge,
    }
    return render_page(request, "backtest.html", context)
