"""Engines and sessions: one place that knows how to open the database, on SQLite or PostgreSQL."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import Session, sessionmaker

from storage import clock

SQLITE_BUSY_TIMEOUT_MS = 30_000
# A pooled server connection idle longer than this is tested before it is handed out.
PING_AFTER_IDLE_SECONDS = 1.0


def _normalise_url(url: str) -> str:
    """Prefer psycopg 3 for plain ``postgresql://`` URLs, the driver hyposcore installs."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        return parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    return url


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets the API read while a worker writes; foreign keys are off by default in SQLite.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _sqlite_driver_autocommit(dbapi_connection: Any, _record: Any) -> None:
    # pysqlite's own transaction handling starts transactions late and ends savepoints early
    # (a savepoint released after only reads is committed for good); SQLAlchemy emits BEGIN
    # itself instead, so savepoints and rollbacks mean what they say.
    dbapi_connection.isolation_level = None


def _sqlite_begin(connection: Any) -> None:
    # IMMEDIATE takes the write lock up front: a transaction that reads and then writes can
    # never fail half-way because another process wrote in between (SQLITE_BUSY_SNAPSHOT).
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def make_engine(
    url: str, *, own_transactions: bool = True, ping_only_after_idle: bool = False, **kwargs: Any
) -> Engine:
    """Create an engine for ``url``; SQLite files get their folder created and safe pragmas.

    ``own_transactions=False`` leaves SQLite transactions to the driver, for a library (the
    kombu broker transport) that issues its own BEGIN statements.

    A server connection is tested before every checkout, unless ``ping_only_after_idle``: then
    only one that sat idle in the pool (see ``_ping_if_idle``), for callers that retry a
    statement failed by a dropped connection, as workers' tasks do.
    """
    url = _normalise_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        # Sizing is for a server's connections; SQLite's are a file handle each, and its
        # in-memory pool takes no size.
        kwargs.pop("pool_size", None)
        kwargs.pop("max_overflow", None)
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        kwargs.setdefault("connect_args", {"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})
        engine = create_engine(url, **kwargs)
        if own_transactions:
            event.listen(engine, "connect", _sqlite_driver_autocommit)
            event.listen(engine, "begin", _sqlite_begin)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if not ping_only_after_idle:
        kwargs.setdefault("pool_pre_ping", True)
    engine = create_engine(url, **kwargs)
    if parsed.get_backend_name() == "postgresql":
        event.listen(engine, "connect", clock.measure)
    if ping_only_after_idle:
        event.listen(engine, "checkin", _note_idle_since)
        event.listen(engine, "checkout", _ping_if_idle(engine))
    return engine


def _note_idle_since(_dbapi_connection: Any, record: Any) -> None:
    if record is not None:
        record.info["idle_since"] = time.monotonic()


def _ping_if_idle(engine: Engine) -> Callable[[Any, Any, Any], None]:
    """A checkout hook that tests a connection which sat idle in the pool before handing it out.

    A connection the server or the network dropped while it sat idle (a restart, an idle
    timeout) is replaced there, before any work uses it. One in steady use is not pinged: under
    load that was a round trip for nearly every transaction. If it is dropped between two
    uses, the next statement fails, SQLAlchemy discards the pool's older connections, and the
    caller retries (workers.tasks retries database hiccups; the ledger makes that safe).
    """

    def ping(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        idle_since = record.info.get("idle_since")
        if idle_since is None or time.monotonic() - idle_since < PING_AFTER_IDLE_SECONDS:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except Exception as error:
            # The pool discards this connection and checks out another (a new one if need be).
            raise DisconnectionError(f"idle connection failed its ping: {error}") from error

    return ping


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session whose work commits together at the end, or not at all."""
    with factory() as session, session.begin():
        yield session


class Database:
    """An engine and its session factory: what every caller of ``storage`` holds."""

    def __init__(self, url: str, **engine_kwargs: Any) -> None:
        self.engine = make_engine(url, **engine_kwargs)
        self.sessions = make_session_factory(self.engine)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        with transaction(self.sessions) as session:
            yield session

    @contextmanager
    def core_transaction(self) -> Iterator[Connection]:
        """A connection whose statements commit together at the end, or not at all, with no
        ORM session around it: for the writes every model turn makes (the turn and its
        heartbeat), where a session's bookkeeping cost more CPU than the statements."""
        with self.engine.begin() as connection:
            yield connection

    @contextmanager
    def autocommit(self) -> Iterator[Connection]:
        """A connection on which each statement commits by itself (PostgreSQL's autocommit),
        for a single statement that is all or nothing on its own: one round trip, no BEGIN or
        COMMIT. On SQLite, a transaction around it instead."""
        if self.dialect == "sqlite":
            with self.core_transaction() as connection:
                yield connection
            return
        with self.engine.connect() as connection:
            yield connection.execution_options(isolation_level="AUTOCOMMIT")

    @contextmanager
    def autocommit_session(self) -> Iterator[Session]:
        """A session on an ``autocommit`` connection: each statement commits by itself, with
        no BEGIN and no COMMIT or ROLLBACK round trip. For reads that need no single snapshot
        and for single statements that are fenced on their own (a lease holder's write).

        It also keeps the connection's prepared statements: psycopg forgets every one of
        them at a ROLLBACK, which is how a read-only ``sessions()`` ends, so a process that
        reads between its writes has its statements parsed and planned anew each time. On
        SQLite, a transaction instead."""
        if self.dialect == "sqlite":
            with self.transaction() as session:
                yield session
            return
        with self.autocommit() as connection, Session(bind=connection) as session:
            yield session

    @contextmanager
    def read_session(self) -> Iterator[Session]:
        """A session for reads that need no single snapshot: on PostgreSQL an
        ``autocommit_session`` (no BEGIN, no ROLLBACK, prepared statements kept); on SQLite a
        ``sessions()`` one, rolled back at the end like any read."""
        if self.dialect == "sqlite":
            with self.sessions() as session:
                yield session
            return
        with self.autocommit_session() as session:
            yield session

    def upgrade(self) -> None:
        from storage.migrate import upgrade

        upgrade(self.engine)

    def dispose(self) -> None:
        self.engine.dispose()
