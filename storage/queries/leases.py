"""Renewing an evaluation's lease: the heartbeat that fences each stored turn.

A compare-and-set on the evaluation's state and lease owner, as every ledger write is
(``storage.queries.evaluations``); False means another worker took the evaluation over.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Table, Update, bindparam, update

from storage.models import Evaluation, EvaluationState, utcnow
from storage.queries.prebuilt import column_param

EVALUATIONS: Table = Evaluation.__table__  # type: ignore[assignment]


def heartbeat(
    connection: Connection,
    *,
    evaluation_id: int,
    worker: str,
    lease_seconds: int,
    progress: Mapping[str, Any] | None = None,
    now: datetime | None = None,
) -> bool:
    """Renew the lease (and optionally record progress); False means the lease was lost.

    Runs on ``connection``, in its transaction: a session's is ``session.connection()``.
    """
    now = now or utcnow()
    params: dict[str, Any] = {
        "evaluation_id": evaluation_id,
        "worker": worker,
        "expires": now + timedelta(seconds=lease_seconds),
        "now": now,
    }
    if progress is not None:
        params["progress"] = dict(progress)
    result = connection.execute(_HEARTBEATS[progress is not None], params)
    return bool(result.rowcount == 1)


def update_held() -> Update:
    """An UPDATE of the evaluation ``:evaluation_id`` while ``:worker`` holds its running lease:
    the compare-and-set every write by a lease holder makes, with named parameters so that the
    statement can be built once and run for many evaluations."""
    return update(EVALUATIONS).where(
        EVALUATIONS.c.id == bindparam("evaluation_id"),
        EVALUATIONS.c.state == EvaluationState.RUNNING.value,
        EVALUATIONS.c.lease_owner == bindparam("worker"),
    )


def heartbeat_statement(*, with_progress: bool) -> Update:
    table = EVALUATIONS
    values = {
        "lease_expires_at": column_param(table, "lease_expires_at", "expires"),
        "heartbeat_at": column_param(table, "heartbeat_at", "now"),
        "updated_at": column_param(table, "updated_at", "now"),
    }
    if with_progress:
        values["progress"] = column_param(table, "progress")
    return update_held().values(values)


# Every stored turn is fenced by a heartbeat (storage.queries.prebuilt says why built once).
_HEARTBEATS = {flag: heartbeat_statement(with_progress=flag) for flag in (False, True)}
