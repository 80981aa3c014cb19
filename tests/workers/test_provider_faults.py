"""Real workers meet a provider that breaks replies on the wire (issue 17).

The loopback fakes answer 10% of requests with each failure mode (a 200 whose JSON body is cut
off, a connection reset mid-body, an HTML page) and the rest normally. Every evaluation must
reach a definite state on its own: succeeded, or failed with the cause named. None may sit in
``running`` until its lease expires, so the lease here is longer than the whole test.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from common.settings import Settings
from storage.db import Database
from storage.models import Evaluation
from storage.queries.turns import count_turns
from tests.fakes.anthropic_server import FakeAnthropicServer
from tests.fakes.openai_server import FakeOpenAIServer
from tests.fakes.scripted_server import ScriptedServer, with_faults
from tests.workers.harness import WorkerProcess, all_finished, evaluations, hyposcore_env, wait_for
from tests.workers.pipeline_helpers import prepared_database, some_hypotheses
from workers.celery_app import create_app
from workers.dispatch import debate_config, submit_evaluations

pytestmark = pytest.mark.slow

EVALUATIONS = 30
FAULT_RATE = 0.1  # per failure mode
LEASE_SECONDS = 900  # longer than the test: no evaluation may end by lease expiry


def _fake(provider: str) -> ScriptedServer:
    server: ScriptedServer = FakeOpenAIServer() if provider == "openai" else FakeAnthropicServer()
    assert callable(server.default_reply)
    server.default_reply = with_faults(server.default_reply, rate=FAULT_RATE, seed=17)
    return server


@pytest.mark.parametrize("provider", ["openai", "anthropic"])
def test_broken_replies_end_every_evaluation_with_a_definite_state(
    tmp_path: Path, provider: str
) -> None:
    with _fake(provider) as server:
        values = {
            "data_dir": str(tmp_path / "var"),
            "backend": provider,
            f"{provider}_base_url": server.base_url,
            f"{provider}_model": "fake-model",
            f"{provider}_timeout": "5",
            "lease_seconds": str(LEASE_SECONDS),
            "retry_backoff_seconds": "0.2",
        }
        settings = Settings(**values)  # type: ignore[arg-type]
        database = prepared_database(settings)
        hypotheses = some_hypotheses(database, EVALUATIONS)
        # The bundled set is smaller than 30: the rest are forced re-evaluations of the first.
        extra = hypotheses[: EVALUATIONS - len(hypotheses)]
        config = debate_config(settings, min_rounds=2, max_rounds=2)
        app = create_app(settings)
        with WorkerProcess(hyposcore_env(**values), tmp_path / "worker.log", concurrency=8):
            ids = [
                e.evaluation.id
                for batch in (hypotheses, extra)
                if batch
                for e in submit_evaluations(
                    database, settings, hypothesis_ids=batch, config=config, force=True, app=app
                )
            ]
            assert len(ids) == EVALUATIONS
            wait_for(lambda: all_finished(database, ids), 400, "every evaluation to end")
        faults = len(server.requests) - _successful_calls(database, ids)
    rows: list[Evaluation] = evaluations(database, ids)
    assert faults > 0  # the fakes did break replies
    for row in rows:
        assert row.state in ("succeeded", "failed"), (row.id, row.state)
        assert row.attempts == 1, (row.id, row.attempts, row.error)
        if row.state == "failed":
            assert row.error, row.id
            assert "lease expired" not in row.error
    assert sum(row.state == "succeeded" for row in rows) >= EVALUATIONS - 2


def _successful_calls(database: Database, ids: list[int]) -> int:
    with database.sessions() as session:
        return sum(count_turns(session, evaluation_id=i) for i in ids)
