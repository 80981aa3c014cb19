"""The Redis parser benchmark makes every call it times, with either parser."""

from __future__ import annotations

import uuid

import pytest
from redis._parsers import _HiredisParser, _RESP2Parser

from bench.redis_parser import client, micros_per_set

pytestmark = pytest.mark.redis


@pytest.mark.parametrize("parser", [_RESP2Parser, _HiredisParser])
def test_each_timed_set_runs_the_script_the_pipeline_and_the_flag(parser: type) -> None:
    prefix = f"test-{uuid.uuid4().hex[:8]}:"
    connection = client(parser)
    try:
        assert micros_per_set(connection, 3, prefix) > 0
        assert connection.zcard(f"{prefix}slots") == 3
        assert connection.hlen(f"{prefix}unacked") == 3
        assert connection.exists(f"{prefix}flag") == 1
    finally:
        connection.delete(*(f"{prefix}{k}" for k in ("slots", "unacked_index", "unacked", "flag")))
