"""The embedded broker: kombu's SQLAlchemy transport on a SQLite file, fit for many processes.

kombu's stock transport hands every transport option to ``create_engine`` (so the polling
interval cannot be set), gives SQLite no busy timeout (so concurrent workers see "database is
locked"), and never deletes a delivered message: it only marks it invisible. This subclass fixes
the first two; ``purge_delivered`` (run by the reaper) fixes the third. The stock transport's
other hole — a message fetched by a worker that is then killed outright stays invisible for
ever — is covered by the ledger's reaper, which re-sends the evaluation.
"""

from __future__ import annotations

from typing import Any

from kombu.transport.sqlalchemy import Channel as SQLAlchemyChannel
from kombu.transport.sqlalchemy import Transport as SQLAlchemyTransport
from sqlalchemy import Engine, create_engine, text

from storage.db import make_engine

EMBEDDED_TRANSPORT = "workers.broker:EmbeddedTransport"
EMBEDDED_PREFIX = "sqla+"
# Options the virtual transport reads itself; they must not reach create_engine.
_TRANSPORT_ONLY_OPTIONS = (
    "queue_tablename",
    "message_tablename",
    "callback",
    "errback",
    "max_retries",
    "interval_start",
    "interval_step",
    "interval_max",
    "retry_errors",
    "polling_interval",
    "visibility_timeout",
)


class EmbeddedChannel(SQLAlchemyChannel):
    def _engine_from_config(self) -> Engine:
        conninfo = self.connection.client
        options = {
            key: value
            for key, value in conninfo.transport_options.items()
            if key not in _TRANSPORT_ONLY_OPTIONS
        }
        url = str(conninfo.hostname)
        if url.startswith("sqlite"):
            return make_engine(url, own_transactions=False, **options)
        return create_engine(url, **options)


class EmbeddedTransport(SQLAlchemyTransport):
    Channel = EmbeddedChannel


def is_embedded(broker_url: str) -> bool:
    return broker_url.startswith(EMBEDDED_PREFIX)


def embedded_database_url(broker_url: str) -> str:
    """``sqla+sqlite:///x.db`` -> ``sqlite:///x.db``."""
    return broker_url[len(EMBEDDED_PREFIX) :]


def purge_delivered(broker_url: str) -> int:
    """Delete messages the embedded broker already handed out; returns how many.

    Safe at any time: a delivered message lives on in the worker that fetched it (and a worker
    shutting down cleanly re-publishes its unacknowledged messages as new rows).
    """
    if not is_embedded(broker_url):
        return 0
    engine = make_engine(embedded_database_url(broker_url), own_transactions=False)
    try:
        with engine.begin() as connection:
            exists = connection.execute(
                text("SELECT name FROM sqlite_master WHERE type='table' AND name='kombu_message'")
            ).first()
            if exists is None:
                return 0
            result = connection.execute(text("DELETE FROM kombu_message WHERE visible = 0"))
            return int(result.rowcount or 0)
    finally:
        engine.dispose()


def queue_depths(broker_url: str) -> dict[str, int]:
    """Messages waiting per queue in the embedded broker (empty for other brokers)."""
    if not is_embedded(broker_url):
        return {}
    engine = make_engine(embedded_database_url(broker_url), own_transactions=False)
    try:
        with engine.connect() as connection:
            exists = connection.execute(
                text("SELECT name FROM sqlite_master WHERE type='table' AND name='kombu_message'")
            ).first()
            if exists is None:
                return {}
            rows = connection.execute(
                text(
                    "SELECT q.name, COUNT(m.id) FROM kombu_queue q LEFT JOIN kombu_message m "
                    "ON m.queue_id = q.id AND m.visible = 1 GROUP BY q.name"
                )
            ).all()
            return {str(name): int(count) for name, count in rows}
    finally:
        engine.dispose()


def transport_options(
    broker_url: str, *, visibility_timeout: int, key_prefix: str = ""
) -> dict[str, Any]:
    if is_embedded(broker_url):
        return {"polling_interval": 0.2}
    if broker_url.startswith(("redis://", "rediss://")):
        # Above the longest task, or Redis re-delivers a message that is still being worked on.
        options: dict[str, Any] = {"visibility_timeout": visibility_timeout}
        if key_prefix:
            options["global_keyprefix"] = key_prefix
        return options
    return {}


def broker_queue_depth(app: Any, queue: str) -> int | None:
    """Messages waiting in ``queue`` on any broker; None if the broker cannot say."""
    try:
        with app.connection_for_read() as connection:
            # One try: a reaper must not hang on a broker that is down (it answers None).
            connection.ensure_connection(max_retries=1, interval_start=0, timeout=5)
            channel = connection.default_channel
            # kombu's virtual transports (Redis, the embedded one) count a queue without
            # needing it declared on this connection; AMQP answers a passive declare.
            size = getattr(channel, "_size", None)
            if size is not None:
                return int(size(queue))
            return int(channel.queue_declare(queue=queue, passive=True).message_count)
    except Exception:
        return None
