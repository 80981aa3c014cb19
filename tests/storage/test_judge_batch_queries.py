"""The backtest judge's batches in the ledger: found by digest within the reuse window only."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from storage.db import Database
from storage.models import JudgeBatch
from storage.queries.judge_batches import (
    forget_judge_batch,
    record_judge_batch,
    sent_judge_batch,
)

SENT = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
DIGEST = "a" * 64


def _record(db: Database, provider_batch_id: str, *, now: datetime = SENT) -> None:
    with db.transaction() as session:
        _record_in(session, provider_batch_id, now=now)


def _record_in(session: Session, provider_batch_id: str, *, now: datetime) -> None:
    record_judge_batch(
        session,
        digest=DIGEST,
        backend="openai",
        model="gpt-4o-mini",
        provider_batch_id=provider_batch_id,
        item_count=4,
        now=now,
    )


def test_a_batch_is_found_by_what_it_asked_while_it_is_recent(db: Database) -> None:
    _record(db, "batch_1")
    with db.read_session() as session:
        assert sent_judge_batch(session, digest=DIGEST, since=SENT - timedelta(days=7)) == "batch_1"
        assert sent_judge_batch(session, digest=DIGEST, since=SENT + timedelta(seconds=1)) is None
        assert sent_judge_batch(session, digest="b" * 64, since=SENT - timedelta(days=7)) is None


def test_a_batch_sent_again_replaces_the_one_before_and_forgetting_removes_it(
    db: Database,
) -> None:
    _record(db, "batch_1")
    _record(db, "batch_2", now=SENT + timedelta(days=8))
    with db.read_session() as session:
        assert sent_judge_batch(session, digest=DIGEST, since=SENT) == "batch_2"
        assert session.query(JudgeBatch).count() == 1
    with db.transaction() as session:
        forget_judge_batch(session, digest=DIGEST)
    with db.read_session() as session:
        assert sent_judge_batch(session, digest=DIGEST, since=SENT) is None


def test_one_digest_holds_one_batch(db: Database) -> None:
    _record(db, "batch_1")
    with pytest.raises(IntegrityError), db.transaction() as session:
        session.add(
            JudgeBatch(
                digest=DIGEST,
                backend="openai",
                model="m",
                provider_batch_id="batch_3",
                item_count=1,
                created_at=SENT,
            )
        )


def test_two_runs_recording_the_same_batch_at_once_do_not_collide(db: Database) -> None:
    """The second run's write waits for the first's and then replaces it; no unique error."""
    errors: list[BaseException] = []
    with db.transaction() as session:
        _record_in(session, "batch_1", now=SENT)
        session.flush()

        def second() -> None:
            try:
                _record(db, "batch_2", now=SENT + timedelta(minutes=1))
            except BaseException as exc:  # reported to the test thread below
                errors.append(exc)

        racer = threading.Thread(target=second)
        racer.start()
        racer.join(timeout=0.5)  # it waits on the first run's uncommitted row
        assert racer.is_alive()
    racer.join(timeout=30)
    assert not racer.is_alive() and errors == []
    with db.read_session() as session:
        assert sent_judge_batch(session, digest=DIGEST, since=SENT) == "batch_2"
