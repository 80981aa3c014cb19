"""The evaluation ledger: dedup, leases, heartbeats and the reaper's sweep."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from storage.db import Database
from storage.errors import NotFoundError
from storage.models import DebateTurn, Evaluation, Hypothesis, ScoringConfig
from storage.queries import debated, leases, reaper
from storage.queries import evaluations as ledger
from storage.queries.snapshots import ensure_scoring_config, record_snapshot
from storage.queries.turns import list_turns, save_turns

T0 = datetime(2026, 1, 1, tzinfo=UTC)
CONFIG = {"panel": ["theorist", "skeptic"], "max_rounds": 4, "backend": "evidence"}


@pytest.fixture
def hypothesis(db: Database) -> str:
    with db.transaction() as session:
        session.add(Hypothesis(id="h-test0001", title="A test hypothesis", statement="x"))
    return "h-test0001"


def _enqueue(db: Database, hypothesis_id: str, **kwargs: object) -> ledger.Enqueued:
    with db.transaction() as session:
        return ledger.enqueue_evaluation(
            session,
            hypothesis_id=hypothesis_id,
            config=CONFIG,
            max_attempts=2,
            **kwargs,  # type: ignore[arg-type]
        )


def _claim(db: Database, **options: Any) -> bool:
    """``ledger.claim_evaluation`` in a transaction of its own."""
    with db.transaction() as session:
        return ledger.claim_evaluation(session, **options)


def test_enqueue_dedups_live_evaluations_with_the_same_config(
    db: Database, hypothesis: str
) -> None:
    first = _enqueue(db, hypothesis)
    again = _enqueue(db, hypothesis)
    assert first.created and not again.created
    assert again.evaluation.id == first.evaluation.id
    forced = _enqueue(db, hypothesis, force=True)
    assert forced.created and forced.evaluation.id != first.evaluation.id


def test_dedup_ignores_key_order_and_finished_evaluations(db: Database, hypothesis: str) -> None:
    first = _enqueue(db, hypothesis)
    with db.transaction() as session:
        reordered = ledger.enqueue_evaluation(
            session, hypothesis_id=hypothesis, config=dict(reversed(CONFIG.items())), max_attempts=2
        )
    assert reordered.evaluation.id == first.evaluation.id
    with db.transaction() as session:
        assert ledger.cancel_evaluation(session, evaluation_id=first.evaluation.id)
    assert _enqueue(db, hypothesis).created


def test_idempotency_key_returns_the_same_evaluation(db: Database, hypothesis: str) -> None:
    first = _enqueue(db, hypothesis, idempotency_key="req-1", force=True)
    second = _enqueue(db, hypothesis, idempotency_key="req-1", force=True)
    assert not second.created and second.evaluation.id == first.evaluation.id


def test_enqueue_unknown_hypothesis_is_refused(db: Database) -> None:
    with pytest.raises(NotFoundError, match="h-nope"), db.transaction() as session:
        ledger.enqueue_evaluation(session, hypothesis_id="h-nope", config=CONFIG, max_attempts=1)
    with db.sessions() as session:
        assert session.query(Evaluation).count() == 0


def test_only_one_worker_wins_the_lease(db: Database, hypothesis: str) -> None:
    eid = _enqueue(db, hypothesis).evaluation.id
    assert _claim(db, evaluation_id=eid, worker="w1", lease_seconds=60, now=T0)
    with db.transaction() as session:
        assert not ledger.claim_evaluation(
            session,
            evaluation_id=eid,
            worker="w2",
            lease_seconds=60,
            now=T0 + timedelta(seconds=30),
        )
        # A worker that does not hold the lease cannot heartbeat or complete it.
        assert not leases.heartbeat(
            session.connection(), evaluation_id=eid, worker="w2", lease_seconds=60
        )
        assert not ledger.complete_evaluation(session, evaluation_id=eid, worker="w2")
    with db.transaction() as session:
        assert leases.heartbeat(
            session.connection(),
            evaluation_id=eid,
            worker="w1",
            lease_seconds=60,
            progress={"round": 1},
            now=T0,
        )
        assert ledger.complete_evaluation(session, evaluation_id=eid, worker="w1", quality=0.7)
    with db.sessions() as session:
        row = session.get(Evaluation, eid)
        assert row is not None
        assert (row.state, row.attempts, row.quality, row.progress) == (
            "succeeded",
            1,
            0.7,
            {"round": 1},
        )


def test_expired_lease_is_taken_over_and_the_old_owner_is_fenced(
    db: Database, hypothesis: str
) -> None:
    eid = _enqueue(db, hypothesis).evaluation.id
    assert _claim(db, evaluation_id=eid, worker="w1", lease_seconds=10, now=T0)
    later = T0 + timedelta(seconds=11)
    assert _claim(db, evaluation_id=eid, worker="w2", lease_seconds=10, now=later)
    with db.transaction() as session:
        assert not ledger.complete_evaluation(session, evaluation_id=eid, worker="w1")
        assert ledger.complete_evaluation(session, evaluation_id=eid, worker="w2")


def test_reaper_requeues_then_fails_when_attempts_are_spent(db: Database, hypothesis: str) -> None:
    eid = _enqueue(db, hypothesis).evaluation.id
    now = T0
    for attempt in (1, 2):
        assert _claim(db, evaluation_id=eid, worker=f"w{attempt}", lease_seconds=10, now=now)
        now += timedelta(seconds=20)
        with db.transaction() as session:
            sweep = reaper.sweep_expired(session, resend_after_seconds=3600, now=now)
        if attempt == 1:
            assert sweep.requeue == [eid] and sweep.failed == []
    assert sweep.failed == [eid] and sweep.requeue == []
    with db.sessions() as session:
        row = session.get(Evaluation, eid)
        assert row is not None and row.state == "failed"
        assert row.error is not None and "2 of 2 attempts" in row.error and "w2" in row.error


def test_reaper_resends_queued_evaluations_whose_message_is_old(
    db: Database, hypothesis: str
) -> None:
    eid = _enqueue(db, hypothesis).evaluation.id
    with db.transaction() as session:
        ledger.mark_enqueued(session, evaluation_ids=[eid], now=T0)
    with db.transaction() as session:
        assert (
            reaper.sweep_expired(
                session, resend_after_seconds=60, now=T0 + timedelta(seconds=30)
            ).requeue
            == []
        )
    with db.transaction() as session:
        assert reaper.sweep_expired(
            session, resend_after_seconds=60, now=T0 + timedelta(seconds=90)
        ).requeue == [eid]


def test_turns_and_snapshots_are_written_once(db: Database, hypothesis: str) -> None:
    eid = _enqueue(db, hypothesis).evaluation.id
    fields = {
        "backend": "evidence",
        "argument": "first",
        "confidence": 0.5,
        "probability": 0.4,
        "verdict": "uncertain",
    }
    key = {"evaluation_id": eid, "round": 1, "persona": "theorist"}
    with db.transaction() as session:
        save_turns(session.connection(), turns=[{**key, **fields}])
        save_turns(session.connection(), turns=[{**key, **fields, "argument": "second"}])
    with db.transaction() as session:
        assert [t.argument for t in list_turns(session, evaluation_id=eid)] == ["first"]
        ensure_scoring_config(session, digest="abc", weights={"novelty": 1.0})
        ensure_scoring_config(session, digest="abc", weights={"novelty": 1.0})
        snap_fields = {
            "composite": 0.6,
            "composite_low": 0.5,
            "composite_high": 0.7,
            "coverage": 1.0,
            "config_hash": "abc",
        }
        one, created_one = record_snapshot(
            session, hypothesis_id=hypothesis, evaluation_id=eid, **snap_fields
        )
        two, created_two = record_snapshot(
            session, hypothesis_id=hypothesis, evaluation_id=eid, **snap_fields
        )
        three, _ = record_snapshot(
            session, hypothesis_id=hypothesis, evaluation_id=None, **snap_fields
        )
    assert created_one and not created_two and one.id == two.id
    assert (one.version, three.version) == (1, 2)
    with db.sessions() as session:
        assert session.query(DebateTurn).count() == 1
        assert session.query(ScoringConfig).count() == 1
        config = session.get(ScoringConfig, "abc")  # a hash in the history names its weights
        assert config is not None and config.weights == {"novelty": 1.0}


def test_timestamps_come_back_timezone_aware(db: Database, hypothesis: str) -> None:
    eid = _enqueue(db, hypothesis, now=T0).evaluation.id
    with db.sessions() as session:
        row = session.get(Evaluation, eid)
        assert row is not None and row.created_at == T0 and row.created_at.tzinfo is not None


def test_a_retry_of_the_same_owner_reenters_without_spending_an_attempt(
    db: Database, hypothesis: str
) -> None:
    eid = _enqueue(db, hypothesis).evaluation.id
    for _ in range(3):
        assert _claim(db, evaluation_id=eid, worker="w1", lease_seconds=60, now=T0)
    with db.sessions() as session:
        row = session.get(Evaluation, eid)
        assert row is not None and row.attempts == 1 and row.lease_owner == "w1"


def test_a_retry_that_lands_on_another_worker_reenters_its_lease(
    db: Database, hypothesis: str
) -> None:
    # A retry keeps its task id but may go to any worker consuming the queue; the lease is the
    # delivery's, so the retry goes on at once instead of waiting out the lease it kept.
    eid = _enqueue(db, hypothesis).evaluation.id
    assert _claim(db, evaluation_id=eid, worker="debates0@a/task-1", lease_seconds=60, now=T0)
    with db.transaction() as session:
        assert not ledger.claim_evaluation(
            session, evaluation_id=eid, worker="debates1@b/task-2", lease_seconds=60, now=T0
        )
        assert ledger.claim_evaluation(
            session, evaluation_id=eid, worker="debates1@b/task-1", lease_seconds=60, now=T0
        )
    with db.sessions() as session:
        row = session.get(Evaluation, eid)
        assert row is not None and (row.attempts, row.lease_owner) == (1, "debates1@b/task-1")


def test_a_task_id_with_like_wildcards_matches_only_itself(db: Database, hypothesis: str) -> None:
    eid = _enqueue(db, hypothesis).evaluation.id
    assert _claim(db, evaluation_id=eid, worker="w0/task_1", lease_seconds=60, now=T0)
    with db.transaction() as session:
        for other in ("w1/task%", "w1/task__", "w1/%"):
            assert not ledger.claim_evaluation(
                session, evaluation_id=eid, worker=other, lease_seconds=60, now=T0
            )


def test_a_redelivered_message_spends_an_attempt_and_ends_a_poison_evaluation(
    db: Database, hypothesis: str
) -> None:
    # The worker running the delivery died; the broker gives the same message (same owner
    # token) back. Counting deliveries, not owners, ends what would loop for ever.
    eid = _enqueue(db, hypothesis).evaluation.id  # max_attempts=2
    for attempts in (1, 2):
        assert _claim(
            db, evaluation_id=eid, worker="w1", lease_seconds=60, redelivered=True, now=T0
        )
        with db.sessions() as session:
            row = session.get(Evaluation, eid)
            assert row is not None and row.attempts == attempts
    with db.transaction() as session:
        assert not ledger.claim_evaluation(
            session, evaluation_id=eid, worker="w1", lease_seconds=60, redelivered=True, now=T0
        )
        assert ledger.fail_lost_deliveries(session, evaluation_ids=[eid], worker="other") == []
        assert ledger.fail_lost_deliveries(session, evaluation_ids=[eid], worker="w1") == [eid]
    with db.sessions() as session:
        row = session.get(Evaluation, eid)
        assert row is not None and (row.state, row.attempts) == ("failed", 2)
        assert row.error is not None and "died" in row.error and "attempts spent" in row.error


def test_release_for_retry_keeps_the_error_and_fails_when_attempts_are_spent(
    db: Database, hypothesis: str
) -> None:
    eid = _enqueue(db, hypothesis).evaluation.id  # max_attempts=2
    for attempt, expected in ((1, "queued"), (2, "failed")):
        with db.transaction() as session:
            assert ledger.claim_evaluation(
                session, evaluation_id=eid, worker=f"w{attempt}", lease_seconds=60
            )
            assert (
                ledger.release_for_retry(
                    session, evaluation_id=eid, worker="nobody", error="ValueError: x"
                )
                is None
            )
            state = ledger.release_for_retry(
                session, evaluation_id=eid, worker=f"w{attempt}", error="ValueError: x"
            )
        assert state == expected
        with db.sessions() as session:
            row = session.get(Evaluation, eid)
            assert row is not None and (row.state, row.attempts) == (expected, attempt)
            assert row.error == "ValueError: x" and row.lease_owner is None
            assert row.enqueued_at is None and (row.finished_at is not None) == (attempt == 2)


def test_a_debated_evaluation_holds_no_lease_and_the_reaper_only_resends_its_message(
    db: Database, hypothesis: str
) -> None:
    eid = _enqueue(db, hypothesis).evaluation.id
    with db.transaction() as session:
        assert ledger.claim_evaluation(
            session, evaluation_id=eid, worker="w1", lease_seconds=10, now=T0
        )
        assert not debated.mark_debated(
            session, evaluation_id=eid, worker="w2", decisions=[], quality=0.5, progress={}, now=T0
        )
        assert debated.mark_debated(
            session, evaluation_id=eid, worker="w1", decisions=[], quality=0.5, progress={}, now=T0
        )
    # Far beyond any lease, and beyond every attempt's worth of leases: nothing expires.
    later = T0 + timedelta(hours=5)
    with db.transaction() as session:
        sweep = reaper.sweep_expired(session, resend_after_seconds=60, now=later)
        assert (sweep.requeue, sweep.failed, sweep.rescore) == ([], [], [eid])
        # The evaluation stays live for dedup while it waits.
        again = ledger.enqueue_evaluation(
            session, hypothesis_id=hypothesis, config=CONFIG, max_attempts=2
        )
        assert not again.created and again.evaluation.id == eid
    with db.transaction() as session:
        assert debated.claim_debated(session, evaluation_ids=[eid]) == [eid]
        debated.complete_debated(session, evaluation_ids=[eid])
    with db.transaction() as session:
        assert debated.claim_debated(session, evaluation_ids=[eid]) == []
    with db.sessions() as session:
        row = session.get(Evaluation, eid)
        assert row is not None and (row.state, row.attempts, row.quality) == ("succeeded", 1, 0.5)


def test_a_scoring_error_counts_an_attempt_and_fails_when_they_are_spent(
    db: Database, hypothesis: str
) -> None:
    eid = _enqueue(db, hypothesis).evaluation.id  # max_attempts=2
    with db.transaction() as session:
        ledger.claim_evaluation(session, evaluation_id=eid, worker="w1", lease_seconds=10)
        debated.mark_debated(
            session, evaluation_id=eid, worker="w1", decisions=[], quality=0.5, progress={}
        )
        assert debated.scoring_failed(session, evaluation_id=eid, error="KeyError: 'x'") == (
            "failed"
        )
        assert debated.scoring_failed(session, evaluation_id=eid, error="again") is None
    with db.sessions() as session:
        row = session.get(Evaluation, eid)
        assert row is not None and (row.state, row.attempts, row.error) == (
            "failed",
            2,
            "KeyError: 'x'",
        )


def _debated_evaluations(db: Database, count: int) -> list[int]:
    """``count`` evaluations of as many hypotheses, each debated and waiting to be scored."""
    ids = []
    for n in range(count):
        with db.transaction() as session:
            session.add(Hypothesis(id=f"h-wait{n:04d}", title="t", statement="s"))
        eid = _enqueue(db, f"h-wait{n:04d}").evaluation.id
        with db.transaction() as session:
            ledger.claim_evaluation(session, evaluation_id=eid, worker="w", lease_seconds=10)
            debated.mark_debated(
                session, evaluation_id=eid, worker="w", decisions=[], quality=0.5, progress={}
            )
        ids.append(eid)
    return ids


def test_a_score_claim_takes_its_own_and_the_oldest_waiting_up_to_the_limit(db: Database) -> None:
    first, second, third, fourth = _debated_evaluations(db, 4)
    with db.transaction() as session:
        assert debated.claim_debated(session, evaluation_ids=[fourth], also_waiting=2) == [
            first,
            second,
            fourth,
        ]
        debated.complete_debated(session, evaluation_ids=[first, second, fourth])
    with db.transaction() as session:
        # Its own is scored already: only the one still waiting is left to take.
        assert debated.claim_debated(session, evaluation_ids=[fourth], also_waiting=5) == [third]


@pytest.mark.parametrize("db", ["postgres"], indirect=True)
def test_concurrent_score_claims_take_disjoint_waiting_evaluations(db: Database) -> None:
    ids = _debated_evaluations(db, 4)
    with db.transaction() as one, db.transaction() as other:
        taken = debated.claim_debated(one, evaluation_ids=[], also_waiting=2)
        # The second claim skips the rows the first holds instead of waiting for them.
        rest = debated.claim_debated(other, evaluation_ids=[], also_waiting=5)
    assert taken == ids[:2] and rest == ids[2:]


@pytest.mark.parametrize("db", ["postgres"], indirect=True)
def test_a_fenced_turn_is_stored_with_its_heartbeat_or_not_at_all(
    db: Database, hypothesis: str
) -> None:
    from storage.queries.turns import save_turn_fenced

    eid = _enqueue(db, hypothesis).evaluation.id
    assert _claim(db, evaluation_id=eid, worker="w1", lease_seconds=10, now=T0)
    turn = {
        "evaluation_id": eid,
        "round": 1,
        "persona": "theorist",
        "backend": "openai",
        "model": "m",
        "argument": "first",
        "claims": [{"citation": "PMID:1"}],
        "scores": {"novelty": 0.5},
        "confidence": 0.5,
        "probability": 0.4,
        "verdict": "uncertain",
        "unsupported_citations": [],
        "prompt_tokens": 10,
        "completion_tokens": 5,
        "cost_usd": 0.001,
        "cached_read_tokens": 3,
        "cache_write_tokens": 0,
        "latency_ms": 12.0,
    }
    later = T0 + timedelta(seconds=5)
    progress = {"phase": "debate", "round": 1, "rounds": 2, "turns_done": 1}
    with db.autocommit() as connection:
        assert save_turn_fenced(
            connection, turn=turn, worker="w1", lease_seconds=60, progress=progress, now=later
        )
        # Redelivered: the lease is renewed, the stored turn is kept as it was.
        assert save_turn_fenced(
            connection,
            turn={**turn, "argument": "second"},
            worker="w1",
            lease_seconds=60,
            progress=progress,
            now=later,
        )
        # Another worker's write stores nothing and renews nothing.
        assert not save_turn_fenced(
            connection,
            turn={**turn, "round": 2},
            worker="w2",
            lease_seconds=600,
            progress={},
            now=later,
        )
    with db.sessions() as session:
        stored = list_turns(session, evaluation_id=eid)
        assert [(t.round, t.argument, t.claims, t.cached_read_tokens) for t in stored] == [
            (1, "first", [{"citation": "PMID:1"}], 3)
        ]
        row = session.get(Evaluation, eid)
        assert row is not None and row.progress == progress and row.lease_owner == "w1"
        assert row.lease_expires_at == later + timedelta(seconds=60)
