"""The page store: where published gene pages (and their badge images) live.

A store is a small Protocol so a wiki's own storage can stand in later; the default is a folder
with one ``<name>.txt`` file per page and a ``badges/`` folder beside them. Every write replaces
the file atomically (temp file in the same folder, fsync, ``os.replace``), so a reader sees the
old page or the new one, never half of either. ``writes`` counts files actually written, so
tests and benchmarks can prove that an unchanged publish wrote nothing.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Protocol, runtime_checkable

from wiki.errors import page_error
from wiki.markup import url_segment
from wiki.pagetext import decode_page

PAGE_SUFFIX = ".txt"
BADGE_FOLDER = "badges"
BADGE_SUFFIX = ".svg"
MAX_NAME_LENGTH = 200
_FORBIDDEN_IN_NAMES = frozenset('/\\\0:*?"<>|')


class PageNameError(ValueError):
    """A page name that cannot be a file name in the store."""


def check_page_name(name: str) -> str:
    """Refuse names that could leave the folder, hide as dotfiles or clash with temp files."""
    if not name or name != name.strip():
        raise PageNameError(f"page name {name!r} is empty or has surrounding spaces")
    if len(name) > MAX_NAME_LENGTH:
        raise PageNameError(f"page name {name[:40]!r}… is longer than {MAX_NAME_LENGTH} characters")
    if name.startswith(".") or any(char in _FORBIDDEN_IN_NAMES for char in name):
        raise PageNameError(
            f"page name {name!r} may not start with '.' or contain any of / \\ : * ? \" < > |"
        )
    if any(ord(char) < 32 for char in name):
        raise PageNameError(f"page name {name!r} contains a control character")
    return name


@runtime_checkable
class PageStore(Protocol):
    """What the publisher needs from wherever pages are kept."""

    @property
    def writes(self) -> int:
        """Files (pages and badges) written by this store object so far."""
        ...

    def names(self) -> list[str]:
        """Every page name in the store, sorted."""
        ...

    def exists(self, name: str) -> bool: ...

    def read(self, name: str) -> str:
        """The page's text exactly as stored; raises ``PageError`` if it is not readable text."""
        ...

    def write(self, name: str, text: str) -> None:
        """Replace the page atomically. The publisher writes several pages (or several badges)
        at once from a few threads, never one name from two threads."""
        ...

    def read_badge(self, name: str) -> str | None:
        """The page's badge image (SVG text), or None when there is none."""
        ...

    def write_badge(self, name: str, svg: str) -> None:
        """Replace the page's badge image atomically."""
        ...

    def badge_link(self, name: str) -> str:
        """The link a page uses to show its badge (relative to the page)."""
        ...


def atomic_write(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that readers see the old or the new file, never a mix.

    On any failure the temp file is removed and the old file is left as it was. The publisher
    writes tens of thousands of files from a few threads, and each system call here hands the
    interpreter lock back and forth, so there are no more of them than the guarantee needs.
    """
    try:
        mode = os.stat(path).st_mode & 0o777
    except FileNotFoundError:
        mode = 0o644
    fd, temp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)
            os.fchmod(fd, mode)
        finally:
            os.close(fd)
        os.replace(temp_name, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp_name)
        raise


class FolderPageStore:
    """One ``<name>.txt`` file per page under ``root``; badges under ``root/badges``."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self._writes = 0
        self._count_lock = threading.Lock()

    @property
    def writes(self) -> int:
        return self._writes

    def path(self, name: str) -> Path:
        return self.root / f"{check_page_name(name)}{PAGE_SUFFIX}"

    def badge_path(self, name: str) -> Path:
        return self.root / BADGE_FOLDER / f"{check_page_name(name)}{BADGE_SUFFIX}"

    def names(self) -> list[str]:
        if not self.root.is_dir():
            return []
        found = []
        for entry in os.scandir(self.root):
            stem, suffix = os.path.splitext(entry.name)
            if suffix == PAGE_SUFFIX and not stem.startswith(".") and entry.is_file():
                found.append(stem)
        return sorted(found)

    def exists(self, name: str) -> bool:
        return self.path(name).is_file()

    def read(self, name: str) -> str:
        path = self.path(name)
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise page_error(str(path), f"cannot read the file: {exc.strerror or exc}") from None
        return decode_page(data, source=str(path))

    def write(self, name: str, text: str) -> None:
        self._write(self.path(name), text)

    def read_badge(self, name: str) -> str | None:
        try:
            return self.badge_path(name).read_text(encoding="utf-8")
        except (FileNotFoundError, UnicodeDecodeError):
            return None

    def write_badge(self, name: str, svg: str) -> None:
        self._write(self.badge_path(name), svg)

    def badge_link(self, name: str) -> str:
        return f"{BADGE_FOLDER}/{url_segment(check_page_name(name))}{BADGE_SUFFIX}"

    def _write(self, path: Path, text: str) -> None:
        data = text.encode("utf-8")
        try:
            atomic_write(path, data)
        except FileNotFoundError:
            # The first write into a new store or badge folder creates it. Writer threads race
            # here: another may create the folder between our failure and a check, so no check;
            # if the folder was not the cause, the second write fails the same way.
            path.parent.mkdir(parents=True, exist_ok=True)
            atomic_write(path, data)
        with self._count_lock:
            self._writes += 1


# The registry of store kinds: ``hyposcore`` opens the configured one by name.
STORE_KINDS: dict[str, Callable[[Path], PageStore]] = {"folder": FolderPageStore}


def open_page_store(root: Path, *, kind: str = "folder") -> PageStore:
    """Open a store of the registered ``kind`` rooted at ``root``."""
    try:
        factory = STORE_KINDS[kind]
    except KeyError:
        known = ", ".join(sorted(STORE_KINDS))
        raise ValueError(f"unknown page store kind {kind!r}; known: {known}") from None
    return factory(root)
