"""Spend limits: stop a model-backed debate at a turn boundary before it costs too much.

Two limits, both optional (``common.settings``): ``max_cost_per_evaluation`` and a
``daily_budget`` all workers share through the ledger. Before each turn the guard asks whether
that turn could pass either limit, estimating its cost as the evaluation's dearest turn so
far (a debate's turns grow as its transcript does, so the last is usually the dearest), or
for its first turn the dearest turn stored today. When it could, the debate stops where it
is: its stored turns stay, the evaluation is paused with the reason, and the reaper resumes it
once the limits allow (the next UTC day, or a raised limit). With nothing paid today, a first
turn has no estimate and is refused only once a limit is already reached.
Concurrent workers each check before their own next turn, so a daily budget can be passed by
at most the turns in flight at that moment.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time

from sqlalchemy.orm import Session

from common.numbers import usd
from common.settings import Settings
from storage.db import Database
from storage.queries.spending import (
    evaluation_spend,
    pause_evaluation,
    paused_evaluations,
    resume_evaluations,
    spend_since,
)


class SpendLimitError(Exception):
    """The evaluation's next turn could pass a spend limit; the message says which and why."""


@dataclass(frozen=True)
class SpendLimits:
    max_per_evaluation: float | None
    daily_budget: float | None

    @classmethod
    def from_settings(cls, settings: Settings) -> SpendLimits:
        return cls(settings.max_cost_per_evaluation, settings.daily_budget)

    @property
    def any(self) -> bool:
        return self.max_per_evaluation is not None or self.daily_budget is not None


def stop_reason(
    limits: SpendLimits, *, spent: float, next_turn: float, spent_today: float
) -> str | None:
    """Why the next turn must not start, or None when both limits allow it."""
    per_evaluation = limits.max_per_evaluation
    if per_evaluation is not None and (
        spent >= per_evaluation or spent + next_turn > per_evaluation
    ):
        return (
            f"spend limit: this evaluation has cost {usd(spent)}; its next turn (about "
            f"{usd(next_turn)}) would pass HYPOSCORE_MAX_COST_PER_EVALUATION=${per_evaluation:g}"
        )
    budget = limits.daily_budget
    if budget is not None and (spent_today >= budget or spent_today + next_turn > budget):
        return (
            f"daily budget: {usd(spent_today)} of HYPOSCORE_DAILY_BUDGET=${budget:g} spent "
            f"today (UTC); the next turn (about {usd(next_turn)}) would pass it. It resumes "
            "after midnight UTC, or when the budget is raised"
        )
    return None


def start_of_day(now: datetime) -> datetime:
    """Midnight UTC of ``now``'s day (``now`` aware, as the ledger's timestamps are)."""
    return datetime.combine(now.astimezone(UTC).date(), time(), tzinfo=UTC)


def check_spend(
    session: Session, limits: SpendLimits, *, evaluation_id: int, now: datetime
) -> str | None:
    """The reason the evaluation's next turn must wait, read from the ledger, or None."""
    if not limits.any:
        return None
    spend = evaluation_spend(session, evaluation_id=evaluation_id)
    today = spend_since(session, since=start_of_day(now))
    # An evaluation with no turn yet is estimated by the dearest turn anyone paid for today.
    next_turn = spend.largest_turn or today.largest_turn
    return stop_reason(limits, spent=spend.total, next_turn=next_turn, spent_today=today.total)


def resumable(
    database: Database, settings: Settings, *, now: datetime, evaluation_ids: Sequence[int] = ()
) -> list[int]:
    """Move back to queued the paused evaluations (all, or those of ``evaluation_ids``) whose
    next turn today's limits allow; returns their ids, for the caller to send."""
    limits = SpendLimits.from_settings(settings)
    with database.transaction() as session:
        paused = paused_evaluations(session)
        wanted = set(evaluation_ids)
        allowed = [
            row.id
            for row in paused
            if (not wanted or row.id in wanted)
            and check_spend(session, limits, evaluation_id=row.id, now=now) is None
        ]
        return resume_evaluations(session, evaluation_ids=allowed, now=now)


def pause(database: Database, *, evaluation_id: int, owner: str, stop: SpendLimitError) -> bool:
    """End the delivery ``stop`` interrupted: the evaluation paused with its reason."""
    with database.transaction() as session:
        reason = str(stop)
        return pause_evaluation(session, evaluation_id=evaluation_id, worker=owner, reason=reason)
