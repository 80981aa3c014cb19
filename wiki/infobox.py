"""Finding a page's infobox table and splitting it into rows and cells, with their positions."""

from __future__ import annotations

import re
from dataclasses import dataclass

from wiki.errors import PageProblem
from wiki.markup import CITATION_KEY, visible_text
from wiki.pagetext import LineIndex

_INFOBOX_OPEN = re.compile(
    r"<table\b[^>]*\bclass\s*=\s*(['\"])[^'\"]*\binfobox\b[^'\"]*\1[^>]*>", re.I
)
_TABLE_TAG = re.compile(r"<(/?)table\b[^>]*>", re.I)
_ROW = re.compile(r"<tr\b[^>]*>(?P<body>.*?)</tr\s*>", re.I | re.S)
_CELL = re.compile(r"<(?P<tag>t[dh])\b(?P<attrs>[^>]*)>(?P<markup>.*?)</(?P=tag)\s*>", re.I | re.S)
# Diagrams are shown as code; a table-looking string inside one is not the infobox.
_DIAGRAM = re.compile(
    r"<div\b[^>]*\bclass\s*=\s*['\"][^'\"]*\bmermaid\b[^'\"]*['\"][^>]*>.*?</div\s*>"
    r"|^```.*?^```",
    re.I | re.S | re.M,
)
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
class InfoboxTable:
    span: tuple[int, int]
    # Offset of "</table>", where rows can be added.
    close_at: int
    line: int
    rows: tuple[TableRow, ...]
    problems: tuple[PageProblem, ...]


def diagram_spans(text: str, start: int) -> list[tuple[int, int]]:
    return [m.span() for m in _DIAGRAM.finditer(text, start)]


def find_infobox(text: str, *, start: int, lines: LineIndex) -> InfoboxTable | None:
    """The first infobox table at or after ``start`` that is not inside a diagram."""
    hidden = diagram_spans(text, start)
    for opening in _INFOBOX_OPEN.finditer(text, start):
        if any(a <= opening.start() < b for a, b in hidden):
            continue
        close = _closing_tag(text, opening.end())
        if close is None:
            return None
        return _read_table(text, opening.start(), opening.end(), close, lines)
    return None


def infobox_opening_line(text: str, *, start: int, lines: LineIndex) -> int | None:
    """Line of an infobox that opens but never closes (for the error message)."""
    hidden = diagram_spans(text, start)
    for opening in _INFOBOX_OPEN.finditer(text, start):
        if not any(a <= opening.start() < b for a, b in hidden):
            return lines.line_of(opening.start())
    return None


def _closing_tag(text: str, after: int) -> tuple[int, int] | None:
    depth = 1
    for tag in _TABLE_TAG.finditer(text, after):
        depth += -1 if tag.group(1) else 1
        if depth == 0:
            return tag.span()
    return None


def _read_table(
    text: str, start: int, body_start: int, close: tuple[int, int], lines: LineIndex
) -> InfoboxTable:
    problems: list[PageProblem] = []
    rows: list[TableRow] = []
    cursor = body_start
    for row in _ROW.finditer(text, body_start, close[0]):
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
