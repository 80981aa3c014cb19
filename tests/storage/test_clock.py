"""Every process stamps the ledger by the database's clock, whatever its own clock says."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import text

from storage import clock
from storage.db import Database
from storage.models import utcnow
from tests.servers import fresh_postgres_database


@pytest.fixture
def restored_offset() -> Iterator[None]:
    # The offset is the process's: leave it as the next test expects it.
    kept = clock.offset()
    yield
    clock._offset = kept


class _Cursor:
    def __init__(self, server: datetime) -> None:
        self.server = server

    def execute(self, _sql: str) -> None: ...

    def fetchone(self) -> tuple[datetime]:
        return (self.server,)

    def close(self) -> None: ...


class _Connection:
    def __init__(self, server: datetime) -> None:
        self.server = server
        self.rolled_back = False

    def cursor(self) -> _Cursor:
        return _Cursor(self.server)

    def rollback(self) -> None:
        self.rolled_back = True


def test_a_machine_behind_the_database_stamps_in_the_databases_time(
    restored_offset: None, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    local = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
    monkeypatch.setattr(clock, "_system_now", lambda: local)
    connection = _Connection(server=local + timedelta(seconds=90))
    with caplog.at_level(logging.WARNING, logger="storage.clock"):
        clock.measure(connection)
    assert clock.offset() == timedelta(seconds=90)
    assert utcnow() == local + timedelta(seconds=90)
    assert connection.rolled_back  # the new connection is left outside any transaction
    assert "90.0 s behind the database's" in caplog.text


@pytest.mark.postgres
def test_a_worker_whose_clock_runs_an_hour_ahead_writes_leases_in_server_time(
    restored_offset: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Reapers on other machines compare lease expiries with their own (correct) time: a
    # worker an hour ahead must not write expiries an hour late, nor read them as lapsed.
    ahead = timedelta(hours=1)
    monkeypatch.setattr(clock, "_system_now", lambda: datetime.now(UTC) + ahead)
    with fresh_postgres_database() as url:
        database = Database(url)
        try:
            with database.sessions() as session:
                server: Any = session.execute(text("SELECT clock_timestamp()")).scalar_one()
            stamped = utcnow()
        finally:
            database.engine.dispose()
    assert abs(stamped - server) < timedelta(seconds=5)
    assert abs(clock.offset() + ahead) < timedelta(seconds=5)
