"""Provider limits hold across threads, and across processes through Redis."""

from __future__ import annotations

import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from typing import Any

import fakeredis
import pytest
import redis

from tests.servers import REDIS_URL, require_redis
from workers import limits
from workers.limits import LocalLimiter, RedisLimiter


def _peak_inside(
    slot: Callable[[], AbstractContextManager[None]],
    *,
    threads: int,
    turns: int = 1,
    hold: float = 0.05,
) -> int:
    """``threads`` threads each go through ``slot()`` ``turns`` times, staying ``hold`` seconds;
    returns the most that were inside at once. Fails if the threads do not all finish (a lost
    wake-up would leave some waiting for ever)."""
    inside = 0
    peak = 0
    entered = 0
    lock = threading.Lock()

    def work() -> None:
        nonlocal inside, peak, entered
        for _ in range(turns):
            with slot():
                with lock:
                    inside += 1
                    entered += 1
                    peak = max(peak, inside)
                time.sleep(hold)
                with lock:
                    inside -= 1

    workers = [threading.Thread(target=work, daemon=True) for _ in range(threads)]
    for thread in workers:
        thread.start()
    deadline = time.monotonic() + 30
    for thread in workers:
        thread.join(timeout=max(0.0, deadline - time.monotonic()))
    assert not any(thread.is_alive() for thread in workers), "threads left waiting for a slot"
    assert entered == threads * turns
    return peak


def test_local_limiter_caps_concurrency() -> None:
    limiter = LocalLimiter(max_concurrency=2, per_minute=1000)
    assert _peak_inside(lambda: limiter.slot("openai"), threads=8) == 2


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
    peak = _peak_inside(lambda: (first if next(flip) % 2 else second).slot("openai"), threads=10)
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
    # Take the only slot and never release it, as a killed worker would. The lease runs from
    # the moment it was taken, so that is where the wait is counted from: a pause of the
    # test's own thread after taking it must not count as time the next one waited less.
    began = time.monotonic()
    slot = limiter.slot("openai")
    slot.__enter__()
    with limiter.slot("openai"):
        waited = time.monotonic() - began
    assert waited >= 0.2


class _ClockAhead:
    """``time`` as a machine whose clock runs an hour ahead of the others' sees it."""

    def __getattr__(self, name: str) -> Any:
        return getattr(time, name)

    @staticmethod
    def time() -> float:
        return time.time() + 3600


def test_a_worker_whose_clock_runs_ahead_cannot_expire_the_others_slots(
    fake_redis: fakeredis.FakeRedis, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Slots expire by the Redis server's clock, the one clock every machine shares.
    settled = RedisLimiter(fake_redis, max_concurrency=1, per_minute=1000, prefix="t7")
    held = settled.slot("openai")
    held.__enter__()
    monkeypatch.setattr(limits, "time", _ClockAhead())
    ahead = RedisLimiter(fake_redis, max_concurrency=1, per_minute=1000, prefix="t7")
    got_in = threading.Event()

    def take() -> None:
        with ahead.slot("openai"):
            got_in.set()

    thread = threading.Thread(target=take, daemon=True)
    thread.start()
    assert not got_in.wait(0.5)  # the one slot is still held
    held.__exit__(None, None, None)
    assert got_in.wait(5)
    thread.join(5)


def test_real_redis_limiter_caps_concurrency() -> None:
    require_redis()
    client = redis.Redis.from_url(REDIS_URL)
    prefix = f"hyposcore-test-{uuid.uuid4().hex}"
    try:
        limiter = RedisLimiter(client, max_concurrency=2, per_minute=1000, prefix=prefix)
        assert _peak_inside(lambda: limiter.slot("openai"), threads=6) == 2
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


class _CountingRedis(fakeredis.FakeRedis):
    """A fake Redis that counts the commands it is sent, by name."""

    def __init__(self) -> None:
        super().__init__()
        self.sent: Counter[str] = Counter()

    def execute_command(self, *args: Any, **options: Any) -> Any:
        self.sent[str(args[0]).upper()] += 1
        return super().execute_command(*args, **options)


class _SlowRedis(fakeredis.FakeRedis):
    """A fake Redis a network away: each command waits ``latency`` seconds first, letting other
    threads run while one talks to Redis (as they do with a real server)."""

    def __init__(self, latency: float) -> None:
        super().__init__()
        self.latency = latency

    def execute_command(self, *args: Any, **options: Any) -> Any:
        time.sleep(self.latency)
        return super().execute_command(*args, **options)


@pytest.mark.parametrize("threads", [5, 24])
@pytest.mark.parametrize("latency", [0.0, 0.0005])
@pytest.mark.parametrize("pass_on_limit", [0, 1, 3, 8])
def test_no_thread_is_left_waiting_however_slots_are_passed_on(
    pass_on_limit: int, latency: float, threads: int
) -> None:
    # More threads than slots, short turns: a slot passed on, a slot released to Redis and a
    # thread's turn to ask Redis interleave in every order (with a few threads, the line is
    # often empty while a slot is on its way to the one thread that waited).
    client = _SlowRedis(latency)
    limiter = RedisLimiter(
        client, max_concurrency=3, per_minute=100_000, prefix="t4", pass_on_limit=pass_on_limit
    )
    assert _peak_inside(lambda: limiter.slot("openai"), threads=threads, turns=25, hold=0.001) <= 3


def test_a_slot_is_passed_to_a_waiting_thread_of_the_same_process() -> None:
    client = _CountingRedis()
    limiter = RedisLimiter(client, max_concurrency=1, per_minute=100_000, prefix="t5")
    _peak_inside(lambda: limiter.slot("openai"), threads=8, turns=10, hold=0.001)
    # 80 turns through one slot, nearly all of them waiting for it. Were each waiter to ask
    # Redis for itself, every turn would cost a failed EVALSHA, a BLPOP and a second EVALSHA
    # on top of its own EVALSHA and release. Passed on, a turn costs about one EVALSHA, and
    # only every ninth slot (PASS_ON_LIMIT) goes back through Redis.
    assert client.sent["EVALSHA"] + client.sent["EVAL"] < 80 * 2
    assert client.sent["BLPOP"] < 80 / 2


def test_a_slot_passed_on_still_counts_against_the_rate() -> None:
    client = fakeredis.FakeRedis()
    limiter = RedisLimiter(client, max_concurrency=1, per_minute=4, prefix="t6")
    finished: list[float] = []

    def one_turn() -> None:
        with limiter.slot("openai"):
            time.sleep(0.05)
        finished.append(time.monotonic())

    workers = [threading.Thread(target=one_turn, daemon=True) for _ in range(6)]
    for thread in workers:
        thread.start()
    time.sleep(1.0)
    # Four requests a minute: the fifth and sixth wait, whether the slot was passed on or not.
    assert len(finished) == 4
    assert client.zcard("t6:openai:rate") == 4
    assert client.zcard("t6:openai:active") == 0  # the refused pass-on freed the slot


def test_a_busy_process_passes_a_slot_on_only_so_often() -> None:
    # Real Redis serves blocked BLPOPs first come, first served: once a slot has been passed
    # on pass_on_limit times it goes back to Redis, and another process's waiter gets it.
    require_redis()
    client = redis.Redis.from_url(REDIS_URL)
    prefix = f"hyposcore-test-{uuid.uuid4().hex}"
    busy = RedisLimiter(
        client,
        max_concurrency=1,
        per_minute=1000,
        prefix=prefix,
        slot_ttl_seconds=60,
        pass_on_limit=2,
    )
    other = RedisLimiter(client, max_concurrency=1, per_minute=1000, prefix=prefix)
    order: list[str] = []
    lock = threading.Lock()

    def turn(limiter: RedisLimiter, name: str) -> None:
        with limiter.slot("openai"):
            with lock:
                order.append(name)
            time.sleep(0.02)

    def blocked_clients() -> int:
        return int(client.info("clients")["blocked_clients"])

    try:
        holding = busy.slot("openai")
        holding.__enter__()
        before = blocked_clients()
        threads = [threading.Thread(target=turn, args=(other, "other"), daemon=True)]
        threads[0].start()
        _wait_until(lambda: blocked_clients() == before + 1)
        for n in range(4):
            threads.append(threading.Thread(target=turn, args=(busy, f"busy{n}"), daemon=True))
            threads[-1].start()
            if n == 0:  # the process's first waiter asks Redis, and blocks there
                _wait_until(lambda: blocked_clients() == before + 2)
            else:  # the others wait in the process's line
                _wait_until(lambda n=n: len(busy._line("openai").waiting) == n)
        holding.__exit__(None, None, None)
        for thread in threads:
            thread.join(timeout=10)
        # busy0 asks Redis (blocked after "other"); busy1..3 wait in the process's line. The
        # first slot goes to busy1 and busy2 (two passes), then back to Redis: "other" first.
        assert order[:3] == ["busy1", "busy2", "other"]
        assert sorted(order) == ["busy0", "busy1", "busy2", "busy3", "other"]
    finally:
        for key in client.scan_iter(f"{prefix}:*"):
            client.delete(key)
        client.close()


def _wait_until(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.005)


class _PassOnFails(fakeredis.FakeRedis):
    """A fake Redis whose first slot pass-on fails, as a dropped connection would fail it."""

    def __init__(self) -> None:
        super().__init__()
        self.failed = False

    def execute_command(self, *args: Any, **options: Any) -> Any:
        # The acquire script's last argument names the holder passing its slot on.
        if str(args[0]).upper() == "EVALSHA" and args[-1] not in ("", b"") and not self.failed:
            self.failed = True
            raise redis.ConnectionError("connection lost")
        return super().execute_command(*args, **options)


def test_a_failed_pass_on_leaves_no_thread_stranded_in_the_line() -> None:
    client = _PassOnFails()
    limiter = RedisLimiter(
        client, max_concurrency=1, per_minute=1000, prefix="t7", slot_ttl_seconds=0.5
    )
    got: list[str] = []

    def waiter(name: str) -> None:
        with limiter.slot("openai"):
            got.append(name)

    holding = limiter.slot("openai")
    holding.__enter__()
    first = threading.Thread(target=waiter, args=("asks Redis",), daemon=True)
    first.start()
    _wait_until(lambda: limiter._line("openai").asking)
    second = threading.Thread(target=waiter, args=("in line",), daemon=True)
    second.start()
    _wait_until(lambda: len(limiter._line("openai").waiting) == 1)
    # The release tries to pass the slot to the thread in line; the call fails, the error
    # reaches the holder, and the slot stays taken in Redis until its lease runs out.
    with pytest.raises(redis.ConnectionError):
        holding.__exit__(None, None, None)
    first.join(timeout=10)
    second.join(timeout=10)
    assert client.failed
    assert sorted(got) == ["asks Redis", "in line"]
