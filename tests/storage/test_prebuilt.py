"""storage.queries.prebuilt.DriverStatement: what the driver is sent, and how its errors surface."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import (
    JSON,
    Column,
    Integer,
    MetaData,
    String,
    Table,
    bindparam,
    insert,
    select,
    text,
)
from sqlalchemy.exc import IntegrityError, OperationalError

from storage.db import Database
from storage.models.base import UTCDateTime
from storage.queries.prebuilt import DriverStatement
from tests.servers import fresh_postgres_database, terminate_backend

pytestmark = pytest.mark.postgres

_METADATA = MetaData()
_NOTES = Table(
    "notes",
    _METADATA,
    Column("id", Integer, primary_key=True),
    Column("kind", String(16), nullable=False),
    Column("body", JSON, nullable=False),
    Column("at", UTCDateTime, nullable=False),
)
# The kind is a literal the statement carries; the rest are the caller's parameters.
_ADD_NOTE = (
    insert(_NOTES)
    .values(
        kind="note",
        body=bindparam("body", type_=_NOTES.c.body.type),
        at=bindparam("at", type_=_NOTES.c.at.type),
    )
    .returning(_NOTES.c.id, _NOTES.c.kind)
)


@pytest.fixture
def database() -> Iterator[Database]:
    with fresh_postgres_database() as url:
        database = Database(url, pool_size=1, max_overflow=0)
        _METADATA.create_all(database.engine)
        yield database
        database.dispose()


def test_it_sends_what_connection_execute_sends(database: Database) -> None:
    east = timezone(timedelta(hours=5))
    at = datetime(2026, 12, 4, 12, 0, tzinfo=east)
    body = {"scores": {"novelty": 0.5}, "claims": [{"citation": "PMID:1"}]}
    statement = DriverStatement(_ADD_NOTE)
    with database.engine.begin() as connection:
        by_driver = statement.first(connection, {"body": body, "at": at})
        by_sqlalchemy = connection.execute(_ADD_NOTE, {"body": body, "at": at}).one()
    assert by_driver is not None and by_driver[1] == "note"
    with database.engine.connect() as connection:
        rows = connection.execute(
            select(_NOTES.c.kind, _NOTES.c.body, _NOTES.c.at).order_by(_NOTES.c.id)
        ).all()
        # JSON went as JSON, not as a Python repr, and the datetime was made UTC on the way.
        stored = connection.execute(text("SELECT json_typeof(body) FROM notes")).scalars().all()
    assert rows[0] == rows[1] == ("note", body, at.astimezone(UTC))
    assert stored == ["object", "object"]
    assert by_driver[0] + 1 == by_sqlalchemy.id


def test_a_statement_without_a_row_gives_none(database: Database) -> None:
    nothing = DriverStatement(select(_NOTES.c.id).where(_NOTES.c.kind == bindparam("kind")))
    with database.engine.connect() as connection:
        assert nothing.first(connection, {"kind": "absent"}) is None


def test_a_driver_error_is_raised_as_sqlalchemy_s_and_the_connection_goes_on(
    database: Database,
) -> None:
    statement = DriverStatement(_ADD_NOTE)
    with database.engine.connect() as connection:
        with pytest.raises(IntegrityError, match="not-null") as raised:
            statement.first(connection, {"body": {}, "at": None})
        assert not raised.value.connection_invalidated
        connection.rollback()
        assert connection.execute(select(1)).scalar() == 1


def test_a_dropped_connection_is_invalidated_so_the_pool_opens_another(
    database: Database,
) -> None:
    statement = DriverStatement(_ADD_NOTE)
    with database.engine.connect() as connection:
        pid = connection.execute(text("SELECT pg_backend_pid()")).scalar_one()
        connection.commit()
        assert terminate_backend(pid)
        with pytest.raises(OperationalError) as raised:
            statement.first(connection, {"body": {}, "at": datetime.now(UTC)})
        assert raised.value.connection_invalidated and connection.invalidated
    # The pool's only connection was the dead one; the next checkout is a new server process.
    with database.engine.connect() as connection:
        assert connection.execute(text("SELECT pg_backend_pid()")).scalar_one() != pid


def test_an_in_list_parameter_is_refused(database: Database) -> None:
    statement = DriverStatement(
        select(_NOTES.c.id).where(_NOTES.c.id.in_(bindparam("ids", expanding=True)))
    )
    with database.engine.connect() as connection, pytest.raises(ValueError, match="expanding"):
        statement.first(connection, {"ids": [1]})


def test_a_driver_without_named_parameters_is_refused(tmp_path: Path) -> None:
    database = Database(f"sqlite:///{tmp_path / 'x.db'}")  # sqlite3 takes "?" placeholders
    with database.engine.connect() as connection, pytest.raises(ValueError, match="named"):
        DriverStatement(select(_NOTES.c.id)).first(connection, {})
    database.dispose()
