"""Turning a page file's bytes into text, and locating offsets by line number."""

from __future__ import annotations

import re
from bisect import bisect_right

from wiki.errors import page_error

MAX_PAGE_BYTES = 5 * 1024 * 1024

_NEWLINE = re.compile(r"\n")


def decode_page(data: bytes, *, source: str) -> str:
    """Decode a page strictly as UTF-8, refusing empty, binary, undecodable and huge files.

    The text is returned exactly as decoded (no newline or BOM normalisation), so a stored page
    can be written back byte-for-byte.
    """
    if len(data) > MAX_PAGE_BYTES:
        raise page_error(
            source, f"file is {len(data)} bytes; gene pages are limited to {MAX_PAGE_BYTES} bytes"
        )
    if not data.strip():
        raise page_error(source, "file is empty")
    nul = data.find(b"\0")
    if nul >= 0:
        line = data.count(b"\n", 0, nul) + 1
        raise page_error(source, f"binary file: NUL byte at offset {nul}", line=line)
    try:
        return data.decode("utf-8", errors="strict")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise page_error(
            source,
            f"not UTF-8 text: byte 0x{data[exc.start]:02x} at offset {exc.start} ({exc.reason})",
            line=line,
        ) from None


class LineIndex:
    """Maps character offsets of one text to 1-based line numbers."""

    def __init__(self, text: str) -> None:
        self._starts = [0, *(m.end() for m in _NEWLINE.finditer(text))]

    def line_of(self, offset: int) -> int:
        return bisect_right(self._starts, offset)

    def start_of(self, line: int) -> int:
        return self._starts[line - 1]

    @property
    def count(self) -> int:
        return len(self._starts)


def split_lines(text: str) -> list[str]:
    """Lines with their endings, split at "\\n" only.

    ``str.splitlines`` also splits at form feeds, U+2028 and other separators, which would
    disagree with the line numbers editors and error messages use.
    """
    lines = text.split("\n")
    pieces = [line + "\n" for line in lines[:-1]]
    return [*pieces, lines[-1]] if lines[-1] else pieces
