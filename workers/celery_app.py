"""The Celery application, configured from settings for the embedded default or for servers."""

from __future__ import annotations

import logging
from datetime import timedelta

from celery import Celery
from celery.signals import setup_logging

from common.logs import configure_logging
from common.settings import Settings, get_settings
from workers.broker import (
    EMBEDDED_TRANSPORT,
    embedded_database_url,
    is_embedded,
    transport_options,
)
from workers.heartbeats import HeartbeatStep
from workers.warmup import BackendWarmup

DEBATES_QUEUE = "debates"
SCORING_QUEUE = "scoring"
PUBLISH_QUEUE = "publish"
QUEUES = (DEBATES_QUEUE, SCORING_QUEUE, PUBLISH_QUEUE)

TASK_ROUTES = {
    "hyposcore.evaluate": {"queue": DEBATES_QUEUE},
    "hyposcore.evaluate_batch": {"queue": DEBATES_QUEUE},
    "hyposcore.tournament_round": {"queue": DEBATES_QUEUE},
    # It replays debates and calls the provider, as a debate delivery does.
    "hyposcore.provider_batches": {"queue": DEBATES_QUEUE},
    "hyposcore.score": {"queue": SCORING_QUEUE},
    "hyposcore.reap": {"queue": SCORING_QUEUE},
    "hyposcore.reevaluate": {"queue": SCORING_QUEUE},
    "hyposcore.refit_ratings": {"queue": SCORING_QUEUE},
    "hyposcore.publish": {"queue": PUBLISH_QUEUE},
}


def beat_schedule(settings: Settings) -> dict[str, dict[str, object]]:
    """Each pass every so many seconds. A message of one expires when the next is sent: while
    no worker consumes, beat keeps sending, and a worker coming back would otherwise run every
    message that piled up at once (with rounds, threads judging the same pairs)."""
    every = {
        "reap-expired-leases": ("hyposcore.reap", settings.reap_interval_seconds),
        "re-evaluate-by-priority": ("hyposcore.reevaluate", settings.reevaluate_interval_seconds),
        "tournament-round": ("hyposcore.tournament_round", settings.tournament_interval_seconds),
        "provider-batches": ("hyposcore.provider_batches", settings.provider_batch_poll_seconds),
        "refit-ratings": ("hyposcore.refit_ratings", settings.refit_interval_seconds),
    }
    return {
        name: {
            "task": task,
            "schedule": timedelta(seconds=seconds),
            "options": {"expires": float(seconds)},
        }
        for name, (task, seconds) in every.items()
    }


def create_app(settings: Settings | None = None) -> Celery:
    """A Celery app for ``settings``; tasks are registered from workers.tasks."""
    settings = settings or get_settings()
    broker_url = settings.resolved_broker_url
    app = Celery("hyposcore", set_as_current=False)
    conf: dict[str, object] = {
        "broker_url": broker_url,
        "broker_transport_options": transport_options(
            broker_url,
            visibility_timeout=settings.visibility_timeout_seconds,
            key_prefix=settings.broker_key_prefix,
        ),
        "broker_connection_retry_on_startup": True,
        "result_backend": settings.resolved_result_backend,
        "task_ignore_result": True,
        "task_serializer": "json",
        "accept_content": ["json"],
        # The ledger, not the broker, is the source of truth; these settings make the broker
        # re-deliver rather than drop work when a worker dies mid-task.
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "worker_prefetch_multiplier": 1,
        "task_default_queue": DEBATES_QUEUE,
        "task_routes": TASK_ROUTES,
        "task_send_sent_event": settings.task_events,
        "worker_send_task_events": settings.task_events,
        "worker_hijack_root_logger": False,
        "beat_schedule": beat_schedule(settings),
        "beat_schedule_filename": str(settings.data_dir / "celerybeat-schedule"),
        "timezone": "UTC",
        "enable_utc": True,
    }
    if is_embedded(broker_url):
        # kombu's own transport cannot take a polling interval or a busy timeout; ours can.
        conf["broker_url"] = embedded_database_url(broker_url)
        conf["broker_transport"] = EMBEDDED_TRANSPORT
    app.conf.update(conf)
    app.conf.hyposcore_settings = settings
    app.autodiscover_tasks(["workers"], related_name="tasks", force=True)
    app.steps["consumer"].add(HeartbeatStep)
    app.steps["consumer"].add(BackendWarmup)
    return app


_APPS: dict[tuple[str, str], Celery] = {}


def get_app(settings: Settings | None = None) -> Celery:
    """The app for ``settings`` (default: the environment's), built once per broker and database."""
    settings = settings or get_settings()
    key = (settings.resolved_broker_url, settings.resolved_database_url)
    if key not in _APPS:
        _APPS[key] = create_app(settings)
    return _APPS[key]


@setup_logging.connect(weak=False)  # type: ignore[untyped-decorator]
def _logging_with_evaluation_ids(loglevel: object = None, **_: object) -> None:
    # Connecting this signal tells Celery not to configure logging itself; ours adds the
    # evaluation id to every line.
    level = loglevel if isinstance(loglevel, str | int) else "INFO"
    configure_logging(logging.getLevelName(level) if isinstance(level, int) else level)
