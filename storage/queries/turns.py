"""Debate turns: written once per (evaluation, round, persona), whatever the redeliveries."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Table, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from storage.models import DebateTurn, utcnow

_KEY = ("evaluation_id", "round", "persona")
_TABLE: Table = DebateTurn.__table__  # type: ignore[assignment]


def save_turn(
    session: Session, *, evaluation_id: int, round: int, persona: str, **fields: Any
) -> tuple[DebateTurn, bool]:
    """Insert a turn unless that evaluation, round and persona already have one.

    Returns the stored turn and whether it was created now; a redelivered task that already
    wrote its turn gets the first one back untouched. INSERT ... ON CONFLICT DO NOTHING keeps
    the common case to one statement on both SQLite and PostgreSQL.
    """
    values = {
        "evaluation_id": evaluation_id,
        "round": round,
        "persona": persona,
        "created_at": utcnow(),
        **fields,
    }
    dialect = session.get_bind().dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    statement = (
        insert(DebateTurn)
        .values(**values)
        .on_conflict_do_nothing(index_elements=_KEY)
        .returning(DebateTurn.id)
    )
    new_id = session.execute(statement).scalar()
    created = new_id is not None
    turn = (
        session.get(DebateTurn, new_id)
        if created
        else get_turn(session, evaluation_id=evaluation_id, round=round, persona=persona)
    )
    if turn is None:
        raise RuntimeError(f"turn {evaluation_id}/{round}/{persona} vanished after insert")
    return turn, created


def save_turns(session: Session, *, turns: Sequence[Mapping[str, Any]]) -> None:
    """Insert many turns in one executemany, skipping any (evaluation, round, persona) stored.

    Each mapping holds every DebateTurn column but the id and the creation time.
    """
    if not turns:
        return
    now = utcnow()
    dialect = session.get_bind().dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    statement = insert(_TABLE).on_conflict_do_nothing(index_elements=_KEY)
    session.execute(statement, [{"created_at": now, **turn} for turn in turns])


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


def get_turn(
    session: Session, *, evaluation_id: int, round: int, persona: str
) -> DebateTurn | None:
    return session.scalar(
        select(DebateTurn).where(
            DebateTurn.evaluation_id == evaluation_id,
            DebateTurn.round == round,
            DebateTurn.persona == persona,
        )
    )


def list_turns(session: Session, *, evaluation_id: int) -> list[DebateTurn]:
    return list(
        session.scalars(
            select(DebateTurn)
            .where(DebateTurn.evaluation_id == evaluation_id)
            .order_by(DebateTurn.round, DebateTurn.id)
        )
    )
