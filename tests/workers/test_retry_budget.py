"""The provider retry budget is per request, and waiting out a 429 is not a failure.

The task runs in this process (``Task.apply``); Celery then runs each retry at once, in order,
so a debate's whole retry history plays out without waiting for its back-offs.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from celery import Celery

from common.settings import Settings, get_settings
from debates.backends.base import BackendRequest, RateLimitedError, RetryableError
from debates.backends.scripted import ScriptedBackend, automatic_reply
from debates.types import DebateConfig
from storage.db import Database
from storage.models import Evaluation
from tests.workers.pipeline_helpers import prepared_database
from workers import tasks
from workers.celery_app import create_app
from workers.dispatch import debate_config, submit_evaluation
from workers.retry_budget import (
    BACKOFF_CAP_SECONDS,
    MAX_FAILURES_PER_REQUEST,
    MAX_RATE_LIMIT_WAIT_SECONDS,
    BudgetSpentError,
    RetryBudget,
    backoff_seconds,
)


def test_backoff_doubles_per_retry_with_jitter_and_a_cap() -> None:
    for retries, centre in ((0, 2.0), (3, 16.0), (20, BACKOFF_CAP_SECONDS)):
        waits = [backoff_seconds(retries, 2.0) for _ in range(200)]
        assert all(0.5 * centre <= wait < 1.5 * centre for wait in waits)
        # Full jitter: the waits of one retry spread over the band rather than repeat.
        assert max(waits) - min(waits) > 0.5 * centre


def test_failures_count_per_request_and_rate_limit_waits_by_time() -> None:
    error = RetryableError("HTTP 500")
    budget = RetryBudget()
    for _ in range(MAX_FAILURES_PER_REQUEST):
        budget = budget.after_failure(3, error)
    with pytest.raises(BudgetSpentError, match="kept failing one request"):
        budget.after_failure(3, error)
    # A turn was stored since: a new request, a fresh count.
    assert budget.after_failure(4, error).failures == 1
    waited = RetryBudget().after_rate_limit(MAX_RATE_LIMIT_WAIT_SECONDS - 1, error)
    assert waited.failures == 0
    with pytest.raises(BudgetSpentError, match="kept rate-limiting"):
        waited.after_rate_limit(2, error)
    assert RetryBudget.from_message(waited.as_message()) == waited
    assert RetryBudget.from_message({"failures": "many"}) == RetryBudget()


@pytest.fixture
def pipeline() -> tuple[Settings, Database, Celery]:
    settings = get_settings()
    database = prepared_database(settings)
    return settings, database, create_app(settings)


def _run(
    pipeline: tuple[Settings, Database, Celery],
    monkeypatch: pytest.MonkeyPatch,
    script: Callable[[BackendRequest[Any]], Any],
) -> Evaluation:
    settings, database, app = pipeline
    evaluation_id = submit_evaluation(
        database,
        settings,
        hypothesis_id="h-51e7234f",
        config=debate_config(settings, backend="scripted"),
        app=app,
    ).evaluation.id

    def factory(settings: Settings) -> Callable[[DebateConfig], ScriptedBackend]:
        return lambda config: ScriptedBackend(script)

    monkeypatch.setattr(tasks, "backend_factory", factory)
    app.tasks["hyposcore.evaluate"].apply(args=[evaluation_id])
    with database.sessions() as session:
        row = session.get(Evaluation, evaluation_id)
        assert row is not None
        row.turns  # noqa: B018 - loaded while the session is open
        return row


def _each_request_first(error: Exception) -> Callable[[BackendRequest[Any]], Any]:
    asked: Counter[tuple[str | None, int]] = Counter()

    def reply(request: BackendRequest[Any]) -> Any:
        key = (request.context.persona, request.context.round)
        asked[key] += 1
        if asked[key] == 1:
            raise error
        return automatic_reply

    return reply


@pytest.mark.parametrize(
    "error",
    [
        pytest.param(RateLimitedError("HTTP 429", retry_after=1.0), id="429"),
        pytest.param(RetryableError("HTTP 500"), id="500"),
    ],
)
def test_a_debate_whose_every_request_fails_once_succeeds(
    pipeline: tuple[Settings, Database, Celery],
    monkeypatch: pytest.MonkeyPatch,
    error: Exception,
) -> None:
    row = _run(pipeline, monkeypatch, _each_request_first(error))
    assert (row.state, row.attempts, row.error) == ("debated", 1, None)
    # More requests failed than a per-debate budget of retries would have allowed.
    assert len(row.turns) > MAX_FAILURES_PER_REQUEST


def test_one_request_that_keeps_failing_fails_the_evaluation_with_the_cause(
    pipeline: tuple[Settings, Database, Celery], monkeypatch: pytest.MonkeyPatch
) -> None:
    def reply(request: BackendRequest[Any]) -> Any:
        if request.context.round == 2:
            raise RetryableError("HTTP 503 from http://127.0.0.1/v1: overloaded")
        return automatic_reply

    row = _run(pipeline, monkeypatch, reply)
    assert row.state == "failed" and row.error is not None
    assert f"{MAX_FAILURES_PER_REQUEST} retries" in row.error and "overloaded" in row.error


def test_rate_limit_waits_are_bounded_by_their_total_time(
    pipeline: tuple[Settings, Database, Celery], monkeypatch: pytest.MonkeyPatch
) -> None:
    wait = MAX_RATE_LIMIT_WAIT_SECONDS / 2 + 1

    def reply(request: BackendRequest[Any]) -> Any:
        raise RateLimitedError("HTTP 429: quota", retry_after=wait)

    row = _run(pipeline, monkeypatch, reply)
    assert row.state == "failed" and row.error is not None
    assert "kept rate-limiting" in row.error and "quota" in row.error
