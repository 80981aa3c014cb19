"""The slot timeline: requests in flight over a span, and where idle slot time fell."""

from __future__ import annotations

import pytest

from bench.slot_timeline import STEP, slot_use


def test_slots_busy_throughout_lose_nothing() -> None:
    # Two slots, each busy with back-to-back 0.5 s requests for 3 s.
    requests = [(t / 2, t / 2 + 0.5) for t in range(6)] * 2
    use = slot_use(requests, slots=2, start=0.0, end=2.99)
    assert use.first_request == 0.0
    assert use.all_busy == 0.0
    assert (use.idle_start, use.idle_middle, use.idle_tail) == (0.0, 0.0, 0.0)


def test_a_late_start_is_charged_to_the_first_second() -> None:
    # Two slots; the requests begin 0.3 s after the first claim and then fill both slots.
    requests = [(0.3, 3.0), (0.3, 3.0)]
    use = slot_use(requests, slots=2, start=0.0, end=2.99)
    assert use.first_request == pytest.approx(0.3)
    assert use.all_busy == pytest.approx(0.3)
    # Samples at 0.00, 0.05, ..., 0.25: six of them with both slots idle.
    assert use.idle_start == pytest.approx(6 * 2 * STEP)
    assert use.idle_middle == 0.0
    assert use.idle_tail == 0.0


def test_a_thinning_tail_is_charged_to_the_last_second() -> None:
    # One of two slots falls idle 0.5 s before the end of a 4 s span.
    requests = [(0.0, 4.0), (0.0, 3.5)]
    use = slot_use(requests, slots=2, start=0.0, end=3.99)
    assert use.idle_start == 0.0
    assert use.idle_middle == 0.0
    assert use.idle_tail == pytest.approx(0.5, abs=STEP)


def test_slots_never_all_busy_are_said_so() -> None:
    use = slot_use([(0.0, 1.0)], slots=4, start=0.0, end=1.0)
    assert use.all_busy is None
    assert "never" in use.line(4)


def test_no_requests_is_an_error() -> None:
    with pytest.raises(ValueError, match="no requests"):
        slot_use([], slots=1, start=0.0, end=1.0)
