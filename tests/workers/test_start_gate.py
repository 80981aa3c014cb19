"""A worker's start gate: a few debates start at once, and each gives its place up as soon as
it asks for its first turn."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from common.settings import get_settings
from debates.backends.base import BackendRequest, BackendResult
from debates.backends.registry import create
from storage.db import Database
from storage.importing import import_hypotheses
from tests.workers.pipeline_helpers import dataset_path, queue_evaluation
from workers import offline_batch
from workers.evaluation import run_debate_phase
from workers.start_gate import StartGate, start_gate

WAIT = 5.0


def _hold(gate: StartGate, release: threading.Event, entered: threading.Event) -> None:
    with gate.starting() as started:
        entered.set()
        release.wait(WAIT)
        started()


def test_a_starter_beyond_the_size_waits_until_a_place_is_given_up() -> None:
    gate = StartGate(2)
    release = [threading.Event(), threading.Event()]
    entered = [threading.Event(), threading.Event()]
    holders = [
        threading.Thread(target=_hold, args=(gate, release[i], entered[i])) for i in range(2)
    ]
    for holder in holders:
        holder.start()
    assert all(e.wait(WAIT) for e in entered)

    late, done = threading.Event(), threading.Event()
    third = threading.Thread(target=_hold, args=(gate, done, late))
    third.start()
    assert not late.wait(0.2), "a third starter got in while two held the gate"
    release[0].set()
    assert late.wait(WAIT), "a place given up did not admit the waiting starter"
    release[1].set()
    done.set()
    for thread in (*holders, third):
        thread.join(WAIT)


def test_leaving_gives_the_place_up_once_whether_or_not_started_was_called() -> None:
    gate = StartGate(1)
    with gate.starting() as started:
        started()
        started()  # a second call gives nothing back twice (the semaphore would refuse)
    with pytest.raises(RuntimeError), gate.starting():
        raise RuntimeError("the start failed")
    # Both places came back: the gate admits at once.
    admitted, done = threading.Event(), threading.Event()
    thread = threading.Thread(target=_hold, args=(gate, done, admitted))
    thread.start()
    assert admitted.wait(WAIT)
    done.set()
    thread.join(WAIT)


def test_size_zero_admits_everyone() -> None:
    gate = StartGate(0)
    with gate.starting(), gate.starting(), gate.starting():
        pass


def test_a_negative_size_is_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        StartGate(-1)


def test_one_gate_per_size_in_a_process() -> None:
    assert start_gate(3) is start_gate(3)
    assert start_gate(3) is not start_gate(4)


class _Recording:
    """The scripted backend, noting each request in a shared list."""

    def __init__(self, events: list[str]) -> None:
        self._inner = create("scripted")
        self.name = self._inner.name
        self._events = events

    def complete(self, request: BackendRequest[Any]) -> BackendResult[Any]:
        self._events.append("asked")
        return self._inner.complete(request)


def test_the_debate_phase_passes_the_gate_before_its_first_turn_and_once(db: Database) -> None:
    import_hypotheses(db, dataset_path())
    settings = get_settings()
    evaluation_id = queue_evaluation(db, settings, "h-51e7234f")
    [claimed] = offline_batch.claim(db, settings, evaluation_ids=[evaluation_id], owner="w")
    events: list[str] = []
    run_debate_phase(
        db,
        settings,
        claimed,
        owner="w",
        backend_for=lambda _config: _Recording(events),
        on_started=lambda: events.append("started"),
    )
    assert events[0] == "started"
    assert events.count("started") == 1
    assert events.count("asked") >= 4
