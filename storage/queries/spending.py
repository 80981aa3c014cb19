"""What providers billed, as the ledger records it, and the paused state spend limits use.

The spend of an evaluation is the cost of its stored turns; the spend of a day is the cost of
every turn stored that UTC day, whichever worker stored it. The ledger is the one place all
workers share, so a daily budget needs no other coordination.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import case, func, select, update
from sqlalchemy.orm import Session

from storage.models import DebateTurn, Evaluation, EvaluationState, utcnow


@dataclass(frozen=True)
class Spend:
    """A billed cost (USD) and the dearest single turn in it."""

    total: float
    largest_turn: float


def _spend(session: Session, *conditions: Any) -> Spend:
    total, largest = session.execute(
        select(
            func.coalesce(func.sum(DebateTurn.cost_usd), 0.0),
            func.coalesce(func.max(DebateTurn.cost_usd), 0.0),
        ).where(*conditions)
    ).one()
    return Spend(total=float(total), largest_turn=float(largest))


def evaluation_spend(session: Session, *, evaluation_id: int) -> Spend:
    """What an evaluation's stored turns cost."""
    return _spend(session, DebateTurn.evaluation_id == evaluation_id)


def spend_since(session: Session, *, since: datetime) -> Spend:
    """What every turn stored at or after ``since`` cost, all evaluations and workers."""
    return _spend(session, DebateTurn.created_at >= since)


def pause_evaluation(
    session: Session,
    *,
    evaluation_id: int,
    worker: str,
    reason: str,
    now: datetime | None = None,
) -> bool:
    """Move a running evaluation ``worker`` holds to paused, giving up its lease.

    The claim of this delivery spent an attempt; a pause is no failure, so it is given back.
    """
    now = now or utcnow()
    result: Any = session.execute(
        update(Evaluation)
        .where(
            Evaluation.id == evaluation_id,
            Evaluation.state == EvaluationState.RUNNING.value,
            Evaluation.lease_owner == worker,
        )
        .values(
            state=EvaluationState.PAUSED.value,
            paused_reason=reason,
            attempts=case((Evaluation.attempts > 0, Evaluation.attempts - 1), else_=0),
            lease_owner=None,
            lease_expires_at=None,
            enqueued_at=None,
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount == 1)


def paused_evaluations(session: Session, *, limit: int = 1000) -> list[Evaluation]:
    return list(
        session.scalars(
            select(Evaluation)
            .where(Evaluation.state == EvaluationState.PAUSED.value)
            .order_by(Evaluation.id)
            .limit(limit)
        )
    )


def resume_evaluations(
    session: Session, *, evaluation_ids: Sequence[int], now: datetime | None = None
) -> list[int]:
    """Move the paused ones among ``evaluation_ids`` back to queued; returns those moved.

    Their next delivery resumes the stored debate where the pause stopped it.
    """
    if not evaluation_ids:
        return []
    now = now or utcnow()
    moved = session.scalars(
        update(Evaluation)
        .where(
            Evaluation.id.in_(list(evaluation_ids)),
            Evaluation.state == EvaluationState.PAUSED.value,
        )
        .values(state=EvaluationState.QUEUED.value, paused_reason=None, updated_at=now)
        .returning(Evaluation.id)
        .execution_options(synchronize_session=False)
    )
    return sorted(moved)
