"""Provider-wide limits on concurrent requests and requests per minute, shared by all workers.

With Redis configured the limits live in Redis (one Lua script, so checking and taking a slot is
atomic across every worker process and machine); otherwise they hold per process. Slots are
leased with an expiry, so a worker killed while holding one cannot starve the others.

A worker runs more debates than it has slots, so threads wait. Within a process they queue in
line and only the first asks Redis; a slot freed while a thread of the same process waits is
passed to it in one call (which still counts the request against the rate), where asking for
itself cost every waiter a refused try, a blocking pop and a second try.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import deque
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
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

# KEYS: concurrency zset, rate zset, released list.
# ARGV: holder, max_concurrency, per_minute, ttl_ms, holder passing its slot on or ''.
# Returns 0 when a slot was taken; else how many ms to wait before asking again, negated when
# every slot is taken (then a release wakes the waiter sooner). A slot passed on and not
# taken (the minute's requests are used up) is freed as a release frees it.
# The time is the Redis server's: workers on many machines share its one clock, where each
# machine's own would let one running ahead expire the others' slots and break the limits.
_ACQUIRE = """
if redis.replicate_commands then redis.replicate_commands() end
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
local ttl = tonumber(ARGV[4])
local freed = 0
if ARGV[5] ~= '' then
  freed = redis.call('ZREM', KEYS[1], ARGV[5])
end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - 60000)
local wait = 0
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then
  local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  wait = -math.max(10, math.min(1000, tonumber(first[2]) - now))
elseif redis.call('ZCARD', KEYS[2]) >= tonumber(ARGV[3]) then
  local oldest = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')
  wait = math.max(10, tonumber(oldest[2]) + 60000 - now)
end
if wait ~= 0 then
  if freed == 1 then
    redis.call('RPUSH', KEYS[3], 1)
    redis.call('LTRIM', KEYS[3], 0, tonumber(ARGV[2]) - 1)
    redis.call('PEXPIRE', KEYS[3], 60000)
  end
  return wait
end
redis.call('ZADD', KEYS[1], now + ttl, ARGV[1])
redis.call('ZADD', KEYS[2], now, ARGV[1])
redis.call('PEXPIRE', KEYS[1], ttl + 60000)
redis.call('PEXPIRE', KEYS[2], 120000)
return 0
"""

# How many times in a row a slot may be passed to a thread of the same process before it goes
# back to Redis, where the longest-blocked waiter of any process gets it: passing on saves
# three round trips a wait, and the bound keeps a busy process from starving the others.
PASS_ON_LIMIT = 8


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


@dataclass(frozen=True)
class _Grant:
    """A slot held in Redis under ``holder``, passed on ``hops`` times within this process."""

    holder: str
    hops: int


@dataclass(eq=False)
class _Waiter:
    woken: threading.Event = field(default_factory=threading.Event)
    granted: _Grant | None = None
    # False once taken out of the line: to ask Redis, or while a slot is being passed to it.
    in_line: bool = False


@dataclass(eq=False)
class _Line:
    """This process's threads waiting for one provider's slot. One at a time asks Redis (and
    blocks there while every slot is taken); the rest wait here, first come first served, for
    their turn to ask or for a slot a thread of this process passes on."""

    # The provider's keys in Redis: its slots held, its requests this minute, release tokens.
    keys: list[str]
    lock: threading.Lock = field(default_factory=threading.Lock)
    waiting: deque[_Waiter] = field(default_factory=deque)
    asking: bool = False

    def may_ask(self, waiter: _Waiter | None) -> bool:
        """Whether a thread may ask Redis now: nobody else is asking, and it is first in line
        (a newcomer, when nobody waits). A waiter out of the line has a slot on its way."""
        if self.asking:
            return False
        if waiter is None:
            return not self.waiting
        return waiter.in_line and self.waiting[0] is waiter

    def join(self, waiter: _Waiter, *, first: bool = False) -> None:
        if first:
            self.waiting.appendleft(waiter)
        else:
            self.waiting.append(waiter)
        waiter.in_line = True

    def leave(self, waiter: _Waiter) -> None:
        """Take the head of the line out of it (``waiter`` must be the head)."""
        assert self.waiting[0] is waiter
        self.waiting.popleft()
        waiter.in_line = False

    def nudge(self) -> None:
        """With nobody asking Redis, wake the head of the line to ask (call holding the lock).
        Whoever changes the line calls it: the waiter woken last may have been given a slot
        instead, and the line must never wait with nobody asking."""
        if self.waiting and not self.asking:
            self.waiting[0].woken.set()


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
        pass_on_limit: int = PASS_ON_LIMIT,
    ) -> None:
        self._client = client
        self._script = client.register_script(_ACQUIRE)
        self._release = client.register_script(_RELEASE)
        self._max_concurrency = max_concurrency
        self._per_minute = per_minute
        self._prefix = prefix
        self._ttl_ms = int(slot_ttl_seconds * 1000)
        self._pass_on_limit = pass_on_limit
        self._lines: dict[str, _Line] = {}
        self._lines_lock = threading.Lock()

    @contextmanager
    def slot(self, provider: str) -> Iterator[None]:
        grant = self._take(provider)
        try:
            yield
        finally:
            self._give_back(provider, grant)

    def _line(self, provider: str) -> _Line:
        with self._lines_lock:
            line = self._lines.get(provider)
            if line is None:
                base = f"{self._prefix}:{provider}"
                line = _Line([f"{base}:active", f"{base}:rate", f"{base}:released"])
                self._lines[provider] = line
            return line

    def _take(self, provider: str) -> _Grant:
        line = self._line(provider)
        waiter: _Waiter | None = None
        while True:
            with line.lock:
                if waiter is not None and waiter.granted is not None:
                    return waiter.granted
                ask = line.may_ask(waiter)
                if ask:
                    if waiter is not None:
                        line.leave(waiter)
                    line.asking = True
                elif waiter is None:
                    waiter = _Waiter()
                    line.join(waiter)
            if ask:
                try:
                    return _Grant(self._ask_redis(line.keys), hops=0)
                finally:
                    with line.lock:
                        line.asking = False
                        line.nudge()
            assert waiter is not None
            waiter.woken.wait()
            waiter.woken.clear()

    def _ask_redis(self, keys: list[str]) -> str:
        holder = uuid.uuid4().hex
        while True:
            wait_ms = self._acquire(keys, holder)
            if wait_ms == 0:
                return holder
            if wait_ms < 0:
                # Every slot is taken: block until a holder releases one (it leaves a token),
                # rather than sleeping while a freed slot sits idle.
                self._client.blpop([keys[2]], timeout=-wait_ms / 1000)
            else:
                time.sleep(wait_ms / 1000)

    def _acquire(self, keys: list[str], holder: str, passing_on: str = "") -> int:
        args = [holder, self._max_concurrency, self._per_minute, self._ttl_ms, passing_on]
        return int(self._script(keys=keys, args=args))

    def _give_back(self, provider: str, grant: _Grant) -> None:
        line = self._line(provider)
        with line.lock:
            waiter = None
            if line.waiting and grant.hops < self._pass_on_limit:
                waiter = line.waiting[0]
                line.leave(waiter)
            line.nudge()
        keys = line.keys
        if waiter is None:
            self._release(keys=[keys[0], keys[2]], args=[grant.holder, self._max_concurrency])
            return
        holder = uuid.uuid4().hex
        taken = False
        try:
            taken = self._acquire(keys, holder, passing_on=grant.holder) == 0
        finally:
            with line.lock:
                if taken:
                    waiter.granted = _Grant(holder, grant.hops + 1)
                else:
                    # Back at the head of the line, to ask Redis when its turn comes.
                    line.join(waiter, first=True)
                waiter.woken.set()


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
