"""Statements built once, for the writes every model turn makes.

Building an ORM statement, keying it for SQLAlchemy's cache and running it through the session
cost a worker more CPU than the UPDATE itself; a Core statement built at import with named
parameters, run on the session's connection, does not. Statements are immutable, so a worker's
threads share them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeAlias

from sqlalchemy import BindParameter, Connection, Dialect, Executable, Row, Table, bindparam
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

# A row of any columns, read by attribute name: what a statement built once returns.
AnyRow: TypeAlias = "Row[*tuple[Any, ...]]"


def column_param(table: Table, column: str, name: str | None = None) -> BindParameter[Any]:
    """A named parameter with ``column``'s type, so its values are converted as the column's
    (JSON encoded, datetimes made UTC) even though no ORM attribute is involved."""
    return bindparam(name or column, type_=table.c[column].type)


def connection_of(executor: Session | Connection) -> Connection:
    """Where a prebuilt statement runs: the connection itself, or a session's (in its
    transaction)."""
    return executor if isinstance(executor, Connection) else executor.connection()


class DriverStatement:
    """A statement compiled once per dialect and run straight on the driver's cursor.

    For the one write every model turn makes. SQLAlchemy's execution layer (an execution
    context, the parameters' processing, a result object) cost a worker as much CPU as the
    round trip itself (BENCHMARKS.md, "Tenth session"); here the parameters go through the
    same type processors SQLAlchemy would apply (JSON encoded, datetimes made UTC), so the
    server is sent exactly what ``connection.execute`` sends. Driver errors are raised as
    SQLAlchemy's (``sqlalchemy.exc.OperationalError`` and so on), and a dropped connection is
    invalidated, as ``connection.execute`` does, so callers retry it in the same way.
    """

    def __init__(self, statement: Executable) -> None:
        self._statement = statement
        self._compiled: dict[str, _Compiled] = {}

    def first(self, connection: Connection, params: Mapping[str, Any]) -> tuple[Any, ...] | None:
        """The first row the statement returns for ``params``, or None."""
        compiled = self._compiled_for(connection.dialect)
        values = {**compiled.fixed, **params}
        for name, process in compiled.processors.items():
            values[name] = process(values[name])
        if not connection.in_transaction():
            # As connection.execute would (it begins one itself), so that the caller's
            # commit or rollback ends what this statement began.
            connection.begin()
        fairy = connection.connection
        cursor = fairy.cursor()
        try:
            cursor.execute(compiled.sql, values)
            row = cursor.fetchone()
        except connection.dialect.loaded_dbapi.Error as error:
            dropped = connection.dialect.is_disconnect(error, fairy.dbapi_connection, cursor)
            if dropped:
                connection.invalidate(error)
            raise DBAPIError.instance(
                compiled.sql,
                values,
                error,
                connection.dialect.loaded_dbapi.Error,
                connection_invalidated=dropped,
                dialect=connection.dialect,
            ) from error
        finally:
            cursor.close()
        return None if row is None else tuple(row)

    def _compiled_for(self, dialect: Dialect) -> _Compiled:
        found = self._compiled.get(dialect.name)
        if found is None:
            # Threads that meet it first may each compile it; all get the same.
            found = self._compiled.setdefault(dialect.name, _Compiled.of(self._statement, dialect))
        return found


@dataclass(frozen=True)
class _Compiled:
    sql: str
    # Parameters the statement carries itself (the literal values of its WHERE clauses).
    fixed: dict[str, Any]
    processors: Mapping[str, Callable[[Any], Any]]

    @classmethod
    def of(cls, statement: Executable, dialect: Dialect) -> _Compiled:
        compiled = statement.compile(dialect=dialect)  # type: ignore[attr-defined]
        binds: dict[str, BindParameter[Any]] = compiled.binds
        if compiled.positional:
            raise ValueError(f"a DriverStatement needs named parameters; {dialect.name} has none")
        if any(bind.expanding for bind in binds.values()):
            raise ValueError("a DriverStatement takes no expanding (IN list) parameters")
        processors = {
            name: process
            for name, bind in binds.items()
            if (process := bind.type.dialect_impl(dialect).bind_processor(dialect)) is not None
        }
        fixed = {name: bind.effective_value for name, bind in binds.items() if not bind.required}
        return cls(compiled.string, fixed, processors)
