"""Backtests in the ledger: a named run's stored report, kept so two configurations can be
compared, and the provider batches its judge sent, kept so a rerun collects them."""

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


class JudgeBatch(Base):
    """A provider batch of the backtest judge's calls, recorded once the provider accepted it.

    ``digest`` fingerprints what was asked (backend, model, every item's id and messages), so a
    backtest stopped while it waited, and run again on the same data, finds the batch it sent
    and collects it instead of paying for it twice (``workers.backtest_judge``).
    """

    __tablename__ = "judge_batches"

    id: Mapped[int] = mapped_column(primary_key=True)
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    backend: Mapped[str] = mapped_column(String(64))
    model: Mapped[str] = mapped_column(String(200))
    provider_batch_id: Mapped[str] = mapped_column(String(200))
    item_count: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
