"""Keeping leases alive: timed renewals on one thread per process, stopped on exit, loss noticed."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import update

from storage.db import Database
from storage.models import Evaluation, Hypothesis
from storage.queries import evaluations as ledger
from tests.databases import migrated_sqlite
from workers import renewals as process_renewals
from workers.lease import LeaseKeeper, LeaseLostError
from workers.renewals import Renewals

LEASE_SECONDS = 3  # timed renewals every second, the shortest interval a keeper allows


@pytest.fixture
def database(tmp_path: Path) -> Iterator[Database]:
    database = migrated_sqlite(tmp_path / "lease.db")
    yield database
    database.dispose()


def claimed(database: Database, worker: str = "w1") -> int:
    """A new evaluation, claimed by ``worker``."""
    with database.transaction() as session:
        count = session.query(Hypothesis).count()
        session.add(Hypothesis(id=f"h-lease{count:04d}", title="A hypothesis", statement="x"))
        session.flush()
        evaluation_id = ledger.enqueue_evaluation(
            session,
            hypothesis_id=f"h-lease{count:04d}",
            config={"backend": "evidence"},
            max_attempts=2,
        ).evaluation.id
        assert ledger.claim_evaluation(
            session, evaluation_id=evaluation_id, worker=worker, lease_seconds=LEASE_SECONDS
        )
    return evaluation_id


def heartbeat_of(database: Database, evaluation_id: int) -> datetime | None:
    with database.sessions() as session:
        evaluation = session.get(Evaluation, evaluation_id)
        assert evaluation is not None
        return evaluation.heartbeat_at


def wait_for(condition: Callable[[], bool], seconds: float = 5.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def keeper(database: Database, evaluation_id: int, renewals: Renewals) -> LeaseKeeper:
    return LeaseKeeper(
        database,
        evaluation_id=evaluation_id,
        owner="w1",
        lease_seconds=LEASE_SECONDS,
        renewals=renewals,
    )


def test_a_held_lease_is_renewed_while_the_work_is_silent(database: Database) -> None:
    evaluation_id = claimed(database)
    claimed_at = heartbeat_of(database, evaluation_id)
    with keeper(database, evaluation_id, Renewals()) as held:
        # Nothing beats: only the timed renewal can move the heartbeat, within about a second.
        assert wait_for(lambda: heartbeat_of(database, evaluation_id) != claimed_at)
        assert not held.lost


def test_no_renewal_runs_after_the_keeper_exits(database: Database) -> None:
    evaluation_id = claimed(database)
    renewals = Renewals()
    with keeper(database, evaluation_id, renewals):
        assert len(renewals) == 1
    assert len(renewals) == 0
    stopped_at = heartbeat_of(database, evaluation_id)
    time.sleep(1.5)  # past the renewal that would have fallen due
    assert heartbeat_of(database, evaluation_id) == stopped_at


def test_a_lease_taken_over_is_noticed_and_its_renewals_stop(database: Database) -> None:
    evaluation_id = claimed(database)
    renewals = Renewals()
    with keeper(database, evaluation_id, renewals) as held:
        with database.transaction() as session:  # another worker's takeover
            session.execute(
                update(Evaluation).where(Evaluation.id == evaluation_id).values(lease_owner="w2")
            )
        assert wait_for(lambda: held.lost)
        assert wait_for(lambda: len(renewals) == 0)  # a lost lease is not renewed again
        with pytest.raises(LeaseLostError, match="lease lost by w1"):
            held.beat({"phase": "debate"})


def test_every_lease_of_a_process_shares_one_renewal_thread(database: Database) -> None:
    ids = [claimed(database) for _ in range(12)]
    renewals = Renewals()
    before = threading.active_count()
    keepers = [keeper(database, evaluation_id, renewals) for evaluation_id in ids]
    for held in keepers:
        held.__enter__()
    try:
        assert threading.active_count() == before + 1
        assert len(renewals) == 12
        started = {i: heartbeat_of(database, i) for i in ids}
        assert wait_for(lambda: all(heartbeat_of(database, i) != started[i] for i in ids))
    finally:
        for held in keepers:
            held.__exit__(None, None, None)
    assert len(renewals) == 0


def test_keepers_use_the_process_schedule_unless_given_one(database: Database) -> None:
    evaluation_id = claimed(database)
    with LeaseKeeper(
        database, evaluation_id=evaluation_id, owner="w1", lease_seconds=LEASE_SECONDS
    ):
        assert len(process_renewals.shared_renewals()) >= 1
    # A forked child (a prefork pool's worker) starts a schedule of its own.
    shared = process_renewals.shared_renewals()
    process_renewals._forget_shared_renewals()
    try:
        assert process_renewals.shared_renewals() is not shared
    finally:
        process_renewals._forget_shared_renewals()


def test_the_renewal_thread_ends_when_no_lease_is_held_and_restarts_for_the_next(
    database: Database,
) -> None:
    renewals = Renewals(idle_seconds=0.2)
    first, second = claimed(database), claimed(database)
    with keeper(database, first, renewals):
        assert renewals.running
    assert wait_for(lambda: not renewals.running)
    claimed_at = heartbeat_of(database, second)
    with keeper(database, second, renewals):
        assert renewals.running
        assert wait_for(lambda: heartbeat_of(database, second) != claimed_at)
