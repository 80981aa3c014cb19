"""Queueing: write the ledger row first, then hand the broker a message that carries only the id.

If the broker is down when the message is sent, the row stays queued with no ``enqueued_at`` and
the reaper sends it later: the evaluation is never lost, and the ledger's compare-and-set claim
means a message sent twice still runs the evaluation once.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from typing import Any

from celery import Celery

from common.as_of_rule import AS_OF_RULE_VERSION
from common.settings import Settings
from debates.backends import registry
from debates.config import ConfigError, validate_config
from debates.types import DebateConfig
from storage.db import Database
from storage.queries import delivery
from storage.queries import evaluations as ledger
from storage.queries.evaluation_batches import enqueue_many
from workers.agents import batchable_backends
from workers.celery_app import DEBATES_QUEUE, PUBLISH_QUEUE, SCORING_QUEUE, get_app
from workers.publish_wakeups import PendingPublishes
from workers.wakeups import ScoreWakeups

log = logging.getLogger(__name__)


def debate_config(
    settings: Settings,
    *,
    backend: str | None = None,
    panel: Sequence[str] | None = None,
    min_rounds: int | None = None,
    max_rounds: int | None = None,
    model: str | None = None,
    as_of: date | None = None,
    urgent: bool = True,
) -> dict[str, Any]:
    """The full configuration of an evaluation, defaults filled in, so equal requests hash equal.

    Checked here, where every request enters (API, CLI, scheduler): a ConfigError names the
    wrong field, and nothing is queued. ``as_of`` makes it a blind forecast: the debate sees
    only what was published, and each drug's status as dated, before that date
    (``debates.asof``); None is "now". Work that is not ``urgent`` goes through the
    provider's batch API at half price, when the backend has one and ``provider_batches`` is
    on (``delivery: "batch"``; live work has no such key).
    """
    if as_of is not None and as_of > datetime.now(UTC).date():
        raise ConfigError("as_of", f"{as_of.isoformat()} is in the future; the default is now")
    config = DebateConfig(
        backend=backend or settings.backend,
        panel=tuple(panel) if panel else None,
        min_rounds=settings.min_rounds if min_rounds is None else min_rounds,
        max_rounds=settings.max_rounds if max_rounds is None else max_rounds,
        model=model,
    )
    checked = validate_config(config).as_dict()
    if as_of is not None:
        checked = blind_config(checked, as_of)
    # Short-circuits: urgent work never reads the backend's settings.
    wait = not urgent and settings.provider_batches
    if wait and registry.capabilities(config.backend).provider_batches:
        checked["delivery"] = delivery.BATCH_DELIVERY
    return checked


def blind_config(config: Mapping[str, Any], as_of: date) -> dict[str, Any]:
    """``config`` made a blind forecast as of ``as_of``, under the current as-of rule: the
    rule's version is part of the configuration, so a forecast made under another never
    counts as its twin, and only the current rule's grade personas (common.as_of_rule)."""
    return {**config, "as_of": as_of.isoformat(), "as_of_rule_version": AS_OF_RULE_VERSION}


def submit_evaluation(
    database: Database,
    settings: Settings,
    *,
    hypothesis_id: str,
    config: Mapping[str, Any],
    force: bool = False,
    idempotency_key: str | None = None,
    app: Celery | None = None,
) -> ledger.Enqueued:
    """Queue an evaluation (or find its live twin) and send its message if it is new."""
    with database.transaction() as session:
        enqueued = ledger.enqueue_evaluation(
            session,
            hypothesis_id=hypothesis_id,
            config=config,
            max_attempts=settings.max_attempts,
            idempotency_key=idempotency_key,
            force=force,
        )
    if enqueued.created and not _batch_delivered(enqueued):
        send_evaluate(database, app or get_app(settings), evaluation_id=enqueued.evaluation.id)
    return enqueued


def _batch_delivered(enqueued: ledger.Enqueued) -> bool:
    """Batch-delivery work needs no message: beat's batch pass finds it in the ledger."""
    return delivery.delivery_of(enqueued.evaluation.config) == delivery.BATCH_DELIVERY


def submit_evaluations(
    database: Database,
    settings: Settings,
    *,
    hypothesis_ids: Sequence[str],
    config: Mapping[str, Any],
    force: bool = False,
    app: Celery | None = None,
) -> list[ledger.Enqueued]:
    """``submit_evaluation`` for many hypotheses: one transaction for the rows, then the messages.

    Offline evaluations go out as messages of up to ``offline_batch_size`` ids, each run by one
    worker in one transaction; the others one message each. Returns one entry per hypothesis,
    in order. An unknown hypothesis fails the whole call before anything is written or sent.
    """
    with database.transaction() as session:
        enqueued = enqueue_many(
            session,
            hypothesis_ids=hypothesis_ids,
            config=config,
            max_attempts=settings.max_attempts,
            force=force,
        )
    app = app or get_app(settings)
    created = [e.evaluation for e in enqueued if e.created and not _batch_delivered(e)]
    batchable = batchable_backends(settings)
    singles = [e.id for e in created if e.config.get("backend") not in batchable]
    grouped = [e.id for e in created if e.config.get("backend") in batchable]
    sent = [i for i in singles if _send(app, evaluation_id=i)]
    size = settings.offline_batch_size
    for start in range(0, len(grouped), size):
        group = grouped[start : start + size]
        if _send_batch(app, evaluation_ids=group):
            sent.extend(group)
    with database.transaction() as session:
        ledger.mark_enqueued(session, evaluation_ids=sent)
    return enqueued


def send_evaluate(
    database: Database, app: Celery, *, evaluation_id: int, countdown: float | None = None
) -> bool:
    """Send the evaluate message (after ``countdown`` seconds); on failure leave it to the
    reaper and say so."""
    if not _send(app, evaluation_id=evaluation_id, countdown=countdown):
        return False
    with database.transaction() as session:
        ledger.mark_enqueued(session, evaluation_ids=[evaluation_id])
    return True


def send_score(
    app: Celery,
    database: Database,
    *,
    evaluation_id: int,
    countdown: float | None = None,
    stamped: bool = False,
    wakeups: ScoreWakeups | None = None,
) -> bool:
    """Hand a debated evaluation to the scoring queue.

    The evaluation holds no lease while it waits, so a failed send costs nothing but time: the
    reaper re-sends the message once it is old. Sending retries the broker a few times first.
    The send is stamped in the ledger (``enqueued_at``) unless ``stamped``: the debate's
    hand-over to scoring stamps it in its own transaction. With ``wakeups``, no message is
    sent while a score message is already queued, which will score this one too.
    """
    sending = wakeups is None or wakeups.claim_send()
    if sending and not _send_task(
        app, "hyposcore.score", evaluation_id, [evaluation_id], SCORING_QUEUE, countdown
    ):
        if wakeups is not None:
            wakeups.clear()  # no wake-up is queued after all: let the next hand-over send one
        return False
    if not stamped:
        with database.transaction() as session:
            ledger.mark_enqueued(session, evaluation_ids=[evaluation_id])
    return True


def send_publish(app: Celery, *, gene_symbols: Sequence[str], pending: PendingPublishes) -> bool:
    """Have the pages of ``gene_symbols`` published: by the publish message already queued, or
    by one sent now, delivered after ``pending``'s delay so that later batches join it.

    False when the message could not be sent; the genes stay pending and go out with the next
    publish, once the flag of the message that never went expires (``workers.publish_wakeups``).
    """
    if not gene_symbols or not pending.add(gene_symbols):
        return bool(gene_symbols)
    try:
        app.send_task(
            "hyposcore.publish",
            args=[list(gene_symbols)],
            queue=PUBLISH_QUEUE,
            countdown=pending.delay_seconds or None,
            ignore_result=True,
        )
    except Exception as exc:  # the broker's many connection errors
        log.warning("genes %s: publish message not sent (%s)", list(gene_symbols), exc)
        return False
    return True


def _send(app: Celery, *, evaluation_id: int, countdown: float | None = None) -> bool:
    return _send_task(
        app, "hyposcore.evaluate", evaluation_id, [evaluation_id], DEBATES_QUEUE, countdown
    )


def _send_batch(app: Celery, *, evaluation_ids: Sequence[int]) -> bool:
    """One message for several offline evaluations, which one worker runs together."""
    return _send_task(
        app, "hyposcore.evaluate_batch", list(evaluation_ids), evaluation_ids, DEBATES_QUEUE
    )


def _send_task(
    app: Celery,
    name: str,
    arg: object,
    evaluation_ids: Sequence[int],
    queue: str,
    countdown: float | None = None,
) -> bool:
    try:
        app.send_task(
            name,
            args=[arg],
            queue=queue,
            countdown=countdown,
            # No result is awaited (the ledger has the outcome); subscribing to one would
            # make a dead result store stall the caller.
            ignore_result=True,
            retry=True,
            retry_policy={"max_retries": 2, "interval_start": 0.2, "interval_step": 0.5},
        )
    except Exception as exc:  # the broker's many connection errors; the reaper re-sends
        log.warning(
            "evaluations %s: message not sent (%s); the reaper will re-send it",
            list(evaluation_ids),
            exc,
        )
        return False
    return True
