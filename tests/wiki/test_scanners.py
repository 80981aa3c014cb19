"""The page scanners search the whole text once instead of walking it line by line.

Each is checked against the plain line-by-line reading it replaces, on texts made of the
pieces that matter to it (line endings, markers, look-alikes), so the two agree exactly.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.wiki.pages import (
    PAGES,
    SEED,
    assert_score_places_agree_with_the_full_parse,
    page_text,
)
from wiki import infobox
from wiki.genepage import parse_gene_page, parse_score_places
from wiki.hypothesis_links import (
    _EXCHANGE_CANDIDATE,
    BADGE_MARKER,
    find_badge_line,
    find_exchange_heading,
    read_exchange_lines,
)
from wiki.infobox import find_infobox_bounds, infobox_opening_line
from wiki.pagetext import LineIndex, split_lines
from wiki.sections import find_body

EXCHANGE_LINE = "- [A](/hypothesis/h-1) — <span>0.5</span>"
LINE_PIECES = ["\n", "\n", "\r", " ", "\t", "\x0c", "\u2028", "x", "...", "T", "\ufeff"]
EXCHANGE_PIECES = [
    *LINE_PIECES,
    EXCHANGE_LINE,
    "* [b](HTTPS://w.org/HYPOTHESIS/h-2) 0.3",
    "[SciDEX Exchange](",
    "SciDEX Exchange",
    "xSciDEX Exchange",
    BADGE_MARKER,
    "/hypothesis/",
    "- [",
    "](",
    "1.5",
]
TABLE_PIECES = [
    *LINE_PIECES,
    "<table class='infobox'>",
    '<TABLE class="x infobox">',
    "<table>",
    "</table>",
    "<div class='mermaid'>",
    '<DIV class="mermaid x">',
    "<div>",
    "</div>",
    "```",
    "<tr>",
    "</tr>",
    "</TR >",
    "</tr x>",
    "<td>",
    "<TD a='1'>",
    "</td>",
    "</td\n>",
    "<th>",
    "</tH>",
    "<",
    ">",
]


def _text(pieces: list[str]) -> st.SearchStrategy[str]:
    return st.lists(st.sampled_from(pieces), max_size=16).map("".join)


def _lines_from(text: str, start: int) -> Iterator[tuple[int, str]]:
    offset = start
    for piece in split_lines(text[start:]):
        yield offset, piece.rstrip("\r\n")
        offset += len(piece)


def _reference_body(text: str) -> tuple[str, int]:
    rows = split_lines(text)
    title = next((r.strip().lstrip("\ufeff").strip() for r in rows if r.strip()), "")
    offset, start = 0, 0
    for index, row in enumerate(rows[:-1]):
        offset += len(row)
        if row.strip() == "..." and rows[index + 1].strip() == title:
            start = offset
    return title, start


def _reference_heading(text: str, start: int) -> tuple[int, int] | None:
    for heading in (r"\[SciDEX Exchange\]\(", r"\bSciDEX Exchange\b"):
        for offset, line in _lines_from(text, start):
            if re.search(heading, line, re.I) and BADGE_MARKER not in line:
                return offset, offset + len(line)
    return None


def _reference_badge(text: str, start: int) -> tuple[int, int] | None:
    for offset, line in _lines_from(text, start):
        if BADGE_MARKER in line:
            return offset, offset + len(line)
    return None


@settings(max_examples=400, deadline=None)
@given(text=_text(LINE_PIECES))
def test_the_body_is_found_as_line_by_line(text: str) -> None:
    body = find_body(text, LineIndex(text))
    assert (body.title, body.start) == _reference_body(text)


@settings(max_examples=400, deadline=None)
@given(text=_text(EXCHANGE_PIECES), at=st.floats(0, 1))
def test_exchange_heading_badge_and_lines_are_found_as_line_by_line(text: str, at: float) -> None:
    start = int(at * len(text))
    assert find_exchange_heading(text, start) == _reference_heading(text, start)
    assert find_badge_line(text, start) == _reference_badge(text, start)
    lines = LineIndex(text)
    expected = [
        lines.line_of(offset)
        for offset, line in _lines_from(text, start)
        if _EXCHANGE_CANDIDATE.match(line)
    ]
    reading = read_exchange_lines(text, start, lines=LineIndex(text), source="p")
    not_understood = [p.line or 0 for p in reading.problems if "not understood" in p.message]
    assert sorted([link.line for link in reading.links] + not_understood) == expected


@settings(max_examples=400, deadline=None)
@given(text=_text(TABLE_PIECES), at=st.floats(0, 1))
def test_the_infobox_is_found_as_with_every_diagram_listed(text: str, at: float) -> None:
    start = int(at * len(text))
    hidden = [m.span() for m in infobox._DIAGRAM.finditer(text, start)]
    shown = [
        opening
        for opening in infobox._INFOBOX_OPEN.finditer(text, start)
        if not any(a <= opening.start() < b for a, b in hidden)
    ]
    bounds = find_infobox_bounds(text, start=start)
    line = infobox_opening_line(text, start=start, lines=LineIndex(text))
    if not shown:
        assert bounds is None and line is None
        return
    assert line == text.count("\n", 0, shown[0].start()) + 1
    close = infobox._closing_tag(text, shown[0].end())
    expected = None if close is None else (shown[0].start(), shown[0].end(), close)
    assert (bounds and (bounds.start, bounds.body_start, bounds.close)) == expected


@settings(max_examples=400, deadline=None)
@given(text=_text(TABLE_PIECES), at=st.floats(0, 1), to=st.floats(0, 1))
def test_rows_and_cells_end_at_their_first_closing_tag(text: str, at: float, to: float) -> None:
    start, end = sorted((int(at * len(text)), int(to * len(text))))
    lazy_row = re.compile(r"<tr\b[^>]*>(?P<body>.*?)</tr\s*>", re.I | re.S)
    lazy_cell = re.compile(
        r"<(?P<tag>t[dh])\b(?P<attrs>[^>]*)>(?P<markup>.*?)</(?P=tag)\s*>", re.I | re.S
    )
    for lazy, fast in ((lazy_row, infobox._ROW), (lazy_cell, infobox._CELL)):
        assert [m.regs for m in fast.finditer(text, start, end)] == [
            m.regs for m in lazy.finditer(text, start, end)
        ]


@given(text=_text(LINE_PIECES), offsets=st.lists(st.integers(-2, 20), max_size=30))
def test_line_numbers_in_any_order(text: str, offsets: list[int]) -> None:
    starts = [0, *(m.end() for m in re.finditer("\n", text))]
    lines = LineIndex(text)
    assert [lines.line_of(o) for o in offsets] == [bisect_right(starts, o) for o in offsets]


MUTATIONS = [
    "<table class='infobox'>",
    "</table>",
    "<tr>",
    "</tr>",
    "<td>",
    "</td>",
    "<th>",
    "</th>",
    '<td class="label">Symbol</td><td>ABC</td>',
    '<tr><td class="label">SciDEX Hypotheses</td><td>x</td></tr>',
    "<tr><th>abc gene</th></tr>",
    "<tr><th></th></tr>",
    "&#83;ymbol",
    "\n...\n",
    "\r\n",
    "<div class='mermaid'>",
    "</div>",
    "\n```\n",
    '<a href="/hypothesis/h-9" title="Score: 0.3">x</a>',
    '[y](/hypothesis/h-8 "Score: 0.2")',
    "\n- [a](/hypothesis/h-1) — <span>0.5</span>\n",
    "Score: 2",
    "[SciDEX Exchange](/exchange)",
    BADGE_MARKER,
]


@settings(max_examples=150, deadline=None)
@given(
    name=st.sampled_from(sorted(path.name for path in PAGES.glob("*.txt"))),
    edits=st.lists(
        st.tuples(st.floats(0, 1), st.sampled_from(MUTATIONS), st.integers(0, 200)), max_size=4
    ),
)
def test_score_places_agree_with_the_full_parse_on_damaged_pages(
    name: str, edits: list[tuple[float, str, int]]
) -> None:
    """Insert look-alikes and cut pieces out anywhere: both readings raise or agree."""
    text = page_text(name)
    for where, piece, cut in edits:
        at = int(where * len(text))
        text = text[:at] + piece + text[at + cut :]
    assert_score_places_agree_with_the_full_parse(text, name)


@pytest.mark.parametrize(
    ("text", "title", "start"),
    [
        ("T\n...\nT\nbody", "T", 6),
        ("T\n...\nT\n...\n T \nbody", "T", 12),  # the last complete copy wins
        ("T\n ... \r\nT", "T", 9),  # any whitespace around the break
        ("T\n...\nU\n", "T", 0),  # not followed by the title
        ("T\n....\nT\n", "T", 0),
        ("T\nT\n...", "T", 0),  # the break is the last line
        ("\n\n\ufeffT\n...\nT", "T", 9),
    ],
)
def test_preview_breaks(text: str, title: str, start: int) -> None:
    body = find_body(text, LineIndex(text))
    assert (body.title, body.start) == (title, start)


def test_exchange_lines_any_case_and_one_per_line() -> None:
    text = (
        "intro [x](/hypothesis/h-0)\n"
        "- [A](https://w.org/hypothesis/h-1) — 0.40 [B](/hypothesis/h-9)\r\n"
        "* [B](/HYPOTHESIS/h-2) – <span>0.50</span>\n"
        "* [C](/hypothesis/h-3) – <span>0.50</span>"
    )
    reading = read_exchange_lines(text, 0, lines=LineIndex(text), source="p")
    assert [(link.hypothesis_id, link.score, link.line) for link in reading.links] == [
        ("h-1", 0.4, 2),
        ("h-3", 0.5, 4),
    ]
    assert reading.links[0].raw.endswith("[B](/hypothesis/h-9)")  # no "\r"
    # A list line whose link the parser cannot read is reported, whatever its case.
    assert [p.line for p in reading.problems] == [3]
    # Reading from the middle of a line starts with that line's rest.
    text = "x - [A](/hypothesis/h-1) — 0.4"
    for start, found in ((0, 0), (2, 1)):
        reading = read_exchange_lines(text, start, lines=LineIndex(text), source="p")
        assert len(reading.links) == found


def test_a_fence_hides_an_infobox_only_from_the_start_of_a_line() -> None:
    table = "<table class='infobox'><tr><td>Symbol</td><td>X</td></tr></table>"
    fenced = f"X Gene\n```\n{table}\n```\n{table}"
    assert find_infobox_bounds(fenced, start=0) == find_infobox_bounds(
        fenced, start=fenced.rindex("<table")
    )
    inline = f"X Gene\nsee ```{table}\n```\n"
    bounds = find_infobox_bounds(inline, start=0)
    assert bounds is not None and bounds.start == inline.index("<table")


def test_the_seed_page_reads_the_same_both_ways() -> None:
    text = page_text(SEED.name)
    page = parse_gene_page(text)
    places = parse_score_places(text)
    assert places.links == page.links and places.badge_line is None
    assert places.exchange_heading == page.exchange_heading is not None


def _page(rows: str) -> str:
    return (
        f'X Gene\n<table class="infobox">\n{rows}\n</table>\n'
        "- [A](/hypothesis/h-1) — <span>0.50</span>\n"
    )


HYPOTHESES_ROW = (
    '<tr><td class="label">SciDEX Hypotheses</td>'
    '<td><a href="/hypothesis/h-1" title="Score: 0.50">A</a></td></tr>'
)


@pytest.mark.parametrize(
    ("rows", "symbol"),
    [
        # A header with no text does not count: the next one names the gene.
        ("<tr><th></th></tr><tr><th>abc gene</th></tr>" + HYPOTHESES_ROW, "ABC"),
        ("<tr><th>abc gene</th></tr><tr><th>def gene</th></tr>" + HYPOTHESES_ROW, "ABC"),
        # The first Symbol row wins, wherever it is; an empty one falls back to the header.
        (
            HYPOTHESES_ROW
            + "<tr><td>Symbol</td><td>S1</td></tr><tr><td>Symbol</td><td>S2</td></tr>",
            "S1",
        ),
        (
            "<tr><th>abc gene</th></tr><tr><td>Gene symbol:</td><td></td></tr>" + HYPOTHESES_ROW,
            "ABC",
        ),
        ("<tr><td>&#83;ymbol</td><td>S3</td></tr>" + HYPOTHESES_ROW, "S3"),
        ("<tr><td><b>Sym</b>bol</td><td>S4</td></tr>" + HYPOTHESES_ROW, "S4"),
        # A row of three cells is not a field; a sub-table does not hide a known label.
        ("<tr><td>Symbol</td><td>S5</td><td>x</td></tr><tr><td>Symbol</td><td>S6</td></tr>", "S6"),
        ("<tr><td>Drug</td><td>Target</td></tr><tr><td>Symbol</td><td>S7</td></tr>", "S7"),
    ],
)
def test_key_rows_are_read_as_the_full_parse_reads_them(rows: str, symbol: str) -> None:
    text = _page(rows)
    page = parse_gene_page(text)
    places = parse_score_places(text)
    assert places.symbol == page.symbol == symbol
    assert places.hypotheses_row == page.hypotheses_row
    assert places.links == page.links
