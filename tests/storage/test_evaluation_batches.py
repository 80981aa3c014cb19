"""The ledger in batches: queueing many at once, claiming several, finishing them together."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from storage.db import Database
from storage.errors import NotFoundError
from storage.models import DebateTurn, Evaluation, Hypothesis
from storage.queries import evaluations as ledger
from storage.queries.debate_starts import BackendKnowledge, DebateStart, record_debate_starts
from storage.queries.evaluation_batches import (
    Finished,
    claim_batch,
    complete_batch,
    enqueue_many,
    renew_batch,
)
from storage.queries.turns import list_turns_of, save_turns

T0 = datetime(2026, 1, 1, tzinfo=UTC)
OFFLINE = {"backend": "evidence", "max_rounds": 4}
LLM = {"backend": "openai", "max_rounds": 4}


@pytest.fixture
def hypotheses(db: Database) -> list[str]:
    ids = [f"h-batch{i:03d}" for i in range(3)]
    with db.transaction() as session:
        session.add_all(Hypothesis(id=i, title=f"Hypothesis {i}", statement="x") for i in ids)
    return ids


def _enqueue_many(db: Database, ids: list[str], **kwargs: object) -> list[ledger.Enqueued]:
    with db.transaction() as session:
        return enqueue_many(
            session,
            hypothesis_ids=ids,
            config=kwargs.pop("config", OFFLINE),  # type: ignore[arg-type]
            max_attempts=2,
            **kwargs,  # type: ignore[arg-type]
        )


def _count(db: Database) -> int:
    with db.sessions() as session:
        return int(session.scalar(select(func.count()).select_from(Evaluation)) or 0)


def test_enqueue_many_dedups_like_one_by_one(db: Database, hypotheses: list[str]) -> None:
    first = _enqueue_many(db, hypotheses[:2])
    assert [e.created for e in first] == [True, True]
    again = _enqueue_many(db, [hypotheses[1], hypotheses[2], hypotheses[2]])
    # The live twin comes back; a hypothesis named twice gets one new evaluation, twice.
    assert [e.created for e in again] == [False, True, False]
    assert again[0].evaluation.id == first[1].evaluation.id
    assert again[1].evaluation.id == again[2].evaluation.id
    with db.transaction() as session:
        single = ledger.enqueue_evaluation(
            session, hypothesis_id=hypotheses[0], config=OFFLINE, max_attempts=2
        )
    assert not single.created and single.evaluation.id == first[0].evaluation.id
    assert _count(db) == 3


def test_enqueue_many_with_force_queues_every_request(db: Database, hypotheses: list[str]) -> None:
    _enqueue_many(db, hypotheses)
    forced = _enqueue_many(db, [hypotheses[0], hypotheses[0]], force=True)
    assert [e.created for e in forced] == [True, True]
    assert forced[0].evaluation.id != forced[1].evaluation.id
    assert _count(db) == 5


def test_enqueue_many_with_an_unknown_hypothesis_writes_nothing(
    db: Database, hypotheses: list[str]
) -> None:
    with pytest.raises(NotFoundError, match="h-nope"):
        _enqueue_many(db, [hypotheses[0], "h-nope"])
    assert _count(db) == 0


def test_mark_enqueued_stamps_only_the_named_rows(db: Database, hypotheses: list[str]) -> None:
    ids = [e.evaluation.id for e in _enqueue_many(db, hypotheses)]
    with db.transaction() as session:
        ledger.mark_enqueued(session, evaluation_ids=ids[:2], now=T0)
    with db.sessions() as session:
        stamps = [session.get(Evaluation, i).enqueued_at for i in ids]  # type: ignore[union-attr]
    assert stamps[0] is not None and stamps[1] is not None and stamps[2] is None


def test_claim_batch_takes_what_is_claimable_and_filters_by_backend(
    db: Database, hypotheses: list[str]
) -> None:
    offline = [e.evaluation.id for e in _enqueue_many(db, hypotheses[:2])]
    llm = _enqueue_many(db, [hypotheses[2]], config=LLM)[0].evaluation.id
    with db.transaction() as session:
        # Another worker holds the first one.
        assert ledger.claim_evaluation(
            session, evaluation_id=offline[0], worker="other", lease_seconds=60
        )
    with db.transaction() as session:
        claimed = claim_batch(
            session,
            evaluation_ids=[*offline, llm],
            worker="me",
            lease_seconds=60,
            backends={"evidence"},
        )
    assert [c.id for c in claimed] == [offline[1]]
    assert claimed[0].config == OFFLINE and claimed[0].believability is None
    with db.sessions() as session:
        assert session.get(Evaluation, llm).state == "queued"  # type: ignore[union-attr]


def test_a_retried_batch_takes_back_its_leases_without_spending_attempts(
    db: Database, hypotheses: list[str]
) -> None:
    ids = [e.evaluation.id for e in _enqueue_many(db, hypotheses)]
    for _ in range(3):
        with db.transaction() as session:
            claimed = claim_batch(session, evaluation_ids=ids, worker="me", lease_seconds=60)
        assert [c.id for c in claimed] == ids
    with db.sessions() as session:
        assert {session.get(Evaluation, i).attempts for i in ids} == {1}  # type: ignore[union-attr]


def test_an_expired_lease_is_claimed_again_and_counts_an_attempt(
    db: Database, hypotheses: list[str]
) -> None:
    [evaluation_id] = [e.evaluation.id for e in _enqueue_many(db, hypotheses[:1])]
    with db.transaction() as session:
        claim_batch(session, evaluation_ids=[evaluation_id], worker="dead", lease_seconds=5, now=T0)
    with db.transaction() as session:
        early = claim_batch(
            session, evaluation_ids=[evaluation_id], worker="me", lease_seconds=5, now=T0
        )
        late = claim_batch(
            session,
            evaluation_ids=[evaluation_id],
            worker="me",
            lease_seconds=5,
            now=T0 + timedelta(seconds=6),
        )
    assert early == [] and [c.id for c in late] == [evaluation_id]
    with db.sessions() as session:
        row = session.get(Evaluation, evaluation_id)
        assert row is not None and row.attempts == 2 and row.lease_owner == "me"


def test_complete_batch_finishes_only_what_the_worker_still_holds(
    db: Database, hypotheses: list[str]
) -> None:
    ids = [e.evaluation.id for e in _enqueue_many(db, hypotheses[:2])]
    with db.transaction() as session:
        claim_batch(session, evaluation_ids=ids, worker="me", lease_seconds=5, now=T0)
    with db.transaction() as session:
        # The second lease expired and another worker took it over.
        claim_batch(
            session,
            evaluation_ids=[ids[1]],
            worker="other",
            lease_seconds=60,
            now=T0 + timedelta(seconds=10),
        )
    with db.transaction() as session:
        held = renew_batch(session, evaluation_ids=ids, worker="me", lease_seconds=60)
        assert held == {ids[0]}
        offline = BackendKnowledge(reads_only_request=True)
        starts = [DebateStart(i, {"a": 1.0}, case_digest="d", knowledge=offline) for i in ids]
        record_debate_starts(session, starts=starts, worker="me")
        complete_batch(
            session,
            finished=[
                Finished(i, [{"round": 1, "action": "stop"}], 0.7, {"phase": "scoring"})
                for i in ids
            ],
            worker="me",
        )
    with db.sessions() as session:
        done, taken = (session.get(Evaluation, i) for i in ids)
        assert done is not None and taken is not None
        assert (done.state, done.quality, done.lease_owner) == ("succeeded", 0.7, None)
        assert done.decisions == [{"round": 1, "action": "stop"}]
        assert done.believability == {"a": 1.0} and done.finished_at is not None
        assert (done.case_digest, done.reads_only_request) == ("d", True)
        assert (taken.state, taken.lease_owner, taken.quality) == ("running", "other", None)
        assert (taken.believability, taken.reads_only_request) == (None, None)


def _turn(evaluation_id: int, round_: int, persona: str, argument: str) -> dict[str, object]:
    return {
        "evaluation_id": evaluation_id,
        "round": round_,
        "persona": persona,
        "backend": "evidence",
        "model": None,
        "argument": argument,
        "claims": [],
        "scores": {"novelty": 0.5},
        "confidence": 0.6,
        "probability": 0.4,
        "verdict": "uncertain",
        "unsupported_citations": [],
        "prompt_tokens": 0,
        "completion_tokens": 0,
        "cost_usd": 0.0,
        "latency_ms": 0.0,
    }


def test_save_turns_writes_each_turn_once(db: Database, hypotheses: list[str]) -> None:
    a, b = (e.evaluation.id for e in _enqueue_many(db, hypotheses[:2]))
    with db.transaction() as session:
        save_turns(
            session.connection(),
            turns=[_turn(a, 1, "theorist", "first"), _turn(b, 1, "skeptic", "x")],
        )
    with db.transaction() as session:
        # A redelivery writes the same keys again, with other text: the first words stand.
        save_turns(
            session.connection(),
            turns=[_turn(a, 1, "theorist", "again"), _turn(a, 2, "skeptic", "second")],
        )
    with db.sessions() as session:
        grouped = list_turns_of(session, evaluation_ids=[a, b])
        assert [(t.round, t.persona, t.argument) for t in grouped[a]] == [
            (1, "theorist", "first"),
            (2, "skeptic", "second"),
        ]
        assert [t.argument for t in grouped[b]] == ["x"]
        assert session.scalar(select(func.count()).select_from(DebateTurn)) == 3


def test_enqueue_many_of_nothing_or_only_live_twins_writes_nothing(
    db: Database, hypotheses: list[str]
) -> None:
    assert _enqueue_many(db, []) == []
    first = _enqueue_many(db, hypotheses)
    again = _enqueue_many(db, hypotheses)
    assert [e.evaluation.id for e in again] == [e.evaluation.id for e in first]
    assert not any(e.created for e in again) and _count(db) == 3
