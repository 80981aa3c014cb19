"""Finding a page's infobox table and splitting it into rows and cells, with their positions."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from wiki.errors import PageProblem
from wiki.markup import CITATION_KEY, visible_text
from wiki.pagetext import LineIndex

_INFOBOX_OPEN = re.compile(
    r"<table\b[^>]*\bclass\s*=\s*(['\"])[^'\"]*\binfobox\b[^'\"]*\1[^>]*>", re.I
)
_TABLE_TAG = re.compile(r"<(/?)table\b[^>]*>", re.I)
# A row runs to its first "</tr>", a cell to its first closing tag; spelled as "no '<' that
# starts the closing tag" rather than ".*?", which takes the regex engine twice as long.
_ROW = re.compile(r"<tr\b[^>]*>(?P<body>[^<]*+(?:<(?!/tr\s*>)[^<]*+)*+)</tr\s*>", re.I)
_CELL = re.compile(
    r"<(?P<tag>t[dh])\b(?P<attrs>[^>]*)>"
    r"(?P<markup>[^<]*+(?:<(?!/(?P=tag)\s*>)[^<]*+)*+)</(?P=tag)\s*>",
    re.I,
)
# Diagrams are shown as code; a table-looking string inside one is not the infobox.
_DIAGRAM = re.compile(
    r"<div\b[^>]*\bclass\s*=\s*['\"][^'\"]*\bmermaid\b[^'\"]*['\"][^>]*>.*?</div\s*>"
    r"|^```.*?^```",
    re.I | re.S | re.M,
)
# Where a diagram can start (and a few places where it cannot): a fast scan, unlike _DIAGRAM's.
_DIV = re.compile(r"<div\b", re.I)
_FENCE = "```"
_LABEL_CLASS = re.compile(r"\bclass\s*=\s*['\"][^'\"]*\blabel\b", re.I)


@dataclass(frozen=True)
class Cell:
    tag: str
    is_label: bool
    markup: str
    text: str
    # Where the cell's inner markup stands in the page.
    span: tuple[int, int]


@dataclass(frozen=True)
class TableRow:
    cells: tuple[Cell, ...]
    line: int
    span: tuple[int, int]


@dataclass(frozen=True)
class TableBounds:
    start: int
    # Where the opening tag ends and the rows begin.
    body_start: int
    # The closing "</table>" tag.
    close: tuple[int, int]


@dataclass(frozen=True)
class InfoboxTable:
    span: tuple[int, int]
    # Offset of "</table>", where rows can be added.
    close_at: int
    line: int
    rows: tuple[TableRow, ...]
    problems: tuple[PageProblem, ...]


def _openings(text: str, start: int) -> Iterator[re.Match[str]]:
    """Infobox openings at or after ``start`` that are not inside a diagram, in order.

    Diagrams are matched exactly as ``_DIAGRAM.finditer`` would find them, but only those starting
    before the opening in question, so a page is not scanned to its end for diagrams.
    """
    resume = start  # where the next diagram may start
    last: tuple[int, int] | None = None  # the last diagram found
    for opening in _INFOBOX_OPEN.finditer(text, start):
        while resume <= opening.start():
            candidate = _diagram_start(text, resume)
            if candidate is None or candidate > opening.start():
                break
            diagram = _DIAGRAM.match(text, candidate)
            if diagram is None:
                resume = candidate + 1
            else:
                last, resume = diagram.span(), diagram.end()
        if last is None or not last[0] <= opening.start() < last[1]:
            yield opening


def _diagram_start(text: str, at: int) -> int | None:
    """The first offset from ``at`` where ``_DIAGRAM`` might match."""
    div = _DIV.search(text, at)
    fence = text.find(_FENCE, at)
    found = [offset for offset in (div.start() if div else -1, fence) if offset >= 0]
    return min(found, default=None)


def find_infobox_bounds(text: str, *, start: int) -> TableBounds | None:
    """Where the first infobox at or after ``start`` that is not inside a diagram stands."""
    for opening in _openings(text, start):
        close = _closing_tag(text, opening.end())
        return None if close is None else TableBounds(opening.start(), opening.end(), close)
    return None


def infobox_opening_line(text: str, *, start: int, lines: LineIndex) -> int | None:
    """Line of an infobox that opens but never closes (for the error message)."""
    for opening in _openings(text, start):
        return lines.line_of(opening.start())
    return None


def table_rows(text: str, bounds: TableBounds) -> Iterator[re.Match[str]]:
    """The rows ``read_table`` reads; group ``body`` is a row's inner markup."""
    return _ROW.finditer(text, bounds.body_start, bounds.close[0])


def row_cells(text: str, start: int = 0, end: int | None = None) -> list[re.Match[str]]:
    """The cells ``read_table`` reads in the row markup ``text[start:end]``; group ``markup``
    is a cell's inner markup, group ``tag`` its tag."""
    return list(_CELL.finditer(text, start, len(text) if end is None else end))


def _closing_tag(text: str, after: int) -> tuple[int, int] | None:
    depth = 1
    for tag in _TABLE_TAG.finditer(text, after):
        depth += -1 if tag.group(1) else 1
        if depth == 0:
            return tag.span()
    return None


def read_table(text: str, bounds: TableBounds, lines: LineIndex) -> InfoboxTable:
    """Every row and cell of the table, with what a reader would not see reported."""
    start, close = bounds.start, bounds.close
    problems: list[PageProblem] = []
    rows: list[TableRow] = []
    cursor = bounds.body_start
    for row in _ROW.finditer(text, bounds.body_start, close[0]):
        _report_stray(text, cursor, row.start(), "between table rows", lines, problems)
        rows.append(_read_row(text, row, lines, problems))
        cursor = row.end()
    _report_stray(text, cursor, close[0], "between table rows", lines, problems)
    return InfoboxTable(
        span=(start, close[1]),
        close_at=close[0],
        line=lines.line_of(start),
        rows=tuple(rows),
        problems=tuple(problems),
    )


def _read_row(
    text: str, row: re.Match[str], lines: LineIndex, problems: list[PageProblem]
) -> TableRow:
    cells: list[Cell] = []
    cursor = row.start("body")
    for cell in _CELL.finditer(text, row.start("body"), row.end("body")):
        _report_stray(text, cursor, cell.start(), "between table cells", lines, problems)
        cells.append(
            Cell(
                tag=cell["tag"].lower(),
                is_label=bool(_LABEL_CLASS.search(cell["attrs"])),
                markup=cell["markup"],
                text=visible_text(cell["markup"]),
                span=cell.span("markup"),
            )
        )
        cursor = cell.end()
    _report_stray(text, cursor, row.end("body"), "between table cells", lines, problems)
    return TableRow(cells=tuple(cells), line=lines.line_of(row.start()), span=row.span())


def _report_stray(
    text: str,
    start: int,
    end: int,
    where: str,
    lines: LineIndex,
    problems: list[PageProblem],
) -> None:
    """Text outside any cell is not shown in a table; say so instead of dropping it silently."""
    stray = text[start:end]
    if not stray.strip():
        return
    offset = start + len(stray) - len(stray.lstrip())
    keys = CITATION_KEY.findall(stray)
    if keys and not CITATION_KEY.sub("", stray).strip():
        message = f"citation key {' '.join(k.strip() for k in keys)} {where} ignored"
        message += " (a key is not a DOI or PMID)"
    else:
        shown = " ".join(stray.split())
        message = f"text {where} ignored: {shown[:80]!r}"
    problems.append(PageProblem(lines.line_of(offset), message))
