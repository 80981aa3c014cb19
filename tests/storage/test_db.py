"""Transactions mean what they say on SQLite as on PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from storage.db import Database
from storage.models import Disease, Hypothesis


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


@pytest.mark.postgres
def test_a_pooled_connection_is_pinged_only_after_sitting_idle(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import storage.db
    from tests.servers import fresh_postgres_database

    with fresh_postgres_database() as url:
        database = Database(url, pool_size=1, max_overflow=0, ping_only_after_idle=True)
        pings: list[object] = []
        real_ping = database.engine.dialect.do_ping
        monkeypatch.setattr(
            database.engine.dialect, "do_ping", lambda conn: pings.append(conn) or real_ping(conn)
        )
        for _ in range(5):  # back to back: in steady use, no round trip before each
            with database.engine.connect() as conn:
                conn.execute(select(1))
        assert pings == []
        monkeypatch.setattr(storage.db, "PING_AFTER_IDLE_SECONDS", 0.0)
        with database.engine.connect() as conn:
            conn.execute(select(1))
        assert len(pings) == 1
        database.dispose()


@pytest.mark.postgres
def test_a_connection_dropped_while_idle_is_replaced_before_use(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from sqlalchemy import text

    import storage.db
    from tests.servers import fresh_postgres_database, terminate_backend

    with fresh_postgres_database() as url:
        database = Database(url, pool_size=1, max_overflow=0, ping_only_after_idle=True)
        with database.engine.connect() as conn:
            first_pid = conn.execute(text("SELECT pg_backend_pid()")).scalar_one()
        assert terminate_backend(first_pid)
        monkeypatch.setattr(storage.db, "PING_AFTER_IDLE_SECONDS", 0.0)
        # The only pooled connection is dead; the checkout's ping finds that and opens another,
        # so the caller's statement runs as if nothing had happened.
        with database.engine.connect() as conn:
            second_pid = conn.execute(text("SELECT pg_backend_pid()")).scalar_one()
        assert second_pid != first_pid
        database.dispose()


def test_pool_sizing_applies_to_server_databases_and_is_ignored_by_sqlite(tmp_path: Path) -> None:
    sqlite = Database(f"sqlite:///{tmp_path / 'x.db'}", pool_size=3, max_overflow=0)
    with sqlite.sessions() as session:
        assert session.scalar(select(1)) == 1
    sqlite.dispose()
    server = Database("postgresql://nobody@127.0.0.1:1/none", pool_size=3, max_overflow=2)
    assert (server.engine.pool.size(), server.engine.pool._max_overflow) == (3, 2)  # type: ignore[attr-defined]
    # Callers that do not retry (the API, the CLI) keep a test before every checkout.
    assert server.engine.pool._pre_ping  # type: ignore[attr-defined]
    retrying = Database("postgresql://nobody@127.0.0.1:1/none", ping_only_after_idle=True)
    assert not retrying.engine.pool._pre_ping  # type: ignore[attr-defined]


@pytest.mark.postgres
def test_an_autocommit_session_keeps_the_connection_s_prepared_statements() -> None:
    from sqlalchemy import text

    from tests.servers import fresh_postgres_database

    prepared = text("SELECT count(*) FROM pg_prepared_statements WHERE NOT from_sql")
    with fresh_postgres_database() as url:
        # One pooled connection, so every session below runs on the same server process.
        database = Database(url, pool_size=1, max_overflow=0, ping_only_after_idle=True)
        with database.autocommit() as connection:
            for _ in range(6):  # psycopg prepares a statement at its fifth run
                connection.execute(select(1).where(text("1 = 1")))
        for _ in range(2):
            with database.autocommit_session() as session:
                assert session.execute(prepared).scalar() == 1
        # A read session ends with ROLLBACK, and psycopg drops every prepared statement then.
        with database.sessions() as session:
            assert session.execute(prepared).scalar() == 1
        with database.autocommit_session() as session:
            assert session.execute(prepared).scalar() == 0
        database.dispose()


@pytest.mark.parametrize("db", ["sqlite", "postgres"], indirect=True)
def test_an_autocommit_session_commits_each_statement_on_postgresql_only(db: Database) -> None:
    from sqlalchemy import func, insert

    def insert_then_fail() -> None:
        with db.autocommit_session() as session:
            session.execute(insert(Disease).values(slug="als", name="ALS"))
            raise RuntimeError("after the statement")

    with pytest.raises(RuntimeError):
        insert_then_fail()
    with db.sessions() as session:
        kept = session.scalar(select(func.count()).select_from(Disease))
    # PostgreSQL committed the INSERT by itself; SQLite ran it in a transaction, rolled back.
    assert kept == (1 if db.dialect == "postgresql" else 0)
