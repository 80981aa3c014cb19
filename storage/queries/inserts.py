"""INSERT ... ON CONFLICT DO NOTHING on both SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

from sqlalchemy import Connection, Table
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session
from sqlalchemy.sql.dml import Insert


def insert_new_only(executor: Session | Connection, table: Table, *, key: Sequence[str]) -> Insert:
    """An INSERT into ``table`` that skips rows whose ``key`` columns are already stored.

    The statement that makes a redelivered write a no-op, in one round trip, on either database.
    Built once per database kind: every stored turn runs it, and statements are immutable, so
    the threads of a worker share one.
    """
    dialect = executor.dialect if isinstance(executor, Connection) else executor.get_bind().dialect
    return _built(dialect.name, table, tuple(key))


@lru_cache(maxsize=32)
def _built(dialect: str, table: Table, key: tuple[str, ...]) -> Insert:
    dialect_insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    return dialect_insert(table).on_conflict_do_nothing(index_elements=list(key))
