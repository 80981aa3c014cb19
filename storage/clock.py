"""The ledger's time: every process stamps leases, holds and heartbeats by the database's clock.

A worker writes when its lease expires; the reaper and the other workers, on other machines,
compare that with their own time. A machine whose clock ran a minute ahead would see live
leases as lapsed and hand their evaluations to another worker (the fenced writes keep every
result single, but the work is done twice). So a process measures how far its clock is from
the database server's each time it opens a connection to a server (PostgreSQL; an SQLite
file lives on the one machine), and ``ledger_now`` is its own time corrected by that offset.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

log = logging.getLogger(__name__)

# Beyond this, the machine's clock is worth a warning: leases are a couple of minutes long.
WARN_AFTER = timedelta(seconds=5)

_offset = timedelta(0)


def _system_now() -> datetime:
    return datetime.now(UTC)


def ledger_now() -> datetime:
    """Now by the database server's clock, as this process last measured it (UTC, aware)."""
    return _system_now() + _offset


def offset() -> timedelta:
    """How far the database's clock is ahead of this machine's, as last measured."""
    return _offset


def measure(dbapi_connection: Any, _record: Any = None) -> None:
    """A connect hook: read the server's clock and keep the offset from this machine's.

    The server's reading is taken to fall halfway through the round trip."""
    global _offset
    cursor = dbapi_connection.cursor()
    try:
        sent = _system_now()
        cursor.execute("SELECT clock_timestamp()")
        server = cursor.fetchone()[0]
        received = _system_now()
    finally:
        cursor.close()
        dbapi_connection.rollback()  # leave the new connection outside any transaction
    measured = server - (sent + (received - sent) / 2)
    if abs(measured) > WARN_AFTER and abs(measured - _offset) > WARN_AFTER:
        log.warning(
            "this machine's clock is %.1f s %s the database's; the ledger uses the database's",
            abs(measured.total_seconds()),
            "behind" if measured > timedelta(0) else "ahead of",
        )
    _offset = measured
