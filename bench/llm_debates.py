"""LLM debates through the whole pipeline against a fake OpenAI-compatible server (200 ms/reply).

(1) One debate's wall time, queue to succeeded, against its critical path (its turns are
    sequential: each sees the ones before it), target within 1.2x.
(2) 200 concurrent debates' throughput against the ideal for the configured concurrency
    (concurrency / (turns per debate x 200 ms)), target at least 0.8x.

    .venv/bin/python -m bench.llm_debates --debates 200 --concurrency 32 --repeats 3

``--timeline`` also prints, per repeat, how busy the provider slots were over the span (see
``bench.slot_timeline``).

Runs on this machine's Redis and PostgreSQL with the workers laid out as docker-compose.yml lays
them out: ``--workers`` debates workers (threads) sharing the configured concurrency, and one
scoring/publish worker. The fake server is on loopback; nothing leaves the machine.
"""

from __future__ import annotations

import argparse
import heapq
import math
import signal
import statistics
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from tempfile import TemporaryDirectory

import redis
from sqlalchemy import func, select, text

from bench.proc_cpu import machine_cpu_seconds, server_pid, tree_cpu_seconds
from bench.slot_timeline import ledger_slot_use
from common.settings import Settings
from storage.db import Database
from storage.models import DebateTurn, Evaluation
from storage.queries.knowledge import list_hypotheses
from tests.fakes.openai_server import FakeOpenAIServer
from tests.servers import REDIS_URL, fresh_postgres_database
from tests.workers.harness import WorkerProcess, all_finished, hyposcore_env, wait_for
from tests.workers.pipeline_helpers import prepared_database
from workers.celery_app import create_app
from workers.dispatch import debate_config, submit_evaluations

REPLY_SECONDS = 0.2
# Debates in progress per provider slot. Between its turns a debate stores the last one and
# builds the next prompt; with more debates than slots, another debate's request takes the slot
# meanwhile, and as the queue runs dry more debates are still in flight to keep the provider
# busy (the no-CPU bound: 0.862 at 1.25 a slot, 0.908 at 2, 0.958 at 3.2 for 200 debates at 64).
# A waiting thread costs little (workers.limits passes a freed slot on within the process), but
# every debate in flight costs CPU; two a slot gave the best throughput (BENCHMARKS.md). The
# shared limiter keeps requests in flight at the configured concurrency.
DEBATES_PER_SLOT = 2.0


def queue_debates(database: Database, settings: Settings, count: int) -> list[int]:
    """``count`` debates over the bundled hypotheses, in one submission (one transaction, then
    the messages), so they reach the running workers together."""
    with database.sessions() as session:
        hypotheses = [h.id for h in list_hypotheses(session, limit=1000)]
    enqueued = submit_evaluations(
        database,
        settings,
        hypothesis_ids=[hypotheses[i % len(hypotheses)] for i in range(count)],
        config=debate_config(settings, backend="openai"),
        force=True,
        app=create_app(settings),
    )
    return [e.evaluation.id for e in enqueued]


def ledger_span(database: Database, ids: list[int], *, since: str) -> float:
    """Seconds from the first evaluation's ``since`` time (created_at or started_at) to the
    last one's finish, read from the ledger so the benchmark's own polling adds nothing."""
    # The fake provider shares this process: poll rarely so as not to slow its replies.
    wait_for(lambda: all_finished(database, ids), 900, "the debates", interval=1.0)
    with database.sessions() as session:
        rows = [row for row in (session.get(Evaluation, i) for i in ids) if row is not None]
    begun = min(getattr(row, since) for row in rows)
    finished = max(row.finished_at for row in rows if row.finished_at is not None)
    return float((finished - begun).total_seconds())


def turns_of(database: Database, ids: list[int]) -> list[int]:
    with database.sessions() as session:
        rows = dict(
            session.execute(
                select(DebateTurn.evaluation_id, func.count())
                .where(DebateTurn.evaluation_id.in_(ids))
                .group_by(DebateTurn.evaluation_id)
            ).all()
        )
    return [int(rows.get(i, 0)) for i in ids]


def span_without_cpu(turn_counts: list[int], *, threads: int, slots: int) -> float:
    """Seconds the same debates would take if nothing but the provider's replies took time.

    ``threads`` debates run at once, taking queued debates in order; each turn holds one of
    ``slots`` provider slots for REPLY_SECONDS, and a turn waiting for a slot takes the first
    one freed. The rest of the ideal's shortfall is the tail: as the queue runs dry, fewer
    debates than slots are left to keep the provider busy.
    """
    queued = list(reversed(turn_counts))
    waiting: list[tuple[int, int]] = []  # (thread, turns left), first come first served
    replies: list[tuple[float, int, int]] = []  # (time the reply comes, thread, turns left)
    free = slots
    finished = 0.0

    def ask(now: float, thread: int, turns_left: int) -> None:
        nonlocal free
        if free:
            free -= 1
            heapq.heappush(replies, (now + REPLY_SECONDS, thread, turns_left - 1))
        else:
            waiting.append((thread, turns_left))

    for thread in range(min(threads, len(queued))):
        ask(0.0, thread, queued.pop())
    while replies:
        now, thread, turns_left = heapq.heappop(replies)
        free += 1
        if waiting:
            ask(now, *waiting.pop(0))
        if turns_left:
            ask(now, thread, turns_left)
        else:
            finished = now
            if queued:
                ask(now, thread, queued.pop())
    return finished


def ledger_counts(database: Database) -> tuple[int, int, int, int]:
    """Committed transactions, connections opened, rows inserted and rows updated in this
    benchmark's database.

    PostgreSQL flushes a backend's counts at its exit at the latest, so read these after the
    workers have stopped."""
    with database.engine.connect() as conn:
        row = conn.execute(
            text(
                "SELECT xact_commit, sessions, tup_inserted, tup_updated FROM pg_stat_database"
                " WHERE datname = current_database()"
            )
        ).one()
    return int(row[0]), int(row[1]), int(row[2]), int(row[3])


def redis_commands() -> dict[str, int]:
    """Calls of each Redis command since the server started (the whole server: run alone)."""
    info = redis.Redis.from_url(REDIS_URL).info("commandstats")
    return {name.removeprefix("cmdstat_"): int(stats["calls"]) for name, stats in info.items()}


def median_lines(rows: dict[str, list[float]]) -> list[str]:
    return [
        f"  {name}: {[round(x, 1) for x in runs]} median {statistics.median(runs):.1f}"
        for name, runs in rows.items()
    ]


@dataclass
class CpuShares:
    """CPU milliseconds per debate over the 200, by who spent them."""

    rows: dict[str, list[float]] = field(default_factory=dict)

    def add(self, name: str, seconds: float, debates: int) -> None:
        self.rows.setdefault(name, []).append(1000 * seconds / debates)

    def lines(self) -> list[str]:
        return median_lines(self.rows)


@dataclass
class RoundTrips:
    """Ledger transactions and rows, and Redis commands, per debate, by repeat."""

    rows: dict[str, list[float]] = field(default_factory=dict)

    def add_counts(self, before: tuple[int, ...], after: tuple[int, ...], debates: int) -> None:
        names = ("PostgreSQL transactions", "connections", "rows inserted", "rows updated")
        for name, was, now in zip(names, before, after, strict=True):
            self.rows.setdefault(name, []).append((now - was) / debates)

    def add_redis(self, before: dict[str, int], after: dict[str, int], debates: int) -> None:
        calls = {name: n - before.get(name, 0) for name, n in after.items()}
        self.rows.setdefault("Redis commands", []).append(sum(calls.values()) / debates)
        busiest = sorted(calls.items(), key=lambda item: -item[1])[:6]
        for name, n in busiest:
            self.rows.setdefault(f"  {name}", []).append(n / debates)

    def lines(self) -> list[str]:
        return median_lines(self.rows)


@dataclass
class Results:
    """Every repeat's figures: the one debate's, the many's, and where their CPU went."""

    single: list[float] = field(default_factory=list)  # one debate's wall / critical path
    many: list[float] = field(default_factory=list)  # the batch's throughput / ideal
    bound: list[float] = field(default_factory=list)  # the same had no step taken any CPU
    shares: CpuShares = field(default_factory=CpuShares)
    trips: RoundTrips = field(default_factory=RoundTrips)


@dataclass(frozen=True)
class Layout:
    """Where the measured processes are: debates workers first, then the scoring worker, then
    PostgreSQL and Redis."""

    pids: list[int]
    debates_workers: int
    threads: int  # debate threads over all debates workers


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--debates", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--debates-per-slot",
        type=float,
        default=DEBATES_PER_SLOT,
        help="debate threads per provider slot, over all debates workers",
    )
    parser.add_argument(
        "--workers", type=int, default=1, help="debates worker processes sharing the concurrency"
    )
    parser.add_argument(
        "--timeline", action="store_true", help="print each repeat's use of the provider slots"
    )
    return parser.parse_args()


def settings_values(
    base_url: str, data_dir: Path, database_url: str, concurrency: int
) -> dict[str, str]:
    return {
        "data_dir": str(data_dir),
        "database_url": database_url,
        "broker_url": REDIS_URL,
        "broker_key_prefix": f"bench-{uuid.uuid4().hex[:8]}:",
        # The default backend, as an LLM deployment sets it: workers build it at start.
        "backend": "openai",
        "openai_base_url": base_url,
        "openai_model": "fake-model",
        "llm_max_concurrency": str(concurrency),
        "llm_requests_per_minute": "1000000",
    }


def start_workers(
    values: dict[str, str], logs: Path, *, repeat: int, workers: int, threads_each: int
) -> list[WorkerProcess]:
    """As docker-compose.yml runs them: debates workers on their own queue, scoring and
    publishing on a separate worker, so short tasks never hold a debate's slot."""
    debates = [
        WorkerProcess(
            hyposcore_env(**values),
            logs / f"worker{repeat}-{n}.log",
            queues="debates",
            concurrency=threads_each,
            name=f"debates{n}",
        ).start()
        for n in range(workers)
    ]
    scoring = WorkerProcess(
        hyposcore_env(**values),
        logs / f"worker{repeat}-scoring.log",
        queues="scoring,publish",
        pool="prefork",
        concurrency=2,
        name="scoring",
    ).start()
    return [*debates, scoring]


def measure_batch(
    database: Database,
    settings: Settings,
    layout: Layout,
    args: argparse.Namespace,
    results: Results,
    *,
    repeat: int,
) -> None:
    """The batch's throughput, and whose CPU it took. Every worker is ready (its start-up
    imports done, its backend built) before the debates are queued, so no worker's start-up
    shares the measured span's two cores; the span runs from the first claim to the last
    finish."""
    before = [tree_cpu_seconds(pid) for pid in layout.pids]
    machine_before, own_before = machine_cpu_seconds(), time.process_time()
    batch = queue_debates(database, settings, args.debates)
    span = ledger_span(database, batch, since="started_at")
    if args.timeline:
        use = ledger_slot_use(database, batch, slots=args.concurrency)
        print(f"repeat {repeat + 1}: {use.line(args.concurrency)}", flush=True)
    after = [tree_cpu_seconds(pid) for pid in layout.pids]
    machine = machine_cpu_seconds() - machine_before
    own = time.process_time() - own_before
    spent = [now - was for now, was in zip(after, before, strict=True)]
    debating = sum(spent[: layout.debates_workers])
    turn_counts = turns_of(database, batch)
    turns_each = statistics.mean(turn_counts)
    shares = results.shares
    shares.add("debates workers", debating, args.debates)
    shares.add("  per turn", debating / turns_each, args.debates)
    shares.add("scoring worker", spent[layout.debates_workers], args.debates)
    shares.add("fake provider and this benchmark", own, args.debates)
    shares.add("PostgreSQL", spent[-2], args.debates)
    shares.add("Redis", spent[-1], args.debates)
    rest = machine - sum(spent) - own
    shares.add("the rest (the system, other processes)", rest, args.debates)
    ideal = args.concurrency / (turns_each * REPLY_SECONDS)
    results.many.append((args.debates / span) / ideal)
    free_span = span_without_cpu(turn_counts, threads=layout.threads, slots=args.concurrency)
    results.bound.append((args.debates / free_span) / ideal)


def measure_single(database: Database, settings: Settings, results: Results) -> None:
    """One debate queued alone into warm workers: its wall time over its critical path."""
    queue_debates(database, settings, 2)  # warm connection pools
    time.sleep(3)
    (one,) = queue_debates(database, settings, 1)
    span = ledger_span(database, [one], since="created_at")
    (turns,) = turns_of(database, [one])
    results.single.append(span / (turns * REPLY_SECONDS))


def report(results: Results, debates: int) -> None:
    single, many, bound = results.single, results.many, results.bound
    print(
        f"one debate, wall / critical path: {[round(x, 3) for x in single]} "
        f"median {statistics.median(single):.3f} (target <= 1.2)"
    )
    print(
        f"{debates} debates, throughput / ideal: {[round(x, 3) for x in many]} "
        f"median {statistics.median(many):.3f} (target >= 0.8)"
    )
    print(
        f"{debates} debates had no step taken any CPU, throughput / ideal: "
        f"{[round(x, 3) for x in bound]} median {statistics.median(bound):.3f}"
    )
    print(f"CPU ms per debate over the {debates}, from first queued to last finished:")
    print("\n".join(results.shares.lines()))
    print("Per debate (PostgreSQL: this database; Redis: the whole server):")
    print("\n".join(results.trips.lines()))


def main() -> None:
    # A SIGTERM (from `timeout`, say) unwinds through the finally blocks, so the worker
    # processes this benchmark started are stopped rather than left behind.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    args = arguments()
    results = Results()
    with (
        FakeOpenAIServer(delay=REPLY_SECONDS) as server,
        TemporaryDirectory() as tmp,
        fresh_postgres_database() as database_url,
    ):
        values = settings_values(server.base_url, Path(tmp) / "var", database_url, args.concurrency)
        settings = Settings(**values)  # type: ignore[arg-type]
        database = prepared_database(settings)
        servers = [server_pid("postgres") or 0, server_pid("redis-server") or 0]
        threads_each = math.ceil(args.debates_per_slot * args.concurrency / args.workers)
        for repeat in range(args.repeats):
            workers = start_workers(
                values, Path(tmp), repeat=repeat, workers=args.workers, threads_each=threads_each
            )
            pids = [worker.pid or 0 for worker in workers] + servers
            layout = Layout(pids, args.workers, args.workers * threads_each)
            try:
                ledger_before, redis_before = ledger_counts(database), redis_commands()
                measure_batch(database, settings, layout, args, results, repeat=repeat)
                measure_single(database, settings, results)
            finally:
                for worker in workers:
                    worker.stop()
            # Counted over the whole repeat (its debates and the 3 of the single-debate
            # measure), once the workers' exits have flushed PostgreSQL's counts.
            results.trips.add_counts(ledger_before, ledger_counts(database), args.debates + 3)
            results.trips.add_redis(redis_before, redis_commands(), args.debates + 3)
        database.dispose()
    report(results, args.debates)


if __name__ == "__main__":
    main()
