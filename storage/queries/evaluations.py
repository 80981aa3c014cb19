"""The evaluation ledger: queueing with dedup, claims and releases of leases, and failures.

A lease's heartbeat is in ``storage.queries.leases``; what a debate fixes when it starts, in
``storage.queries.debate_starts``.

Every state change is a conditional UPDATE (compare-and-set on state and lease owner), so two
workers holding the same redelivered message cannot both run an evaluation, and a worker whose
lease was taken over cannot overwrite the new owner's result.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import case, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from storage.errors import NotFoundError
from storage.models import (
    ACTIVE_STATES,
    TERMINAL_STATES,
    Evaluation,
    EvaluationState,
    Hypothesis,
    utcnow,
)
from storage.queries.claims import claim_evaluation as claim_evaluation
from storage.queries.claims import claim_evaluations as claim_evaluations
from storage.queries.claims import fail_lost_deliveries as fail_lost_deliveries
from storage.queries.idempotency import bind_key, evaluation_for_key, request_fingerprint
from storage.queries.knowledge import missing_hypothesis

_LIVE = [s.value for s in ACTIVE_STATES]


def config_hash(config: Mapping[str, Any]) -> str:
    """A stable hash of an evaluation configuration (key order does not matter)."""
    canonical = json.dumps(config, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def as_of_of(config: Mapping[str, Any]) -> date | None:
    """The date a configuration debates as of (its ``as_of``, ISO), or None for "now"."""
    value = config.get("as_of")
    return date.fromisoformat(value) if value else None


def as_of_rule_version_of(config: Mapping[str, Any]) -> int | None:
    """The as-of rule a configuration's blind debate follows (common.as_of_rule), or None."""
    value = config.get("as_of_rule_version")
    return int(value) if value is not None else None


@dataclass(frozen=True)
class Enqueued:
    evaluation: Evaluation
    created: bool


def enqueue_evaluation(
    session: Session,
    *,
    hypothesis_id: str,
    config: Mapping[str, Any],
    max_attempts: int,
    idempotency_key: str | None = None,
    force: bool = False,
    now: datetime | None = None,
) -> Enqueued:
    """Write a queued ledger row, or return the live one with the same configuration.

    ``force`` queues a new evaluation even beside a live twin. An ``idempotency_key`` seen
    before with the same request returns the evaluation it stood for, whatever its state; seen
    with another request it raises ``IdempotencyConflictError`` (see storage.queries.idempotency).
    """
    if session.get(Hypothesis, hypothesis_id) is None:
        raise missing_hypothesis(session, hypothesis_id)
    digest = config_hash(config)
    fingerprint = request_fingerprint(
        hypothesis_id=hypothesis_id, config_digest=digest, force=force
    )
    if idempotency_key is not None:
        known = evaluation_for_key(session, key=idempotency_key, fingerprint=fingerprint)
        if known is not None:
            return Enqueued(known, created=False)
    enqueued = _enqueue_new(
        session,
        hypothesis_id=hypothesis_id,
        config=config,
        digest=digest,
        max_attempts=max_attempts,
        idempotency_key=idempotency_key,
        fingerprint=fingerprint,
        force=force,
        now=now,
    )
    if idempotency_key is None:
        return enqueued
    bound = bind_key(
        session, key=idempotency_key, fingerprint=fingerprint, evaluation=enqueued.evaluation
    )
    return enqueued if bound is enqueued.evaluation else Enqueued(bound, created=False)


def _enqueue_new(
    session: Session,
    *,
    hypothesis_id: str,
    config: Mapping[str, Any],
    digest: str,
    max_attempts: int,
    idempotency_key: str | None,
    fingerprint: str,
    force: bool,
    now: datetime | None,
) -> Enqueued:
    if not force:
        live = _live_twin(session, hypothesis_id=hypothesis_id, digest=digest)
        if live is not None:
            return Enqueued(live, created=False)
    evaluation = Evaluation(
        hypothesis_id=hypothesis_id,
        config=dict(config),
        config_hash=digest,
        as_of=as_of_of(config),
        as_of_rule_version=as_of_rule_version_of(config),
        dedup_key=None if force else digest,
        state=EvaluationState.QUEUED.value,
        attempts=0,
        max_attempts=max_attempts,
        idempotency_key=idempotency_key,
        progress={},
        decisions=[],
        created_at=now or utcnow(),
    )
    try:
        with session.begin_nested():
            session.add(evaluation)
    except IntegrityError:
        # A concurrent request won the race for the live slot (or the idempotency key).
        winner = None
        if idempotency_key is not None:
            winner = evaluation_for_key(session, key=idempotency_key, fingerprint=fingerprint)
        winner = winner or _live_twin(session, hypothesis_id=hypothesis_id, digest=digest)
        if winner is None:
            raise
        return Enqueued(winner, created=False)
    return Enqueued(evaluation, created=True)


def _live_twin(session: Session, *, hypothesis_id: str, digest: str) -> Evaluation | None:
    return session.scalar(
        select(Evaluation)
        .where(
            Evaluation.hypothesis_id == hypothesis_id,
            Evaluation.config_hash == digest,
            Evaluation.state.in_(_LIVE),
        )
        .order_by(Evaluation.id)
        .limit(1)
    )


def mark_enqueued(
    session: Session, *, evaluation_ids: Sequence[int], now: datetime | None = None
) -> None:
    """Record that messages for these evaluations were just handed to the broker."""
    if evaluation_ids:
        session.execute(
            update(Evaluation)
            .where(Evaluation.id.in_(list(evaluation_ids)))
            .values(enqueued_at=now or utcnow())
            .execution_options(synchronize_session=False)
        )


def release_for_retry(
    session: Session,
    *,
    evaluation_id: int,
    worker: str,
    error: str,
    now: datetime | None = None,
) -> str | None:
    """End a delivery that failed unexpectedly: back to queued, or failed once attempts are spent.

    The error is kept on the row either way, so ``hyposcore status`` and the API show why.
    Returns the new state, or None when ``worker`` no longer holds the lease.
    """
    now = now or utcnow()
    spent = Evaluation.attempts >= Evaluation.max_attempts
    state = case((spent, EvaluationState.FAILED.value), else_=EvaluationState.QUEUED.value)
    released = session.scalars(
        update(Evaluation)
        .where(*_owned(evaluation_id, worker))
        .values(
            state=state,
            lease_owner=None,
            lease_expires_at=None,
            # No message is out for it now: the caller re-sends, or else the reaper does.
            enqueued_at=None,
            error=error,
            finished_at=case((spent, now), else_=None),
            updated_at=now,
        )
        .returning(Evaluation.state)
        .execution_options(synchronize_session=False)
    ).all()
    return released[0] if released else None


def complete_evaluation(
    session: Session,
    *,
    evaluation_id: int,
    worker: str,
    quality: float | None = None,
    now: datetime | None = None,
) -> bool:
    return release(
        session,
        _owned(evaluation_id, worker),
        state=EvaluationState.SUCCEEDED,
        now=now,
        quality=quality,
    )


def fail_evaluation(
    session: Session,
    *,
    evaluation_id: int,
    error: str,
    worker: str | None = None,
    now: datetime | None = None,
) -> bool:
    """Fail an evaluation for good; with ``worker``, only if that worker still holds the lease."""
    conditions = (
        _owned(evaluation_id, worker)
        if worker is not None
        else (Evaluation.id == evaluation_id, Evaluation.state.in_(_LIVE))
    )
    return release(session, conditions, state=EvaluationState.FAILED, now=now, error=error)


def cancel_evaluation(session: Session, *, evaluation_id: int, now: datetime | None = None) -> bool:
    conditions = (Evaluation.id == evaluation_id, Evaluation.state.in_(_LIVE))
    return release(session, conditions, state=EvaluationState.CANCELLED, now=now)


def release(
    session: Session,
    conditions: tuple[Any, ...],
    *,
    state: EvaluationState,
    now: datetime | None,
    **values: Any,
) -> bool:
    """Move the matching evaluation to ``state`` and give up its lease (compare-and-set)."""
    now = now or utcnow()
    if state in TERMINAL_STATES:
        values["finished_at"] = now
    result = session.execute(
        update(Evaluation)
        .where(*conditions)
        .values(
            state=state.value, lease_owner=None, lease_expires_at=None, updated_at=now, **values
        )
        .execution_options(synchronize_session=False)
    )
    return _one_row(result)


def get_evaluation(session: Session, *, evaluation_id: int) -> Evaluation:
    evaluation = session.get(Evaluation, evaluation_id)
    if evaluation is None:
        raise NotFoundError(f"evaluation {evaluation_id} does not exist")
    return evaluation


def list_evaluations(
    session: Session,
    *,
    hypothesis_id: str | None = None,
    states: Sequence[str] | None = None,
    limit: int = 50,
    offset: int = 0,
) -> list[Evaluation]:
    query = select(Evaluation).order_by(Evaluation.id.desc()).limit(limit).offset(offset)
    if hypothesis_id is not None:
        query = query.where(Evaluation.hypothesis_id == hypothesis_id)
    if states:
        query = query.where(Evaluation.state.in_(list(states)))
    return list(session.scalars(query))


def count_by_state(session: Session, *, hypothesis_id: str | None = None) -> dict[str, int]:
    """Evaluations by state: all of them, or one hypothesis's."""
    query = select(Evaluation.state, func.count()).group_by(Evaluation.state)
    if hypothesis_id is not None:
        query = query.where(Evaluation.hypothesis_id == hypothesis_id)
    rows = session.execute(query).all()
    counts = {state.value: 0 for state in EvaluationState}
    counts.update({state: int(n) for state, n in rows})
    return counts


def _owned(evaluation_id: int, worker: str) -> tuple[Any, ...]:
    return (
        Evaluation.id == evaluation_id,
        Evaluation.state == EvaluationState.RUNNING.value,
        Evaluation.lease_owner == worker,
    )


def _one_row(result: Any) -> bool:
    return bool(result.rowcount == 1)


def get_evaluations(session: Session, *, evaluation_ids: Sequence[int]) -> dict[int, Evaluation]:
    """The evaluations with these ids (those that exist), by id, in one query."""
    rows = session.scalars(select(Evaluation).where(Evaluation.id.in_(list(evaluation_ids))))
    return {row.id: row for row in rows}


def count_finished(session: Session, *, evaluation_ids: Sequence[int]) -> int:
    """How many of these evaluations have ended (succeeded, failed or cancelled)."""
    return int(
        session.scalar(
            select(func.count())
            .select_from(Evaluation)
            .where(
                Evaluation.id.in_(list(evaluation_ids)),
                Evaluation.state.in_([s.value for s in TERMINAL_STATES]),
            )
        )
        or 0
    )
