"""Provider batches in the ledger: recorded before they are sent, answered once, then consumed.

An evaluation whose next turn goes into a batch moves from running (its lease held while the
debate was replayed up to that turn) to batched, holding no lease; when the batch's answers are
stored on its items it goes back to queued, and the next replay takes its answer from there.
Every step is a compare-and-set on the row's state, so a poll repeated or run twice at once
stores each answer once and re-queues each evaluation once.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from storage.models import (
    BatchItemState,
    Evaluation,
    EvaluationState,
    ProviderBatch,
    ProviderBatchItem,
    ProviderBatchState,
    utcnow,
)
from storage.queries.delivery import is_batch_delivery

_WAITING = BatchItemState.WAITING.value
_OPEN = (ProviderBatchState.SUBMITTING.value, ProviderBatchState.SUBMITTED.value)


@dataclass(frozen=True)
class NewItem:
    evaluation_id: int
    round: int
    persona: str
    custom_id: str


@dataclass(frozen=True)
class OpenBatch:
    id: int
    backend: str
    model: str
    provider_batch_id: str | None
    state: str
    created_at: datetime


@dataclass(frozen=True)
class ItemAnswer:
    """What became of one batch item: ``state`` answered (``reply`` and its usage) or errored,
    expired, canceled (``error``, ``retryable``)."""

    state: str
    reply: str | None = None
    model: str | None = None
    truncated: bool = False
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached_read_tokens: int = 0
    cache_write_tokens: int = 0
    error: str | None = None
    retryable: bool = True

    def fields(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def waiting_for_batch(session: Session, *, limit: int) -> list[int]:
    """Queued evaluations whose turns go through provider batches, oldest first."""
    return list(
        session.scalars(
            select(Evaluation.id)
            .where(Evaluation.state == EvaluationState.QUEUED.value, is_batch_delivery())
            .order_by(Evaluation.id)
            .limit(limit)
        )
    )


def record_batch(
    session: Session,
    *,
    backend: str,
    model: str,
    items: Sequence[NewItem],
    worker: str,
    now: datetime | None = None,
) -> tuple[int, list[NewItem]] | None:
    """Write a batch (not yet sent) and its items, and park their evaluations as batched.

    Only the evaluations whose lease ``worker`` still holds are parked and get an item. Returns
    the batch's id and the items kept; None when there is none left.
    """
    now = now or utcnow()
    parked = _park(session, [item.evaluation_id for item in items], worker=worker, now=now)
    kept = [item for item in items if item.evaluation_id in parked]
    if not kept:
        return None
    batch = ProviderBatch(
        backend=backend,
        model=model,
        state=ProviderBatchState.SUBMITTING.value,
        item_count=len(kept),
        created_at=now,
    )
    session.add(batch)
    session.flush()
    session.add_all(
        ProviderBatchItem(
            batch_id=batch.id,
            evaluation_id=item.evaluation_id,
            round=item.round,
            persona=item.persona,
            custom_id=item.custom_id,
            state=_WAITING,
            created_at=now,
        )
        for item in kept
    )
    return batch.id, kept


def _park(
    session: Session, evaluation_ids: Sequence[int], *, worker: str, now: datetime
) -> set[int]:
    """Park as ``batched`` the evaluations whose lease ``worker`` still holds; returns their ids."""
    return set(
        session.scalars(
            update(Evaluation)
            .where(
                Evaluation.id.in_(evaluation_ids),
                Evaluation.state == EvaluationState.RUNNING.value,
                Evaluation.lease_owner == worker,
            )
            .values(
                state=EvaluationState.BATCHED.value,
                lease_owner=None,
                lease_expires_at=None,
                # Handing a turn to a batch ends the delivery cleanly: it must not count
                # toward the attempts a crashing delivery spends, or a long debate would
                # run out of them one batch at a time.
                attempts=Evaluation.attempts - 1,
                updated_at=now,
            )
            .returning(Evaluation.id)
            .execution_options(synchronize_session=False)
        )
    )


def mark_submitted(
    session: Session, *, batch_id: int, provider_batch_id: str, now: datetime | None = None
) -> None:
    session.execute(
        update(ProviderBatch)
        .where(
            ProviderBatch.id == batch_id,
            ProviderBatch.state == ProviderBatchState.SUBMITTING.value,
        )
        .values(
            state=ProviderBatchState.SUBMITTED.value,
            provider_batch_id=provider_batch_id,
            polled_at=now or utcnow(),
        )
    )


def fail_batch(
    session: Session, *, batch_id: int, error: str, now: datetime | None = None
) -> list[int]:
    """Give a batch up (never sent, or failed as a whole): its waiting items expire with
    ``error`` and its evaluations go back to queued, to be asked again. Returns them."""
    now = now or utcnow()
    failed = session.execute(
        update(ProviderBatch)
        .where(ProviderBatch.id == batch_id, ProviderBatch.state.in_(_OPEN))
        .values(state=ProviderBatchState.FAILED.value, error=error, ended_at=now)
    )
    if not failed.rowcount:  # type: ignore[attr-defined]
        return []
    session.execute(
        update(ProviderBatchItem)
        .where(ProviderBatchItem.batch_id == batch_id, ProviderBatchItem.state == _WAITING)
        .values(state=BatchItemState.EXPIRED.value, error=error)
    )
    return _requeue(session, batch_id=batch_id, now=now)


def open_batches(session: Session) -> list[OpenBatch]:
    rows = session.execute(
        select(
            ProviderBatch.id,
            ProviderBatch.backend,
            ProviderBatch.model,
            ProviderBatch.provider_batch_id,
            ProviderBatch.state,
            ProviderBatch.created_at,
        )
        .where(ProviderBatch.state.in_(_OPEN))
        .order_by(ProviderBatch.id)
    ).all()
    return [OpenBatch(*row) for row in rows]


def record_poll(
    session: Session, *, batch_id: int, status: str, now: datetime | None = None
) -> None:
    session.execute(
        update(ProviderBatch)
        .where(ProviderBatch.id == batch_id)
        .values(status=status[:64], polled_at=now or utcnow())
    )


def store_answers(
    session: Session,
    *,
    batch_id: int,
    answers: Mapping[str, ItemAnswer],
    status: str,
    now: datetime | None = None,
) -> list[int]:
    """Store an ended batch's answers on its items, once, and queue its evaluations again.

    An item the results leave out counts as expired. Returns the evaluations re-queued: none
    when the batch was collected before (results read twice change nothing).
    """
    now = now or utcnow()
    collected = session.execute(
        update(ProviderBatch)
        .where(
            ProviderBatch.id == batch_id,
            ProviderBatch.state == ProviderBatchState.SUBMITTED.value,
        )
        .values(
            state=ProviderBatchState.COLLECTED.value,
            status=status[:64],
            polled_at=now,
            ended_at=now,
        )
    )
    if not collected.rowcount:  # type: ignore[attr-defined]
        return []
    missing = ItemAnswer(BatchItemState.EXPIRED.value, error="missing from the batch's results")
    for custom_id in session.scalars(
        select(ProviderBatchItem.custom_id).where(
            ProviderBatchItem.batch_id == batch_id, ProviderBatchItem.state == _WAITING
        )
    ).all():
        session.execute(
            update(ProviderBatchItem)
            .where(
                ProviderBatchItem.batch_id == batch_id,
                ProviderBatchItem.custom_id == custom_id,
                ProviderBatchItem.state == _WAITING,
            )
            .values(**answers.get(custom_id, missing).fields())
        )
    return _requeue(session, batch_id=batch_id, now=now)


def answer_for(
    session: Session, *, evaluation_id: int, round_: int, persona: str
) -> ItemAnswer | None:
    """The latest batch answer to one turn of an evaluation, if a batch has answered it."""
    row = session.scalars(
        select(ProviderBatchItem)
        .where(
            ProviderBatchItem.evaluation_id == evaluation_id,
            ProviderBatchItem.round == round_,
            ProviderBatchItem.persona == persona,
            ProviderBatchItem.state != _WAITING,
        )
        .order_by(ProviderBatchItem.id.desc())
        .limit(1)
    ).first()
    if row is None:
        return None
    return ItemAnswer(**{f.name: getattr(row, f.name) for f in dataclasses.fields(ItemAnswer)})


def _requeue(session: Session, *, batch_id: int, now: datetime) -> list[int]:
    evaluation_ids = select(ProviderBatchItem.evaluation_id).where(
        ProviderBatchItem.batch_id == batch_id
    )
    return sorted(
        session.scalars(
            update(Evaluation)
            .where(
                Evaluation.id.in_(evaluation_ids),
                Evaluation.state == EvaluationState.BATCHED.value,
            )
            .values(state=EvaluationState.QUEUED.value, updated_at=now)
            .returning(Evaluation.id)
            .execution_options(synchronize_session=False)
        )
    )


@dataclass(frozen=True)
class BatchOfEvaluation:
    """The latest provider batch that held a turn of an evaluation, and what became of it."""

    id: int
    backend: str
    provider_batch_id: str | None
    state: str
    status: str | None
    created_at: datetime
    polled_at: datetime | None
    round: int
    persona: str
    item_state: str
    error: str | None


def latest_batch_of(session: Session, *, evaluation_id: int) -> BatchOfEvaluation | None:
    row = session.execute(
        select(
            ProviderBatch.id,
            ProviderBatch.backend,
            ProviderBatch.provider_batch_id,
            ProviderBatch.state,
            ProviderBatch.status,
            ProviderBatch.created_at,
            ProviderBatch.polled_at,
            ProviderBatchItem.round,
            ProviderBatchItem.persona,
            ProviderBatchItem.state,
            ProviderBatchItem.error,
        )
        .join(ProviderBatchItem, ProviderBatchItem.batch_id == ProviderBatch.id)
        .where(ProviderBatchItem.evaluation_id == evaluation_id)
        .order_by(ProviderBatchItem.id.desc())
        .limit(1)
    ).first()
    return BatchOfEvaluation(*row) if row is not None else None


def batch_counts(
    session: Session,
) -> tuple[list[tuple[str, str, int]], list[tuple[str, str, int]]]:
    """For /metrics: (backend, batch state, batches) and (backend, item state, items)."""
    batches = session.execute(
        select(ProviderBatch.backend, ProviderBatch.state, func.count())
        .group_by(ProviderBatch.backend, ProviderBatch.state)
        .order_by(ProviderBatch.backend, ProviderBatch.state)
    ).all()
    items = session.execute(
        select(ProviderBatch.backend, ProviderBatchItem.state, func.count())
        .join(ProviderBatchItem, ProviderBatchItem.batch_id == ProviderBatch.id)
        .group_by(ProviderBatch.backend, ProviderBatchItem.state)
        .order_by(ProviderBatch.backend, ProviderBatchItem.state)
    ).all()
    return [(b, s, n) for b, s, n in batches], [(b, s, n) for b, s, n in items]
