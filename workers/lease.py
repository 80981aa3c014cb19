"""Keeping an evaluation's lease alive while a long task works, and noticing when it is lost."""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from types import TracebackType
from typing import Any

from sqlalchemy import Connection

from storage.db import Database
from storage.queries import leases, turns
from workers.renewals import Renewals, shared_renewals

log = logging.getLogger(__name__)


class LeaseLostError(Exception):
    """Another worker took over this evaluation; the current task must stop writing."""


class LeaseKeeper:
    """Renew the lease every third of its length while the work goes on, and notice its loss.

    Progress is written with each renewal, so the ledger shows how far a debate has got even
    while a slow model is thinking. The timed renewals run on the process's one renewal thread
    (``workers.renewals``), not a thread per lease.
    """

    def __init__(
        self,
        database: Database,
        *,
        evaluation_id: int,
        owner: str,
        lease_seconds: int,
        renewals: Renewals | None = None,
    ) -> None:
        self._database = database
        self._evaluation_id = evaluation_id
        self._owner = owner
        self._lease_seconds = lease_seconds
        self._renewals = renewals if renewals is not None else shared_renewals()
        self._progress: dict[str, Any] | None = None
        self._stopped = False
        self._lost = threading.Event()
        self._lock = threading.Lock()

    @property
    def interval(self) -> float:
        """Seconds between timed renewals: a third of the lease, so two can fail in time."""
        return max(1.0, self._lease_seconds / 3)

    def __enter__(self) -> LeaseKeeper:
        self._renewals.add(self)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        with self._lock:  # waits out a renewal under way: none runs after this returns
            self._stopped = True
        self._renewals.discard(self)

    def renew_when_due(self) -> bool:
        """The timed renewal; False once the keeper has stopped or the lease is lost."""
        with self._lock:
            if self._stopped:
                return False
            try:
                self._renew()
            except Exception:  # a blip must not end the renewals; the next one retries
                log.warning("evaluation %s: heartbeat failed", self._evaluation_id, exc_info=True)
        return not self.lost

    @property
    def stopped(self) -> bool:
        return self._stopped

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
        self._raise_if_lost()

    def beat_with_turn(
        self, turn: Mapping[str, Any], progress: Mapping[str, Any], *, connection: Connection
    ) -> None:
        """``beat`` and store ``turn`` in one statement (PostgreSQL; ``turns.save_turn_fenced``):
        the turn is stored only while the lease is held. Raises LeaseLostError otherwise."""
        with self._lock:
            self._progress = dict(progress)
            alive = turns.save_turn_fenced(
                connection,
                turn=turn,
                worker=self._owner,
                lease_seconds=self._lease_seconds,
                progress=self._progress,
            )
            if not alive:
                self._lost.set()
        self._raise_if_lost()

    def _raise_if_lost(self) -> None:
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
