"""/healthz and Prometheus /metrics, computed from the database at scrape time."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from api.app import create_app
from api.metrics import error_class
from common.settings import Settings
from storage.db import Database
from storage.models import Evaluation, utcnow
from storage.queries.workers import record_beat
from tests.api.seed import UNSCORED, Seeded


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def test_healthz_checks_the_database(client: TestClient, db: Database) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": db.dialect, "workers": []}


def test_healthz_is_503_when_the_database_is_unreachable(settings: Settings) -> None:
    broken = Database("postgresql://nobody@127.0.0.1:1/none", connect_args={"connect_timeout": 1})
    with TestClient(create_app(settings, broken)) as client:
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "unavailable"


def test_metrics_are_read_from_the_ledger(client: TestClient, db: Database, seeded: Seeded) -> None:
    with db.transaction() as session:
        for index, error in enumerate(
            ["RateLimitError: 429 from provider", "openai.APITimeoutError: timed out", "boom"]
        ):
            session.add(
                Evaluation(
                    hypothesis_id=UNSCORED,
                    config={"n": index},
                    config_hash=str(index) * 64,
                    state="failed",
                    error=error,
                )
            )
        session.add(Evaluation(hypothesis_id=UNSCORED, config={}, config_hash="q" * 64))
    response = client.get("/metrics")
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    samples = _samples(response.text)
    assert samples[("hyposcore_evaluations", (("state", "failed"),))] == 3
    assert samples[("hyposcore_evaluations", (("state", "succeeded"),))] == 1
    assert samples[("hyposcore_evaluations", (("state", "queued"),))] == 1
    assert samples[("hyposcore_queue_depth", ())] == 1
    # Seeded turns took 180 ms and 2400 ms.
    assert samples[("hyposcore_turn_latency_seconds_bucket", (("le", "0.25"),))] == 1
    assert samples[("hyposcore_turn_latency_seconds_bucket", (("le", "2.5"),))] == 2
    assert samples[("hyposcore_turn_latency_seconds_bucket", (("le", "+Inf"),))] == 2
    assert samples[("hyposcore_turn_latency_seconds_count", ())] == 2
    assert abs(samples[("hyposcore_turn_latency_seconds_sum", ())] - 2.58) < 1e-9
    assert samples[("hyposcore_provider_errors_total", (("error_class", "RateLimitError"),))] == 1
    assert samples[("hyposcore_provider_errors_total", (("error_class", "APITimeoutError"),))] == 1
    assert samples[("hyposcore_provider_errors_total", (("error_class", "other"),))] == 1
    assert samples[("hyposcore_page_publishes_total", (("page", "MTOR"),))] == 2


def test_metrics_on_an_empty_database(client: TestClient) -> None:
    samples = _samples(client.get("/metrics").text)
    assert samples[("hyposcore_queue_depth", ())] == 0
    assert samples[("hyposcore_turn_latency_seconds_count", ())] == 0


def test_error_class_reads_the_leading_exception_name() -> None:
    assert error_class("httpx.ReadTimeout: read timed out") == "ReadTimeout"
    assert error_class("  ValueError : bad") == "ValueError"
    assert error_class("lease expired after 3 of 3 attempts") == "other"
    assert error_class("") == "other"


def test_every_request_gets_one_log_line(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="hyposcore.api.requests"):
        client.get("/healthz")
        client.get("/hypotheses/h-missing%0Aforged")
    lines = [r.getMessage() for r in caplog.records if r.name == "hyposcore.api.requests"]
    assert len(lines) == 2
    assert lines[0].startswith("GET /healthz 200 ")
    # An encoded newline in the path cannot forge a second log line.
    assert lines[1].startswith("GET /hypotheses/h-missing\\nforged 404 ")


def test_serve_runs_uvicorn_with_the_app_factory(monkeypatch: pytest.MonkeyPatch) -> None:
    import uvicorn
    from typer.testing import CliRunner

    from hyposcore.cli.main import app as cli

    calls: list[tuple[str, dict[str, Any]]] = []
    monkeypatch.setattr(uvicorn, "run", lambda target, **kw: calls.append((target, kw)))
    result = CliRunner().invoke(cli, ["serve", "--port", "8123"])
    assert result.exit_code == 0, result.output
    ((target, options),) = calls
    assert target == "api.app:create_served_app"
    assert options["factory"] is True
    assert (options["host"], options["port"], options["reload"]) == ("127.0.0.1", 8123, False)


def test_unexpected_errors_are_500_in_the_error_format(app: FastAPI) -> None:
    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("secret internals")

    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/boom")
        assert response.status_code == 500
        assert response.json()["error"]["code"] == "internal_error"
        assert "secret internals" not in response.text
        wrong_method = client.delete("/healthz")
        assert wrong_method.status_code == 405
        assert wrong_method.json()["error"]["code"] == "method_not_allowed"


def test_healthz_and_metrics_list_the_workers_from_their_heartbeats(
    client: TestClient, db: Database
) -> None:
    now = utcnow()
    with db.transaction() as session:
        for name, queues, beat in (
            ("fresh@lab", ("debates", "scoring"), now),
            ("silent@lab", ("publish",), now - timedelta(minutes=5)),
        ):
            record_beat(
                session,
                name=name,
                host="lab",
                pid=42,
                queues=queues,
                backend="evidence",
                broker="redis",
                now=beat,
            )
    [listed] = client.get("/healthz").json()["workers"]
    assert listed["name"] == "fresh@lab" and listed["pid"] == 42
    assert listed["queues"] == ["debates", "scoring"] and listed["broker"] == "redis"
    assert listed["current_evaluations"] == []
    samples = _samples(client.get("/metrics").text)
    assert samples[("hyposcore_worker_up", (("host", "lab"), ("worker", "fresh@lab")))] == 1
    assert samples[("hyposcore_worker_up", (("host", "lab"), ("worker", "silent@lab")))] == 0
    assert samples[("hyposcore_queue_consumers", (("queue", "debates"),))] == 1
    assert samples[("hyposcore_queue_consumers", (("queue", "publish"),))] == 0
