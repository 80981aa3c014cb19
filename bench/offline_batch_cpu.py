"""CPU per offline evaluation, one by one against batches, without Celery, on PostgreSQL.

    .venv/bin/python -m bench.offline_batch_cpu --evaluations 640 --repeats 3

Each mode gets a fresh database with the bundled hypotheses and the same evaluations queued;
it then runs them in this process as a worker would and reports the CPU time of this process
(``time.process_time``, so PostgreSQL's own work is not counted) per evaluation:

- ``one-by-one``: the model path, ``run_debate_phase`` then ``score_debated`` per
  evaluation (turns stored as they come, ~50 statements each);
- ``batch N``: ``workers.offline_batch`` claims N evaluations at a time and finishes them in
  one transaction, as ``hyposcore.evaluate_batch`` does.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from tempfile import TemporaryDirectory

from common.settings import Settings
from storage.db import Database
from storage.queries.evaluation_batches import enqueue_many
from storage.queries.knowledge import list_hypotheses
from tests.servers import fresh_postgres_database
from tests.workers.pipeline_helpers import prepared_database
from workers import offline_batch
from workers.agents import backend_factory
from workers.dispatch import debate_config
from workers.evaluation import run_debate_phase
from workers.scoring_phase import score_debated

Runner = Callable[[Database, Settings, list[int]], None]


def one_by_one(database: Database, settings: Settings, ids: list[int]) -> None:
    factory = backend_factory(settings)
    for evaluation_id in ids:
        [claimed] = offline_batch.claim(
            database, settings, evaluation_ids=[evaluation_id], owner="bench"
        )
        run_debate_phase(database, settings, claimed, owner="bench", backend_for=factory)
        score_debated(database, settings, evaluation_ids=[evaluation_id])


def in_batches(size: int) -> Runner:
    def run(database: Database, settings: Settings, ids: list[int]) -> None:
        factory = backend_factory(settings)
        for start in range(0, len(ids), size):
            group = ids[start : start + size]
            claimed = offline_batch.claim(database, settings, evaluation_ids=group, owner="bench")
            offline_batch.run_batch(database, settings, claimed, owner="bench", backend_for=factory)

    return run


def cpu_ms_per_evaluation(runner: Runner, count: int) -> float:
    with TemporaryDirectory() as tmp, fresh_postgres_database() as url:
        settings = Settings(data_dir=tmp, database_url=url)
        database = prepared_database(settings)
        with database.sessions() as session:
            hypotheses = [h.id for h in list_hypotheses(session, limit=1000)]
        with database.transaction() as session:
            ids = [
                e.evaluation.id
                for e in enqueue_many(
                    session,
                    hypothesis_ids=[hypotheses[i % len(hypotheses)] for i in range(count + 1)],
                    config=debate_config(settings),
                    max_attempts=3,
                    force=True,
                )
            ]
        runner(database, settings, ids[:1])  # warm caches and connections
        started = time.process_time()
        runner(database, settings, ids[1:])
        elapsed = time.process_time() - started
        database.dispose()
    return elapsed * 1000 / count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--evaluations", type=int, default=640)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--batch-sizes", default="16,64")
    args = parser.parse_args()
    modes: dict[str, Runner] = {"one-by-one": one_by_one}
    for size in (int(s) for s in args.batch_sizes.split(",")):
        modes[f"batch {size}"] = in_batches(size)
    results: dict[str, list[float]] = {name: [] for name in modes}
    for _ in range(args.repeats):
        for name, runner in modes.items():  # interleaved, so drift in the machine hits all
            results[name].append(cpu_ms_per_evaluation(runner, args.evaluations))
    for name, values in results.items():
        print(
            f"{name:>12}: CPU ms per evaluation {[round(v, 2) for v in values]} "
            f"median {statistics.median(values):.2f}"
        )


if __name__ == "__main__":
    main()
