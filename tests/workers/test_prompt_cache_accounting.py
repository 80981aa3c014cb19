"""A model debate through the worker phases against a caching Anthropic fake: the fence token
is stored, a debate resumed after a spend-limit pause reuses the provider's cache, and the
cached tokens reach the ledger, ``hyposcore status``, the API and ``/metrics``."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from api.app import create_app as create_api
from common.settings import Settings, get_settings
from debates.backends.base import AgentBackend
from debates.backends.llm_prices import DEFAULT_PRICES
from debates.backends.registry import create
from debates.types import DebateConfig
from hyposcore.cli.main import app as cli_app
from storage.db import Database
from storage.models import DebateTurn, Evaluation
from tests.fakes.anthropic_server import FakeAnthropicServer, text_of
from tests.workers.pipeline_helpers import prepared_database
from workers import offline_batch
from workers.celery_app import create_app
from workers.dispatch import debate_config, submit_evaluation
from workers.evaluation import run_debate_phase
from workers.spending import SpendLimitError, pause, resumable

MODEL = "claude-sonnet-4-5"


@pytest.fixture
def server() -> Iterator[FakeAnthropicServer]:
    with FakeAnthropicServer(model=MODEL, caching=True) as fake:
        yield fake


def settings(**overrides: object) -> Settings:
    return get_settings().model_copy(update={"backend": "anthropic", **overrides})


def debate_once(
    database: Database, limits: Settings, server: FakeAnthropicServer, evaluation_id: int
) -> None:
    def backend_for(config: DebateConfig) -> AgentBackend:
        return create("anthropic", base_url=server.base_url, model=MODEL, api_key="k")

    [claimed] = offline_batch.claim(database, limits, evaluation_ids=[evaluation_id], owner="w")
    stopped: SpendLimitError | None = None
    try:
        run_debate_phase(database, limits, claimed, owner="w", backend_for=backend_for)
    except SpendLimitError as stop:
        stopped = stop
    if stopped is not None:
        assert pause(database, evaluation_id=evaluation_id, owner="w", stop=stopped)


def test_a_resumed_debate_reads_its_prefix_from_the_cache_and_every_count_is_shown(
    server: FakeAnthropicServer,
) -> None:
    # The settings' own database, which the CLI and the API read too.
    db = prepared_database(get_settings())
    first_turn = 2500 * DEFAULT_PRICES[MODEL].cache_write / 1e6  # a rough turn's cost
    limited = settings(max_cost_per_evaluation=first_turn * 2.5)
    evaluation_id = submit_evaluation(
        db,
        limited,
        hypothesis_id="h-51e7234f",
        config=debate_config(limited),
        app=create_app(limited),
    ).evaluation.id
    debate_once(db, limited, server, evaluation_id)
    with db.sessions() as session:
        paused = session.get(Evaluation, evaluation_id)
        assert paused is not None and paused.state == "paused"
        token = paused.fence_token
    asked_before = len(server.requests)
    assert token and asked_before >= 2

    assert resumable(db, settings(), now=datetime.now(UTC)) == [evaluation_id]
    debate_once(db, settings(), server, evaluation_id)
    bodies = [request.json() for request in server.requests]
    assert len(bodies) > asked_before
    systems = {text_of(body["system"]) for body in bodies}
    assert len(systems) == 1  # the rules, the same for every turn
    # The stored fence, kept on resume: every turn names the same data token.
    heads = {text_of(body["messages"][0]["content"]).split("\n", 1)[0] for body in bodies}
    assert heads == {f"Data token: {token}"}
    with db.sessions() as session:
        turns = list(
            session.scalars(
                select(DebateTurn)
                .where(DebateTurn.evaluation_id == evaluation_id)
                .order_by(DebateTurn.id)
            )
        )
        session.expunge_all()
    assert len(turns) == len(bodies)
    # The first turn after the pause reads the prefix the turns before it cached.
    assert turns[asked_before].cached_read_tokens > 0
    assert all(turn.cached_read_tokens > 0 for turn in turns[1:])
    read = sum(turn.cached_read_tokens for turn in turns)
    written = sum(turn.cache_write_tokens for turn in turns)

    status = CliRunner().invoke(cli_app, ["status", str(evaluation_id)], env={"COLUMNS": "250"})
    assert status.exit_code == 0, status.output
    assert f"prompt cache: {read} read, {written} written" in status.output
    with TestClient(create_api(get_settings(), db)) as client:
        billed = client.get(f"/evaluations/{evaluation_id}").json()["billed"]
        metrics = client.get("/metrics").text
        spend = client.get("/hypotheses/h-51e7234f/spend").json()
        page = client.get("/web/hypotheses/h-51e7234f").text
    # Per hypothesis over time: today, everything this evaluation was billed.
    [today] = spend["days"]
    assert today["day"] == datetime.now(UTC).date().isoformat()
    assert (today["cached_read_tokens"], spend["cached_read_tokens"]) == (read, read)
    assert spend["cost_usd"] == pytest.approx(sum(turn.cost_usd for turn in turns))
    assert "Billed by model providers, by day" in page
    by_day = CliRunner().invoke(
        cli_app, ["status", "--hypothesis", "h-51e7234f"], env={"COLUMNS": "250"}
    )
    assert by_day.exit_code == 0 and "billed for h-51e7234f, by day" in by_day.output
    assert (billed["cached_read_tokens"], billed["cache_write_tokens"]) == (read, written)
    line = (
        f'hyposcore_billed_tokens_total{{backend="anthropic",kind="cached_read",'
        f'model="{MODEL}"}} {float(read)}'
    )
    assert line in metrics
    assert 'hyposcore_billed_cost_usd_total{backend="anthropic"' in metrics
