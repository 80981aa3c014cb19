"""The benchmark's no-CPU bound: the span the provider's replies alone would take."""

from __future__ import annotations

import pytest

from bench.llm_debates import REPLY_SECONDS, span_without_cpu


def test_a_lone_debate_takes_its_turns_one_after_another() -> None:
    assert span_without_cpu([5], threads=1, slots=1) == pytest.approx(5 * REPLY_SECONDS)


def test_debates_beyond_the_slots_wait_for_a_freed_one() -> None:
    # Three one-turn debates on two slots: two replies, then the third.
    assert span_without_cpu([1, 1, 1], threads=3, slots=2) == pytest.approx(2 * REPLY_SECONDS)
    # With slots to spare, two threads run four one-turn debates in two waves.
    assert span_without_cpu([1, 1, 1, 1], threads=2, slots=8) == pytest.approx(2 * REPLY_SECONDS)


def test_the_tail_leaves_slots_idle() -> None:
    # One long debate last: the other slot idles while its turns go on one by one.
    span = span_without_cpu([1, 1, 4], threads=2, slots=2)
    assert span == pytest.approx(5 * REPLY_SECONDS)
    busy = (1 + 1 + 4) * REPLY_SECONDS / 2
    assert busy / span == pytest.approx(0.6)
