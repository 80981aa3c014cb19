"""Build the default agent backend and compile the prompts when a debates worker starts, and
give the ledger's debates the training cutoffs configured since they ran.

A provider SDK takes a second or more of CPU to import. Paid lazily, it fell in the first
debate, while every other debate thread of the worker waited on the same import: the worker's
first second of work was lost, each time it started. Built here, before the consumer takes its
first message, the backend then sits in ``workers.agents``'s per-process cache, and the first
debate finds it there. The prompt templates are compiled here for the same reason: the first
debates of a burst would otherwise compile them while they hold the worker's CPU.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from celery import bootsteps

from common.settings import Settings
from debates import prompts
from debates.backends import registry
from debates.types import DebateConfig
from storage.db import Database
from workers.agents import backend_factory
from workers.model_cutoffs import record_configured_cutoffs
from workers.runtime import runtime_for

log = logging.getLogger("hyposcore.workers")


def warm_default_backend(settings: Settings) -> bool:
    """Build the backend new evaluations get by default (``HYPOSCORE_BACKEND``).

    False, with a warning, when it cannot be built (a missing key, say): the worker still
    starts, and each debate that needs the backend fails with the reason, as it would have.
    """
    started = time.perf_counter()
    try:
        backend_factory(settings)(DebateConfig(backend=settings.backend))
    except Exception as exc:  # a backend's own settings or import error, any kind
        log.warning(
            "backend %r not built at start: %s: %s", settings.backend, type(exc).__name__, exc
        )
        return False
    log.info("backend %r built in %.2f s", settings.backend, time.perf_counter() - started)
    return True


def compile_prompts() -> int:
    """Compile every prompt template now; how many there are."""
    started = time.perf_counter()
    count = prompts.environment().precompile()
    log.info("%d prompt templates compiled in %.3f s", count, time.perf_counter() - started)
    return count


class BackendWarmup(bootsteps.StartStopStep):  # type: ignore[misc]
    """Runs once the consumer knows its queues and before it takes a message; only a worker
    that runs debates compiles the prompts and builds a backend."""

    requires = ("celery.worker.consumer.tasks:Tasks",)

    def start(self, parent: Any) -> None:
        from workers.celery_app import DEBATES_QUEUE  # the app module registers this step

        if DEBATES_QUEUE in {queue.name for queue in parent.task_consumer.queues}:
            compile_prompts()
            runtime = runtime_for(parent.app)
            warm_default_backend(runtime.settings)
            give_configured_cutoffs(runtime.database)


def give_configured_cutoffs(database: Database) -> int:
    """Give the ledger's debates the training cutoffs this worker is configured with for
    their models, where they recorded none (``workers.model_cutoffs``): a cutoff set after a
    model's debates ran reaches them when the workers restart with it. A failure is logged,
    never fatal: the worker debates as before. Returns the hypotheses reached, per backend."""
    given = 0
    for backend in registry.available():
        try:
            given += record_configured_cutoffs(database, backend=backend)
        except Exception as exc:  # a database, settings or plugin error, any kind
            log.warning(
                "configured training cutoffs of backend %r not recorded: %s: %s",
                backend,
                type(exc).__name__,
                exc,
            )
    if given:
        log.info("gave %d hypotheses' debates their model's configured training cutoff", given)
    return given
