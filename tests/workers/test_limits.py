"""Provider limits hold across threads, and across processes through Redis."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager

import fakeredis
import pytest
import redis

from tests.servers import REDIS_URL, require_redis
from workers.limits import LocalLimiter, RedisLimiter


def _max_parallel(slot: Callable[[], AbstractContextManager[None]], workers: int) -> int:
    """Run ``workers`` threads through ``slot`` and return the most that were inside at once."""
    inside = 0
    peak = 0
    lock = threading.Lock()

    def work() -> None:
        nonlocal inside, peak
        with slot():
            with lock:
                inside += 1
                peak = max(peak, inside)
            time.sleep(0.05)
            with lock:
                inside -= 1

    threads = [threading.Thread(target=work) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return peak


def test_local_limiter_caps_concurrency() -> None:
    limiter = LocalLimiter(max_concurrency=2, per_minute=1000)
    assert _max_parallel(lambda: limiter.slot("openai"), workers=8) == 2


@pytest.fixture
def fake_redis() -> Iterator[fakeredis.FakeRedis]:
    client = fakeredis.FakeRedis()
    yield client
    client.flushall()


def test_redis_limiter_caps_concurrency_across_limiters(fake_redis: fakeredis.FakeRedis) -> None:
    # Two limiter objects stand for two worker processes sharing one Redis.
    first = RedisLimiter(fake_redis, max_concurrency=3, per_minute=1000, prefix="t1")
    second = RedisLimiter(fake_redis, max_concurrency=3, per_minute=1000, prefix="t1")
    flip = iter(range(100))
    peak = _max_parallel(lambda: (first if next(flip) % 2 else second).slot("openai"), workers=10)
    assert peak == 3


def test_redis_limiter_enforces_the_rate(fake_redis: fakeredis.FakeRedis) -> None:
    limiter = RedisLimiter(fake_redis, max_concurrency=10, per_minute=3, prefix="t2")
    for _ in range(3):
        with limiter.slot("anthropic"):
            pass
    started = threading.Event()
    done = threading.Event()

    def fourth() -> None:
        started.set()
        with limiter.slot("anthropic"):
            done.set()

    thread = threading.Thread(target=fourth, daemon=True)
    thread.start()
    started.wait()
    # The fourth request in the same minute must wait; other providers are not affected.
    assert not done.wait(0.5)
    with limiter.slot("openai"):
        pass


def test_a_dead_holder_frees_its_slot_after_the_ttl(fake_redis: fakeredis.FakeRedis) -> None:
    limiter = RedisLimiter(
        fake_redis, max_concurrency=1, per_minute=1000, prefix="t3", slot_ttl_seconds=0.3
    )
    # Take the only slot and never release it, as a killed worker would.
    slot = limiter.slot("openai")
    slot.__enter__()
    began = time.monotonic()
    with limiter.slot("openai"):
        waited = time.monotonic() - began
    assert waited >= 0.2


def test_real_redis_limiter_caps_concurrency() -> None:
    require_redis()
    client = redis.Redis.from_url(REDIS_URL)
    prefix = f"hyposcore-test-{uuid.uuid4().hex}"
    try:
        limiter = RedisLimiter(client, max_concurrency=2, per_minute=1000, prefix=prefix)
        assert _max_parallel(lambda: limiter.slot("openai"), workers=6) == 2
    finally:
        for key in client.scan_iter(f"{prefix}:*"):
            client.delete(key)
        client.close()


def _wait_for_freed_slot(client: redis.Redis) -> float:
    """Seconds a waiter needs to get the only slot once its holder lets go."""
    prefix = f"hyposcore-test-{uuid.uuid4().hex}"
    # Slots live long, so a waiter that missed the release would wait its full second.
    limiter = RedisLimiter(
        client, max_concurrency=1, per_minute=1000, prefix=prefix, slot_ttl_seconds=60
    )
    taken = threading.Event()
    got_it: list[float] = []

    def waiter() -> None:
        taken.wait()
        with limiter.slot("openai"):
            got_it.append(time.monotonic())

    thread = threading.Thread(target=waiter)
    thread.start()
    with limiter.slot("openai"):
        taken.set()
        time.sleep(0.2)  # the waiter is blocked by now
        released = time.monotonic()
    thread.join(timeout=5)
    for key in client.scan_iter(f"{prefix}:*"):
        client.delete(key)
    return got_it[0] - released


def test_a_released_slot_wakes_a_waiter_at_once() -> None:
    require_redis()
    client = redis.Redis.from_url(REDIS_URL)
    try:
        # Not polled: the release leaves a token the waiter blocks on. Without it the waiter
        # would sleep out its 1 s back-off.
        assert _wait_for_freed_slot(client) < 0.5
    finally:
        client.close()
