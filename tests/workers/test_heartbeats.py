"""A real worker process beats into the ledger; `hyposcore status` lists it; a stop is recorded."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from common.settings import get_settings
from hyposcore.cli.common import open_database
from hyposcore.cli.main import app
from storage.db import Database
from storage.queries.workers import WorkerStatus, list_workers
from tests.workers.harness import WorkerProcess, hyposcore_env, wait_for


@pytest.mark.slow
def test_a_running_worker_is_listed_from_its_heartbeats(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "250")
    database = open_database()
    env = hyposcore_env(data_dir=str(get_settings().data_dir))
    worker = WorkerProcess(env, tmp_path / "worker.log", queues="debates,scoring", name="beater")
    with worker:
        wait_for(lambda: _live(database), 30, "the worker's first heartbeat")
        [seen] = _live(database)
        assert seen.pid == worker.pid
        assert seen.name.startswith("beater@")
        assert seen.queues == ("debates", "scoring")
        assert seen.backend == "evidence" and seen.broker == "embedded sqlite"
        status = CliRunner().invoke(app, ["status"], terminal_width=250)
        assert status.exit_code == 0, status.output
        assert seen.name in status.output and str(worker.pid) in status.output
        assert "idle" in status.output
    with database.sessions() as session:
        [gone] = list_workers(session)
    assert not gone.alive and gone.stopped_at is not None
    database.dispose()


def _live(database: Database) -> list[WorkerStatus]:
    with database.sessions() as session:
        return list_workers(session, include_gone=False)
