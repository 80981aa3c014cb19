"""Provider-wide limits on concurrent requests and requests per minute, shared by all workers.

With Redis configured the limits live in Redis (one Lua script, so checking and taking a slot is
atomic across every worker process and machine); otherwise they hold per process. Slots are
leased with an expiry, so a worker killed while holding one cannot starve the others.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import deque
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any, Protocol

from debates.backends.base import AgentBackend, BackendRequest, BackendResult, OutputT

# KEYS: concurrency zset, released list. ARGV: holder, max_concurrency.
# Frees the slot and leaves one wake-up token for a worker waiting for a slot.
_RELEASE = """
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('RPUSH', KEYS[2], 1)
redis.call('LTRIM', KEYS[2], 0, tonumber(ARGV[2]) - 1)
redis.call('PEXPIRE', KEYS[2], 60000)
return 0
"""

# KEYS: concurrency zset, rate zset. ARGV: now_ms, holder, max_concurrency, per_minute, ttl_ms.
# Returns 0 when a slot was taken; else how many ms to wait before asking again, negated when
# every slot is taken (then a release wakes the waiter sooner).
_ACQUIRE = """
local now = tonumber(ARGV[1])
local ttl = tonumber(ARGV[5])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - 60000)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then
  local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  return -math.max(10, math.min(1000, tonumber(first[2]) - now))
end
if redis.call('ZCARD', KEYS[2]) >= tonumber(ARGV[4]) then
  local oldest = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')
  return math.max(10, tonumber(oldest[2]) + 60000 - now)
end
redis.call('ZADD', KEYS[1], now + ttl, ARGV[2])
redis.call('ZADD', KEYS[2], now, ARGV[2])
redis.call('PEXPIRE', KEYS[1], ttl + 60000)
redis.call('PEXPIRE', KEYS[2], 120000)
return 0
"""


class ProviderLimiter(Protocol):
    def slot(self, provider: str) -> AbstractContextManager[None]: ...


class LocalLimiter:
    """Limits within one process: a semaphore and a one-minute sliding window."""

    def __init__(self, *, max_concurrency: int, per_minute: int) -> None:
        self._semaphore = threading.BoundedSemaphore(max_concurrency)
        self._per_minute = per_minute
        self._sent: deque[float] = deque()
        self._lock = threading.Lock()

    @contextmanager
    def slot(self, provider: str) -> Iterator[None]:
        self._wait_for_rate()
        with self._semaphore:
            yield

    def _wait_for_rate(self) -> None:
        while True:
            with self._lock:
                now = time.monotonic()
                while self._sent and self._sent[0] <= now - 60:
                    self._sent.popleft()
                if len(self._sent) < self._per_minute:
                    self._sent.append(now)
                    return
                wait = self._sent[0] + 60 - now
            time.sleep(max(wait, 0.01))


class RedisLimiter:
    """Limits shared through Redis by every worker that uses the same ``prefix``."""

    def __init__(
        self,
        client: Any,
        *,
        max_concurrency: int,
        per_minute: int,
        prefix: str = "hyposcore:limits",
        slot_ttl_seconds: float = 300.0,
    ) -> None:
        self._client = client
        self._script = client.register_script(_ACQUIRE)
        self._release = client.register_script(_RELEASE)
        self._max_concurrency = max_concurrency
        self._per_minute = per_minute
        self._prefix = prefix
        self._ttl_ms = int(slot_ttl_seconds * 1000)

    @contextmanager
    def slot(self, provider: str) -> Iterator[None]:
        holder = uuid.uuid4().hex
        keys = [f"{self._prefix}:{provider}:active", f"{self._prefix}:{provider}:rate"]
        released = f"{self._prefix}:{provider}:released"
        while True:
            now_ms = int(time.time() * 1000)
            wait_ms = int(
                self._script(
                    keys=keys,
                    args=[now_ms, holder, self._max_concurrency, self._per_minute, self._ttl_ms],
                )
            )
            if wait_ms == 0:
                break
            if wait_ms < 0:
                # Every slot is taken: block until a holder releases one (it leaves a token),
                # rather than sleeping while a freed slot sits idle.
                self._client.blpop([released], timeout=-wait_ms / 1000)
            else:
                time.sleep(wait_ms / 1000)
        try:
            yield
        finally:
            self._release(keys=[keys[0], released], args=[holder, self._max_concurrency])


class LimitedBackend:
    """An agent backend whose every request first takes a provider slot."""

    def __init__(self, backend: AgentBackend, limiter: ProviderLimiter) -> None:
        self._backend = backend
        self._limiter = limiter
        self.name = backend.name

    @property
    def inner(self) -> AgentBackend:
        """The backend behind the limits (its batch API is not rate-limited per request)."""
        return self._backend

    def complete(self, request: BackendRequest[OutputT]) -> BackendResult[OutputT]:
        with self._limiter.slot(self.name):
            return self._backend.complete(request)
