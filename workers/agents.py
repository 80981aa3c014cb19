"""An evaluation's agent backend inside a worker: built once per process, behind the
provider-wide limits when it calls a provider; and which backends a worker may batch."""

from __future__ import annotations

import threading
from collections.abc import Callable
from functools import lru_cache

import redis

from common.settings import Settings
from debates.backends import registry
from debates.backends.base import AgentBackend
from debates.types import DebateConfig
from workers.limits import LimitedBackend, LocalLimiter, ProviderLimiter, RedisLimiter


def batchable_backends(settings: Settings) -> frozenset[str]:
    """The backends whose evaluations a worker may claim and finish in batches.

    Each backend says so itself (``Capabilities.batchable``, given its configured options: the
    offline backend slowed down to simulate a provider is run like one, one by one).
    """
    if settings.offline_batch_size <= 1:
        return frozenset()
    return frozenset(name for name, can in registry.all_capabilities().items() if can.batchable)


def is_batchable(settings: Settings, backend: str) -> bool:
    """Whether ``backend``'s evaluations are run in batches: ``batchable_backends`` asked of
    one backend, so a worker's every claim does not read every backend's settings. A backend
    that cannot load is not batchable, as there; running it one by one reports why."""
    if settings.offline_batch_size <= 1:
        return False
    try:
        return registry.capabilities(backend).batchable
    except Exception:  # a third party's import or settings error, any kind
        return False


def limits_redis_url(settings: Settings) -> str | None:
    """Where the shared limits live: Redis when the broker or result store is Redis."""
    for url in (settings.resolved_broker_url, settings.resolved_result_backend or ""):
        if url.startswith(("redis://", "rediss://")):
            return url
    return None


# Above the limiter's longest blocking wait (1 s, workers.limits), so a healthy Redis never
# times out a BLPOP; redis-py 8's own default.
REDIS_TIMEOUT_SECONDS = 5.0


@lru_cache(maxsize=8)
def shared_redis(redis_url: str) -> redis.Redis:
    """This process's client for ``redis_url``: the limits, the score wake-ups and the pending
    publishes share its connection pool (which reconnects by itself in a forked child).

    Its calls give up after REDIS_TIMEOUT_SECONDS on a Redis that hangs, where redis-py before
    8 would wait forever: the wake-ups and publishes then take their safe side (a message of
    their own), and a debate waiting for a limiter slot is released for a retry."""
    return redis.Redis.from_url(
        redis_url,
        socket_timeout=REDIS_TIMEOUT_SECONDS,
        socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
    )


@lru_cache(maxsize=8)
def _limiter(
    redis_url: str | None, prefix: str, max_concurrency: int, per_minute: int
) -> ProviderLimiter:
    if redis_url is None:
        return LocalLimiter(max_concurrency=max_concurrency, per_minute=per_minute)
    return RedisLimiter(
        shared_redis(redis_url),
        max_concurrency=max_concurrency,
        per_minute=per_minute,
        prefix=f"{prefix}hyposcore:limits",
    )


_BACKENDS: dict[tuple[int, str, str | None], AgentBackend] = {}
_BACKENDS_LOCK = threading.Lock()


def backend_factory(settings: Settings) -> Callable[[DebateConfig], AgentBackend]:
    """A function from an evaluation's configuration to its (rate-limited) backend.

    Backends are built once per process and configuration and then shared by the worker's
    threads, so an LLM client keeps its connection pool instead of reconnecting per debate.
    """

    def build(config: DebateConfig) -> AgentBackend:
        key = (id(settings), config.backend, config.model)
        with _BACKENDS_LOCK:
            if key not in _BACKENDS:
                _BACKENDS[key] = _build(settings, config)
            return _BACKENDS[key]

    return build


def _build(settings: Settings, config: DebateConfig) -> AgentBackend:
    backend = registry.create_from_settings(config.backend, model=config.model or None)
    if not registry.capabilities(config.backend).rate_limited:
        return backend
    limiter = _limiter(
        limits_redis_url(settings),
        settings.broker_key_prefix,
        settings.llm_max_concurrency,
        settings.llm_requests_per_minute,
    )
    return LimitedBackend(backend, limiter)
