"""Scheduled messages that piled up while no worker ran expire instead of all running at once."""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path

import pytest

from common.settings import get_settings
from hyposcore.cli.common import open_database
from storage.db import Database
from storage.importing import import_hypotheses
from storage.models import TournamentMatch
from tests.workers.harness import WorkerProcess, hyposcore_env, wait_for
from tests.workers.pipeline_helpers import dataset_path
from workers.broker import queue_depths
from workers.celery_app import beat_schedule, create_app


def test_every_scheduled_message_expires_when_the_next_is_sent() -> None:
    schedule = beat_schedule(get_settings())
    assert len(schedule) == 5
    for name, entry in schedule.items():
        period = entry["schedule"]
        assert isinstance(period, timedelta), name
        assert entry["options"] == {"expires": period.total_seconds()}, name


@pytest.mark.slow
def test_a_worker_back_from_an_outage_runs_only_the_round_sent_last(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HYPOSCORE_TOURNAMENT_INTERVAL_SECONDS", "10")
    get_settings.cache_clear()
    settings = get_settings()
    database = open_database()
    import_hypotheses(database, dataset_path())
    app = create_app(settings)
    entry = beat_schedule(settings)["tournament-round"]
    # Beat sends a round every 10 s while no worker consumes: two piled up, the first stale.
    app.send_task(str(entry["task"]), **entry["options"])  # type: ignore[arg-type]
    time.sleep(10.5)
    app.send_task(str(entry["task"]), **entry["options"])  # type: ignore[arg-type]
    env = hyposcore_env(
        data_dir=str(settings.data_dir), tournament_interval_seconds="10", tournament_pairs="3"
    )
    # One thread: the rounds would run one after the other, each judging its own three pairs.
    worker = WorkerProcess(
        env, tmp_path / "worker.log", queues="debates", name="back", concurrency=1
    )
    with worker:
        wait_for(
            lambda: (
                sum(queue_depths(settings.resolved_broker_url).values()) == 0
                and _matches(database) >= 3
            ),
            60,
            "the queued rounds to be taken",
        )
        time.sleep(1.0)  # a second round, had it run, would have judged by now
    assert _matches(database) == 3  # one round of three pairs: the stale message expired
    database.dispose()


def _matches(database: Database) -> int:
    with database.sessions() as session:
        return session.query(TournamentMatch).count()
