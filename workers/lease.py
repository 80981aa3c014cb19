"""Keeping an evaluation's lease alive while a long task works, and noticing when it is lost."""

from __future__ import annotations

import heapq
import itertools
import logging
import os
import threading
import time
from collections.abc import Mapping
from types import TracebackType
from typing import Any

from sqlalchemy import Connection

from storage.db import Database
from storage.queries import leases, turns

log = logging.getLogger(__name__)


class LeaseLostError(Exception):
    """Another worker took over this evaluation; the current task must stop writing."""


class LeaseKeeper:
    """Renew the lease every third of its length while the work goes on, and notice its loss.

    Progress is written with each renewal, so the ledger shows how far a debate has got even
    while a slow model is thinking. The timed renewals run on the process's one renewal thread
    (:class:`Renewals`), not a thread per lease: a worker runs many debates at once, and
    starting and joining a thread for each cost a debate more CPU than its claim.
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


class Renewals:
    """One thread that renews every lease of a process when it falls due; it ends after
    ``idle_seconds`` with no lease held, and the next lease starts another."""

    def __init__(self, *, idle_seconds: float = 60.0) -> None:
        self._idle_seconds = idle_seconds
        self._changed = threading.Condition()
        self._due: list[tuple[float, int, LeaseKeeper]] = []
        self._order = itertools.count()  # breaks ties in the heap: keepers do not compare
        self._thread: threading.Thread | None = None

    def add(self, keeper: LeaseKeeper) -> None:
        with self._changed:
            self._schedule(keeper)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._run, name="lease-renewals", daemon=True
                )
                self._thread.start()
            self._changed.notify()

    def discard(self, keeper: LeaseKeeper) -> None:
        with self._changed:
            self._due = [entry for entry in self._due if entry[2] is not keeper]
            heapq.heapify(self._due)

    def __len__(self) -> int:
        """How many leases are waiting for their next renewal."""
        with self._changed:
            return len(self._due)

    def _schedule(self, keeper: LeaseKeeper) -> None:
        heapq.heappush(self._due, (time.monotonic() + keeper.interval, next(self._order), keeper))

    @property
    def running(self) -> bool:
        """Whether the renewal thread is alive."""
        with self._changed:
            return self._thread is not None and self._thread.is_alive()

    def _run(self) -> None:
        while (keeper := self._next_due()) is not None:
            if keeper.renew_when_due():
                with self._changed:
                    if not keeper.stopped:  # else its exit has discarded it already
                        self._schedule(keeper)

    def _next_due(self) -> LeaseKeeper | None:
        """The next keeper whose renewal is due, once it is; None when idle for long enough
        that the thread should end (``add`` then starts another)."""
        with self._changed:
            while True:
                if not self._due:
                    if not self._changed.wait(self._idle_seconds) and not self._due:
                        self._thread = None
                        return None
                    continue
                wait = self._due[0][0] - time.monotonic()
                if wait <= 0:
                    return heapq.heappop(self._due)[2]
                self._changed.wait(wait)


_shared: Renewals | None = None
_shared_lock = threading.Lock()


def shared_renewals() -> Renewals:
    """This process's renewal thread's schedule (a forked child starts its own)."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = Renewals()
        return _shared


def _forget_shared_renewals() -> None:
    # A forked child has none of its parent's threads, and a lock the parent's thread held
    # at the fork would stay held: the child builds its own schedule on first use.
    global _shared, _shared_lock
    _shared, _shared_lock = None, threading.Lock()


os.register_at_fork(after_in_child=_forget_shared_renewals)
