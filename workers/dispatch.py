"""Queueing: write the ledger row first, then hand the broker a message that carries only the id.

If the broker is down when the message is sent, the row stays queued with no ``enqueued_at`` and
the reaper sends it later: the evaluation is never lost, and the ledger's compare-and-set claim
means a message sent twice still runs the evaluation once.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from celery import Celery

from debates.types import DebateConfig
from hyposcore.settings import Settings
from storage.db import Database
from storage.queries import evaluations as ledger
from workers.celery_app import DEBATES_QUEUE, get_app

log = logging.getLogger(__name__)


def debate_config(
    settings: Settings,
    *,
    backend: str | None = None,
    panel: Sequence[str] | None = None,
    min_rounds: int | None = None,
    max_rounds: int | None = None,
    model: str | None = None,
) -> dict[str, Any]:
    """The full configuration of an evaluation, defaults filled in, so equal requests hash equal."""
    config = DebateConfig(
        backend=backend or settings.backend,
        panel=tuple(panel) if panel else None,
        min_rounds=min_rounds or settings.min_rounds,
        max_rounds=max_rounds or settings.max_rounds,
        model=model,
    )
    if not 2 <= config.min_rounds <= config.max_rounds <= 8:
        raise ValueError(
            f"rounds must satisfy 2 <= min_rounds <= max_rounds <= 8, "
            f"got min_rounds={config.min_rounds}, max_rounds={config.max_rounds}"
        )
    return config.as_dict()


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
    if enqueued.created:
        send_evaluate(database, app or get_app(settings), evaluation_id=enqueued.evaluation.id)
    return enqueued


def send_evaluate(database: Database, app: Celery, *, evaluation_id: int) -> bool:
    """Send the evaluate message; on failure leave it to the reaper and say so."""
    try:
        app.send_task(
            "hyposcore.evaluate",
            args=[evaluation_id],
            queue=DEBATES_QUEUE,
            # No result is awaited (the ledger has the outcome); subscribing to one would
            # make a dead result store stall the caller.
            ignore_result=True,
            retry=True,
            retry_policy={"max_retries": 2, "interval_start": 0.2, "interval_step": 0.5},
        )
    except Exception as exc:  # the broker's many connection errors; the reaper re-sends
        log.warning(
            "evaluation %s: message not sent (%s); the reaper will re-send it", evaluation_id, exc
        )
        return False
    with database.transaction() as session:
        ledger.mark_enqueued(session, evaluation_id=evaluation_id)
    return True
