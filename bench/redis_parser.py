"""Client CPU of the Redis calls a debate makes, with redis-py's Python reply parser and hiredis.

Each round runs ``--calls`` times the three kinds of call the workers make, against this
machine's Redis: a Lua script like the provider limiter's (``workers.limits``), a two-command
pipeline like kombu's bookkeeping of an unacknowledged message, and a ``SET NX PX`` like the
score wake-up flag (``workers.wakeups``). The two parsers take turns, ``--rounds`` times each;
prints the CPU microseconds of one set of three calls for each, and the median ratio.

    .venv/bin/python -m bench.redis_parser [--rounds 8] [--calls 2000]
"""

from __future__ import annotations

import argparse
import statistics
import time
import uuid

import redis
from redis._parsers import _HiredisParser, _RESP2Parser

from tests.servers import REDIS_URL

# Takes a slot as the limiter does: trim the expired, count, add.
SCRIPT = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', tonumber(ARGV[1]) - 1000)
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[2])
return redis.call('ZCARD', KEYS[1])
"""


def client(parser: type) -> redis.Redis:
    return redis.Redis(
        connection_pool=redis.ConnectionPool.from_url(REDIS_URL, parser_class=parser)
    )


def micros_per_set(connection: redis.Redis, calls: int, prefix: str) -> float:
    """Process CPU microseconds of one script call, one pipeline and one SET NX."""
    script = connection.register_script(SCRIPT)
    body = "x" * 300  # about a task message's size
    started = time.process_time()
    for i in range(calls):
        script(keys=[f"{prefix}slots"], args=[i, f"holder{i % 64}"])
        pipeline = connection.pipeline()
        pipeline.zadd(f"{prefix}unacked_index", {f"tag{i}": i})
        pipeline.hset(f"{prefix}unacked", f"tag{i}", body)
        pipeline.execute()
        connection.set(f"{prefix}flag", 1, nx=True, px=1000)
    return (time.process_time() - started) / calls * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--calls", type=int, default=2000)
    args = parser.parse_args()
    prefix = f"bench-{uuid.uuid4().hex[:8]}:"
    python, fast = client(_RESP2Parser), client(_HiredisParser)
    slow_runs, fast_runs = [], []
    try:
        for _ in range(args.rounds):
            slow_runs.append(micros_per_set(python, args.calls, prefix))
            fast_runs.append(micros_per_set(fast, args.calls, prefix))
    finally:
        python.delete(*(f"{prefix}{k}" for k in ("slots", "unacked_index", "unacked", "flag")))
    for name, runs in (("python parser", slow_runs), ("hiredis", fast_runs)):
        shown = ", ".join(f"{x:.0f}" for x in runs)
        print(f"{name}: CPU us per three calls: {shown} median {statistics.median(runs):.0f}")
    ratios = [f / s for s, f in zip(slow_runs, fast_runs, strict=True)]
    print(f"hiredis / python parser: median {statistics.median(ratios):.3f}")


if __name__ == "__main__":
    main()
