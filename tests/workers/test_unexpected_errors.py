"""An exception nobody expected ends its delivery at once, with its cause stored and shown.

The tasks run in this process (``Task.apply``) against a scripted backend that raises what
no backend classifies: a bare ValueError, or the JSONDecodeError an SDK raises on a cut-off
body. Each delivery must move the attempt counter by one and leave the evaluation queued for a
retry (or failed once its attempts are spent), never running until its lease expires.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from celery import Celery
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.app import create_app as create_api
from common.settings import Settings, get_settings
from debates.backends.scripted import ScriptedBackend
from debates.types import DebateConfig
from hyposcore.cli.main import app as cli_app
from storage.db import Database
from storage.models import DebateTurn, Evaluation, ScoreSnapshot
from tests.workers.pipeline_helpers import prepared_database
from workers import scoring_phase, tasks
from workers.celery_app import create_app
from workers.dispatch import debate_config, submit_evaluation

UNEXPECTED = [
    pytest.param(ValueError("persona 'nosuchpersona' is not known"), id="bare-ValueError"),
    pytest.param(json.JSONDecodeError("Unterminated string", '{"argument": "cut', 13), id="cut"),
]


@pytest.fixture
def pipeline() -> tuple[Settings, Database, Celery]:
    settings = get_settings()
    database = prepared_database(settings)
    return settings, database, create_app(settings)


def _queue_scripted(settings: Settings, database: Database, app: Celery) -> int:
    config = debate_config(settings, backend="scripted")
    return submit_evaluation(
        database, settings, hypothesis_id="h-51e7234f", config=config, app=app
    ).evaluation.id


def _use_backend(monkeypatch: pytest.MonkeyPatch, script: Any) -> None:
    def factory(settings: Settings) -> Callable[[DebateConfig], ScriptedBackend]:
        return lambda config: ScriptedBackend(script)

    monkeypatch.setattr(tasks, "backend_factory", factory)


def _row(database: Database, evaluation_id: int) -> Evaluation:
    with database.sessions() as session:
        row = session.get(Evaluation, evaluation_id)
        assert row is not None
        return row


@pytest.mark.parametrize("error", UNEXPECTED)
def test_each_delivery_ends_at_once_and_spends_one_attempt(
    pipeline: tuple[Settings, Database, Celery],
    monkeypatch: pytest.MonkeyPatch,
    error: Exception,
) -> None:
    settings, database, app = pipeline
    evaluation_id = _queue_scripted(settings, database, app)

    def broken(request: object) -> None:
        raise error

    _use_backend(monkeypatch, broken)
    expected = f"{type(error).__name__}: {error}"
    for delivery in range(1, settings.max_attempts + 1):
        app.tasks["hyposcore.evaluate"].apply(args=[evaluation_id])
        row = _row(database, evaluation_id)
        assert row.attempts == delivery
        assert row.error == expected
        assert row.lease_owner is None and row.lease_expires_at is None
        last = delivery == settings.max_attempts
        assert row.state == ("failed" if last else "queued")
        # Released for a retry: its message is out again (the back-off is in the message).
        assert (row.enqueued_at is not None) == (not last)
    # A further message finds nothing to do: the attempts are spent.
    app.tasks["hyposcore.evaluate"].apply(args=[evaluation_id])
    assert _row(database, evaluation_id).attempts == settings.max_attempts

    status = CliRunner().invoke(cli_app, ["status", str(evaluation_id)], env={"COLUMNS": "220"})
    assert status.exit_code == 0, status.output
    assert "failed" in status.output and f"error: {expected}" in status.output
    with TestClient(create_api(settings, database)) as client:
        shown = client.get(f"/evaluations/{evaluation_id}").json()
    assert (shown["state"], shown["error"], shown["attempts"]) == ("failed", expected, 3)


def test_a_model_debate_is_handed_to_scoring_and_scored_once(
    pipeline: tuple[Settings, Database, Celery], monkeypatch: pytest.MonkeyPatch
) -> None:
    settings, database, app = pipeline
    evaluation_id = _queue_scripted(settings, database, app)
    _use_backend(monkeypatch, None)
    app.tasks["hyposcore.evaluate"].apply(args=[evaluation_id])
    row = _row(database, evaluation_id)
    # The debate is stored and the lease given up: a scoring backlog cannot expire it.
    assert (row.state, row.lease_owner, row.lease_expires_at) == ("debated", None, None)
    assert row.attempts == 1 and row.enqueued_at is not None
    for _ in range(2):  # the second (duplicate) score message finds nothing to do
        app.tasks["hyposcore.score"].apply(args=[evaluation_id])
    row = _row(database, evaluation_id)
    assert (row.state, row.attempts, row.error) == ("succeeded", 1, None)
    with database.sessions() as session:
        snapshots = session.query(ScoreSnapshot).filter_by(evaluation_id=evaluation_id).count()
        turns = session.query(DebateTurn).filter_by(evaluation_id=evaluation_id).count()
    assert snapshots == 1 and turns > 0


def test_an_unexpected_error_while_scoring_is_counted_and_the_debate_kept(
    pipeline: tuple[Settings, Database, Celery], monkeypatch: pytest.MonkeyPatch
) -> None:
    settings, database, app = pipeline
    evaluation_id = _queue_scripted(settings, database, app)
    _use_backend(monkeypatch, None)
    app.tasks["hyposcore.evaluate"].apply(args=[evaluation_id])

    def broken(*args: object, **kwargs: object) -> None:
        raise KeyError("market")

    with monkeypatch.context() as patch:
        patch.setattr(scoring_phase, "score_batch", broken)
        app.tasks["hyposcore.score"].apply(args=[evaluation_id])
    row = _row(database, evaluation_id)
    assert (row.state, row.attempts, row.error) == ("debated", 2, "KeyError: 'market'")
    assert row.enqueued_at is not None  # its score message was sent again
    app.tasks["hyposcore.score"].apply(args=[evaluation_id])
    assert _row(database, evaluation_id).state == "succeeded"
