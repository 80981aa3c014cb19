"""Queueing writes the ledger first and sends one message carrying only the id."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from hyposcore.settings import Settings
from storage.db import Database
from storage.models import Evaluation, Hypothesis
from tests.servers import free_port
from workers.broker import purge_delivered, queue_depths
from workers.celery_app import create_app
from workers.dispatch import debate_config, submit_evaluation


@pytest.fixture
def embedded(tmp_path: Path) -> tuple[Settings, Database]:
    settings = Settings(data_dir=tmp_path / "var")
    settings.ensure_data_dir()
    database = Database(settings.resolved_database_url)
    database.upgrade()
    with database.transaction() as session:
        session.add(Hypothesis(id="h-disp0001", title="Dispatch test", statement="s"))
    return settings, database


def _broker_payloads(settings: Settings) -> list[dict[str, object]]:
    engine = create_engine(settings.resolved_broker_url.removeprefix("sqla+"))
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT payload FROM kombu_message")).all()
    engine.dispose()
    return [json.loads(row[0]) for row in rows]


def test_submit_writes_the_ledger_and_one_message(embedded: tuple[Settings, Database]) -> None:
    settings, database = embedded
    app = create_app(settings)
    config = debate_config(settings)
    first = submit_evaluation(
        database, settings, hypothesis_id="h-disp0001", config=config, app=app
    )
    again = submit_evaluation(
        database, settings, hypothesis_id="h-disp0001", config=config, app=app
    )
    assert first.created and not again.created
    assert again.evaluation.id == first.evaluation.id
    assert queue_depths(settings.resolved_broker_url) == {"debates": 1}
    (payload,) = _broker_payloads(settings)
    headers = payload["headers"]
    assert isinstance(headers, dict)
    assert headers["task"] == "hyposcore.evaluate"
    assert headers["argsrepr"] == f"[{first.evaluation.id}]"
    with database.sessions() as session:
        row = session.get(Evaluation, first.evaluation.id)
        assert row is not None and row.state == "queued" and row.enqueued_at is not None


def test_a_broker_that_is_down_leaves_the_evaluation_for_the_reaper(
    embedded: tuple[Settings, Database],
) -> None:
    settings, database = embedded
    down = settings.model_copy(update={"broker_url": f"redis://127.0.0.1:{free_port()}/0"})
    app = create_app(down)
    enqueued = submit_evaluation(
        database, down, hypothesis_id="h-disp0001", config=debate_config(down), app=app
    )
    assert enqueued.created
    with database.sessions() as session:
        row = session.get(Evaluation, enqueued.evaluation.id)
        assert row is not None and row.state == "queued" and row.enqueued_at is None


def test_bad_round_limits_are_refused_with_the_values(embedded: tuple[Settings, Database]) -> None:
    settings, _ = embedded
    with pytest.raises(ValueError, match="min_rounds=5, max_rounds=3"):
        debate_config(settings, min_rounds=5, max_rounds=3)


def test_purge_removes_only_delivered_messages(embedded: tuple[Settings, Database]) -> None:
    settings, database = embedded
    app = create_app(settings)
    submit_evaluation(
        database, settings, hypothesis_id="h-disp0001", config=debate_config(settings), app=app
    )
    engine = create_engine(settings.resolved_broker_url.removeprefix("sqla+"))
    with engine.begin() as connection:
        connection.execute(text("UPDATE kombu_message SET visible = 0"))
    engine.dispose()
    submit_evaluation(
        database,
        settings,
        hypothesis_id="h-disp0001",
        config=debate_config(settings),
        force=True,
        app=app,
    )
    assert purge_delivered(settings.resolved_broker_url) == 1
    assert queue_depths(settings.resolved_broker_url) == {"debates": 1}
    assert len(_broker_payloads(settings)) == 1
