"""Worker heartbeats (which workers are running, where, on which queues, seen when) and the
last run of each scheduled pass (whether beat is sending its work at all, and which pass is
running now)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, utcnow


class WorkerHeartbeat(Base):
    """One worker (a Celery node name) and its latest beat.

    Kept in the ledger rather than asked of the broker, so ``hyposcore status``, the API and
    the views list workers on every broker, the embedded one included, where Celery's
    broadcast commands (``inspect``, Flower's worker list) get no answer.
    """

    __tablename__ = "worker_heartbeats"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    host: Mapped[str] = mapped_column(String(200))
    pid: Mapped[int] = mapped_column(Integer)
    queues: Mapped[list[Any]] = mapped_column(default=list)
    backend: Mapped[str] = mapped_column(String(32))
    broker: Mapped[str] = mapped_column(String(32))
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_beat_at: Mapped[datetime] = mapped_column(default=utcnow)
    stopped_at: Mapped[datetime | None] = mapped_column()


class SchedulerPass(Base):
    """When a scheduled pass last ran, and until when a run of it holds the pass.

    Batch work waits in "queued" until the provider-batch pass sends it; without its row
    nothing could tell "beat will send it within a minute" from "no beat is running". The
    tournament round holds its row while it runs, so round messages that piled up while no
    worker ran do not judge the same pairs again, each paying the judge.
    """

    __tablename__ = "scheduler_passes"

    task: Mapped[str] = mapped_column(String(64), primary_key=True)
    last_ran_at: Mapped[datetime] = mapped_column(default=utcnow)
    running_until: Mapped[datetime | None] = mapped_column()
    # Why its latest run did nothing, when it refused (a fit too large for its memory); None
    # when that run did its work.
    last_error: Mapped[str | None] = mapped_column(Text)
