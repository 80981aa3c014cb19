"""One score message at a time: debates handed to scoring share the wake-up already queued.

A score delivery scores its own evaluation and every debated one waiting behind it (up to
``HYPOSCORE_SCORE_BATCH_SIZE`` a batch, batch after batch until none is left), so while one
score message is queued, another would only find its evaluation already scored. With Redis
configured, a flag says a wake-up is queued: a hand-over sends a message only when it sets the
flag, and the score task clears the flag *before* it claims. Whoever finds the flag set
committed its hand-over before the clearing, so the claim that follows sees its evaluation.

The flag expires (``PENDING_SECONDS``), so a lost message holds scoring back no longer than
that; the reaper's re-sends bypass it. Without Redis every hand-over sends its own message.
"""

from __future__ import annotations

from contextlib import suppress
from functools import lru_cache
from typing import Any, Protocol

import redis

from common.settings import Settings
from workers.agents import limits_redis_url, shared_redis

PENDING_SECONDS = 30


class ScoreWakeups(Protocol):
    def claim_send(self) -> bool:
        """True when the caller should send a score message (no wake-up is known queued)."""
        ...

    def clear(self) -> None:
        """A score delivery has begun: later hand-overs need a message of their own."""
        ...


class EveryHandOver:
    """No shared flag: every hand-over sends its message."""

    def claim_send(self) -> bool:
        return True

    def clear(self) -> None:
        return None


class RedisWakeups:
    def __init__(self, client: Any, key: str, pending_seconds: int = PENDING_SECONDS) -> None:
        self._client = client
        self._key = key
        self._pending_ms = pending_seconds * 1000

    def claim_send(self) -> bool:
        try:
            return bool(self._client.set(self._key, 1, nx=True, px=self._pending_ms))
        except redis.RedisError:
            return True  # without the flag, a message of its own is the safe side

    def clear(self) -> None:
        # On failure the flag expires; until then hand-overs may wait for it.
        with suppress(redis.RedisError):
            self._client.delete(self._key)


def score_wakeups(settings: Settings) -> ScoreWakeups:
    """The wake-up flag for ``settings``' broker: shared through Redis, or none."""
    return _wakeups(limits_redis_url(settings), settings.broker_key_prefix)


@lru_cache(maxsize=8)
def _wakeups(redis_url: str | None, prefix: str) -> ScoreWakeups:
    if redis_url is None:
        return EveryHandOver()
    return RedisWakeups(shared_redis(redis_url), f"{prefix}hyposcore:score-wakeup")
