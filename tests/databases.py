"""Migrated test databases, copied from a template this process migrates once.

Running the migrations costs about 0.1 s on SQLite and 0.4 s on PostgreSQL, and hundreds of
tests each want a database at head. The first request migrates a template; every later one
copies it (a file copy on SQLite, ``CREATE DATABASE … TEMPLATE`` on PostgreSQL), which gives
the same schema for a small part of the cost. Tests of the migrations themselves still run
them (tests/storage/test_migrations.py).

On PostgreSQL even the copy takes about 0.35 s once the server has had writes to flush, and
over 200 tests ask for one. A thread therefore makes the next copies while the current test
runs; each test still gets a database of its own that nothing else has touched.
"""

from __future__ import annotations

import atexit
import functools
import queue
import shutil
import tempfile
import threading
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from storage.db import Database
from tests.servers import (
    create_postgres_database,
    drop_postgres_database,
    fresh_postgres_database,
    postgres_url,
    require_postgres,
)


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


class _Prefetcher:
    """Copies of the template, made ``depth`` ahead of need in a thread of their own."""

    def __init__(self, template: str, depth: int = 2) -> None:
        self._template = template
        self._ready: queue.Queue[str] = queue.Queue(maxsize=depth)
        self._stop = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._fill, name="postgres-prefetch", daemon=True)
        self._thread.start()

    def take(self) -> str:
        """The next copy; waits for one, and raises what stopped the thread making them."""
        while True:
            try:
                return self._ready.get(timeout=0.2)
            except queue.Empty:
                if not self._thread.is_alive():
                    raise RuntimeError("no database copies are being made") from self._error

    def close(self) -> None:
        """Stop making copies and drop those nobody took."""
        self._stop.set()
        self._thread.join(timeout=30)
        while not self._ready.empty():
            drop_postgres_database(self._ready.get_nowait())

    def _fill(self) -> None:
        try:
            while not self._stop.is_set():
                name = create_postgres_database(template=self._template)
                if not self._offer(name):
                    drop_postgres_database(name)
        except BaseException as exc:  # handed to the next take(), which raises it
            self._error = exc

    def _offer(self, name: str) -> bool:
        while not self._stop.is_set():
            try:
                self._ready.put(name, timeout=0.2)
                return True
            except queue.Full:
                continue
        return False


@functools.cache
def _prefetcher() -> _Prefetcher:
    prefetcher = _Prefetcher(_migrated_postgres_template())
    # Registered after the template's own exit handler, so it runs first: the copies go
    # before the template they were made from.
    atexit.register(prefetcher.close)
    return prefetcher


@contextmanager
def migrated_postgres_url() -> Iterator[str]:
    """A PostgreSQL database of its own at the migrations' head, dropped afterwards."""
    require_postgres()
    name = _prefetcher().take()
    try:
        yield postgres_url(name)
    finally:
        drop_postgres_database(name)


# Both ledgers, for a test fixture to take as its params.
DIALECTS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@contextmanager
def migrated_database(dialect: str, folder: Path) -> Iterator[Database]:
    """A database of its own at the migrations' head, on ``dialect`` (a SQLite file in
    ``folder``), disposed of (and a PostgreSQL one dropped) afterwards."""
    if dialect == "sqlite":
        database = migrated_sqlite(folder / "test.db")
        yield database
        database.dispose()
        return
    with migrated_postgres_url() as url:
        database = Database(url)
        yield database
        database.dispose()
