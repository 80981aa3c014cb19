"""Statements built once, for the writes every model turn makes.

Building an ORM statement, keying it for SQLAlchemy's cache and running it through the session
cost a worker more CPU than the UPDATE itself; a Core statement built at import with named
parameters, run on the session's connection, does not. Statements are immutable, so a worker's
threads share them.
"""

from __future__ import annotations

from typing import Any, TypeAlias

from sqlalchemy import BindParameter, Connection, Row, Table, bindparam
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
