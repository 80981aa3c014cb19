"""A worker process's database engine is sized by the settings, once per process."""

from __future__ import annotations

from pathlib import Path

from common.settings import Settings
from workers.celery_app import create_app
from workers.runtime import runtime_for


def test_the_runtime_pool_follows_the_settings_and_is_built_once(tmp_path: Path) -> None:
    settings = Settings(
        data_dir=tmp_path,
        database_url="postgresql://nobody@127.0.0.1:1/none",  # never connected to here
        broker_url="memory://",
        database_pool_size=7,
        database_max_overflow=3,
    )
    app = create_app(settings)
    runtime = runtime_for(app)
    pool = runtime.database.engine.pool
    assert (pool.size(), pool._max_overflow) == (7, 3)  # type: ignore[attr-defined]
    assert runtime_for(app) is runtime
    runtime.database.dispose()


def test_task_events_are_off_unless_asked_for(tmp_path: Path) -> None:
    quiet = create_app(Settings(data_dir=tmp_path, broker_url="memory://"))
    assert not quiet.conf.worker_send_task_events and not quiet.conf.task_send_sent_event
    watched = create_app(Settings(data_dir=tmp_path, broker_url="memory://", task_events=True))
    assert watched.conf.worker_send_task_events and watched.conf.task_send_sent_event
