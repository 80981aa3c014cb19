"""Claiming evaluations: taking their leases, counting deliveries, failing poison ones.

A claim is one conditional UPDATE, so a message for an evaluation that is taken or done costs
one statement; every write by the lease holder after it is a compare-and-set on its lease
(``storage.queries.leases``).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Update, bindparam, case, func, or_, update
from sqlalchemy.orm import Session

from storage.models import Evaluation, EvaluationState, utcnow
from storage.queries.leases import EVALUATIONS
from storage.queries.prebuilt import column_param, connection_of


def delivery_of(owner: str) -> str:
    """The delivery a lease owner token names: owners are "<worker name>/<task id>"
    (``workers.tasks``), and a retry or redelivery of the message keeps the task id but may
    land on any worker."""
    return owner.rpartition("/")[2]


def worker_of(owner: str) -> str:
    """The worker name a lease owner token "<worker name>/<task id>" names."""
    return owner.rpartition("/")[0]


def _like_literal(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _held_by_delivery(column: Any) -> Any:
    """``column`` (a lease owner) is ``:worker`` or names the same delivery (``:delivery``,
    a LIKE pattern) from another worker."""
    worker = bindparam("worker", type_=column.type)
    return or_(column == worker, column.like(bindparam("delivery"), escape="\\"))


def _delivery_params(worker: str) -> dict[str, str]:
    return {"worker": worker, "delivery": "%/" + _like_literal(delivery_of(worker))}


def claim_evaluation(
    session: Session,
    *,
    evaluation_id: int,
    worker: str,
    lease_seconds: int,
    redelivered: bool = False,
    now: datetime | None = None,
) -> bool:
    """Take the lease of a queued evaluation, or of a running one whose lease has expired.

    ``worker`` is the lease owner token "<worker name>/<task id>": one per task delivery,
    kept across that task's retries. A lease is its delivery's, whichever worker runs it: a
    retry or redelivery on another worker re-enters it and rewrites the worker name.

    Returns False when someone else holds a live lease, the evaluation is finished, or its
    attempts are spent; the caller then drops its message.
    """
    claimed = claim_evaluations(
        session,
        evaluation_ids=[evaluation_id],
        worker=worker,
        lease_seconds=lease_seconds,
        redelivered=redelivered,
        now=now,
    )
    return bool(claimed)


def claim_evaluations(
    executor: Session | Connection,
    *,
    evaluation_ids: Sequence[int],
    worker: str,
    lease_seconds: int,
    backends: Collection[str] | None = None,
    redelivered: bool = False,
    now: datetime | None = None,
) -> list[Any]:
    """``claim_evaluation`` for several at once (only those of ``backends``, if given).

    A retry of the same task (same owner token) re-enters its own lease without spending an
    attempt: attempts count deliveries, not back-offs. A ``redelivered`` message (the broker
    gave it back because the worker running it died) is a new delivery even under the same
    token, so re-entering spends an attempt, and is refused once they are spent (see
    ``fail_lost_deliveries``). Returns the rows now leased to ``worker`` in id order, each with
    its id, hypothesis, config, believability, fence token and case digest.
    """
    now = now or utcnow()
    params: dict[str, Any] = {
        **_delivery_params(worker),
        "ids": list(evaluation_ids),
        "now": now,
        "expires": now + timedelta(seconds=lease_seconds),
    }
    if backends is not None:
        params["backends"] = list(backends)
    # One conditional UPDATE, so a message for an evaluation that is taken or done costs one
    # statement; built once per variant (``storage.queries.prebuilt`` says why).
    connection = connection_of(executor)
    statement = _CLAIMS[redelivered, backends is not None]
    return sorted(connection.execute(statement, params).all(), key=lambda row: row.id)


def _claim_statement(*, redelivered: bool, of_backends: bool) -> Update:
    table = EVALUATIONS
    worker, now = (
        bindparam("worker", type_=table.c.lease_owner.type),
        column_param(table, "updated_at", "now"),
    )
    own = (table.c.state == EvaluationState.RUNNING.value) & _held_by_delivery(table.c.lease_owner)
    fresh = or_(
        table.c.state == EvaluationState.QUEUED.value,
        (table.c.state == EvaluationState.RUNNING.value) & (table.c.lease_expires_at < now),
    )
    spent = table.c.attempts >= table.c.max_attempts
    if redelivered:
        claimable: Any = ~spent & or_(own, fresh)
        attempts: Any = table.c.attempts + 1
        error: Any = case((own, _LOST_WORKER), else_=None)
    else:
        claimable = or_(own, ~spent & fresh)
        attempts = table.c.attempts + case((own, 0), else_=1)
        error = case((own, table.c.error), else_=None)
    conditions = [table.c.id.in_(bindparam("ids", expanding=True)), claimable]
    if of_backends:
        backend = Evaluation.config["backend"].as_string()
        conditions.append(backend.in_(bindparam("backends", expanding=True)))
    return (
        update(table)
        .where(*conditions)
        .values(
            state=EvaluationState.RUNNING.value,
            lease_owner=worker,
            lease_expires_at=column_param(table, "lease_expires_at", "expires"),
            heartbeat_at=now,
            attempts=attempts,
            started_at=func.coalesce(table.c.started_at, now),
            error=error,
            updated_at=now,
        )
        # What a debate needs of its claim, so that claiming is one statement.
        .returning(
            table.c.id,
            table.c.hypothesis_id,
            table.c.config,
            table.c.believability,
            table.c.fence_token,
            table.c.case_digest,
        )
    )


_LOST_WORKER = "the worker running the previous delivery died (killed, out of memory or a crash)"
_CLAIMS = {
    (redelivered, of_backends): _claim_statement(redelivered=redelivered, of_backends=of_backends)
    for redelivered in (False, True)
    for of_backends in (False, True)
}


def fail_lost_deliveries(
    session: Session, *, evaluation_ids: Sequence[int], worker: str, now: datetime | None = None
) -> list[int]:
    """Fail those of ``evaluation_ids`` whose redelivered message finds every attempt spent.

    Such an evaluation kills the worker that runs it every time (a poison evaluation): its
    message keeps coming back under the same owner token, and only counting deliveries
    ends the loop. Returns the ids failed.
    """
    if not evaluation_ids:
        return []
    now = now or utcnow()
    failed = session.scalars(
        update(Evaluation)
        .where(
            Evaluation.id.in_(list(evaluation_ids)),
            Evaluation.state == EvaluationState.RUNNING.value,
            _held_by_delivery(Evaluation.lease_owner),
            Evaluation.attempts >= Evaluation.max_attempts,
        )
        .values(
            state=EvaluationState.FAILED.value,
            lease_owner=None,
            lease_expires_at=None,
            error=f"{_LOST_WORKER} on every delivery; all attempts spent",
            finished_at=now,
            updated_at=now,
        )
        .returning(Evaluation.id)
        .execution_options(synchronize_session=False),
        _delivery_params(worker),
    ).all()
    return sorted(failed)
