"""The demo's tables: every number whole at any width, titles cut at a word, in the given order."""

from __future__ import annotations

import io

import pytest
from rich.console import Console
from rich.table import Table

from hyposcore.cli.score_table import (
    ONE_LINE_TITLE_MIN,
    STAND_IN_MARK,
    TITLE_CHARS,
    ScoredRow,
    open_table,
    resolved_table,
    stands_in,
)
from storage.queries.leaderboard import LeaderboardRow

LONG = "Antisense Lowering of Tau Slows Alzheimer's Disease and Reduces Neurofibrillary Tangles"


def _standing(hid: str, rank: int | None, strength: float | None, matches: int) -> LeaderboardRow:
    low, high = (None, None) if strength is None else (strength - 0.85, strength + 0.9)
    return LeaderboardRow(
        rank, hid, "t", strength, low, high, 1200.0, matches, matches, 1, 14, None
    )


ROWS = [
    ScoredRow("h-e19b6a37", LONG, 0.79, True, 0.60, 0.49, 0.70, _standing("a", 2, 1.54, 5)),
    ScoredRow(
        "h-94d3a6e8", "Short title", 0.35, True, 0.45, 0.34, 0.56, _standing("b", 13, -0.78, 16)
    ),
    ScoredRow(
        "h-51e7234f", "Unrated one", 0.32, False, 0.64, 0.57, 0.70, _standing("c", None, None, 1)
    ),
    ScoredRow("h-00000000", "Never fitted", 0.30, True, 0.50, 0.40, 0.60, None),
]
# What each row must show whole, whatever the width: rank, id, exchange, composite and its
# interval, and the tournament's strength with its interval, group and rank, and matches.
WHOLE = [
    [
        "h-e19b6a37",
        "0.79",
        "0.60",
        "(0.49–0.70)",
        "+1.54 (+0.69 to +2.44)",
        "group 1, #2 · 5 matches",
    ],
    [
        "h-94d3a6e8",
        "0.35",
        "0.45",
        "(0.34–0.56)",
        "−0.78 (−1.63 to +0.12)",
        "group 1, #13 · 16 matches",
    ],
    ["h-51e7234f", "0.32*", "0.64", "(0.57–0.70)", "unrated", "1 match (1 decided)"],
    ["h-00000000", "0.30", "0.50", "(0.40–0.60)", "unrated", "0 matches"],
]


def _render(table: Table, width: int) -> list[str]:
    console = Console(width=width, file=io.StringIO(), record=True, color_system=None)
    console.print(table)
    return console.export_text().splitlines()


def _blocks(lines: list[str]) -> list[str]:
    """Each hypothesis's lines joined: a block starts at the line that holds its id."""
    blocks: list[str] = []
    for line in lines:
        if " h-" in f" {line}":
            blocks.append(line)
        elif blocks and line.strip():
            blocks[-1] += "\n" + line
    return blocks


@pytest.mark.parametrize("width", [80, 100, 120, 160, 220])
def test_every_number_is_whole_and_every_line_fits(width: int) -> None:
    lines = _render(open_table(ROWS, width=width), width)
    assert all(len(line) <= width for line in lines)
    blocks = _blocks(lines)
    assert len(blocks) == len(ROWS)
    for rank, (block, whole) in enumerate(zip(blocks, WHOLE, strict=True), start=1):
        assert block.split()[0] == str(rank)  # in the given order, ranked from 1
        for text in whole:
            assert text in block, (text, block)


def test_a_wide_terminal_gives_each_hypothesis_one_line_with_its_title_last() -> None:
    lines = _render(open_table(ROWS, width=220), 220)
    blocks = _blocks(lines)
    assert all("\n" not in block for block in blocks)
    shown = blocks[0].split("   ")[-1].strip()  # the title, last, at most TITLE_CHARS long
    assert shown == "Antisense Lowering of Tau Slows Alzheimer's Disease and…"
    assert len(shown) <= TITLE_CHARS and blocks[1].rstrip().endswith("Short title")
    assert "+1.54 (+0.69 to +2.44) · group 1, #2 · 5 matches" in blocks[0]


def test_a_narrow_terminal_puts_the_title_under_the_id_cut_at_a_word() -> None:
    lines = _render(open_table(ROWS, width=80), 80)
    first = _blocks(lines)[0].splitlines()
    assert len(first) == 2
    shown = first[1].strip().split("   ")[0]  # columns are three spaces apart
    assert shown.endswith("…") and len(shown) > len("h-e19b6a37")
    assert LONG.startswith(shown.removesuffix("…"))
    assert LONG[len(shown) - 1] == " "  # the cut falls between words


def test_the_layout_switches_where_a_title_column_would_get_too_little_room() -> None:
    widths = [
        width
        for width in range(80, 200)
        if "\n" not in _blocks(_render(open_table(ROWS, width=width), width))[0]
    ]
    one_line_from = min(widths)
    lines = _render(open_table(ROWS, width=one_line_from), one_line_from)
    header = next(line for line in lines if "title" in line.split())
    assert one_line_from - header.index("title") >= ONE_LINE_TITLE_MIN
    assert one_line_from - 1 - header.index("title") < ONE_LINE_TITLE_MIN
    assert all(width in widths for width in range(one_line_from, 200))  # and stays one line


def test_ratings_that_print_alike_share_a_rank() -> None:
    # 0.7213 and 0.7198 both print "0.72": the digits that would part them are not shown.
    tied = [
        ScoredRow("h-aaaaaaaa", "A", 0.7213, True, 0.6, 0.5, 0.7, None),
        ScoredRow("h-bbbbbbbb", "B", 0.7198, True, 0.6, 0.5, 0.7, None),
        ScoredRow("h-cccccccc", "C", 0.64, True, 0.6, 0.5, 0.7, None),
    ]
    blocks = _blocks(_render(open_table(tied, width=120), 120))
    assert [block.split()[0] for block in blocks] == ["1", "1", "3"]


def test_resolved_rows_show_their_outcome_and_no_rank() -> None:
    rows = [("validated", ROWS[0]), ("refuted", ROWS[2])]
    for width in (80, 160):
        blocks = _blocks(_render(resolved_table(rows, width=width), width))
        assert [block.split()[:2] for block in blocks] == [
            ["validated", "h-e19b6a37"],
            ["refuted", "h-51e7234f"],
        ]
        assert "0.32*" in blocks[1] and "(0.57–0.70)" in blocks[1]


def test_a_composite_standing_in_is_marked_and_only_then_noted() -> None:
    assert stands_in(ROWS)
    assert not stands_in([ROWS[0], ROWS[1]])
    lines = _render(open_table(ROWS[:2], width=160), 160)
    assert STAND_IN_MARK not in "".join(lines)


def test_hostile_titles_cannot_drive_the_terminal() -> None:
    hostile = [ScoredRow("h-1", "Tau\x1b[31m red\u202e", 0.5, True, 0.5, 0.4, 0.6, None)]
    text = "\n".join(_render(open_table(hostile, width=160), 160))
    assert "\x1b" not in text and "\u202e" not in text
