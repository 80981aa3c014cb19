"""Building an evaluation's agent backend inside a worker, behind the provider-wide limits."""

from __future__ import annotations

import threading
from collections.abc import Callable
from functools import lru_cache

import redis

from common.settings import Settings
from debates.backends.base import AgentBackend
from debates.types import DebateConfig
from hyposcore.backends import backend_from_settings
from workers.limits import LimitedBackend, LocalLimiter, ProviderLimiter, RedisLimiter

# The offline backend calls no provider, so it takes no slot.
UNLIMITED_BACKENDS = frozenset({"evidence", "scripted"})
# Backends whose whole debate costs milliseconds and is recomputed exactly if lost.
INSTANT_BACKENDS = frozenset({"evidence"})


def batchable_backends(settings: Settings) -> frozenset[str]:
    """The backends whose evaluations a worker may claim and finish in batches.

    An offline backend slowed down to simulate a provider (``evidence_delay_seconds``) is
    treated like one: its evaluations run one by one, with their turns stored as they come.
    """
    if settings.offline_batch_size <= 1 or settings.evidence_delay_seconds > 0:
        return frozenset()
    return INSTANT_BACKENDS


def limits_redis_url(settings: Settings) -> str | None:
    """Where the shared limits live: Redis when the broker or result store is Redis."""
    for url in (settings.resolved_broker_url, settings.resolved_result_backend or ""):
        if url.startswith(("redis://", "rediss://")):
            return url
    return None


@lru_cache(maxsize=8)
def _limiter(
    redis_url: str | None, prefix: str, max_concurrency: int, per_minute: int
) -> ProviderLimiter:
    if redis_url is None:
        return LocalLimiter(max_concurrency=max_concurrency, per_minute=per_minute)
    client = redis.Redis.from_url(redis_url)
    return RedisLimiter(
        client,
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
    overrides = {"model": config.model} if config.model else {}
    backend = backend_from_settings(config.backend, settings, **overrides)
    if config.backend in UNLIMITED_BACKENDS:
        return backend
    limiter = _limiter(
        limits_redis_url(settings),
        settings.broker_key_prefix,
        settings.llm_max_concurrency,
        settings.llm_requests_per_minute,
    )
    return LimitedBackend(backend, limiter)
