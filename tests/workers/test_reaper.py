"""The reaper re-sends what was lost, not what is merely waiting in a long queue."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from celery import Celery
from kombu.exceptions import OperationalError
from sqlalchemy import create_engine, text, update

from common.settings import Settings, get_settings
from debates.backends.scripted import ScriptedBackend
from debates.types import DebateConfig
from storage.db import Database
from storage.models import Evaluation, utcnow
from tests.workers.pipeline_helpers import prepared_database, some_hypotheses
from workers import maintenance, tasks
from workers.broker import broker_queue_depth
from workers.celery_app import create_app
from workers.dispatch import debate_config, submit_evaluation
from workers.maintenance import MAX_PATIENCE_FACTOR, resend_patience


def test_patience_grows_with_the_wait_a_queue_implies() -> None:
    assert resend_patience(60, depth=0, per_second=0.0) == 60
    assert resend_patience(60, depth=None, per_second=0.0) == 60  # the broker cannot say
    # 100 messages ahead, 2 taken a second: ~50 s of honest waiting, doubled for slack.
    assert resend_patience(60, depth=100, per_second=2.0) == 160
    assert resend_patience(60, depth=100_000, per_second=2.0) == 60 * MAX_PATIENCE_FACTOR
    # Messages wait and nobody takes any: re-sending would only pile up duplicates.
    assert resend_patience(60, depth=5, per_second=0.0) == 60 * MAX_PATIENCE_FACTOR


@pytest.fixture
def pipeline() -> tuple[Settings, Database, Celery]:
    settings = get_settings().model_copy(update={"resend_after_seconds": 60})
    database = prepared_database(settings)
    return settings, database, create_app(settings)


def _age_messages(database: Database, ids: list[int], seconds: int) -> None:
    with database.transaction() as session:
        session.execute(
            update(Evaluation)
            .where(Evaluation.id.in_(ids))
            .values(enqueued_at=utcnow() - timedelta(seconds=seconds))
        )


def test_messages_waiting_in_the_queue_are_not_resent_but_lost_ones_are(
    pipeline: tuple[Settings, Database, Celery],
) -> None:
    settings, database, app = pipeline
    ids = [
        submit_evaluation(
            database, settings, hypothesis_id=h, config=debate_config(settings), app=app
        ).evaluation.id
        for h in some_hypotheses(database, 3)
    ]
    assert broker_queue_depth(app, "debates") == 3
    # Older than the re-send interval, but their messages are still queued and no worker
    # has taken anything lately: they are waiting, not lost.
    _age_messages(database, ids, 5 * 60)
    assert maintenance.reap(database, settings, app)["requeued"] == []
    assert broker_queue_depth(app, "debates") == 3
    # The broker loses them.
    engine = create_engine(settings.resolved_broker_url.removeprefix("sqla+"))
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM kombu_message"))
    engine.dispose()
    assert maintenance.reap(database, settings, app)["requeued"] == ids
    assert broker_queue_depth(app, "debates") == 3


def test_a_broker_error_while_handing_over_to_scoring_costs_no_attempt(
    pipeline: tuple[Settings, Database, Celery], monkeypatch: pytest.MonkeyPatch
) -> None:
    settings, database, app = pipeline
    [hypothesis] = some_hypotheses(database, 1)
    config = debate_config(settings, backend="scripted")
    evaluation_id = submit_evaluation(
        database, settings, hypothesis_id=hypothesis, config=config, app=app
    ).evaluation.id

    def factory(settings: Settings) -> Callable[[DebateConfig], ScriptedBackend]:
        return lambda config: ScriptedBackend()

    monkeypatch.setattr(tasks, "backend_factory", factory)
    send_task = app.send_task

    def redis_down(name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "hyposcore.score":
            raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")
        return send_task(name, *args, **kwargs)

    monkeypatch.setattr(app, "send_task", redis_down)
    app.tasks["hyposcore.evaluate"].apply(args=[evaluation_id])
    monkeypatch.setattr(app, "send_task", send_task)
    with database.sessions() as session:
        row = session.get(Evaluation, evaluation_id)
        assert row is not None
        # No lease to wait out: the debate is kept, and only its message is missing.
        assert (row.state, row.attempts, row.lease_expires_at) == ("debated", 1, None)
    assert broker_queue_depth(app, "scoring") == 0
    _age_messages(database, [evaluation_id], 2 * 60)
    assert maintenance.reap(database, settings, app)["rescored"] == [evaluation_id]
    assert broker_queue_depth(app, "scoring") == 1
    app.tasks["hyposcore.score"].apply(args=[evaluation_id])
    with database.sessions() as session:
        row = session.get(Evaluation, evaluation_id)
        assert row is not None and (row.state, row.attempts) == ("succeeded", 1)
