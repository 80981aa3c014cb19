"""One thread per process that renews every hold when it falls due.

A worker holds many things that lapse unless renewed: each debate's evaluation lease
(``workers.lease``) and, in beat's passes, the hold on a scheduled pass
(``workers.pass_holds``). Each renews every third of its length, so two renewals can fail
before it lapses, and each notices when another process took it over. Rather than a thread
per hold, which a worker running many debates at once paid for in CPU on every claim, one
thread keeps them all on a schedule ordered by when each falls due.
"""

from __future__ import annotations

import heapq
import itertools
import os
import threading
import time
from typing import Protocol


class Renewable(Protocol):
    """A hold the renewal thread keeps alive."""

    @property
    def interval(self) -> float:
        """Seconds between timed renewals."""
        ...

    @property
    def stopped(self) -> bool:
        """Whether its holder has let go: it is not scheduled again."""
        ...

    def renew_when_due(self) -> bool:
        """Renew it; False once it has stopped or been lost, so it is not scheduled again.
        A failed renewal that may succeed next time returns True."""
        ...


class Renewals:
    """One thread that renews every hold of a process when it falls due; it ends after
    ``idle_seconds`` with nothing held, and the next hold starts another."""

    def __init__(self, *, idle_seconds: float = 60.0) -> None:
        self._idle_seconds = idle_seconds
        self._changed = threading.Condition()
        self._due: list[tuple[float, int, Renewable]] = []
        self._order = itertools.count()  # breaks ties in the heap: holds do not compare
        self._thread: threading.Thread | None = None

    def add(self, hold: Renewable) -> None:
        with self._changed:
            self._schedule(hold)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="renewals", daemon=True)
                self._thread.start()
            self._changed.notify()

    def discard(self, hold: Renewable) -> None:
        with self._changed:
            self._due = [entry for entry in self._due if entry[2] is not hold]
            heapq.heapify(self._due)

    def __len__(self) -> int:
        """How many holds are waiting for their next renewal."""
        with self._changed:
            return len(self._due)

    def _schedule(self, hold: Renewable) -> None:
        heapq.heappush(self._due, (time.monotonic() + hold.interval, next(self._order), hold))

    @property
    def running(self) -> bool:
        """Whether the renewal thread is alive."""
        with self._changed:
            return self._thread is not None and self._thread.is_alive()

    def _run(self) -> None:
        while (hold := self._next_due()) is not None:
            if hold.renew_when_due():
                with self._changed:
                    if not hold.stopped:  # else its holder has discarded it already
                        self._schedule(hold)

    def _next_due(self) -> Renewable | None:
        """The next hold whose renewal is due, once it is; None when idle for long enough
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
