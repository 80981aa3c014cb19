"""Prometheus metrics computed at scrape time from the database.

Workers run in many processes (and machines), so in-process counters would each see a slice;
the ledger sees everything. Each scrape runs a handful of aggregate queries.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from typing import Any

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
)
from sqlalchemy.orm import Session

from storage.models import EvaluationState
from storage.queries.evaluations import count_by_state
from storage.queries.provider_batches import batch_counts
from storage.queries.spending import spend_by_model
from storage.queries.views import (
    failed_evaluation_errors,
    publish_counts,
    turn_latency_histogram,
)
from storage.queries.workers import list_workers

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
TURN_LATENCY_BOUNDS_MS = (100.0, 250.0, 500.0, 1000.0, 2500.0, 5000.0, 10000.0, 30000.0, 60000.0)
_ERROR_CLASS = re.compile(r"^\s*([A-Za-z_][\w.]*)\s*:")
_LABEL_SAFE = re.compile(r"[^A-Za-z0-9_]")


def error_class(error: str) -> str:
    """The exception class an error text starts with ("RateLimitError: ..." -> "RateLimitError").

    Workers record failures as ``ClassName: message``; anything else counts as "other".
    """
    match = _ERROR_CLASS.match(error)
    if not match:
        return "other"
    name = match.group(1).rsplit(".", 1)[-1]
    return _LABEL_SAFE.sub("_", name)[:64] or "other"


class _LedgerCollector:
    def __init__(self, session: Session) -> None:
        self.session = session

    def collect(self) -> Iterator[Any]:
        counts = count_by_state(self.session)
        by_state = GaugeMetricFamily(
            "hyposcore_evaluations", "Evaluations in the ledger by state.", labels=["state"]
        )
        for state in EvaluationState:
            by_state.add_metric([state.value], counts.get(state.value, 0))
        yield by_state
        yield GaugeMetricFamily(
            "hyposcore_queue_depth",
            "Evaluations queued in the ledger and not yet claimed by a worker.",
            value=counts.get(EvaluationState.QUEUED.value, 0),
        )
        histogram = turn_latency_histogram(self.session, bounds_ms=TURN_LATENCY_BOUNDS_MS)
        buckets = [
            (_seconds(bound), count)
            for bound, count in zip(histogram.bounds_ms, histogram.cumulative, strict=True)
        ]
        buckets.append(("+Inf", histogram.count))
        yield HistogramMetricFamily(
            "hyposcore_turn_latency_seconds",
            "Latency of debate turns (agent backend calls) as recorded per turn.",
            buckets=buckets,
            sum_value=histogram.total_ms / 1000,
        )
        errors: Counter[str] = Counter()
        for text, count in failed_evaluation_errors(self.session):
            errors[error_class(text)] += count
        provider = CounterMetricFamily(
            "hyposcore_provider_errors",
            "Failed evaluations by the error class their error text names.",
            labels=["error_class"],
        )
        for name, count in sorted(errors.items()):
            provider.add_metric([name], count)
        yield provider
        pages = publish_counts(self.session)
        publishes = CounterMetricFamily(
            "hyposcore_page_publishes",
            "Published gene-page revisions by page.",
            labels=["page"],
        )
        for page, count in sorted(pages.items()):
            publishes.add_metric([page], count)
        yield publishes
        yield from self._spend()
        yield from self._workers()
        yield from self._provider_batches()

    def _provider_batches(self) -> Iterator[Any]:
        batches = GaugeMetricFamily(
            "hyposcore_provider_batches",
            "Provider batches by backend and ledger state (submitting, submitted, collected, "
            "failed).",
            labels=["backend", "state"],
        )
        items = CounterMetricFamily(
            "hyposcore_provider_batch_items",
            "Debate turns sent in provider batches, by backend and what became of them.",
            labels=["backend", "state"],
        )
        by_batch, by_item = batch_counts(self.session)
        for backend, state, count in by_batch:
            batches.add_metric([backend, state], count)
        for backend, state, count in by_item:
            items.add_metric([backend, state], count)
        yield batches
        yield items

    def _spend(self) -> Iterator[Any]:
        tokens = CounterMetricFamily(
            "hyposcore_billed_tokens",
            "Tokens billed for stored debate turns, by backend, model and kind: plain input, "
            "input read from or written to the provider's prompt cache, and output.",
            labels=["backend", "model", "kind"],
        )
        cost = CounterMetricFamily(
            "hyposcore_billed_cost_usd",
            "US dollars billed for stored debate turns, by backend and model.",
            labels=["backend", "model"],
        )
        for row in spend_by_model(self.session):
            plain = row.prompt_tokens - row.cached_read_tokens - row.cache_write_tokens
            for kind, value in (
                ("input", plain),
                ("cached_read", row.cached_read_tokens),
                ("cache_write", row.cache_write_tokens),
                ("output", row.completion_tokens),
            ):
                tokens.add_metric([row.backend, row.model, kind], value)
            cost.add_metric([row.backend, row.model], row.cost_usd)
        yield tokens
        yield cost

    def _workers(self) -> Iterator[Any]:
        workers = list_workers(self.session)
        alive = GaugeMetricFamily(
            "hyposcore_worker_up",
            "1 for a worker whose heartbeat in the ledger is fresh, 0 for a stopped or silent one.",
            labels=["worker", "host"],
        )
        last_beat = GaugeMetricFamily(
            "hyposcore_worker_last_beat_timestamp_seconds",
            "When each worker last recorded a heartbeat (Unix time).",
            labels=["worker", "host"],
        )
        consumers: Counter[str] = Counter()
        for worker in workers:
            labels = [worker.name, worker.host]
            alive.add_metric(labels, 1 if worker.alive else 0)
            last_beat.add_metric(labels, worker.last_beat_at.timestamp())
            if worker.alive:
                consumers.update(worker.queues)
        yield alive
        yield last_beat
        by_queue = GaugeMetricFamily(
            "hyposcore_queue_consumers",
            "Live workers consuming each queue (0: work queued there waits).",
            labels=["queue"],
        )
        # Every queue any worker ever announced, so a queue whose workers are gone reads 0.
        for queue in sorted({q for worker in workers for q in worker.queues}):
            by_queue.add_metric([queue], consumers.get(queue, 0))
        yield by_queue


def _seconds(bound_ms: float) -> str:
    return f"{bound_ms / 1000:g}"


def render_metrics(session: Session) -> bytes:
    """The Prometheus text exposition of every hyposcore metric, read now from the database."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_LedgerCollector(session))
    return bytes(generate_latest(registry))
