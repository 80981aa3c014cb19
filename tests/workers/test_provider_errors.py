"""A real worker meets a real (loopback) provider that rate-limits, fails and refuses."""

from __future__ import annotations

from pathlib import Path

import pytest

from common.settings import Settings
from storage.db import Database
from storage.models import Evaluation
from storage.queries.spending import billed_usage
from tests.fakes.openai_server import FakeOpenAIServer
from tests.workers.harness import WorkerProcess, all_finished, hyposcore_env, wait_for
from tests.workers.pipeline_helpers import prepared_database
from workers.celery_app import create_app
from workers.dispatch import debate_config, submit_evaluation

pytestmark = pytest.mark.slow


def _evaluate_with(tmp_path: Path, server: FakeOpenAIServer) -> tuple[Database, Evaluation, str]:
    values = {
        "data_dir": str(tmp_path / "var"),
        "backend": "openai",
        "openai_base_url": server.base_url,
        "openai_model": "fake-model",
        "llm_timeout_seconds": "5",
    }
    settings = Settings(**values)  # type: ignore[arg-type]
    database = prepared_database(settings)
    log = tmp_path / "worker.log"
    with WorkerProcess(hyposcore_env(**values), log):
        evaluation_id = submit_evaluation(
            database,
            settings,
            hypothesis_id="h-51e7234f",
            config=debate_config(settings),
            app=create_app(settings),
        ).evaluation.id
        wait_for(lambda: all_finished(database, [evaluation_id]), 90, "the evaluation")
    with database.sessions() as session:
        row = session.get(Evaluation, evaluation_id)
    assert row is not None
    return database, row, log.read_text(errors="replace")


def test_rate_limits_and_server_errors_are_waited_out(tmp_path: Path) -> None:
    with FakeOpenAIServer() as server:
        server.script(
            server.error(429, "slow down", headers={"Retry-After": "1"}),
            server.error(500, "boom"),
        )
        database, evaluation, log = _evaluate_with(tmp_path, server)
        requests = len(server.requests)
    assert evaluation.state == "succeeded", evaluation.error
    # The worker built its default backend at start, before its first debate asked anything.
    assert log.index("backend 'openai' built in") < log.index("retry 1 in 1.0s")
    assert "retry 1 in 1.0s" in log  # the 429's Retry-After was honoured
    assert "retry 2 in" in log  # the 500 was retried with back-off
    # The retried turn was asked again, never stored twice: the ledger has each turn once.
    with database.sessions() as session:
        row = session.get(Evaluation, evaluation.id)
        assert row is not None
        turns = [(t.round, t.persona) for t in row.turns]
    assert len(turns) == len(set(turns)) == requests - 2
    assert evaluation.attempts == 1


def test_a_refused_key_fails_the_evaluation_with_a_clear_message(tmp_path: Path) -> None:
    with FakeOpenAIServer() as server:
        server.script(server.error(401, "Incorrect API key provided"))
        _, evaluation, _ = _evaluate_with(tmp_path, server)
    assert evaluation.state == "failed"
    assert evaluation.error is not None
    assert "FatalError" in evaluation.error and "401" in evaluation.error


def test_a_failed_evaluation_records_every_token_the_provider_billed(tmp_path: Path) -> None:
    """Issue 11, defect 14: the ledger's tokens equal the tokens served, whatever the outcome."""
    with FakeOpenAIServer() as server:
        server.script(
            server.success(server.default_content),
            server.success(server.default_content),
            server.success("not the JSON asked for"),
            server.success("still not it"),
        )
        database, evaluation, _ = _evaluate_with(tmp_path, server)
        # Each of the four scripted answers bills 100 prompt and 50 completion tokens.
        assert len(server.requests) == 4
        served = 4 * (100 + 50)
    assert evaluation.state == "failed", evaluation.state
    with database.sessions() as session:
        billed = billed_usage(session, evaluation_id=evaluation.id)
    assert billed.prompt_tokens + billed.completion_tokens == served
    assert billed.unanswered_calls == 1
