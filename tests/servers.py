"""Finding this machine's servers for integration tests.

Where a server is absent a test skips with a message saying which and how to start it, except
under ``CI=true``, where an absent server is a failure: CI must never go green by skipping.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

POSTGRES_ADMIN_URL = os.environ.get(
    "HYPOSCORE_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
REDIS_URL = os.environ.get("HYPOSCORE_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
AMQP_URL = os.environ.get("HYPOSCORE_TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672//")


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


def require_server(name: str, host: str, port: int) -> None:
    """Skip (or, in CI, fail) unless something listens at host:port."""
    try:
        with socket.create_connection((host, port), timeout=2):
            return
    except OSError as exc:
        message = f"{name} is not reachable at {host}:{port} ({exc}); start it to run this test"
        if in_ci():
            pytest.fail(f"CI=true: {message}")
        pytest.skip(message)


def require_postgres() -> None:
    url = make_url(POSTGRES_ADMIN_URL)
    require_server("PostgreSQL", url.host or "127.0.0.1", url.port or 5432)


def require_redis() -> None:
    url = make_url(REDIS_URL.replace("redis://", "redis+x://", 1))
    require_server("Redis", url.host or "127.0.0.1", url.port or 6379)


def require_rabbitmq() -> None:
    require_server("RabbitMQ", "127.0.0.1", 5672)


@contextmanager
def fresh_postgres_database(*, template: str | None = None) -> Iterator[str]:
    """Create a uniquely named PostgreSQL database for one test run and drop it afterwards.

    With ``template`` it starts as a copy of that database (which must have no connection open).
    """
    require_postgres()
    name = create_postgres_database(template=template)
    try:
        yield postgres_url(name)
    finally:
        drop_postgres_database(name)


def create_postgres_database(*, template: str | None = None) -> str:
    """A new, uniquely named database (a copy of ``template`` if given); returns its name."""
    name = f"hyposcore_t_{uuid.uuid4().hex[:12]}"
    copy_of = f' TEMPLATE "{template}"' if template else ""
    _admin_statement(f'CREATE DATABASE "{name}"{copy_of}')
    return name


def drop_postgres_database(name: str) -> None:
    _admin_statement(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def postgres_url(name: str) -> str:
    return make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)


def _admin_statement(statement: str) -> None:
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(statement))
    finally:
        admin.dispose()


def terminate_backend(pid: int) -> bool:
    """Kill the PostgreSQL server process ``pid`` (a connection's ``pg_backend_pid()``), as a
    server restart or a network drop would end that connection; True when it was found."""
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            return bool(conn.execute(text("SELECT pg_terminate_backend(:p)"), {"p": pid}).scalar())
    finally:
        admin.dispose()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def down_redis() -> redis.Redis:
    """A client of a Redis that is not there, asked once per command.

    The tests that use it check what hyposcore falls back to when Redis is down. redis-py's
    default retries (three, with backoff) would only make each command take seconds to fail in
    the same way.
    """
    return redis.Redis(
        port=free_port(), socket_connect_timeout=0.2, retry=Retry(NoBackoff(), retries=0)
    )


@contextmanager
def fresh_rabbitmq_vhost() -> Iterator[str]:
    """A RabbitMQ virtual host of its own (guest may use it), deleted afterwards; yields its URL."""
    import subprocess

    require_rabbitmq()
    vhost = f"hyposcore-t-{uuid.uuid4().hex[:12]}"
    ctl = ["rabbitmqctl", "--quiet"]
    subprocess.run([*ctl, "add_vhost", vhost], check=True, capture_output=True, timeout=60)
    try:
        subprocess.run(
            [*ctl, "set_permissions", "-p", vhost, "guest", ".*", ".*", ".*"],
            check=True,
            capture_output=True,
            timeout=60,
        )
        yield f"amqp://guest:guest@127.0.0.1:5672/{vhost}"
    finally:
        subprocess.run([*ctl, "delete_vhost", vhost], capture_output=True, timeout=60)
