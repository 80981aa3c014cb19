"""A scheduled pass held for one run at a time: renewed while the run works, let go after,
and not taken back from a run that took it once the first one's hold had lapsed."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import update

from storage.db import Database
from storage.models import SchedulerPass
from storage.queries.workers import hold_pass, renew_pass
from workers import pass_holds
from workers.pass_holds import PassRun, holding
from workers.renewals import Renewals

TASK = "refit_ratings"


def _wait_for(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def _running_until(db: Database) -> object:
    with db.sessions() as session:
        row = session.get(SchedulerPass, TASK)
        assert row is not None
        return row.running_until


def test_a_live_run_renews_its_hold_past_the_first_lapse_and_lets_go_after(db: Database) -> None:
    with holding(db, TASK, seconds=0.3) as run:
        assert run is not None
        first_lapse = run.until
        _wait_for(lambda: run.until > first_lapse)
        assert _running_until(db) == run.until
        # a run asking after the first lapse still finds the pass held
        with db.transaction() as session:
            later = first_lapse + timedelta(milliseconds=10)
            assert hold_pass(session, task=TASK, seconds=0.3, now=later) is None
    assert _running_until(db) is None
    with holding(db, TASK, seconds=60) as next_run:
        assert next_run is not None and not next_run.lost


def test_a_run_finds_the_pass_held_and_holds_nothing(db: Database) -> None:
    with db.transaction() as session:
        held = hold_pass(session, task=TASK, seconds=60)
    with holding(db, TASK, seconds=60) as run:
        assert run is None
    assert _running_until(db) == held  # the holder's hold is untouched


def test_a_run_whose_hold_another_took_stops_renewing_and_leaves_the_others_hold(
    db: Database,
) -> None:
    with holding(db, TASK, seconds=0.3) as run:
        assert run is not None
        taken = run.until + timedelta(hours=1)
        with db.transaction() as session:  # our hold lapsed; another run took the pass
            session.execute(update(SchedulerPass).values(running_until=taken))
        _wait_for(lambda: run.lost)
    assert _running_until(db) == taken


def test_a_refusing_run_leaves_its_error_on_the_pass(db: Database) -> None:
    with holding(db, TASK, seconds=60) as run:
        assert isinstance(run, PassRun)
        run.error = "it would need 9.0 GB"
    with db.sessions() as session:
        row = session.get(SchedulerPass, TASK)
        assert row is not None and row.last_error == "it would need 9.0 GB"


def test_a_hold_is_renewed_on_the_process_schedule_and_leaves_it_when_let_go(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The one renewal thread that keeps evaluation leases keeps pass holds too: no thread each.
    renewed_on: list[threading.Thread] = []

    def renew(*args: Any, **kwargs: Any) -> Any:
        renewed_on.append(threading.current_thread())
        return renew_pass(*args, **kwargs)

    monkeypatch.setattr(pass_holds, "renew_pass", renew)
    renewals = Renewals(idle_seconds=0.2)
    with holding(db, TASK, seconds=0.3, renewals=renewals) as run:
        assert run is not None and len(renewals) == 1
        first_lapse = run.until
        _wait_for(lambda: run.until > first_lapse)
    assert len(renewals) == 0 and _running_until(db) is None
    # Every renewal ran on the schedule's thread, which ends once nothing is held.
    _wait_for(lambda: not renewals.running)
    assert renewed_on and not any(thread.is_alive() for thread in renewed_on)
