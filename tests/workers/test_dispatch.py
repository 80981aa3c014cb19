"""Queueing writes the ledger first and sends one message carrying only the id."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from common.settings import Settings
from storage.db import Database
from storage.models import Evaluation, Hypothesis
from tests.servers import free_port
from tests.workers.pipeline_helpers import migrated_database
from workers.broker import purge_delivered, queue_depths
from workers.celery_app import create_app
from workers.dispatch import debate_config, submit_evaluation, submit_evaluations


@pytest.fixture
def embedded(tmp_path: Path) -> tuple[Settings, Database]:
    settings = Settings(data_dir=tmp_path / "var")
    database = migrated_database(settings)
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


def _sent(settings: Settings) -> list[tuple[str, str]]:
    """(task name, arguments) of every message on the embedded broker, in order."""
    sent = []
    for payload in _broker_payloads(settings):
        headers = payload["headers"]
        assert isinstance(headers, dict)
        sent.append((str(headers["task"]), str(headers["argsrepr"])))
    return sent


def _add_hypotheses(database: Database, count: int) -> list[str]:
    ids = [f"h-many{i:04d}" for i in range(count)]
    with database.transaction() as session:
        session.add_all(Hypothesis(id=i, title=f"Hypothesis {i}", statement="s") for i in ids)
    return ids


def test_offline_evaluations_queued_together_travel_in_batches(
    embedded: tuple[Settings, Database],
) -> None:
    settings, database = embedded
    settings = settings.model_copy(update={"offline_batch_size": 4})
    hypotheses = _add_hypotheses(database, 10)
    enqueued = submit_evaluations(
        database,
        settings,
        hypothesis_ids=hypotheses,
        config=debate_config(settings),
        app=create_app(settings),
    )
    ids = [e.evaluation.id for e in enqueued]
    assert all(e.created for e in enqueued) and len(set(ids)) == 10
    assert _sent(settings) == [
        ("hyposcore.evaluate_batch", f"[{ids[0:4]}]"),
        ("hyposcore.evaluate_batch", f"[{ids[4:8]}]"),
        ("hyposcore.evaluate_batch", f"[{ids[8:10]}]"),
    ]
    with database.sessions() as session:
        assert all(session.get(Evaluation, i).enqueued_at is not None for i in ids)  # type: ignore[union-attr]


def test_evaluations_of_a_model_or_a_slowed_backend_go_one_message_each(
    embedded: tuple[Settings, Database], monkeypatch: pytest.MonkeyPatch
) -> None:
    settings, database = embedded
    hypotheses = _add_hypotheses(database, 2)
    for evidence_delay, config in (
        ("0", debate_config(settings, backend="openai")),
        ("0.1", debate_config(settings)),
    ):
        monkeypatch.setenv("HYPOSCORE_EVIDENCE_DELAY_SECONDS", evidence_delay)
        enqueued = submit_evaluations(
            database,
            settings,
            hypothesis_ids=hypotheses,
            config=config,
            app=create_app(settings),
        )
        assert all(e.created for e in enqueued)
    assert [task for task, _ in _sent(settings)] == ["hyposcore.evaluate"] * 4


def test_a_worker_that_cannot_batch_sends_the_evaluations_on_one_by_one(
    embedded: tuple[Settings, Database], monkeypatch: pytest.MonkeyPatch
) -> None:
    settings, database = embedded
    hypotheses = _add_hypotheses(database, 3)
    ids = [
        e.evaluation.id
        for e in submit_evaluations(
            database,
            settings,
            hypothesis_ids=hypotheses,
            config=debate_config(settings),
            app=create_app(settings),
        )
    ]
    monkeypatch.setenv("HYPOSCORE_EVIDENCE_DELAY_SECONDS", "0.1")  # this worker's backend is slow
    app = create_app(settings)
    app.tasks["hyposcore.evaluate_batch"].apply(args=[ids])
    assert _sent(settings) == [
        ("hyposcore.evaluate_batch", f"[{ids}]"),
        *[("hyposcore.evaluate", f"[{i}]") for i in ids],
    ]
    with database.sessions() as session:
        # Nothing was claimed on the way: each single message can take its evaluation.
        assert {session.get(Evaluation, i).state for i in ids} == {"queued"}  # type: ignore[union-attr]
