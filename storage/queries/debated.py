"""Evaluations between their debate and their scoring: handed over without a lease.

A debate ends by storing its last turns and moving its evaluation from running to debated in
one transaction fenced by its lease. From then on nobody holds a lease on it, so however long
the score message waits in its queue the reaper never takes the debate back. The score task
claims debated evaluations with a conditional UPDATE inside the one transaction that scores
them (the row stays locked until it commits, so a duplicate message finds nothing to do), and
finishes them there.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Update, bindparam, case, select, update
from sqlalchemy.orm import Session

from storage.models import Evaluation, EvaluationState, Gene, Hypothesis, utcnow
from storage.models.knowledge import hypothesis_genes
from storage.queries.leases import EVALUATIONS, update_held
from storage.queries.prebuilt import AnyRow, column_param, connection_of

_DEBATED = EvaluationState.DEBATED.value


def _mark_debated_statement() -> Update:
    table = EVALUATIONS
    return update_held().values(
        state=_DEBATED,
        lease_owner=None,
        lease_expires_at=None,
        decisions=column_param(table, "decisions"),
        quality=column_param(table, "quality"),
        progress=column_param(table, "progress"),
        enqueued_at=column_param(table, "enqueued_at", "now"),
        updated_at=column_param(table, "updated_at", "now"),
    )


def _debated_update() -> Update:
    """An UPDATE of the debated evaluations among ``:ids``, stamped ``:now``."""
    table = EVALUATIONS
    now = column_param(table, "updated_at", "now")
    return (
        update(table)
        .where(table.c.id.in_(bindparam("ids", expanding=True)), table.c.state == _DEBATED)
        .values(updated_at=now)
    )


# Every debate goes through these once (storage.queries.prebuilt says why built once).
_MARK_DEBATED = _mark_debated_statement()
_CLAIM_DEBATED = _debated_update().returning(EVALUATIONS.c.id)
# Waiting debated evaluations that no concurrent claim has locked, locked for this one (SKIP
# LOCKED: two scoring workers take disjoint sets rather than one waiting on the other; SQLite,
# whose writers take turns, has no row locks to skip). A plain locking SELECT, not an UPDATE
# over a LIMIT subquery, which PostgreSQL may run more than once and so claim past the limit.
_CLAIM_WAITING = (
    select(EVALUATIONS.c.id)
    .where(EVALUATIONS.c.state == _DEBATED)
    .order_by(EVALUATIONS.c.id)
    .limit(bindparam("limit"))
    .with_for_update(skip_locked=True)
)
_COMPLETE_DEBATED = _debated_update().values(
    state=EvaluationState.SUCCEEDED.value,
    finished_at=column_param(EVALUATIONS, "finished_at", "now"),
)


def mark_debated(
    executor: Session | Connection,
    *,
    evaluation_id: int,
    worker: str,
    decisions: Sequence[Mapping[str, Any]],
    quality: float,
    progress: Mapping[str, Any],
    now: datetime | None = None,
) -> bool:
    """Hand a debated evaluation on to scoring and give up its lease (compare-and-set).

    ``enqueued_at`` is set as the score message is about to be sent, so if sending fails the
    reaper re-sends it. False when ``worker`` no longer holds the lease.
    """
    now = now or utcnow()
    connection = connection_of(executor)
    result = connection.execute(
        _MARK_DEBATED,
        {
            "evaluation_id": evaluation_id,
            "worker": worker,
            "decisions": [dict(d) for d in decisions],
            "quality": quality,
            "progress": dict(progress),
            "now": now,
        },
    )
    return bool(getattr(result, "rowcount", 0) == 1)


def claim_debated(
    session: Session,
    *,
    evaluation_ids: Sequence[int],
    also_waiting: int = 0,
    now: datetime | None = None,
) -> list[int]:
    """Lock those of ``evaluation_ids`` still waiting to be scored, and up to ``also_waiting``
    other debated evaluations (oldest first, none another claim holds); returns them in id
    order.

    Call inside the transaction that scores them: the row locks it takes make a concurrent
    claim of the same evaluations wait, then find them no longer debated.
    """
    if not evaluation_ids and not also_waiting:
        return []
    params = {"ids": list(evaluation_ids), "now": now or utcnow()}
    claimed = set(session.connection().execute(_CLAIM_DEBATED, params).scalars())
    if also_waiting:
        waiting = session.connection().execute(_CLAIM_WAITING, {"limit": also_waiting})
        claimed.update(waiting.scalars())
    return sorted(claimed)


def complete_debated(
    session: Session, *, evaluation_ids: Sequence[int], now: datetime | None = None
) -> None:
    """Mark claimed debated evaluations succeeded (their debate fields are stored already)."""
    if not evaluation_ids:
        return
    params = {"ids": list(evaluation_ids), "now": now or utcnow()}
    session.connection().execute(_COMPLETE_DEBATED, params)


def fail_debated(
    session: Session, *, failures: Mapping[int, str], now: datetime | None = None
) -> None:
    """Fail claimed debated evaluations for good, each with its reason."""
    now = now or utcnow()
    for evaluation_id, error in failures.items():
        session.execute(
            update(Evaluation)
            .where(Evaluation.id == evaluation_id, Evaluation.state == _DEBATED)
            .values(
                state=EvaluationState.FAILED.value,
                error=error,
                finished_at=now,
                updated_at=now,
            )
            .execution_options(synchronize_session=False)
        )


def scoring_failed(
    session: Session, *, evaluation_id: int, error: str, now: datetime | None = None
) -> str | None:
    """Count a scoring delivery that failed unexpectedly: one attempt more, the error kept.

    The evaluation stays debated, with no message out (the caller re-sends, or the reaper
    does), or fails for good once its attempts are spent. Returns its new state, or None if
    it was no longer debated.
    """
    now = now or utcnow()
    spent = Evaluation.attempts + 1 >= Evaluation.max_attempts
    states = session.scalars(
        update(Evaluation)
        .where(Evaluation.id == evaluation_id, Evaluation.state == _DEBATED)
        .values(
            state=case((spent, EvaluationState.FAILED.value), else_=_DEBATED),
            attempts=Evaluation.attempts + 1,
            error=error,
            enqueued_at=None,
            finished_at=case((spent, now), else_=None),
            updated_at=now,
        )
        .returning(Evaluation.state)
        .execution_options(synchronize_session=False)
    ).all()
    return states[0] if states else None


# What scoring reads of each claimed evaluation, in one query built once: whole ORM rows and
# their hypotheses cost the scoring worker more CPU than scoring them (py-spy, --gil).
_DEBATED_ROWS = (
    select(
        EVALUATIONS.c.id,
        EVALUATIONS.c.hypothesis_id,
        EVALUATIONS.c.decisions,
        EVALUATIONS.c.quality,
        EVALUATIONS.c.believability,
        EVALUATIONS.c.as_of,
        Hypothesis.status.label("hypothesis_status"),
    )
    .join(Hypothesis, Hypothesis.id == EVALUATIONS.c.hypothesis_id)
    .where(EVALUATIONS.c.id.in_(bindparam("ids", expanding=True)))
    .order_by(EVALUATIONS.c.id)
)


def debated_rows(session: Session, *, evaluation_ids: Sequence[int]) -> Sequence[AnyRow]:
    """The claimed evaluations in id order: their hypothesis, its ``hypothesis_status``, and
    the debate's decisions, quality, believabilities and as-of date."""
    if not evaluation_ids:
        return []
    return session.connection().execute(_DEBATED_ROWS, {"ids": list(evaluation_ids)}).all()


def gene_symbols_of(session: Session, *, hypothesis_ids: Sequence[str]) -> dict[str, list[str]]:
    """The symbols of the genes each hypothesis targets, in one query of those two columns:
    scoring needs them to know which pages to publish, not the genes' page content."""
    symbols: dict[str, list[str]] = {}
    if not hypothesis_ids:
        return symbols
    for hypothesis_id, symbol in session.execute(
        select(hypothesis_genes.c.hypothesis_id, Gene.symbol)
        .join(Gene, Gene.id == hypothesis_genes.c.gene_id)
        .where(hypothesis_genes.c.hypothesis_id.in_(sorted(set(hypothesis_ids))))
        .order_by(Gene.symbol)
    ):
        symbols.setdefault(hypothesis_id, []).append(symbol)
    return symbols


def record_forecasts(session: Session, *, forecasts: Mapping[int, Mapping[str, Any]]) -> None:
    """Store the blind forecasts of as-of evaluations, by evaluation id."""
    for evaluation_id, forecast in forecasts.items():
        session.execute(
            update(Evaluation)
            .where(Evaluation.id == evaluation_id)
            .values(forecast=dict(forecast))
            .execution_options(synchronize_session=False)
        )
