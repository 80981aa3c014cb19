"""Transactions mean what they say on SQLite as on PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from storage.db import Database
from storage.models import Hypothesis


class AbortError(Exception):
    pass


def test_a_released_savepoint_is_rolled_back_with_its_transaction(db: Database) -> None:
    # pysqlite on its own commits a savepoint opened after only reads; hyposcore must not.
    def write_then_abort() -> None:
        with db.transaction() as session:
            session.scalar(select(Hypothesis.id).limit(1))
            with session.begin_nested():
                session.add(Hypothesis(id="h-savepoint", title="t", statement="s"))
            raise AbortError

    with pytest.raises(AbortError):
        write_then_abort()
    with db.sessions() as session:
        assert session.get(Hypothesis, "h-savepoint") is None


def test_foreign_keys_are_enforced(db: Database) -> None:
    from sqlalchemy.exc import IntegrityError

    from storage.models import EvidenceItem

    with pytest.raises(IntegrityError), db.transaction() as session:
        session.add(
            EvidenceItem(
                hypothesis_id="h-missing",
                citation="PMID:1",
                pmid="1",
                claim="c",
                direction="supports",
                study_type="rct",
            )
        )
