"""The folder page store: names, byte-exact reads and writes, atomic replacement, write counts."""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from wiki.errors import PageError
from wiki.store import (
    FolderPageStore,
    PageNameError,
    PageStore,
    atomic_write,
    open_page_store,
)


@pytest.fixture
def store(tmp_path: Path) -> FolderPageStore:
    return FolderPageStore(tmp_path / "pages")


def test_a_folder_store_is_a_page_store(store: FolderPageStore) -> None:
    assert isinstance(store, PageStore)
    assert isinstance(open_page_store(store.root), FolderPageStore)
    with pytest.raises(ValueError, match="unknown page store kind 'wiki'; known: folder"):
        open_page_store(store.root, kind="wiki")


def test_pages_round_trip_byte_for_byte_and_writes_are_counted(store: FolderPageStore) -> None:
    text = "MTOR Gene\r\n<table>\r\nδ-catenin · 0.74\r\n"
    assert store.names() == [] and not store.exists("mtor")

    store.write("mtor", text)

    assert store.read("mtor") == text
    assert (store.root / "mtor.txt").read_bytes() == text.encode("utf-8")
    assert store.exists("mtor") and store.names() == ["mtor"] and store.writes == 1
    store.write_badge("mtor", "<svg/>")
    assert store.read_badge("mtor") == "<svg/>" and store.writes == 2
    assert store.read_badge("tfeb") is None


def test_names_lists_only_page_files(store: FolderPageStore) -> None:
    store.write("tfeb", "TFEB Gene\n")
    store.write("mtor", "MTOR Gene\n")
    (store.root / ".mtor.txt.abc.tmp").write_text("half")
    (store.root / "notes.md").write_text("not a page")
    assert store.names() == ["mtor", "tfeb"]


@pytest.mark.parametrize(
    "name", ["", " mtor", "../etc/passwd", "a/b", ".hidden", "a\\b", "x" * 201, "tab\there"]
)
def test_names_that_could_escape_the_folder_are_refused(store: FolderPageStore, name: str) -> None:
    with pytest.raises(PageNameError, match="page name"):
        store.write(name, "text")
    assert not store.root.exists() or list(store.root.iterdir()) == []


def test_the_badge_link_is_one_encoded_path_segment(store: FolderPageStore) -> None:
    assert store.badge_link("mtor seed") == "badges/mtor%20seed.svg"


def test_unreadable_pages_raise_page_errors_naming_the_file(store: FolderPageStore) -> None:
    with pytest.raises(PageError, match=r"mtor\.txt: cannot read the file"):
        store.read("mtor")
    store.root.mkdir(parents=True)
    (store.root / "latin1.txt").write_bytes(b"caf\xe9 Gene\n")
    with pytest.raises(PageError, match=r"latin1\.txt:1: not UTF-8 text"):
        store.read("latin1")


def test_a_failed_replace_keeps_the_old_file_and_removes_the_temp_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "mtor.txt"
    target.write_bytes(b"old page\n")

    def broken_replace(src: str, dst: str) -> None:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="Input/output error"):
        atomic_write(target, b"new page\n")
    assert target.read_bytes() == b"old page\n"
    assert [p.name for p in tmp_path.iterdir()] == ["mtor.txt"]


def test_a_failed_write_does_not_count(
    store: FolderPageStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.write("mtor", "v1\n")

    def broken_fsync(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", broken_fsync)
    with pytest.raises(OSError, match="No space left"):
        store.write("mtor", "v2\n")
    assert store.read("mtor") == "v1\n" and store.writes == 1
    assert store.names() == ["mtor"] and len(list(store.root.iterdir())) == 1


def test_replacing_keeps_the_files_permissions(store: FolderPageStore) -> None:
    store.write("mtor", "v1\n")
    os.chmod(store.path("mtor"), 0o640)
    store.write("mtor", "v2\n")
    assert store.path("mtor").stat().st_mode & 0o777 == 0o640
    store.write("tfeb", "v1\n")
    assert store.path("tfeb").stat().st_mode & 0o777 == 0o644


def test_threads_writing_the_first_badges_of_a_new_store_all_succeed(tmp_path: Path) -> None:
    # Several writer threads meet a missing badge folder at once; each must create it or use
    # the one another thread just created, never fail because it appeared under it.
    for attempt in range(20):
        store = FolderPageStore(tmp_path / f"store{attempt}")
        barrier = threading.Barrier(8)

        def write(
            index: int, store: FolderPageStore = store, barrier: threading.Barrier = barrier
        ) -> None:
            barrier.wait()
            store.write_badge(f"page{index}", "<svg/>")

        with ThreadPoolExecutor(max_workers=8) as pool:
            list(pool.map(write, range(8)))
        assert store.writes == 8
        assert all(store.read_badge(f"page{i}") == "<svg/>" for i in range(8))
