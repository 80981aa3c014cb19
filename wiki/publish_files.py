"""Writing a batch of published pages: each page's badge, then the page, on a few threads.

Every file is still written atomically by the store. A page's badge goes first, so a page
never links to an image that is not there yet.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

from wiki.store import PageStore

# Threads writing files: each write waits mostly on the file system, not on the CPU, so a few
# at once keep the disk busy while the next batch is edited.
WRITE_THREADS = 8


@dataclass(frozen=True)
class FileWrite:
    """The files of one page to write; None where a file stays as it is."""

    name: str
    badge: str | None
    page: str | None


@dataclass(frozen=True)
class WriteOutcome:
    badge_written: bool
    # Why a write failed; the page's file is then left as it was.
    problem: str | None = None


class PendingWrites:
    """Writes handed to the threads, a share to each: one task per page would cost more in
    hand-offs between threads than some of the writes themselves."""

    def __init__(
        self, pool: ThreadPoolExecutor, store: PageStore, writes: Sequence[FileWrite]
    ) -> None:
        self._count = len(writes)
        self._shares: list[Future[list[WriteOutcome]]] = [
            pool.submit(_write_share, store, writes[share::WRITE_THREADS])
            for share in range(min(WRITE_THREADS, len(writes)))
        ]

    def wait(self) -> list[WriteOutcome]:
        """The outcome of every write, in the order the writes were given."""
        outcomes = [WriteOutcome(False)] * self._count
        for share, future in enumerate(self._shares):
            outcomes[share::WRITE_THREADS] = future.result()
        return outcomes


def _write_share(store: PageStore, writes: Sequence[FileWrite]) -> list[WriteOutcome]:
    return [write_files(store, write) for write in writes]


def write_files(store: PageStore, write: FileWrite) -> WriteOutcome:
    """Write the page's badge, then the page."""
    if write.badge is not None:
        try:
            store.write_badge(write.name, write.badge)
        except OSError as exc:
            return WriteOutcome(False, f"cannot write the badge; the page is left as it was: {exc}")
    if write.page is not None:
        try:
            store.write(write.name, write.page)
        except OSError as exc:
            return WriteOutcome(
                write.badge is not None, f"cannot write the page; it is left as it was: {exc}"
            )
    return WriteOutcome(write.badge is not None)
