"""How many debates of a worker process may be starting at once.

A debate's start (claim, case, believability and fence; its stored turns on a resume) costs a
few milliseconds of CPU, and under a burst a debates worker takes dozens of messages at once.
Started all together they share the GIL and the cores, so each one's first request waits for
all of them: a burst of 200 debates at 64 provider slots left every slot idle for a tenth of a
second or more and filled the last slot only after 0.6 s. With at most a few debates starting
at a time, the first ones reach the provider while the later ones start; the first debates'
requests go out sooner and the slots fill about a third sooner (BENCHMARKS.md, *LLM debates*,
twelfth session).

A debate passes the gate when it asks for its first turn (or ends before that). Debates past
their start never wait here, so a worker's steady state is unchanged; a lone evaluation never
waits at all.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import lru_cache


class StartGate:
    """At most ``size`` holders at once (``size`` 0: no limit). Waiters are woken in the order
    they came, though a newcomer may take a place given up before the woken one does."""

    def __init__(self, size: int) -> None:
        if size < 0:
            raise ValueError(f"a start gate's size cannot be negative, got {size}")
        self.size = size
        self._places = threading.BoundedSemaphore(size) if size else None

    @contextmanager
    def starting(self) -> Iterator[Callable[[], None]]:
        """Wait for a place and hold it; the function yielded gives the place up (once, from
        this thread) when the start is done. The place is given up on leaving in any case."""
        places = self._places
        if places is None:
            yield _nothing
            return
        places.acquire()
        held = True

        def started() -> None:
            nonlocal held
            if held:
                held = False
                places.release()

        try:
            yield started
        finally:
            started()


def _nothing() -> None:
    return None


@lru_cache(maxsize=4)
def start_gate(size: int) -> StartGate:
    """This process's gate of ``size`` places (one per size, shared by its threads)."""
    return StartGate(size)
