"""How busy the provider slots were over a burst of debates, read back from the ledger.

A turn's request went out ``latency_ms`` before the turn was stored, and its reply came when
it was stored (the validation between is a fraction of a millisecond), so the stored turns say
how many requests were in flight at any moment. ``bench.llm_debates --timeline`` prints this
per repeat: where the span lost slot time, at the start (debates still starting), in the steady
middle, or in the tail (fewer debates left than slots).
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select

from storage.db import Database
from storage.models import DebateTurn, Evaluation

# One sample of the requests in flight every STEP seconds.
STEP = 0.05
# The start and the tail are the first and the last EDGE seconds of the span.
EDGE = 1.0


@dataclass(frozen=True)
class SlotUse:
    """Seconds from the first claim to the first request, and until every slot was busy
    (None: never); slot-seconds idle in the span's first second, between, and last second."""

    first_request: float
    all_busy: float | None
    idle_start: float
    idle_middle: float
    idle_tail: float

    def line(self, slots: int) -> str:
        busy = "never" if self.all_busy is None else f"from {self.all_busy:.2f} s"
        return (
            f"first request {self.first_request:.2f} s after the first claim; all {slots} "
            f"slots busy {busy}; idle slot-seconds: first second {self.idle_start:.1f}, "
            f"between {self.idle_middle:.1f}, last second {self.idle_tail:.1f}"
        )


def slot_use(
    requests: Sequence[tuple[float, float]], *, slots: int, start: float, end: float
) -> SlotUse:
    """``requests`` are (sent, answered) times in seconds, ``start`` the first claim and
    ``end`` the last finish on the same clock. Sampled every STEP seconds."""
    if not requests:
        raise ValueError("no requests: nothing was asked of the provider")
    sent = sorted(request[0] for request in requests)
    answered = sorted(request[1] for request in requests)
    idle = {"start": 0.0, "middle": 0.0, "tail": 0.0}
    all_busy: float | None = None
    samples = int((end - start) / STEP) + 1
    for index in range(samples):
        now = start + index * STEP
        # Sent at or before now, and not yet answered.
        in_flight = bisect.bisect_right(sent, now) - bisect.bisect_right(answered, now)
        if all_busy is None and in_flight >= slots:
            all_busy = now - start
        part = "start" if now - start < EDGE else "tail" if end - now < EDGE else "middle"
        idle[part] += max(slots - in_flight, 0) * STEP
    return SlotUse(
        first_request=sent[0] - start,
        all_busy=all_busy,
        idle_start=idle["start"],
        idle_middle=idle["middle"],
        idle_tail=idle["tail"],
    )


def ledger_slot_use(database: Database, evaluation_ids: Sequence[int], *, slots: int) -> SlotUse:
    """``slot_use`` of these evaluations' stored turns, from their first claim to their last
    finish."""
    with database.sessions() as session:
        spans = session.execute(
            select(Evaluation.started_at, Evaluation.finished_at).where(
                Evaluation.id.in_(evaluation_ids)
            )
        ).all()
        turns = session.execute(
            select(DebateTurn.created_at, DebateTurn.latency_ms).where(
                DebateTurn.evaluation_id.in_(evaluation_ids)
            )
        ).all()
    start = min(row.started_at for row in spans if row.started_at is not None)
    end = max(row.finished_at for row in spans if row.finished_at is not None)
    requests = [
        (
            (turn.created_at - start).total_seconds() - turn.latency_ms / 1000,
            (turn.created_at - start).total_seconds(),
        )
        for turn in turns
    ]
    return slot_use(requests, slots=slots, start=0.0, end=(end - start).total_seconds())
