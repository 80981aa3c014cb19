"""Worker heartbeats in the ledger: live, silent and stopped workers, and what they hold."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from storage.db import Database
from storage.models import Evaluation, EvaluationState, Hypothesis
from storage.queries.workers import (
    PROVIDER_BATCH_TASK,
    STALE_AFTER,
    consumed_queues,
    hold_pass,
    last_pass,
    list_workers,
    mark_stopped,
    record_beat,
    record_pass,
    release_pass,
)

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def _beat(
    db: Database,
    name: str,
    *,
    pid: int = 100,
    at: datetime = T0,
    queues: tuple[str, ...] = ("debates", "scoring"),
) -> None:
    with db.transaction() as session:
        record_beat(
            session,
            name=name,
            host="lab-1",
            pid=pid,
            queues=queues,
            backend="evidence",
            broker="sqlite (embedded)",
            now=at,
        )


def test_a_beating_worker_is_listed_with_the_evaluation_it_holds(db: Database) -> None:
    _beat(db, "celery@lab-1")
    with db.transaction() as session:
        session.add(Hypothesis(id="h-00000001", title="t", statement="s"))
        session.flush()
        session.add(
            Evaluation(
                hypothesis_id="h-00000001",
                config={},
                config_hash="x" * 64,
                state=EvaluationState.RUNNING.value,
                lease_owner="celery@lab-1/task-1",
            )
        )
    with db.sessions() as session:
        [worker] = list_workers(session, now=T0 + timedelta(seconds=5))
        evaluation_id = session.query(Evaluation.id).scalar()
    assert worker.alive and worker.pid == 100 and worker.host == "lab-1"
    assert worker.queues == ("debates", "scoring") and worker.backend == "evidence"
    assert worker.current_evaluations == (evaluation_id,)


def test_a_silent_worker_is_gone_and_consumes_nothing(db: Database) -> None:
    _beat(db, "celery@lab-1")
    _beat(db, "celery@lab-2", queues=("publish",), at=T0 + STALE_AFTER)
    later = T0 + STALE_AFTER + timedelta(seconds=1)
    with db.sessions() as session:
        workers = {w.name: w for w in list_workers(session, now=later)}
        live = list_workers(session, now=later, include_gone=False)
        assert consumed_queues(session, now=later) == {"publish"}
    assert not workers["celery@lab-1"].alive and workers["celery@lab-2"].alive
    assert [w.name for w in live] == ["celery@lab-2"]


def test_a_stopped_worker_is_gone_until_it_beats_again(db: Database) -> None:
    _beat(db, "celery@lab-1", pid=100)
    with db.transaction() as session:
        mark_stopped(session, name="celery@lab-1", pid=999, now=T0)  # another process: ignored
    with db.sessions() as session:
        assert list_workers(session, now=T0)[0].alive
    with db.transaction() as session:
        mark_stopped(session, name="celery@lab-1", pid=100, now=T0)
    with db.sessions() as session:
        assert consumed_queues(session, now=T0) == set()
    _beat(db, "celery@lab-1", pid=200, at=T0 + timedelta(seconds=30))
    with db.sessions() as session:
        [worker] = list_workers(session, now=T0 + timedelta(seconds=31))
    assert worker.alive and worker.pid == 200 and worker.started_at == T0 + timedelta(seconds=30)


def test_a_scheduled_pass_keeps_its_latest_run(db: Database) -> None:
    with db.sessions() as session:
        assert last_pass(session, task=PROVIDER_BATCH_TASK) is None  # never ran: no beat yet
    for at in (T0, T0 + timedelta(minutes=2), T0 + timedelta(minutes=1)):  # one late, out of order
        with db.transaction() as session:
            record_pass(session, task=PROVIDER_BATCH_TASK, now=at)
    with db.sessions() as session:
        assert last_pass(session, task=PROVIDER_BATCH_TASK) == T0 + timedelta(minutes=2)
        assert last_pass(session, task="another") is None


def test_a_pass_is_held_once_and_a_lapsed_runs_release_frees_no_later_hold(db: Database) -> None:
    start = datetime(2026, 12, 7, tzinfo=UTC)
    with db.transaction() as session:
        first = hold_pass(session, task="round", seconds=60, now=start)
        assert first == start + timedelta(seconds=60)
        assert (
            hold_pass(session, task="round", seconds=60, now=start + timedelta(seconds=59)) is None
        )
        assert hold_pass(session, task="other", seconds=60, now=start) is not None
        # the first run outlived its hold; a later one takes the pass
        later = hold_pass(session, task="round", seconds=60, now=start + timedelta(seconds=61))
        assert later is not None
        release_pass(session, task="round", until=first)  # the first ends: not its hold now
        assert (
            hold_pass(session, task="round", seconds=60, now=start + timedelta(seconds=62)) is None
        )
        release_pass(session, task="round", until=later)
        assert hold_pass(session, task="round", seconds=60, now=start + timedelta(seconds=63))
        assert last_pass(session, task="round") == start + timedelta(seconds=63)
