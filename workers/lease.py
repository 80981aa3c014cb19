"""Keeping an evaluation's lease alive while a long task works, and noticing when it is lost."""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from types import TracebackType
from typing import Any

from sqlalchemy import Connection

from storage.db import Database
from storage.queries import leases

log = logging.getLogger(__name__)


class LeaseLostError(Exception):
    """Another worker took over this evaluation; the current task must stop writing."""


class LeaseKeeper:
    """Renew the lease every third of its length on a background thread.

    Progress is written with each renewal, so the ledger shows how far a debate has got even
    while a slow model is thinking.
    """

    def __init__(
        self, database: Database, *, evaluation_id: int, owner: str, lease_seconds: int
    ) -> None:
        self._database = database
        self._evaluation_id = evaluation_id
        self._owner = owner
        self._lease_seconds = lease_seconds
        self._progress: dict[str, Any] | None = None
        self._stop = threading.Event()
        self._lost = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(
            target=self._run, name=f"lease-{evaluation_id}", daemon=True
        )

    def __enter__(self) -> LeaseKeeper:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    @property
    def lost(self) -> bool:
        return self._lost.is_set()

    def beat(
        self, progress: Mapping[str, Any] | None = None, *, connection: Connection | None = None
    ) -> None:
        """Renew now (recording ``progress``); raise LeaseLostError if the lease is gone.

        Given a ``connection``, the renewal joins its transaction, so a turn and the heartbeat
        that fences it commit together (and a lost lease rolls the turn back).
        """
        with self._lock:
            if progress is not None:
                self._progress = dict(progress)
            if connection is None:
                self._renew()
            else:
                self._renew_in(connection)
        if self.lost:
            raise LeaseLostError(f"evaluation {self._evaluation_id}: lease lost by {self._owner}")

    def _renew(self) -> None:
        with self._database.core_transaction() as connection:
            self._renew_in(connection)

    def _renew_in(self, connection: Connection) -> None:
        alive = leases.heartbeat(
            connection,
            evaluation_id=self._evaluation_id,
            worker=self._owner,
            lease_seconds=self._lease_seconds,
            progress=self._progress,
        )
        if not alive:
            self._lost.set()

    def _run(self) -> None:
        interval = max(1.0, self._lease_seconds / 3)
        while not self._stop.wait(interval):
            try:
                with self._lock:
                    self._renew()
            except Exception:  # a blip must not kill the keeper; the next beat retries
                log.warning("evaluation %s: heartbeat failed", self._evaluation_id, exc_info=True)
            if self.lost:
                return
