"""One publish for many score batches: genes waiting to be published share one queued message.

Every score batch changes the scores of a few genes, and a publish lists every imported page
and every file of the page store before it edits the few it wants. Sent once per batch, the
publishes cost the scoring worker as much as a fifth of its CPU while debates stream in. With
Redis configured, a batch adds its genes to a shared pending set and sends a publish message
only when it sets the wake-up flag, and that message waits ``HYPOSCORE_PUBLISH_DELAY_SECONDS``
so that the batches scored meanwhile go out with it.

A publish delivery clears the flag and reads the pending genes in one step, publishes them with
its message's own, and only then removes what it read. Each gene carries the number of the add
that last named it, and a gene added again after the read keeps its place: its new score goes
out with the next publish, which the add that follows the clearing sends. A delivery that dies
removes nothing, so the next publish takes its genes too. A lost message holds publishing back
until the flag expires; the pending set outlives it. Without Redis every batch sends its own
message at once.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import suppress
from functools import lru_cache
from typing import Any, Protocol

import redis

from common.settings import Settings
from workers.agents import limits_redis_url, shared_redis

# A flag outlives its message's delay by this much before a lost message is given up for lost.
FLAG_GRACE_SECONDS = 30
# How long genes wait for a publish before they are forgotten (far longer than any outage the
# flag's expiry covers: the next batch scored after one publishes them).
KEEP_SECONDS = 7 * 24 * 3600

# KEYS: pending zset, add counter, flag. ARGV: flag ms, keep ms, genes...
# Records the genes under a new add number; 1 when this add set the flag (send a message).
_ADD = """
local number = redis.call('INCR', KEYS[2])
for i = 3, #ARGV do
  redis.call('ZADD', KEYS[1], number, ARGV[i])
end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
redis.call('PEXPIRE', KEYS[2], ARGV[2])
if redis.call('SET', KEYS[3], '1', 'NX', 'PX', ARGV[1]) then
  return 1
end
return 0
"""

# KEYS: pending zset. ARGV: gene, add number, gene, add number...
# Removes each gene not added again since it was read.
_DONE = """
local removed = 0
for i = 1, #ARGV, 2 do
  local number = redis.call('ZSCORE', KEYS[1], ARGV[i])
  if number and tonumber(number) <= tonumber(ARGV[i + 1]) then
    removed = removed + redis.call('ZREM', KEYS[1], ARGV[i])
  end
end
return removed
"""


class PendingPublishes(Protocol):
    """Genes whose new scores wait to be published, shared by the workers that score."""

    @property
    def delay_seconds(self) -> float:
        """How long a publish message waits before it is delivered."""
        ...

    def add(self, gene_symbols: Sequence[str]) -> bool:
        """Record genes to publish; True when the caller should send a publish message."""
        ...

    def take(self) -> dict[str, int]:
        """A publish delivery has begun: the genes waiting, each with its add number (they
        stay pending until ``done``), and later adds send a message of their own."""
        ...

    def done(self, taken: Mapping[str, int]) -> None:
        """``taken`` is published: forget each gene not added again since it was taken."""
        ...


class EveryBatch:
    """Nothing shared: every score batch sends its own publish, at once."""

    delay_seconds = 0.0

    def add(self, gene_symbols: Sequence[str]) -> bool:
        return True

    def take(self) -> dict[str, int]:
        return {}

    def done(self, taken: Mapping[str, int]) -> None:
        return None


class RedisPendingPublishes:
    def __init__(self, client: Any, prefix: str, *, delay_seconds: float) -> None:
        self._client = client
        self._pending = f"{prefix}publish-pending"
        self._counter = f"{prefix}publish-adds"
        self._flag = f"{prefix}publish-wakeup"
        self._add = client.register_script(_ADD)
        self._done = client.register_script(_DONE)
        self.delay_seconds = delay_seconds
        self._flag_ms = int((delay_seconds + FLAG_GRACE_SECONDS) * 1000)

    def add(self, gene_symbols: Sequence[str]) -> bool:
        if not gene_symbols:
            return False
        keys = [self._pending, self._counter, self._flag]
        try:
            return bool(
                self._add(keys=keys, args=[self._flag_ms, KEEP_SECONDS * 1000, *gene_symbols])
            )
        except redis.RedisError:
            return True  # without the shared set, a message of its own is the safe side

    def take(self) -> dict[str, int]:
        try:
            with self._client.pipeline(transaction=True) as pipe:
                pipe.delete(self._flag)
                pipe.zrange(self._pending, 0, -1, withscores=True)
                _, members = pipe.execute()
        except redis.RedisError:
            return {}  # the message's own genes are still published
        return {_text(gene): int(number) for gene, number in members}

    def done(self, taken: Mapping[str, int]) -> None:
        if not taken:
            return
        args = [value for gene, number in taken.items() for value in (gene, number)]
        # On failure the genes stay pending: published once more by the next publish.
        with suppress(redis.RedisError):
            self._done(keys=[self._pending], args=args)


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def pending_publishes(settings: Settings) -> PendingPublishes:
    """The pending genes for ``settings``' broker: shared through Redis, or none."""
    return _pending(
        limits_redis_url(settings), settings.broker_key_prefix, settings.publish_delay_seconds
    )


@lru_cache(maxsize=8)
def _pending(redis_url: str | None, prefix: str, delay_seconds: float) -> PendingPublishes:
    if redis_url is None:
        return EveryBatch()
    return RedisPendingPublishes(
        shared_redis(redis_url), f"{prefix}hyposcore:", delay_seconds=delay_seconds
    )
