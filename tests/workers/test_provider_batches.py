"""Debates through provider batch APIs, against the loopback fakes' batch endpoints.

Each pass of ``BatchRunner`` collects the batches that ended and sends the next turn of every
waiting debate as one batch; the ledger records each batch and its items before the provider
hears of them. Answers are validated and stored exactly as live turns, at the batch price.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from typer.testing import CliRunner

from api.app import create_app as create_api
from common.settings import Settings, get_settings
from debates.backends.base import AgentBackend, FatalError
from debates.backends.llm_prices import DEFAULT_PRICES
from debates.backends.registry import create
from debates.backends.scripted import ScriptedBackend
from debates.prompts import build_turn_request
from debates.types import DebateConfig
from hyposcore.cli.main import app as cli_app
from storage.db import Database
from storage.models import (
    DebateTurn,
    Evaluation,
    ProviderBatch,
    ProviderBatchItem,
    SchedulerPass,
    utcnow,
)
from storage.queries import evaluations as ledger
from storage.queries.provider_batches import ItemAnswer
from storage.queries.reaper import sweep_expired
from storage.queries.workers import PROVIDER_BATCH_TASK, last_pass, record_pass
from tests.debates.protocol_helpers import make_case
from tests.fakes.anthropic_server import FakeAnthropicServer
from tests.fakes.openai_server import FakeOpenAIServer
from tests.workers.harness import WorkerProcess, hyposcore_env, wait_for
from tests.workers.pipeline_helpers import prepared_database
from workers.celery_app import create_app
from workers.dispatch import debate_config, submit_evaluation
from workers.provider_batches import BatchRunner, BatchTurnBackend, Pass

MODEL = "claude-sonnet-4-5"
CONFIG = {
    **DebateConfig(backend="anthropic", model=MODEL, min_rounds=2, max_rounds=2).as_dict(),
    "delivery": "batch",
}
HYPOTHESES = ("h-51e7234f", "h-94d3a6e8")


def settings(**overrides: object) -> Settings:
    return get_settings().model_copy(update={"backend": "anthropic", **overrides})


@pytest.fixture
def database() -> Database:
    return prepared_database(get_settings())


def factory(server: FakeAnthropicServer | FakeOpenAIServer, backend: str, model: str) -> Any:
    def backend_for(config: DebateConfig) -> AgentBackend:
        return create(backend, base_url=server.base_url, model=model, api_key="k")

    return backend_for


def runner(database: Database, server: FakeAnthropicServer, **overrides: object) -> BatchRunner:
    return BatchRunner(
        database,
        settings(**overrides),
        backend_for=factory(server, "anthropic", MODEL),
        owner="beat-worker",
    )


def queue(database: Database, hypothesis_id: str, config: dict[str, Any] = CONFIG) -> int:
    with database.transaction() as session:
        enqueued = ledger.enqueue_evaluation(
            session, hypothesis_id=hypothesis_id, config=config, max_attempts=3
        )
        return enqueued.evaluation.id


def states(database: Database) -> dict[int, str]:
    with database.sessions() as session:
        rows = session.execute(select(Evaluation.id, Evaluation.state)).all()
    return dict(rows)


def turns(database: Database, evaluation_id: int) -> list[DebateTurn]:
    with database.sessions() as session:
        return list(
            session.scalars(
                select(DebateTurn)
                .where(DebateTurn.evaluation_id == evaluation_id)
                .order_by(DebateTurn.id)
            )
        )


def run_until_debated(batch_runner: BatchRunner, limit: int = 40) -> list[Pass]:
    """Passes (a beat's) until no evaluation waits for a batch or for its next one."""
    passes = []
    for _ in range(limit):
        passes.append(batch_runner.run_pass())
        if not {"queued", "batched", "running"} & set(states(batch_runner.database).values()):
            return passes
    raise AssertionError("the debates never ended")


@pytest.fixture
def anthropic() -> Iterator[FakeAnthropicServer]:
    with FakeAnthropicServer(model=MODEL, batch_polls=0, caching=True) as fake:
        yield fake


def test_waiting_debates_go_one_round_per_batch_and_are_billed_at_half_price(
    database: Database, anthropic: FakeAnthropicServer
) -> None:
    ids = [queue(database, h) for h in HYPOTHESES]
    passes = run_until_debated(runner(database, anthropic))
    assert states(database) == dict.fromkeys(ids, "debated")
    assert sorted(i for p in passes for i in p.debated) == ids
    stored = {i: turns(database, i) for i in ids}
    # Every turn came from a batch, each holding one turn of each waiting debate.
    live_calls = [r for r in anthropic.requests if r.path.rstrip("/").endswith("/v1/messages")]
    assert live_calls == []
    with database.sessions() as session:
        batch_sizes = session.scalars(select(ProviderBatch.item_count)).all()
        items = session.scalar(select(func.count()).select_from(ProviderBatchItem))
    assert sum(batch_sizes) == items == sum(len(t) for t in stored.values())
    assert max(batch_sizes) == 2  # the two debates' turns shared their batches
    price = DEFAULT_PRICES[MODEL]
    for turn in stored[ids[0]]:
        read, written = turn.cached_read_tokens, turn.cache_write_tokens
        plain = turn.prompt_tokens - read - written
        full = (
            plain * price.input_per_million
            + read * price.cached_read
            + written * price.cache_write
            + turn.completion_tokens * price.output_per_million
        ) / 1e6
        assert full > 0 and turn.cost_usd == pytest.approx(full / 2)
    # Batch answers report the prompt cache as live replies do, and it is billed as such.
    assert all(turn.cached_read_tokens > 0 for turn in stored[ids[0]][1:])


def test_a_batch_that_partly_fails_and_partly_expires_asks_those_turns_live(
    database: Database,
) -> None:
    first, second = (queue(database, h) for h in HYPOTHESES)

    def faults(custom_id: str) -> str | None:
        if custom_id.startswith(f"e{first}-r1-"):
            return "error"
        if custom_id.startswith(f"e{second}-r1-"):
            return "expire"
        return None

    with FakeAnthropicServer(model=MODEL, batch_polls=0, batch_faults=faults) as server:
        batch_runner = runner(database, server)
        batch_runner.run_pass()  # sends round 1's first turns
        batch_runner.run_pass()  # collects them: one errored, one expired; both asked live
        live_calls = [r for r in server.requests if r.path.rstrip("/").endswith("/v1/messages")]
        run_until_debated(batch_runner)
    assert len(live_calls) == 2
    assert states(database) == {first: "debated", second: "debated"}
    with database.sessions() as session:
        rows = session.execute(
            select(ProviderBatchItem.evaluation_id, ProviderBatchItem.state).where(
                ProviderBatchItem.state != "answered"
            )
        ).all()
    failed_items = dict(rows)
    assert failed_items == {first: "errored", second: "expired"}


def test_without_live_retries_a_failed_item_fails_its_evaluation_with_the_reason(
    database: Database,
) -> None:
    first, second = (queue(database, h) for h in HYPOTHESES)

    def faults(custom_id: str) -> str | None:
        return "expire" if custom_id.startswith(f"e{first}-") else None

    with FakeAnthropicServer(model=MODEL, batch_polls=0, batch_faults=faults) as server:
        batch_runner = runner(database, server, provider_batch_retry_live=False)
        batch_runner.run_pass()
        done = batch_runner.run_pass()
    assert done.failed == [first]
    with database.sessions() as session:
        failed = session.get(Evaluation, first)
        assert failed is not None and failed.state == "failed"
        assert "provider batch item expired" in (failed.error or "")
    assert states(database)[second] == "batched"  # its next turn is in the next batch


def test_results_read_twice_are_stored_once(
    database: Database, anthropic: FakeAnthropicServer
) -> None:
    evaluation_id = queue(database, HYPOTHESES[0])
    batch_runner = runner(database, anthropic)
    batch_runner.run_pass()
    with database.sessions() as session:
        batch = session.scalars(select(ProviderBatch)).one()
        assert batch.provider_batch_id is not None
        provider_batch_id, batch_id = batch.provider_batch_id, batch.id
    provider = batch_runner._provider("anthropic", MODEL)
    first, again = Pass(), Pass()
    # The same results, delivered to two passes (a redelivered beat task, two beats at once).
    batch_runner._collect_one(batch_id, provider_batch_id, provider, first)
    batch_runner._collect_one(batch_id, provider_batch_id, provider, again)
    assert (first.collected, again.collected) == ([batch_id], [])
    batch_runner.submit(Pass())
    batch_runner.submit(Pass())
    stored = turns(database, evaluation_id)
    assert len(stored) == 1
    with database.sessions() as session:
        billed = session.scalar(
            select(func.sum(DebateTurn.cost_usd)).where(DebateTurn.evaluation_id == evaluation_id)
        )
    assert billed == pytest.approx(stored[0].cost_usd)


def test_the_openai_batch_api_carries_a_debate_to_its_end(database: Database) -> None:
    config = {**CONFIG, "backend": "openai", "model": "gpt-4o-mini"}
    evaluation_id = queue(database, HYPOTHESES[0], config)
    with FakeOpenAIServer(model="gpt-4o-mini", batch_polls=1) as server:
        batch_runner = BatchRunner(
            database,
            settings(backend="openai"),
            backend_for=factory(server, "openai", "gpt-4o-mini"),
            owner="beat-worker",
        )
        run_until_debated(batch_runner)
        chat_calls = [r for r in server.requests if r.path.endswith("/chat/completions")]
    assert chat_calls == []
    assert states(database) == {evaluation_id: "debated"}
    assert len(turns(database, evaluation_id)) >= 4


def test_urgent_work_stays_live_and_batch_work_needs_no_message(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    # No base URL: the provider's own API, which has a batch API.
    monkeypatch.delenv("HYPOSCORE_ANTHROPIC_BASE_URL", raising=False)
    current = settings()
    assert "delivery" not in debate_config(current, urgent=True)
    assert debate_config(current, urgent=False)["delivery"] == "batch"
    off = settings(provider_batches=False)
    assert "delivery" not in debate_config(off, urgent=False)
    sent: list[str] = []

    class RecordingApp:
        def send_task(self, name: str, **options: object) -> None:
            sent.append(name)

    send: Callable[..., Any] = submit_evaluation
    waiting = send(
        database,
        current,
        hypothesis_id=HYPOTHESES[0],
        config=debate_config(current, urgent=False),
        app=RecordingApp(),
    ).evaluation.id
    send(
        database,
        current,
        hypothesis_id=HYPOTHESES[1],
        config=debate_config(current, urgent=True),
        app=RecordingApp(),
    )
    assert sent == ["hyposcore.evaluate"]  # only the urgent one
    with database.transaction() as session:
        sweep = sweep_expired(session, resend_after_seconds=0)
    assert waiting not in sweep.requeue  # the reaper leaves batch work to the batch pass


@pytest.mark.slow
def test_a_real_worker_debates_and_scores_through_batches_that_beat_polls(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The wiring: a queue request without --now, a worker process, and the beat task (sent
    here as beat sends it) carry an evaluation from queued through batches to succeeded."""
    with FakeAnthropicServer(model=MODEL, batch_polls=1) as server:
        values = {
            "data_dir": str(tmp_path / "var"),
            "backend": "anthropic",
            "anthropic_base_url": server.base_url,
            "anthropic_api_key": "k",
            "anthropic_model": MODEL,
            "anthropic_batches": "true",
            "min_rounds": "2",
            "max_rounds": "2",
        }
        for name, value in values.items():
            monkeypatch.setenv(f"HYPOSCORE_{name.upper()}", value)
        current = Settings(data_dir=tmp_path / "var", backend="anthropic")
        database = prepared_database(current)
        app = create_app(current)
        config = debate_config(current, urgent=False)
        assert config["delivery"] == "batch"
        evaluation_id = submit_evaluation(
            database, current, hypothesis_id=HYPOTHESES[0], config=config, app=app
        ).evaluation.id
        with WorkerProcess(hyposcore_env(**values), tmp_path / "worker.log"):

            def succeeded() -> bool:
                app.send_task("hyposcore.provider_batches", queue="debates")
                return states(database)[evaluation_id] == "succeeded"

            wait_for(succeeded, 120, "the batched evaluation to succeed", interval=1.0)
        live_calls = [r for r in server.requests if r.path.rstrip("/").endswith("/v1/messages")]
        assert live_calls == []
        assert len(server.batches) == len(turns(database, evaluation_id)) >= 4
    database.dispose()


def test_status_and_the_api_name_the_batch_that_holds_a_turn(
    database: Database, anthropic: FakeAnthropicServer
) -> None:
    evaluation_id = queue(database, HYPOTHESES[0])
    live_id = queue(database, HYPOTHESES[1], {**CONFIG, "delivery": "live"})

    # Before beat's first pass nothing is sent, and both views say what would send it.
    def waiting() -> tuple[str, str]:
        said = CliRunner().invoke(cli_app, ["status", str(evaluation_id)], env={"COLUMNS": "250"})
        with TestClient(create_api(get_settings(), database)) as client:
            page = client.get(f"/web/evaluations/{evaluation_id}").text
        return " ".join(said.output.split()), " ".join(html.unescape(page).split())

    said, page = waiting()
    never = (
        "no provider-batch pass has run yet (only beat starts one): is `hyposcore beat` running?"
    )
    assert f"delivery: provider batches · no turn sent yet; {never}" in said
    assert f"no turn sent yet: {never}" in page
    poll = get_settings().provider_batch_poll_seconds
    for seconds_ago, expected in (
        (poll / 2, "beat's next provider-batch pass sends it (the last ran "),
        (10 * poll, "the last provider-batch pass ran 10 min ago: is `hyposcore beat` running?"),
    ):
        with database.transaction() as session:
            session.query(SchedulerPass).delete()
            record_pass(
                session, task=PROVIDER_BATCH_TASK, now=utcnow() - timedelta(seconds=seconds_ago)
            )
        said, page = waiting()
        assert f"no turn sent yet; {expected}" in said
        assert f"no turn sent yet: {expected}" in page
    runner(database, anthropic).run_pass()
    with database.sessions() as session:  # a pass records that it ran
        last = last_pass(session, task=PROVIDER_BATCH_TASK)
        assert last is not None and utcnow() - last < timedelta(seconds=60)
    [sent] = anthropic.batches
    status = CliRunner().invoke(cli_app, ["status", str(evaluation_id)], env={"COLUMNS": "250"})
    assert status.exit_code == 0, status.output
    said = " ".join(status.output.split())
    assert "state: batched" in said
    assert f"delivery: provider batches · round 1, theorist in anthropic batch {sent.id}" in said
    assert "(submitted; this turn waiting)" in said
    live = CliRunner().invoke(cli_app, ["status", str(live_id)], env={"COLUMNS": "250"})
    assert "delivery: live" in " ".join(live.output.split())
    with TestClient(create_api(get_settings(), database)) as client:
        shown = client.get(f"/evaluations/{evaluation_id}").json()
        metrics = client.get("/metrics").text
        page = client.get(f"/web/evaluations/{evaluation_id}").text
    assert 'hyposcore_provider_batches{backend="anthropic",state="submitted"} 1.0' in metrics
    assert (
        'hyposcore_provider_batch_items_total{backend="anthropic",state="waiting"} 1.0' in metrics
    )
    assert 'hyposcore_evaluations{state="batched"} 1.0' in metrics
    assert "no turn sent yet" not in page
    assert shown["state"] == "batched" and shown["config"]["delivery"] == "batch"
    batch = shown["provider_batch"]
    assert (batch["provider_batch_id"], batch["state"], batch["item_state"]) == (
        sent.id,
        "submitted",
        "waiting",
    )
    assert (batch["round"], batch["persona"]) == (1, "theorist")
    assert "provider batches (half price, answers within 24 hours)" in page
    assert f"sent in anthropic batch <code>{sent.id}</code>" in page


def test_queue_without_now_says_the_work_goes_through_batches(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HYPOSCORE_BACKEND", "anthropic")
    monkeypatch.setenv("HYPOSCORE_ANTHROPIC_BATCHES", "true")
    monkeypatch.setenv("HYPOSCORE_ANTHROPIC_BASE_URL", "http://127.0.0.1:9")
    get_settings.cache_clear()
    try:
        waiting = CliRunner().invoke(cli_app, ["queue", HYPOTHESES[0]], env={"COLUMNS": "250"})
        urgent = CliRunner().invoke(
            cli_app, ["queue", HYPOTHESES[1], "--now"], env={"COLUMNS": "250"}
        )
    finally:
        get_settings.cache_clear()
    assert waiting.exit_code == 0, waiting.output
    assert "through the provider's batch API" in waiting.output
    assert urgent.exit_code == 0 and "batch API" not in urgent.output
    with database.sessions() as session:
        configs = {e.hypothesis_id: e.config for e in session.scalars(select(Evaluation))}
    assert configs[HYPOTHESES[0]]["delivery"] == "batch"
    assert "delivery" not in configs[HYPOTHESES[1]]


REFUSED = ItemAnswer("errored", error="HTTP 400: prompt too long", retryable=False)
EXPIRED = ItemAnswer("expired", error="the window ended")


@pytest.mark.parametrize(
    ("answer", "retry_live", "asked_live"),
    [(REFUSED, True, False), (EXPIRED, True, True), (EXPIRED, False, False)],
)
def test_a_failed_item_is_asked_live_only_when_a_retry_may_pass_and_retries_are_on(
    answer: ItemAnswer, retry_live: bool, asked_live: bool
) -> None:
    live = ScriptedBackend()
    backend = BatchTurnBackend(
        live, provider=None, answer_for=lambda round_, persona: answer, retry_live=retry_live
    )
    request = build_turn_request(
        make_case(), "theorist", round=1, phase="opening", transcript=(), panel=["theorist"]
    )
    if asked_live:
        assert backend.complete(request).output is not None
        assert len(live.requests) == 1
    else:
        with pytest.raises(FatalError, match="round 1, theorist: the provider batch item"):
            backend.complete(request)
        assert live.requests == []
