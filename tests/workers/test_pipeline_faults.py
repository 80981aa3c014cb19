"""The pipeline under faults that leave every process alive: a scoring backlog, a bad
evaluation in a batch, and an evaluation that kills whatever worker runs it.

Each runs real worker processes, on the embedded broker with SQLite and on Redis with
PostgreSQL where the fault allows.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from common.settings import Settings
from storage.db import Database
from storage.queries import evaluations as ledger
from storage.queries.evaluation_batches import enqueue_many
from tests.servers import REDIS_URL, fresh_postgres_database, require_redis
from tests.workers.harness import WorkerProcess, all_finished, evaluations, hyposcore_env, wait_for
from tests.workers.pipeline_helpers import (
    assert_each_completed_exactly_once,
    prepared_database,
    some_hypotheses,
)
from workers import maintenance
from workers.celery_app import DEBATES_QUEUE, create_app
from workers.dispatch import debate_config, submit_evaluations

pytestmark = pytest.mark.slow

LEASE_SECONDS = 5


@contextmanager
def _servers(tmp_path: Path, backend: str) -> Iterator[dict[str, str]]:
    """The settings of one run: SQLite and the embedded broker, or PostgreSQL and Redis."""
    values = {"data_dir": str(tmp_path / "var")}
    if backend == "sqlite":
        yield values
        return
    require_redis()
    with fresh_postgres_database() as database_url:
        yield {
            **values,
            "database_url": database_url,
            "broker_url": REDIS_URL,
            "broker_key_prefix": f"hyposcore-t-{uuid.uuid4().hex[:8]}:",
        }


BACKENDS = [
    "sqlite",
    pytest.param("postgres-redis", marks=[pytest.mark.postgres, pytest.mark.redis]),
]


def _states(database: Database, ids: list[int]) -> list[tuple[int, str, int, str | None]]:
    return [(e.id, e.state, e.attempts, e.error) for e in evaluations(database, ids)]


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_scoring_backlog_longer_than_the_lease_never_fails_a_finished_debate(
    tmp_path: Path, backend: str
) -> None:
    with _servers(tmp_path, backend) as servers:
        values = {
            **servers,
            "lease_seconds": str(LEASE_SECONDS),
            "resend_after_seconds": "4",
            # One attempt: a single reap that wrongly counted the backlog as a lost attempt
            # would fail the evaluation, and the backlog outlasts the lease in 10 s, not 20.
            "max_attempts": "1",
            # A slowed offline backend debates one by one through the scoring queue, as a
            # model does.
            "evidence_delay_seconds": "0.02",
        }
        settings = Settings(**values)  # type: ignore[arg-type]
        database = prepared_database(settings)
        app = create_app(settings)
        env = hyposcore_env(**values)
        # Only the debates queue is served: every score message waits.
        with WorkerProcess(env, tmp_path / "debater.log", queues="debates,publish"):
            ids = [
                e.evaluation.id
                for e in submit_evaluations(
                    database,
                    settings,
                    hypothesis_ids=some_hypotheses(database, 3),
                    config=debate_config(settings),
                    app=app,
                )
            ]
            wait_for(
                lambda: {e.state for e in evaluations(database, ids)} == {"debated"},
                90,
                lambda: f"every debate to end: {_states(database, ids)}",
            )
            # The beat's reaper runs throughout a backlog longer than every attempt's lease.
            deadline = time.monotonic() + LEASE_SECONDS * (settings.max_attempts + 1)
            while time.monotonic() < deadline:
                maintenance.reap(database, settings, app)
                time.sleep(1.0)
            assert {(state, attempts) for _, state, attempts, _ in _states(database, ids)} == {
                ("debated", 1)
            }, _states(database, ids)
            with WorkerProcess(env, tmp_path / "scorer.log", queues="scoring", name="scorer"):
                wait_for(lambda: all_finished(database, ids), 90, "the backlog to be scored")
        assert_each_completed_exactly_once(database, ids)
        assert [attempts for _, _, attempts, _ in _states(database, ids)] == [1] * len(ids)
        database.dispose()


@pytest.mark.parametrize("backend", BACKENDS)
def test_an_exception_in_one_evaluation_of_a_batch_fails_it_alone(
    tmp_path: Path, backend: str
) -> None:
    with _servers(tmp_path, backend) as values:
        settings = Settings(**values)  # type: ignore[arg-type]
        database = prepared_database(settings)
        app = create_app(settings)
        hypotheses = some_hypotheses(database, 5)
        # Written straight into the ledger, as an evaluation queued before configurations were
        # checked where they enter would be: the runner's check raises ConfigError.
        poisoned = {**debate_config(settings), "panel": ["nosuchpersona"]}
        with database.transaction() as session:
            good = enqueue_many(
                session,
                hypothesis_ids=hypotheses[:4],
                config=debate_config(settings),
                max_attempts=3,
            )
            bad = enqueue_many(
                session, hypothesis_ids=hypotheses[4:], config=poisoned, max_attempts=3
            )
        good_ids = [e.evaluation.id for e in good]
        bad_id = bad[0].evaluation.id
        ids = sorted([*good_ids, bad_id])
        with WorkerProcess(hyposcore_env(**values), tmp_path / "worker.log"):
            app.send_task(
                "hyposcore.evaluate_batch", args=[ids], queue=DEBATES_QUEUE, ignore_result=True
            )
            with database.transaction() as session:
                ledger.mark_enqueued(session, evaluation_ids=ids)
            wait_for(lambda: all_finished(database, ids), 90, "the batch to finish")
        assert_each_completed_exactly_once(database, good_ids)
        [(_, state, attempts, error)] = _states(database, [bad_id])
        assert (state, attempts) == ("failed", 1)
        assert error is not None and error.startswith("ConfigError: ") and "nosuchpersona" in error
        database.dispose()


_POISON = """
import os
import signal

_POISON = os.environ.get("POISON_HYPOTHESIS")
if _POISON:
    from debates.backends import scripted

    _reply = scripted.automatic_reply

    def _killing_reply(request):
        if request.context.case.hypothesis_id == _POISON:
            os.kill(os.getpid(), signal.SIGKILL)  # as the kernel's OOM killer would
        return _reply(request)

    scripted.automatic_reply = _killing_reply
"""


@pytest.mark.postgres
@pytest.mark.redis
def test_an_evaluation_that_kills_its_worker_child_fails_after_its_attempts(
    tmp_path: Path,
) -> None:
    hook = tmp_path / "hook"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(_POISON)
    with _servers(tmp_path, "postgres-redis") as servers:
        # A lease far longer than the test: the evaluation must end by counting deliveries.
        values = {**servers, "lease_seconds": "600", "backend": "scripted"}
        settings = Settings(**values)  # type: ignore[arg-type]
        database = prepared_database(settings)
        poison, healthy = some_hypotheses(database, 2)
        env = {**hyposcore_env(**values), "PYTHONPATH": str(hook), "POISON_HYPOTHESIS": poison}
        started = time.monotonic()
        with WorkerProcess(env, tmp_path / "worker.log", pool="prefork", concurrency=1):
            enqueued = submit_evaluations(
                database,
                settings,
                hypothesis_ids=[poison, healthy],
                config=debate_config(settings),
                app=create_app(settings),
            )
            ids = [e.evaluation.id for e in enqueued]
            wait_for(
                lambda: all_finished(database, ids),
                120,
                lambda: f"the poison evaluation to fail: {_states(database, ids)}",
            )
        assert time.monotonic() - started < 600  # never by lease expiry
        (_, state, attempts, error), (_, other_state, _, _) = _states(database, ids)
        assert (state, attempts) == ("failed", settings.max_attempts), error
        assert error is not None and "died" in error and "attempts spent" in error
        assert other_state == "succeeded"
        database.dispose()
