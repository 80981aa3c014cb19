"""Publishing many pages: batches, the writer threads' shares, and reads kept apart from writes."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from storage.db import Database
from tests.wiki.pages import SEED
from tests.wiki.publishing import (
    HYPOTHESIS,
    SEED_NAME,
    T0,
    TITLE,
    add_hypothesis,
    add_snapshot,
    import_seed,
    revisions,
)
from wiki.publish import publish_pages
from wiki.publish_files import WRITE_THREADS
from wiki.store import FolderPageStore

ORIGINAL = SEED.read_bytes().decode("utf-8")
COPIES = [f"mtor_{index:02d}" for index in range(2 * WRITE_THREADS + 3)]


class WatchedStore(FolderPageStore):
    """Notes every read made while a write is under way."""

    def __init__(self, root: Path) -> None:
        super().__init__(root)
        self._lock = threading.Lock()
        self._writing = 0
        self.reads_during_writes: list[str] = []

    def _note_read(self, name: str) -> None:
        with self._lock:
            if self._writing:
                self.reads_during_writes.append(name)

    def read(self, name: str) -> str:
        self._note_read(name)
        return super().read(name)

    def read_badge(self, name: str) -> str | None:
        self._note_read(name)
        return super().read_badge(name)

    def _write(self, path: Path, text: str) -> None:
        with self._lock:
            self._writing += 1
        try:
            super()._write(path, text)
        finally:
            with self._lock:
                self._writing -= 1


@pytest.fixture
def store(tmp_path: Path, db: Database) -> WatchedStore:
    import_seed(db)
    add_hypothesis(db, HYPOTHESIS, TITLE, ["MTOR"])
    add_snapshot(db, HYPOTHESIS, composite=0.66, market_price=0.61)
    store = WatchedStore(tmp_path / "pages")
    for name in COPIES:
        store.write(name, ORIGINAL)
    return store


def test_every_page_of_every_batch_is_written_and_no_read_meets_a_write(
    db: Database, store: WatchedStore
) -> None:
    report = publish_pages(db, store, now=T0, batch_size=5)

    assert report.changed == len(COPIES) + 1 and report.failed == 0
    assert report.badges_written == len(COPIES) + 1
    assert [page.name for page in report.pages] == sorted([*COPIES, SEED_NAME])
    assert all(
        store.read(name) == store.read(SEED_NAME).replace(SEED_NAME, name) for name in COPIES
    )
    assert store.reads_during_writes == []

    add_snapshot(db, HYPOTHESIS, composite=0.7, market_price=0.72)
    again = publish_pages(db, store, now=T0, batch_size=5)

    assert again.changed == len(COPIES) + 1 and store.reads_during_writes == []


def test_a_failed_write_fails_only_its_page(
    db: Database, store: WatchedStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    broken = COPIES[WRITE_THREADS + 1]
    real_replace = os.replace

    def refuse_one_page(src: str, dst: str) -> None:
        if str(dst).endswith(f"{broken}.txt"):
            raise OSError(28, "No space left on device")
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", refuse_one_page)
    report = publish_pages(db, store, now=T0, batch_size=5)

    failed = [page for page in report.pages if page.failed]
    assert [page.name for page in failed] == [broken]
    assert "cannot write the page" in failed[0].problems[-1] and not failed[0].changed
    assert report.changed == len(COPIES) and report.badges_written == len(COPIES) + 1
    assert store.read(broken) == ORIGINAL and revisions(db, broken) == []
    assert len(revisions(db, COPIES[0])) == 2


def test_progress_counts_every_page_once_a_batch_is_recorded(
    db: Database, store: WatchedStore
) -> None:
    pages = len(COPIES) + 1
    seen: list[tuple[int, int, int]] = []

    def note(done: int, total: int) -> None:
        # how many of the pages counted done already have their revision recorded
        recorded = sum(1 for name in [*COPIES, SEED_NAME] if revisions(db, name))
        seen.append((done, total, recorded))

    publish_pages(db, store, now=T0, batch_size=5, on_progress=note)

    assert [total for _, total, _ in seen] == [pages] * len(seen)
    batches = -(-pages // 5)
    # at the start, then once per batch, ending at every page
    assert [done for done, _, _ in seen] == [min(5 * k, pages) for k in range(batches + 1)]
    assert all(recorded >= done for done, _, recorded in seen)
