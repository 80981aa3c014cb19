"""Backtests: the resolved hypotheses they forecast, the blind debates a rerun may reuse, and
the reports they store by name."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storage.errors import NotFoundError, StorageError
from storage.models import (
    BacktestReport,
    Evaluation,
    EvaluationState,
    Hypothesis,
    HypothesisStatus,
    utcnow,
)

# A report's name appears in URLs and file names: letters, digits, dot, dash, underscore.
NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
_NAME = re.compile(NAME_PATTERN)


class ReportNameError(StorageError, ValueError):
    """A report name that is malformed, or taken; the message names the field."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(f"{field}: {message}")


@dataclass(frozen=True)
class ResolvedHypothesis:
    hypothesis_id: str
    validated: bool
    resolved_on: date


@dataclass(frozen=True)
class StoredReport:
    name: str
    created_at: datetime
    horizon_days: int
    n: int
    report: dict[str, Any]


def resolved_hypotheses(session: Session) -> list[ResolvedHypothesis]:
    """Every validated or refuted hypothesis with a resolution date, by id."""
    rows = session.execute(
        select(Hypothesis.id, Hypothesis.status, Hypothesis.resolved_on)
        .where(
            Hypothesis.status.in_(
                [HypothesisStatus.VALIDATED.value, HypothesisStatus.REFUTED.value]
            ),
            Hypothesis.resolved_on.is_not(None),
        )
        .order_by(Hypothesis.id)
    )
    return [
        ResolvedHypothesis(hypothesis_id, status == HypothesisStatus.VALIDATED.value, resolved_on)
        for hypothesis_id, status, resolved_on in rows
        if resolved_on is not None  # the WHERE clause's promise, made to the type checker
    ]


def finished_forecast(
    session: Session, *, hypothesis_id: str, config_hash: str, case_digest: str
) -> int | None:
    """The newest succeeded evaluation of ``hypothesis_id`` with this configuration that
    debated a blind case with this digest (recorded by ``record_debate_start``); None when
    there is none."""
    return session.scalar(
        select(Evaluation.id)
        .where(
            Evaluation.hypothesis_id == hypothesis_id,
            Evaluation.config_hash == config_hash,
            Evaluation.case_digest == case_digest,
            Evaluation.state == EvaluationState.SUCCEEDED.value,
        )
        .order_by(Evaluation.id.desc())
        .limit(1)
    )


def check_report_name(name: str, *, field: str = "name") -> str:
    if not _NAME.match(name):
        raise ReportNameError(
            field,
            f"{name!r} is not a report name: 1-64 letters, digits, '.', '-' or '_', "
            "starting with a letter or digit",
        )
    return name


def check_name_free(session: Session, *, name: str, field: str = "name") -> None:
    """Raise ReportNameError when a report is already stored as ``name``."""
    if session.scalar(select(BacktestReport.id).where(BacktestReport.name == name)) is not None:
        raise ReportNameError(
            field, f"a backtest report named {name!r} exists; choose another name or replace it"
        )


def save_report(
    session: Session,
    *,
    name: str,
    report: dict[str, Any],
    horizon_days: int,
    replace: bool = False,
) -> StoredReport:
    """Store ``report`` as ``name``; an existing name is an error unless ``replace``."""
    check_report_name(name)
    if not replace:
        check_name_free(session, name=name)
    row = session.scalar(select(BacktestReport).where(BacktestReport.name == name))
    if row is None:
        row = BacktestReport(name=name)
        session.add(row)
    row.created_at = utcnow()
    row.horizon_days = horizon_days
    row.n = int(report["n"])
    row.report = report
    session.flush()
    return _stored(row)


def get_report(session: Session, *, name: str) -> StoredReport:
    row = session.scalar(select(BacktestReport).where(BacktestReport.name == name))
    if row is None:
        raise NotFoundError(f"backtest report {name!r} does not exist")
    return _stored(row)


def list_reports(session: Session, *, limit: int = 50, offset: int = 0) -> list[StoredReport]:
    """Stored reports, newest first."""
    rows = session.scalars(
        select(BacktestReport)
        .order_by(BacktestReport.created_at.desc(), BacktestReport.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return [_stored(row) for row in rows]


@dataclass(frozen=True)
class ReportGrades:
    """A stored report's settings and graded forecasters, without its per-hypothesis rows."""

    name: str
    created_at: datetime
    horizon_days: int
    settings: dict[str, Any]
    forecasters: list[dict[str, Any]]
    judge: dict[str, Any] | None  # the tournament judge's blind pairs; None if not judged
    n: int = 0  # resolved hypotheses graded
    # What the debating backend may have known (workers.backtest_knowledge); None in a
    # report from before it was kept.
    knowledge: dict[str, Any] | None = None


def latest_grades(
    session: Session, *, where: Callable[[ReportGrades], bool] | None = None
) -> ReportGrades | None:
    """The newest stored report's grades (the newest for which ``where`` holds), or None.

    Only the parts a view reads leave the database: a report's rows per hypothesis grow with
    the resolved set, and a page that shows one hypothesis needs none of them.
    """
    newest_first = select(
        BacktestReport.name,
        BacktestReport.created_at,
        BacktestReport.horizon_days,
        BacktestReport.report["settings"],
        BacktestReport.report["forecasters"],
        BacktestReport.report["judge"],
        BacktestReport.n,
        BacktestReport.report["knowledge"],
    ).order_by(BacktestReport.created_at.desc(), BacktestReport.id.desc())
    # The newest alone first, since it is nearly always the one (and each report carries its
    # bins); then a few at a time.
    offset, page = 0, 1
    while True:
        rows = session.execute(newest_first.limit(page).offset(offset)).all()
        for name, created_at, horizon, settings, forecasters, judge, n, knowledge in rows:
            grades = ReportGrades(
                name,
                created_at,
                horizon,
                settings or {},
                forecasters or [],
                judge or None,
                n,
                knowledge or None,
            )
            if where is None or where(grades):
                return grades
        if len(rows) < page:
            return None
        offset, page = offset + page, _GRADES_PAGE


_GRADES_PAGE = 8


def count_reports(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(BacktestReport)) or 0)


def _stored(row: BacktestReport) -> StoredReport:
    return StoredReport(
        name=row.name,
        created_at=row.created_at,
        horizon_days=row.horizon_days,
        n=row.n,
        report=dict(row.report),
    )
