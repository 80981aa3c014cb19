"""Worker heartbeats (recording beats, listing the workers with what they are doing) and the
scheduled passes (when each last ran; which one a run holds)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Table, or_, select, update
from sqlalchemy.orm import Session

from storage.models import Evaluation, EvaluationState, SchedulerPass, WorkerHeartbeat, utcnow
from storage.queries.claims import worker_of
from storage.queries.inserts import insert_new_only

# A worker that has not beaten for this long is taken for gone (it beats every few seconds).
STALE_AFTER = timedelta(seconds=15)


@dataclass(frozen=True)
class WorkerStatus:
    """A worker as the ledger last saw it, and the evaluations it holds the lease of now."""

    name: str
    host: str
    pid: int
    queues: tuple[str, ...]
    backend: str
    broker: str
    started_at: datetime
    last_beat_at: datetime
    stopped_at: datetime | None
    alive: bool
    current_evaluations: tuple[int, ...]


def record_beat(
    session: Session,
    *,
    name: str,
    host: str,
    pid: int,
    queues: Sequence[str],
    backend: str,
    broker: str,
    now: datetime | None = None,
) -> None:
    """Record that worker ``name`` is alive; a restarted worker of the same name starts anew."""
    now = now or utcnow()
    row = session.scalar(select(WorkerHeartbeat).where(WorkerHeartbeat.name == name))
    if row is None:
        session.add(
            WorkerHeartbeat(
                name=name,
                host=host,
                pid=pid,
                queues=list(queues),
                backend=backend,
                broker=broker,
                started_at=now,
                last_beat_at=now,
            )
        )
        return
    if row.pid != pid or row.stopped_at is not None:
        row.started_at = now
    row.host, row.pid, row.queues = host, pid, list(queues)
    row.backend, row.broker = backend, broker
    row.last_beat_at, row.stopped_at = now, None


def mark_stopped(session: Session, *, name: str, pid: int, now: datetime | None = None) -> None:
    """Record a clean shutdown (only for the same process: a successor may own the name)."""
    session.execute(
        update(WorkerHeartbeat)
        .where(WorkerHeartbeat.name == name, WorkerHeartbeat.pid == pid)
        .values(stopped_at=now or utcnow())
    )


def list_workers(
    session: Session, *, now: datetime | None = None, include_gone: bool = True
) -> list[WorkerStatus]:
    """Workers by name: live ones, and (unless ``include_gone`` is false) stopped or silent."""
    now = now or utcnow()
    holding: dict[str, list[int]] = {}
    running = session.execute(
        select(Evaluation.id, Evaluation.lease_owner).where(
            Evaluation.state == EvaluationState.RUNNING.value
        )
    ).all()
    for evaluation_id, owner in running:
        holding.setdefault(worker_of(owner or ""), []).append(int(evaluation_id))
    statuses = []
    for row in session.scalars(select(WorkerHeartbeat).order_by(WorkerHeartbeat.name)):
        alive = row.stopped_at is None and now - row.last_beat_at <= STALE_AFTER
        if not alive and not include_gone:
            continue
        statuses.append(
            WorkerStatus(
                name=row.name,
                host=row.host,
                pid=row.pid,
                queues=tuple(str(q) for q in row.queues),
                backend=row.backend,
                broker=row.broker,
                started_at=row.started_at,
                last_beat_at=row.last_beat_at,
                stopped_at=row.stopped_at,
                alive=alive,
                current_evaluations=tuple(sorted(holding.get(row.name, []))) if alive else (),
            )
        )
    return statuses


def consumed_queues(session: Session, *, now: datetime | None = None) -> set[str]:
    """The queues at least one live worker consumes."""
    return {q for w in list_workers(session, now=now, include_gone=False) for q in w.queues}


_PASSES: Table = SchedulerPass.__table__  # type: ignore[assignment]
# The pass that sends and collects provider batches; beat starts it, nothing else does.
PROVIDER_BATCH_TASK = "provider_batches"
# The refit of the ratings of record: it holds its pass while it runs, as a round does, and
# records a run again when it writes.
REFIT_TASK = "refit_ratings"


def record_pass(session: Session, *, task: str, now: datetime | None = None) -> None:
    """Record that the scheduled pass ``task`` ran. Safe when two workers run it at once: the
    row is created once, and its time only ever moves forward. (Why a run refused is kept by
    ``release_pass``, which ends the hold every refusing run has.)"""
    now = now or utcnow()
    session.execute(
        insert_new_only(session, _PASSES, key=["task"]), [{"task": task, "last_ran_at": now}]
    )
    session.execute(
        update(SchedulerPass)
        .where(SchedulerPass.task == task, SchedulerPass.last_ran_at < now)
        .values(last_ran_at=now)
    )


def hold_pass(
    session: Session, *, task: str, seconds: float, now: datetime | None = None
) -> datetime | None:
    """Hold the scheduled pass ``task`` for a run of at most ``seconds``: returns when the
    hold lapses, or None if another run holds it. Safe when two runs ask at once: the second
    waits for the first's commit, then finds the pass held."""
    now = now or utcnow()
    until = now + timedelta(seconds=seconds)
    session.execute(
        insert_new_only(session, _PASSES, key=["task"]), [{"task": task, "last_ran_at": now}]
    )
    held = session.execute(
        update(SchedulerPass)
        .where(
            SchedulerPass.task == task,
            or_(SchedulerPass.running_until.is_(None), SchedulerPass.running_until <= now),
        )
        .values(running_until=until, last_ran_at=now)
    )
    return until if held.rowcount == 1 else None  # type: ignore[attr-defined]


def renew_pass(
    session: Session, *, task: str, until: datetime, seconds: float, now: datetime | None = None
) -> datetime | None:
    """Push the hold ``hold_pass`` gave (lapsing at ``until``) out to ``seconds`` from now:
    returns when it now lapses, or None if the run no longer holds the pass."""
    renewed = (now or utcnow()) + timedelta(seconds=seconds)
    held = session.execute(
        update(SchedulerPass)
        .where(SchedulerPass.task == task, SchedulerPass.running_until == until)
        .values(running_until=renewed)
    )
    return renewed if held.rowcount == 1 else None  # type: ignore[attr-defined]


def release_pass(session: Session, *, task: str, until: datetime, error: str | None = None) -> None:
    """End the hold ``hold_pass`` gave (not a later run's, if this one's had lapsed), with
    why the run refused if it did (``error``)."""
    session.execute(
        update(SchedulerPass)
        .where(SchedulerPass.task == task, SchedulerPass.running_until == until)
        .values(running_until=None, last_error=error)
    )


@dataclass(frozen=True)
class PassStatus:
    """A scheduled pass: when it last ran, until when a run holds it (None when none does; a
    time past means a run that never let go, and it is free again), and why its latest run
    refused, if it did."""

    task: str
    last_ran_at: datetime
    running_until: datetime | None
    last_error: str | None = None


def list_passes(session: Session) -> list[PassStatus]:
    """Every scheduled pass that has recorded a run, by name."""
    rows = session.scalars(select(SchedulerPass).order_by(SchedulerPass.task))
    return [PassStatus(r.task, r.last_ran_at, r.running_until, r.last_error) for r in rows]


def last_pass(session: Session, *, task: str) -> datetime | None:
    """When the scheduled pass ``task`` last ran; None if it never has."""
    return session.scalar(select(SchedulerPass.last_ran_at).where(SchedulerPass.task == task))
