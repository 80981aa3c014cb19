"""What providers billed, as the ledger records it, and the paused state spend limits use.

The spend of an evaluation is the cost of its stored turns; the spend of a day is the cost of
every turn stored that UTC day, whichever worker stored it. The ledger is the one place all
workers share, so a daily budget needs no other coordination.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import case, func, literal, select, update
from sqlalchemy.orm import Session

from storage.models import DebateTurn, Evaluation, EvaluationState, UnansweredCall, utcnow


@dataclass(frozen=True)
class Spend:
    """A billed cost (USD) and the dearest single turn in it."""

    total: float
    largest_turn: float


def _spend(session: Session, turns: Any, unanswered: Any) -> Spend:
    total, largest = session.execute(
        select(
            func.coalesce(func.sum(DebateTurn.cost_usd), 0.0),
            func.coalesce(func.max(DebateTurn.cost_usd), 0.0),
        ).where(turns)
    ).one()
    lost = session.scalar(
        select(func.coalesce(func.sum(UnansweredCall.cost_usd), 0.0)).where(unanswered)
    )
    return Spend(total=float(total) + float(lost or 0.0), largest_turn=float(largest))


def evaluation_spend(session: Session, *, evaluation_id: int) -> Spend:
    """What an evaluation cost: its stored turns and its billed calls that stored none."""
    return _spend(
        session,
        DebateTurn.evaluation_id == evaluation_id,
        UnansweredCall.evaluation_id == evaluation_id,
    )


def spend_since(session: Session, *, since: datetime) -> Spend:
    """What every billed call since ``since`` cost, all evaluations and workers."""
    return _spend(session, DebateTurn.created_at >= since, UnansweredCall.created_at >= since)


@dataclass(frozen=True)
class BilledUsage:
    """Everything a provider billed for an evaluation, and the part that stored no turn."""

    prompt_tokens: int
    completion_tokens: int
    cost_usd: float
    unanswered_calls: int
    unanswered_cost_usd: float
    # Of prompt_tokens (stored turns only): read from and written to the prompt cache.
    cached_read_tokens: int = 0
    cache_write_tokens: int = 0


def billed_usage(session: Session, *, evaluation_id: int) -> BilledUsage:
    turns = session.execute(
        select(
            func.coalesce(func.sum(DebateTurn.prompt_tokens), 0),
            func.coalesce(func.sum(DebateTurn.completion_tokens), 0),
            func.coalesce(func.sum(DebateTurn.cost_usd), 0.0),
            func.coalesce(func.sum(DebateTurn.cached_read_tokens), 0),
            func.coalesce(func.sum(DebateTurn.cache_write_tokens), 0),
        ).where(DebateTurn.evaluation_id == evaluation_id)
    ).one()
    lost = session.execute(
        select(
            func.coalesce(func.sum(UnansweredCall.prompt_tokens), 0),
            func.coalesce(func.sum(UnansweredCall.completion_tokens), 0),
            func.coalesce(func.sum(UnansweredCall.cost_usd), 0.0),
            func.count(UnansweredCall.id),
        ).where(UnansweredCall.evaluation_id == evaluation_id)
    ).one()
    return BilledUsage(
        prompt_tokens=int(turns[0]) + int(lost[0]),
        completion_tokens=int(turns[1]) + int(lost[1]),
        cost_usd=float(turns[2]) + float(lost[2]),
        unanswered_calls=int(lost[3]),
        unanswered_cost_usd=float(lost[2]),
        cached_read_tokens=int(turns[3]),
        cache_write_tokens=int(turns[4]),
    )


def record_unanswered_call(
    session: Session,
    *,
    evaluation_id: int,
    round_: int,
    persona: str,
    error: str,
    prompt_tokens: int,
    completion_tokens: int,
    cost_usd: float,
) -> None:
    session.add(
        UnansweredCall(
            evaluation_id=evaluation_id,
            round=round_,
            persona=persona,
            error=error[:200],
            prompt_tokens=prompt_tokens,
            completion_tokens=completion_tokens,
            cost_usd=cost_usd,
            created_at=utcnow(),
        )
    )


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


@dataclass(frozen=True)
class ModelSpend:
    """What one backend and model have been billed over every stored turn."""

    backend: str
    model: str
    prompt_tokens: int
    cached_read_tokens: int
    cache_write_tokens: int
    completion_tokens: int
    cost_usd: float


def spend_by_model(session: Session) -> list[ModelSpend]:
    """Billed tokens and cost of every stored turn, by backend and model (offline ones too)."""
    rows = session.execute(
        select(
            DebateTurn.backend,
            DebateTurn.model,
            func.sum(DebateTurn.prompt_tokens),
            func.sum(DebateTurn.cached_read_tokens),
            func.sum(DebateTurn.cache_write_tokens),
            func.sum(DebateTurn.completion_tokens),
            func.sum(DebateTurn.cost_usd),
        )
        .group_by(DebateTurn.backend, DebateTurn.model)
        .order_by(DebateTurn.backend, DebateTurn.model)
    )
    return [
        ModelSpend(
            b, m or "", int(p or 0), int(r or 0), int(w or 0), int(c or 0), float(cost or 0.0)
        )
        for b, m, p, r, w, c, cost in rows
    ]


@dataclass(frozen=True)
class DaySpend:
    """What one hypothesis's evaluations were billed on one UTC day (turns and unanswered calls)."""

    day: date
    prompt_tokens: int
    cached_read_tokens: int
    cache_write_tokens: int
    completion_tokens: int
    cost_usd: float


def hypothesis_spend_by_day(session: Session, *, hypothesis_id: str) -> list[DaySpend]:
    """Every day a hypothesis's evaluations were billed anything, oldest first."""
    by_day: dict[date, list[float]] = {}
    turns = session.execute(
        select(
            func.date(DebateTurn.created_at),
            func.sum(DebateTurn.prompt_tokens),
            func.sum(DebateTurn.cached_read_tokens),
            func.sum(DebateTurn.cache_write_tokens),
            func.sum(DebateTurn.completion_tokens),
            func.sum(DebateTurn.cost_usd),
        )
        .join(Evaluation, Evaluation.id == DebateTurn.evaluation_id)
        .where(Evaluation.hypothesis_id == hypothesis_id)
        .group_by(func.date(DebateTurn.created_at))
    )
    lost = session.execute(
        select(
            func.date(UnansweredCall.created_at),
            func.sum(UnansweredCall.prompt_tokens),
            literal(0),
            literal(0),
            func.sum(UnansweredCall.completion_tokens),
            func.sum(UnansweredCall.cost_usd),
        )
        .join(Evaluation, Evaluation.id == UnansweredCall.evaluation_id)
        .where(Evaluation.hypothesis_id == hypothesis_id)
        .group_by(func.date(UnansweredCall.created_at))
    )
    for day, *values in [*turns, *lost]:
        # SQLite's date() is text, PostgreSQL's a date.
        key = day if isinstance(day, date) else date.fromisoformat(str(day))
        known = by_day.setdefault(key, [0, 0, 0, 0, 0.0])
        for index, value in enumerate(values):
            known[index] += value or 0
    return [
        DaySpend(day, int(v[0]), int(v[1]), int(v[2]), int(v[3]), float(v[4]))
        for day, v in sorted(by_day.items())
        if any(v)
    ]
