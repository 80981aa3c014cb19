"""Per-process resources of a worker: settings and one database engine, rebuilt after fork."""

from __future__ import annotations

import os
from dataclasses import dataclass

from celery import Celery

from common.settings import Settings, get_settings
from storage.db import Database


@dataclass
class Runtime:
    settings: Settings
    database: Database
    pid: int


_RUNTIMES: dict[str, Runtime] = {}


def runtime_for(app: Celery) -> Runtime:
    """The runtime for ``app`` in this process.

    A forked pool child must not reuse its parent's database connections, so the cache is keyed
    by process id as well as by database URL.
    """
    settings: Settings = getattr(app.conf, "hyposcore_settings", None) or get_settings()
    url = settings.resolved_database_url
    current = _RUNTIMES.get(url)
    if current is None or current.pid != os.getpid():
        database = Database(
            url,
            pool_size=settings.database_pool_size,
            max_overflow=settings.database_max_overflow,
            # Tasks retry database hiccups, so a connection in steady use needs no round trip
            # before each transaction to prove it is still there.
            ping_only_after_idle=True,
        )
        current = Runtime(settings=settings, database=database, pid=os.getpid())
        _RUNTIMES[url] = current
    return current
