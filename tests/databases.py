"""Migrated test databases, copied from a template this process migrates once.

Running the migrations costs about 0.1 s on SQLite and 0.4 s on PostgreSQL, and hundreds of
tests each want a database at head. The first request migrates a template; every later one
copies it (a file copy on SQLite, ``CREATE DATABASE … TEMPLATE`` on PostgreSQL), which gives
the same schema for a small part of the cost. Tests of the migrations themselves still run
them (tests/storage/test_migrations.py).
"""

from __future__ import annotations

import atexit
import functools
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from sqlalchemy.engine import make_url

from storage.db import Database
from tests.servers import fresh_postgres_database


@functools.cache
def _migrated_sqlite_template() -> Path:
    folder = Path(tempfile.mkdtemp(prefix="hyposcore-template-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    database = Database(f"sqlite:///{folder / 'template.db'}")
    database.upgrade()
    database.dispose()  # the last connection closing folds the WAL into the file
    return folder / "template.db"


def migrated_sqlite(path: Path) -> Database:
    """A SQLite database at ``path`` (which must not exist yet), at the migrations' head."""
    shutil.copyfile(_migrated_sqlite_template(), path)
    return Database(f"sqlite:///{path}")


@functools.cache
def _migrated_postgres_template() -> str:
    # Entered and never left until the process exits, which drops the template.
    stack = ExitStack()
    atexit.register(stack.close)
    url = stack.enter_context(fresh_postgres_database())
    database = Database(url)
    database.upgrade()
    database.dispose()  # a template may have no open connection while it is copied
    name = make_url(url).database
    assert name is not None
    return name


@contextmanager
def migrated_postgres_url() -> Iterator[str]:
    """A PostgreSQL database of its own at the migrations' head, dropped afterwards."""
    with fresh_postgres_database(template=_migrated_postgres_template()) as url:
        yield url
