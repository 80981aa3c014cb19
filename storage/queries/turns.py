"""Debate turns: written once per (evaluation, round, persona), whatever the redeliveries."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Select, Table, bindparam, func, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.orm import Session

from storage.models import DebateTurn, utcnow
from storage.queries.inserts import insert_new_only
from storage.queries.leases import EVALUATIONS, heartbeat_statement
from storage.queries.prebuilt import AnyRow, DriverStatement, column_param

_KEY = ("evaluation_id", "round", "persona")
_TABLE: Table = DebateTurn.__table__  # type: ignore[assignment]


def save_turns(connection: Connection, *, turns: Sequence[Mapping[str, Any]]) -> None:
    """Insert many turns in one executemany, skipping any (evaluation, round, persona) stored.

    Each mapping holds every DebateTurn column but the id and the creation time. Runs on
    ``connection``, in its transaction: a session's is ``session.connection()``.
    """
    if not turns:
        return
    now = utcnow()
    rows = [{"created_at": now, **turn} for turn in turns]
    # One row is one execute: an executemany of one costs SQLAlchemy more than the INSERT.
    connection.execute(
        insert_new_only(connection, _TABLE, key=_KEY), rows[0] if len(rows) == 1 else rows
    )


def list_turns_of(
    session: Session, *, evaluation_ids: Sequence[int]
) -> dict[int, list[DebateTurn]]:
    """The stored turns of several evaluations, each list in the order they were written."""
    grouped: dict[int, list[DebateTurn]] = {i: [] for i in evaluation_ids}
    if not evaluation_ids:
        return grouped
    for turn in session.scalars(
        select(DebateTurn)
        .where(DebateTurn.evaluation_id.in_(list(evaluation_ids)))
        .order_by(DebateTurn.evaluation_id, DebateTurn.round, DebateTurn.id)
    ):
        grouped[turn.evaluation_id].append(turn)
    return grouped


# A resumed debate's stored turns, read at the start of every debate (storage.queries.prebuilt
# says why built once).
_STORED_TURNS = (
    select(*_TABLE.c)
    .where(_TABLE.c.evaluation_id == bindparam("evaluation_id"))
    .order_by(_TABLE.c.round, _TABLE.c.id)
)


def stored_turns(session: Session, *, evaluation_id: int) -> Sequence[AnyRow]:
    """The evaluation's stored turns in the order they were written, as rows with the
    DebateTurn attributes but none of the ORM's bookkeeping: what a worker resumes from."""
    connection = session.connection()
    return connection.execute(_STORED_TURNS, {"evaluation_id": evaluation_id}).all()


# What scoring reads of each turn: none of its text (storage.queries.prebuilt says why built
# once).
_TURN_SCORES = (
    select(
        _TABLE.c.evaluation_id,
        _TABLE.c.persona,
        _TABLE.c.round,
        _TABLE.c.scores,
        _TABLE.c.confidence,
        _TABLE.c.probability,
    )
    .where(_TABLE.c.evaluation_id.in_(bindparam("ids", expanding=True)))
    .order_by(_TABLE.c.evaluation_id, _TABLE.c.round, _TABLE.c.id)
)


def turn_scores_of(session: Session, *, evaluation_ids: Sequence[int]) -> dict[int, list[AnyRow]]:
    """The persona, round, scores, confidence and probability of several evaluations' turns,
    each list in the order they were written: what scoring reads, without the arguments."""
    grouped: dict[int, list[AnyRow]] = {i: [] for i in evaluation_ids}
    if not evaluation_ids:
        return grouped
    rows = session.connection().execute(_TURN_SCORES, {"ids": list(evaluation_ids)})
    for row in rows:
        grouped[row.evaluation_id].append(row)
    return grouped


def list_turns(session: Session, *, evaluation_id: int) -> list[DebateTurn]:
    return list(
        session.scalars(
            select(DebateTurn)
            .where(DebateTurn.evaluation_id == evaluation_id)
            .order_by(DebateTurn.round, DebateTurn.id)
        )
    )


def count_turns(session: Session, *, evaluation_id: int) -> int:
    """How many turns of the evaluation are stored: how far its debate has got."""
    return int(
        session.scalar(
            select(func.count())
            .select_from(DebateTurn)
            .where(DebateTurn.evaluation_id == evaluation_id)
        )
        or 0
    )


def _fenced_turn_statement() -> Select[int]:
    """One PostgreSQL statement that renews the lease of ``:evaluation_id`` held by ``:worker``
    (recording ``:progress``) and, only if it is held, stores the turn; it returns how many
    leases it renewed (1, or 0 when the lease was lost)."""
    beat = heartbeat_statement(with_progress=True).returning(EVALUATIONS.c.id).cte("beat")
    columns = [c.name for c in _TABLE.c if c.name not in ("id", "evaluation_id")]
    new_turn = (
        postgresql_insert(_TABLE)
        .from_select(
            ["evaluation_id", *columns],
            # Named apart from the columns: SQLAlchemy would read a parameter named as one of
            # evaluations' columns (created_at) as one more value for the UPDATE to set.
            select(beat.c.id, *(column_param(_TABLE, name, f"turn_{name}") for name in columns)),
        )
        .on_conflict_do_nothing(index_elements=list(_KEY))
    )
    return select(func.count()).select_from(beat).add_cte(new_turn.cte("new_turn"))


# Every model turn on PostgreSQL runs it: built once, and run on the driver's cursor
# (storage.queries.prebuilt says why).
_FENCED_TURN = DriverStatement(_fenced_turn_statement())


def save_turn_fenced(
    connection: Connection,
    *,
    turn: Mapping[str, Any],
    worker: str,
    lease_seconds: int,
    progress: Mapping[str, Any],
    now: datetime | None = None,
) -> bool:
    """``leases.heartbeat`` and ``save_turns`` of one turn in a single statement, on PostgreSQL:
    run on an autocommit connection it is one round trip instead of four (BEGIN, the two
    writes, COMMIT), and still all or nothing. False (and nothing stored) when ``worker`` no
    longer holds the lease.

    ``turn`` holds every DebateTurn column but the id and the creation time.
    """
    now = now or utcnow()
    params = {
        **{f"turn_{name}": value for name, value in turn.items() if name != "evaluation_id"},
        "turn_created_at": now,
        "evaluation_id": turn["evaluation_id"],
        "worker": worker,
        "expires": now + timedelta(seconds=lease_seconds),
        "now": now,
        "progress": dict(progress),
    }
    row = _FENCED_TURN.first(connection, params)
    return row is not None and row[0] == 1
