"""What scheduled re-evaluations cost through provider batch APIs, against live calls.

The same evaluations (each bundled hypothesis, ``--repeats`` times) are debated by the real
``anthropic`` and ``openai`` backends against the caching loopback fakes, at the default
price table, twice, each time in a fresh ledger:

- **live**: every turn asked live (the worker's debate phase, as ``hyposcore queue --now``);
- **batch**: beat's batch passes (``workers.provider_batches``) until every debate is debated,
  each round of the waiting debates one provider batch.

The cost is what the ledger recorded (``debate_turns.cost_usd``), scaled to 1,000 evaluations.
A third row debates the batches against a fake without a prompt cache, as if the provider
served no batch item from its cache (it promises hits on a best-effort basis only), against
the same cached live calls: the worst case.

    .venv/bin/python -m bench.batch_cost [--repeats 2]

Token counts do not depend on the machine's load, so neither do the figures.
"""

from __future__ import annotations

import argparse
import tempfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from common.settings import Settings
from debates.backends.base import AgentBackend
from debates.backends.registry import create
from debates.types import DebateConfig
from storage.db import Database
from storage.models import DebateTurn
from storage.queries import delivery
from storage.queries import evaluations as ledger
from storage.queries.knowledge import list_hypotheses
from tests.fakes.anthropic_server import FakeAnthropicServer
from tests.fakes.openai_server import FakeOpenAIServer
from tests.workers.pipeline_helpers import prepared_database
from workers import offline_batch
from workers.evaluation import run_debate_phase
from workers.provider_batches import BatchRunner

PROVIDERS = {"anthropic": "claude-sonnet-4-5", "openai": "gpt-4o-mini"}
Server = FakeAnthropicServer | FakeOpenAIServer


@contextmanager
def ledger_with(backend: str, repeats: int, *, batch: bool) -> Iterator[tuple[Database, Settings]]:
    """A fresh ledger with ``repeats`` queued evaluations of every bundled hypothesis."""
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp), database_url=None, backend=backend)
        database = prepared_database(settings)
        config: dict[str, Any] = DebateConfig(backend=backend, model=PROVIDERS[backend]).as_dict()
        if batch:
            config["delivery"] = delivery.BATCH_DELIVERY
        with database.transaction() as session:
            hypotheses = [h.id for h in list_hypotheses(session, limit=1000)]
            for _ in range(repeats):
                for hypothesis_id in hypotheses:
                    ledger.enqueue_evaluation(
                        session,
                        hypothesis_id=hypothesis_id,
                        config=config,
                        max_attempts=3,
                        force=True,
                    )
        yield database, settings


def factory(server: Server, backend: str) -> Callable[[DebateConfig], AgentBackend]:
    built = create(backend, base_url=server.base_url, model=PROVIDERS[backend], api_key="k")
    return lambda config: built


def billed(database: Database) -> tuple[float, int]:
    with database.sessions() as session:
        cost = session.scalar(select(func.sum(DebateTurn.cost_usd))) or 0.0
        count = session.scalar(select(func.count(func.distinct(DebateTurn.evaluation_id))))
    return float(cost), int(count or 0)


def live_cost(backend: str, server: Server, repeats: int) -> tuple[float, int]:
    with ledger_with(backend, repeats, batch=False) as (database, settings):
        backend_for = factory(server, backend)
        with database.sessions() as session:
            ids = sorted(e.id for e in ledger.list_evaluations(session, limit=100_000))
        for evaluation_id in ids:
            [claimed] = offline_batch.claim(
                database, settings, evaluation_ids=[evaluation_id], owner="bench"
            )
            run_debate_phase(database, settings, claimed, owner="bench", backend_for=backend_for)
        return billed(database)


def batch_cost(backend: str, server: Server, repeats: int) -> tuple[float, int]:
    with ledger_with(backend, repeats, batch=True) as (database, settings):
        runner = BatchRunner(
            database, settings, backend_for=factory(server, backend), owner="bench"
        )
        while True:
            done = runner.run_pass()
            if not (done.submitted or done.collected):
                break
        return billed(database)


class _Forgetting(set[str]):
    """A prompt cache's memory that keeps nothing: every request writes, none reads."""

    def update(self, *others: Iterable[str]) -> None:
        pass


class _ForgettingList(list[str]):
    def append(self, item: str) -> None:
        pass


def fake(backend: str, *, cache_hits: bool = True) -> Server:
    """A caching fake; without ``cache_hits`` its cache is billed as usual (Anthropic still
    charges the writes) but never serves a prefix."""
    server: Server
    if backend == "anthropic":
        server = FakeAnthropicServer(model=PROVIDERS[backend], caching=True, batch_polls=0)
        if not cache_hits and server.cache is not None:
            server.cache.cached = _Forgetting()
    else:
        server = FakeOpenAIServer(model=PROVIDERS[backend], caching=True, batch_polls=0)
        if not cache_hits and server.cache is not None:
            server.cache.seen = _ForgettingList()
    return server


def per_thousand(cost: tuple[float, int]) -> float:
    total, evaluations = cost
    return 1000 * total / evaluations


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=2, help="evaluations per hypothesis")
    args = parser.parse_args(argv)
    print(
        "| provider (fake), model | evaluations | live, USD per 1,000 | batch, USD per 1,000 "
        "| batch / live | batch without cache hits / live |"
    )
    print("| --- | --- | --- | --- | --- | --- |")
    for backend, model in PROVIDERS.items():
        with fake(backend) as server:
            live = live_cost(backend, server, args.repeats)
        with fake(backend) as server:
            batch = batch_cost(backend, server, args.repeats)
        with fake(backend, cache_hits=False) as server:
            uncached = batch_cost(backend, server, args.repeats)
        assert live[1] == batch[1] == uncached[1], "every evaluation must be debated"
        base = per_thousand(live)
        print(
            f"| {backend}, {model} | {live[1]} | {base:.2f} | {per_thousand(batch):.2f} "
            f"| **{per_thousand(batch) / base:.3f}** | {per_thousand(uncached) / base:.3f} |"
        )


if __name__ == "__main__":
    main()
