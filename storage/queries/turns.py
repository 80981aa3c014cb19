"""Debate turns: written once per (evaluation, round, persona), whatever the redeliveries."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from storage.models import DebateTurn


def save_turn(
    session: Session, *, evaluation_id: int, round: int, persona: str, **fields: Any
) -> tuple[DebateTurn, bool]:
    """Insert a turn unless that evaluation, round and persona already have one.

    Returns the stored turn and whether it was created now; a redelivered task that already
    wrote its turn gets the first one back untouched.
    """
    existing = get_turn(session, evaluation_id=evaluation_id, round=round, persona=persona)
    if existing is not None:
        return existing, False
    turn = DebateTurn(evaluation_id=evaluation_id, round=round, persona=persona, **fields)
    try:
        with session.begin_nested():
            session.add(turn)
    except IntegrityError:
        winner = get_turn(session, evaluation_id=evaluation_id, round=round, persona=persona)
        if winner is None:
            raise
        return winner, False
    return turn, True


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
