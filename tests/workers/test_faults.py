"""Fault drills with real processes: nothing lost, nothing done twice.

Each drill slows the offline backend down (simulated latency per turn) so that the fault lands
in the middle of the debates, then checks every evaluation against an in-process debate of the
same case: one snapshot, one set of trades, the exact transcript.
"""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select, text

from common.settings import Settings
from storage.db import Database
from storage.models import Evaluation
from storage.queries.knowledge import list_hypotheses
from tests.servers import free_port, fresh_postgres_database, require_redis
from tests.workers.harness import (
    WorkerProcess,
    all_finished,
    evaluations,
    hyposcore_env,
    wait_for,
)
from tests.workers.pipeline_helpers import (
    assert_each_completed_exactly_once,
    prepared_database,
    some_hypotheses,
)
from workers import maintenance
from workers.celery_app import create_app
from workers.dispatch import debate_config, submit_evaluation, submit_evaluations

pytestmark = pytest.mark.slow

DRILL_SETTINGS = {
    "lease_seconds": "5",
    "resend_after_seconds": "4",
    "evidence_delay_seconds": "0.3",
}


def _queue(database: Database, settings: Settings, count: int) -> list[int]:
    app = create_app(settings)
    return [
        submit_evaluation(
            database, settings, hypothesis_id=h, config=debate_config(settings), app=app
        ).evaluation.id
        for h in some_hypotheses(database, count)
    ]


def _some_debate_under_way(database: Database, ids: list[int]) -> bool:
    return any(
        e.state == "running" and int((e.progress or {}).get("turns_done", 0)) >= 1
        for e in evaluations(database, ids)
    )


def _reap_until_finished(
    database: Database, settings: Settings, ids: list[int], timeout: float
) -> None:
    app = create_app(settings)
    deadline = time.monotonic() + timeout
    while not all_finished(database, ids):
        if time.monotonic() > deadline:
            states = [(e.id, e.state, e.error) for e in evaluations(database, ids)]
            raise AssertionError(f"evaluations still unfinished after {timeout}s: {states}")
        # The broker may still be coming back; the next pass retries.
        with contextlib.suppress(Exception):
            maintenance.reap(database, settings, app)
        time.sleep(1.0)


def _recover_with_beat_and_a_new_worker(
    env: dict[str, str], tmp_path: Path, database: Database, ids: list[int]
) -> None:
    """The schedule's reaper (a real beat process) finds the expired leases; a second worker
    runs what it re-sends."""
    beat_log = (tmp_path / "beat.log").open("ab")
    beat = subprocess.Popen(
        [sys.executable, "-m", "hyposcore", "beat"],
        env=env,
        stdout=beat_log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        with WorkerProcess(env, tmp_path / "second.log", name="second"):
            wait_for(lambda: all_finished(database, ids), 120, "the evaluations to finish")
    finally:
        beat.terminate()
        beat.wait(timeout=20)


def test_sigkill_of_a_worker_mid_debate_on_the_embedded_broker(tmp_path: Path) -> None:
    values = {"data_dir": str(tmp_path / "var"), "reap_interval_seconds": "1", **DRILL_SETTINGS}
    settings = Settings(**values)  # type: ignore[arg-type]
    database = prepared_database(settings)
    env = hyposcore_env(**values)
    first = WorkerProcess(env, tmp_path / "first.log", name="first").start()
    ids = _queue(database, settings, 4)
    wait_for(lambda: _some_debate_under_way(database, ids), 60, "a debate to be under way")
    first.kill()
    killed = [e.id for e in evaluations(database, ids) if e.state == "running"]
    assert killed, "the kill should have caught at least one evaluation running"
    _recover_with_beat_and_a_new_worker(env, tmp_path, database, ids)
    assert_each_completed_exactly_once(database, ids)
    retried = {e.id: e.attempts for e in evaluations(database, ids)}
    assert all(retried[i] >= 2 for i in killed), retried


def _any_running(database: Database, ids: list[int]) -> bool:
    with database.sessions() as session:
        return bool(
            session.scalar(
                select(func.count())
                .select_from(Evaluation)
                .where(Evaluation.id.in_(ids), Evaluation.state == "running")
            )
        )


def test_sigkill_of_a_worker_mid_batch_on_the_embedded_broker(tmp_path: Path) -> None:
    # Fast offline debates, many to a message: the batch's leases are taken, then the worker
    # dies while it is still debating, before anything of the batch is written.
    values = {
        "data_dir": str(tmp_path / "var"),
        "reap_interval_seconds": "1",
        "lease_seconds": "5",
        "resend_after_seconds": "4",
        "offline_batch_size": "64",
    }
    settings = Settings(**values)  # type: ignore[arg-type]
    database = prepared_database(settings)
    env = hyposcore_env(**values)
    first = WorkerProcess(env, tmp_path / "first.log", name="first").start()
    with database.sessions() as session:
        hypotheses = [h.id for h in list_hypotheses(session, limit=100)]
    ids = [
        e.evaluation.id
        for e in submit_evaluations(
            database,
            settings,
            hypothesis_ids=[hypotheses[i % len(hypotheses)] for i in range(64)],
            config=debate_config(settings),
            force=True,
            app=create_app(settings),
        )
    ]
    wait_for(lambda: _any_running(database, ids), 60, "the batch to be claimed", interval=0.002)
    first.kill()
    killed = [e.id for e in evaluations(database, ids) if e.state == "running"]
    assert len(killed) == 64, "the kill should have caught the whole batch running"
    _recover_with_beat_and_a_new_worker(env, tmp_path, database, ids)
    assert_each_completed_exactly_once(database, ids)
    assert all(e.attempts >= 2 for e in evaluations(database, ids))


@contextmanager
def _redis_server(port: int, workdir: Path) -> Iterator[subprocess.Popen[bytes]]:
    executable = shutil.which("redis-server")
    if executable is None:
        pytest.skip("redis-server is not installed")
    process = subprocess.Popen(
        [
            executable,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(workdir),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for(lambda: _redis_up(port), 20, f"redis on port {port}")
        yield process
    finally:
        process.kill()
        process.wait(timeout=10)


def _redis_up(port: int) -> bool:
    import redis

    try:
        return bool(redis.Redis(port=port, socket_connect_timeout=0.5).ping())
    except redis.RedisError:
        return False


@pytest.mark.postgres
@pytest.mark.redis
def test_redis_restart_mid_run_loses_nothing(tmp_path: Path) -> None:
    require_redis()
    port = free_port()
    with fresh_postgres_database() as database_url:
        values = {
            "data_dir": str(tmp_path / "var"),
            "database_url": database_url,
            "broker_url": f"redis://127.0.0.1:{port}/0",
            **DRILL_SETTINGS,
        }
        settings = Settings(**values)  # type: ignore[arg-type]
        database = prepared_database(settings)
        with _redis_server(port, tmp_path) as first_redis:
            worker = WorkerProcess(hyposcore_env(**values), tmp_path / "worker.log").start()
            ids = _queue(database, settings, 4)
            wait_for(lambda: _some_debate_under_way(database, ids), 60, "a debate under way")
            first_redis.kill()  # everything queued in Redis is gone with it
            first_redis.wait(timeout=10)
        time.sleep(2)
        try:
            with _redis_server(port, tmp_path):
                _reap_until_finished(database, settings, ids, timeout=150)
        finally:
            worker.stop()
        assert_each_completed_exactly_once(database, ids)
        database.dispose()


@pytest.mark.postgres
@pytest.mark.redis
def test_dropped_postgresql_connections_are_retried(tmp_path: Path) -> None:
    require_redis()
    from tests.servers import POSTGRES_ADMIN_URL, REDIS_URL

    with fresh_postgres_database() as database_url:
        values = {
            "data_dir": str(tmp_path / "var"),
            "database_url": database_url,
            "broker_url": REDIS_URL,
            "broker_key_prefix": f"hyposcore-t-{uuid.uuid4().hex[:8]}:",
            **DRILL_SETTINGS,
        }
        settings = Settings(**values)  # type: ignore[arg-type]
        database = prepared_database(settings)
        name = database.engine.url.database
        with WorkerProcess(hyposcore_env(**values), tmp_path / "worker.log"):
            ids = _queue(database, settings, 4)
            wait_for(lambda: _some_debate_under_way(database, ids), 60, "a debate under way")
            admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                dropped = conn.execute(
                    text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE datname = :name AND pid <> pg_backend_pid()"
                    ),
                    {"name": name},
                ).all()
            admin.dispose()
            assert dropped, "the drill should have cut at least one connection"
            _reap_until_finished(database, settings, ids, timeout=150)
        assert_each_completed_exactly_once(database, ids)
        with database.sessions() as session:
            assert all(session.get(Evaluation, i) is not None for i in ids)
        database.dispose()
