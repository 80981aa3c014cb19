"""One run at a time of a scheduled pass: a hold in the ledger, renewed while the run works.

A tournament round or a refit started while another runs would repeat its work (the same
pairs judged twice; a second fit of the same log beside the first, which also finds the
first one's memory taken). So a run first holds its pass (``storage.queries.workers``).
The hold lapses after ``seconds``, so a run killed mid-way blocks the next one for at most
that long; while the run is alive the process's renewal thread (``workers.renewals``) pushes
the lapse out every third of it, so a run that outlasts its interval (a refit of 20,000
hypotheses takes longer than 15 minutes) is not joined by beat's next one.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

from sqlalchemy.exc import SQLAlchemyError

from storage.db import Database
from storage.queries.workers import hold_pass, release_pass, renew_pass
from workers.renewals import Renewals, shared_renewals

log = logging.getLogger(__name__)


class PassRun:
    """A held run of a scheduled pass; ``error`` is why it refused, if it did (kept on the
    pass when the run lets go, and shown by ``hyposcore status`` and the workers page)."""

    def __init__(self, task: str, until: datetime) -> None:
        self.task = task
        self.until = until
        self.error: str | None = None
        self.lost = False


class _Hold:
    """The hold on ``run``'s pass as the renewal thread keeps it (``workers.renewals``)."""

    def __init__(self, database: Database, run: PassRun, seconds: float) -> None:
        self._database = database
        self._run = run
        self._seconds = seconds
        self._stopped = False
        self._lock = threading.Lock()

    @property
    def interval(self) -> float:
        # A third of the hold, so two renewals can fail before it lapses.
        return self._seconds / 3

    @property
    def stopped(self) -> bool:
        return self._stopped

    def stop(self) -> None:
        with self._lock:  # waits out a renewal under way: none runs after this returns
            self._stopped = True

    def renew_when_due(self) -> bool:
        with self._lock:
            if self._stopped:
                return False
            run = self._run
            try:
                with self._database.transaction() as session:
                    renewed = renew_pass(
                        session, task=run.task, until=run.until, seconds=self._seconds
                    )
            except SQLAlchemyError:
                log.warning("%s: could not renew the hold; will try again", run.task, exc_info=True)
                return True
            if renewed is None:
                # Held by another run since ours lapsed: that run goes on; ours finishes what
                # it started (a refit does not overwrite ratings of a log read after its own).
                log.warning("%s: the hold lapsed and another run took the pass", run.task)
                run.lost = True
                return False
            run.until = renewed
            return True


@contextmanager
def holding(
    database: Database, task: str, seconds: float, *, renewals: Renewals | None = None
) -> Iterator[PassRun | None]:
    """Hold the scheduled pass ``task`` for the block, renewed while it runs, and let go after
    (with the run's error); yields None, holding nothing, when another run holds it."""
    with database.transaction() as session:
        until = hold_pass(session, task=task, seconds=seconds)
    if until is None:
        yield None
        return
    run = PassRun(task, until)
    hold = _Hold(database, run, seconds)
    schedule = renewals if renewals is not None else shared_renewals()
    schedule.add(hold)
    try:
        yield run
    finally:
        hold.stop()
        schedule.discard(hold)
        with database.transaction() as session:
            release_pass(session, task=task, until=run.until, error=run.error)
