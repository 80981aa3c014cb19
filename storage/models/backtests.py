"""Stored backtest reports: a named run's grades, kept so two configurations can be compared."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, utcnow


class BacktestReport(Base):
    """One backtest, as ``hyposcore backtest --save NAME`` computed it.

    The report is one JSON document (its shape is ``workers.backtest_report``'s, served as is
    by the API); the columns beside it are what lists sort and show without parsing it.
    """

    __tablename__ = "backtest_reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    horizon_days: Mapped[int] = mapped_column(Integer)
    n: Mapped[int] = mapped_column(Integer)
    report: Mapped[dict[str, Any]] = mapped_column()
