"""A consumer bootstep that records the worker's heartbeat in the ledger every few seconds.

The ledger, not the broker, is where workers are listed: Celery's broadcast commands (the ones
``celery inspect`` and Flower's worker list use) get no answer on the embedded broker, so
``hyposcore status``, ``/healthz``, ``/metrics`` and the workers view read these rows instead.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from typing import Any
from urllib.parse import urlsplit

from celery import bootsteps

from storage.queries.workers import mark_stopped, record_beat
from workers.broker import is_embedded
from workers.runtime import Runtime, runtime_for

log = logging.getLogger("hyposcore.workers")

HEARTBEAT_SECONDS = 5.0


def broker_kind(broker_url: str) -> str:
    """A short, secret-free name of the broker: "embedded sqlite", "redis", "amqp"."""
    if is_embedded(broker_url):
        return "embedded sqlite"
    return urlsplit(broker_url).scheme or "unknown"


class Heartbeater:
    """Beats for one worker on a daemon thread until stopped; a failed beat is retried."""

    def __init__(self, runtime: Runtime, *, name: str, queues: list[str]) -> None:
        self._runtime = runtime
        self._name = name
        self._queues = queues
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="hyposcore-heartbeat", daemon=True)

    def start(self) -> None:
        try:
            self.beat()
        except Exception:  # the worker still works unlisted; the thread's next beat retries
            log.warning("worker %s: first heartbeat failed", self._name, exc_info=True)
        self._thread.start()

    def beat(self) -> None:
        settings = self._runtime.settings
        with self._runtime.database.transaction() as session:
            record_beat(
                session,
                name=self._name,
                host=socket.gethostname(),
                pid=os.getpid(),
                queues=self._queues,
                backend=settings.backend,
                broker=broker_kind(settings.resolved_broker_url),
            )

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=HEARTBEAT_SECONDS)
        try:
            with self._runtime.database.transaction() as session:
                mark_stopped(session, name=self._name, pid=os.getpid())
        except Exception:  # shutting down: the row goes stale on its own
            log.warning("worker %s: could not record its stop", self._name, exc_info=True)

    def _run(self) -> None:
        while not self._stop.wait(HEARTBEAT_SECONDS):
            try:
                self.beat()
            except Exception:  # a database blip must not end the beats; the next one retries
                log.warning("worker %s: heartbeat failed", self._name, exc_info=True)


class HeartbeatStep(bootsteps.StartStopStep):  # type: ignore[misc]
    """Starts beating once the consumer knows its queues; stops with the consumer."""

    requires = ("celery.worker.consumer.tasks:Tasks",)

    def __init__(self, parent: Any, **kwargs: Any) -> None:
        super().__init__(parent, **kwargs)
        self.heartbeater: Heartbeater | None = None

    def start(self, parent: Any) -> None:
        queues = sorted(q.name for q in parent.task_consumer.queues)
        self.heartbeater = Heartbeater(runtime_for(parent.app), name=parent.hostname, queues=queues)
        self.heartbeater.start()

    def stop(self, parent: Any) -> None:
        if self.heartbeater is not None:
            self.heartbeater.stop()
            self.heartbeater = None

    shutdown = stop
