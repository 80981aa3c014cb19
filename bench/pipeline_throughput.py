"""End-to-end evaluations per second on Redis + PostgreSQL with two worker processes.

Beside it, in the same run and on the same broker and workers, the rate of a no-op Celery task
(one Redis INCR), the yardstick for what the broker and Celery alone cost.

    .venv/bin/python -m bench.pipeline_throughput --evaluations 100 --noops 2000 --repeats 3

Needs this machine's PostgreSQL and Redis; creates (and drops) its own database and uses its
own Redis key prefix.
"""

from __future__ import annotations

import argparse
import signal
import statistics
import sys
import time
import uuid
from pathlib import Path
from tempfile import TemporaryDirectory

import redis

from common.settings import Settings
from storage.db import Database
from storage.queries.knowledge import list_hypotheses
from tests.servers import REDIS_URL, fresh_postgres_database
from tests.workers.harness import WorkerProcess, all_finished, hyposcore_env, wait_for
from tests.workers.pipeline_helpers import prepared_database
from workers.celery_app import create_app
from workers.dispatch import debate_config, submit_evaluations


def evaluations_per_second(database: Database, settings: Settings, count: int) -> float:
    app = create_app(settings)
    with database.sessions() as session:
        hypotheses = [h.id for h in list_hypotheses(session, limit=1000)]
    config = debate_config(settings)
    started = time.perf_counter()
    ids = [
        e.evaluation.id
        for e in submit_evaluations(
            database,
            settings,
            hypothesis_ids=[hypotheses[i % len(hypotheses)] for i in range(count)],
            config=config,
            force=True,
            app=app,
        )
    ]
    wait_for(lambda: all_finished(database, ids), 600, "the evaluations", interval=0.02)
    return count / (time.perf_counter() - started)


def noops_per_second(settings: Settings, count: int) -> float:
    app = create_app(settings)
    counter = redis.Redis.from_url(REDIS_URL)
    key = f"{settings.broker_key_prefix}bench-noop-{uuid.uuid4().hex}"
    started = time.perf_counter()
    for _ in range(count):
        app.send_task("hyposcore.noop", args=[REDIS_URL, key], queue="debates", ignore_result=True)
    wait_for(lambda: int(counter.get(key) or 0) >= count, 600, "the no-op tasks", interval=0.02)
    elapsed = time.perf_counter() - started
    counter.delete(key)
    counter.close()
    return count / elapsed


def main() -> None:
    # A SIGTERM (from `timeout`, say) unwinds through the finally blocks, so the worker
    # processes this benchmark started are stopped rather than left behind.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--evaluations", type=int, default=100)
    parser.add_argument("--noops", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=4, help="threads per worker")
    parser.add_argument(
        "--batch-size", type=int, default=None, help="offline_batch_size (default: the setting's)"
    )
    args = parser.parse_args()
    with TemporaryDirectory() as tmp, fresh_postgres_database() as database_url:
        values = {
            "data_dir": str(Path(tmp) / "var"),
            "database_url": database_url,
            "broker_url": REDIS_URL,
            "broker_key_prefix": f"bench-{uuid.uuid4().hex[:8]}:",
        }
        if args.batch_size is not None:
            values["offline_batch_size"] = str(args.batch_size)
        settings = Settings(**values)  # type: ignore[arg-type]
        database = prepared_database(settings)
        env = hyposcore_env(**values)
        workers = [
            WorkerProcess(
                env, Path(tmp) / f"w{i}.log", concurrency=args.concurrency, name=f"bench{i}"
            ).start()
            for i in range(2)
        ]
        try:
            e2e, noop = [], []
            for _ in range(args.repeats):
                noop.append(noops_per_second(settings, args.noops))
                e2e.append(evaluations_per_second(database, settings, args.evaluations))
        finally:
            for worker in workers:
                worker.stop()
        database.dispose()
    e2e_median, noop_median = statistics.median(e2e), statistics.median(noop)
    print(f"evaluations/s: {[round(x, 2) for x in e2e]} median {e2e_median:.2f}")
    print(f"no-op tasks/s: {[round(x, 1) for x in noop]} median {noop_median:.1f}")
    print(f"ratio (evaluations / no-op tasks): {e2e_median / noop_median:.3f}")


if __name__ == "__main__":
    main()
