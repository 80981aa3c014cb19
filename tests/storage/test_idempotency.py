"""Idempotency keys are bound to their request, in the ledger itself (issue 16, item 2)."""

from __future__ import annotations

import pytest
from sqlalchemy import delete

from storage.db import Database
from storage.errors import IdempotencyConflictError
from storage.models import Evaluation, Hypothesis, IdempotencyKey
from storage.queries import evaluations as ledger

CONFIG = {"panel": ["theorist", "skeptic"], "max_rounds": 4, "backend": "evidence"}


@pytest.fixture
def hypotheses(db: Database) -> tuple[str, str]:
    with db.transaction() as session:
        session.add_all(
            [
                Hypothesis(id="h-test0001", title="One", statement="x"),
                Hypothesis(id="h-test0002", title="Two", statement="y"),
            ]
        )
    return "h-test0001", "h-test0002"


def _enqueue(db: Database, hypothesis_id: str, **kwargs: object) -> ledger.Enqueued:
    with db.transaction() as session:
        return ledger.enqueue_evaluation(
            session,
            hypothesis_id=hypothesis_id,
            config=kwargs.pop("config", CONFIG),  # type: ignore[arg-type]
            max_attempts=2,
            **kwargs,  # type: ignore[arg-type]
        )


def _evaluations(db: Database) -> int:
    with db.sessions() as session:
        return session.query(Evaluation).count()


def test_a_key_reused_for_another_hypothesis_or_config_is_refused(
    db: Database, hypotheses: tuple[str, str]
) -> None:
    one, two = hypotheses
    first = _enqueue(db, one, idempotency_key="k-1")
    assert first.created
    for other in (
        {"hypothesis_id": two},
        {"hypothesis_id": one, "config": {**CONFIG, "max_rounds": 5}},
        {"hypothesis_id": one, "force": True},
    ):
        hypothesis_id = str(other.pop("hypothesis_id"))
        with pytest.raises(IdempotencyConflictError) as refused:
            _enqueue(db, hypothesis_id, idempotency_key="k-1", **other)
        assert refused.value.evaluation_id == first.evaluation.id
        assert "'k-1'" in str(refused.value) and "different request" in str(refused.value)
    assert _evaluations(db) == 1
    again = _enqueue(db, one, idempotency_key="k-1")
    assert not again.created and again.evaluation.id == first.evaluation.id


def test_keys_stored_before_the_key_table_are_still_bound(
    db: Database, hypotheses: tuple[str, str]
) -> None:
    one, two = hypotheses
    first = _enqueue(db, one, idempotency_key="k-legacy", force=True)
    with db.transaction() as session:  # as a row queued before migration 0005 looks
        session.execute(delete(IdempotencyKey))
    assert _enqueue(db, one, idempotency_key="k-legacy", force=True).evaluation.id == (
        first.evaluation.id
    )
    with pytest.raises(IdempotencyConflictError):
        _enqueue(db, two, idempotency_key="k-legacy", force=True)
