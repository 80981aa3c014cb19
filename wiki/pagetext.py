"""Turning a page file's bytes into text, and locating offsets by line number."""

from __future__ import annotations

from common.text import first_refused, text_problem
from wiki.errors import page_error

MAX_PAGE_BYTES = 5 * 1024 * 1024


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
        text = data.decode("utf-8", errors="strict")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise page_error(
            source,
            f"not UTF-8 text: byte 0x{data[exc.start]:02x} at offset {exc.start} ({exc.reason})",
            line=line,
        ) from None
    return check_page_text(text, source=source)


def check_page_text(text: str, *, source: str) -> str:
    """``text`` when it follows the text policy (docs/text-policy.md), else a ``PageError``
    naming the character, its line and column; the same check for an import and a publish."""
    at = first_refused(text)
    if at is None:
        return text
    line = text.count("\n", 0, at) + 1
    raise page_error(source, str(text_problem(text)), line=line)


class LineIndex:
    """Maps character offsets of one text to 1-based line numbers.

    Readers ask about offsets mostly in ascending order, so each answer counts the newlines
    since the previous one instead of indexing every line of the page up front.
    """

    def __init__(self, text: str) -> None:
        self._text = text
        self._offset = 0
        self._line = 1

    def line_of(self, offset: int) -> int:
        if offset < 0:
            return 0
        if offset < self._offset:
            self._offset, self._line = 0, 1
        self._line += self._text.count("\n", self._offset, offset)
        self._offset = offset
        return self._line

    def start_of(self, line: int) -> int:
        at = 0
        for _ in range(line - 1):
            at = self._text.index("\n", at) + 1
        return at


def split_lines(text: str) -> list[str]:
    """Lines with their endings, split at "\\n" only.

    ``str.splitlines`` also splits at form feeds, U+2028 and other separators, which would
    disagree with the line numbers editors and error messages use.
    """
    lines = text.split("\n")
    pieces = [line + "\n" for line in lines[:-1]]
    return [*pieces, lines[-1]] if lines[-1] else pieces
