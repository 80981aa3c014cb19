"""End to end with a real worker process: embedded SQLite, Redis or RabbitMQ with PostgreSQL."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from common.settings import Settings
from tests.servers import (
    REDIS_URL,
    fresh_postgres_database,
    fresh_rabbitmq_vhost,
    require_redis,
)
from tests.workers.harness import WorkerProcess, all_finished, hyposcore_env, wait_for
from tests.workers.pipeline_helpers import (
    assert_each_completed_exactly_once,
    prepared_database,
    some_hypotheses,
)
from workers.celery_app import create_app
from workers.dispatch import debate_config, submit_evaluation, submit_evaluations

pytestmark = pytest.mark.slow


def _run(tmp_path: Path, **overrides: str) -> None:
    values = {"data_dir": str(tmp_path / "var"), **overrides}
    settings = Settings(**values)  # type: ignore[arg-type]
    database = prepared_database(settings)
    app = create_app(settings)
    hypotheses = some_hypotheses(database, 6)
    with WorkerProcess(hyposcore_env(**values), tmp_path / "worker.log"):
        # Two queued one by one (a message each), four together (one message of ids).
        ids = [
            submit_evaluation(
                database, settings, hypothesis_id=h, config=debate_config(settings), app=app
            ).evaluation.id
            for h in hypotheses[:2]
        ]
        ids += [
            e.evaluation.id
            for e in submit_evaluations(
                database,
                settings,
                hypothesis_ids=hypotheses[2:],
                config=debate_config(settings),
                app=app,
            )
        ]
        wait_for(lambda: all_finished(database, ids), 120, "the evaluations to finish")
    assert_each_completed_exactly_once(database, ids)
    database.dispose()


def test_embedded_sqlite_broker(tmp_path: Path) -> None:
    _run(tmp_path)


@pytest.mark.postgres
@pytest.mark.redis
def test_redis_broker_with_postgresql(tmp_path: Path) -> None:
    require_redis()
    with fresh_postgres_database() as database_url:
        _run(
            tmp_path,
            database_url=database_url,
            broker_url=REDIS_URL,
            broker_key_prefix=f"hyposcore-t-{uuid.uuid4().hex[:8]}:",
        )


@pytest.mark.postgres
@pytest.mark.rabbitmq
def test_rabbitmq_broker_with_postgresql(tmp_path: Path) -> None:
    with fresh_postgres_database() as database_url, fresh_rabbitmq_vhost() as amqp_url:
        _run(tmp_path, database_url=database_url, broker_url=amqp_url)
