"""Debate turns: written once per (evaluation, round, persona), whatever the redeliveries."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, Table, bindparam, func, select
from sqlalchemy.orm import Session

from storage.models import DebateTurn, utcnow
from storage.queries.inserts import insert_new_only
from storage.queries.prebuilt import AnyRow

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
