"""The demo's closing tables: each scored hypothesis with every number whole.

The numbers are the rank (or the outcome), the id, the exchange rating, the composite with its
80% interval and, for open hypotheses, the tournament strength with its interval, group, rank
and match count. They take the width they need; the title takes what is left, cut at a word.
Where that leaves a title room enough, a row is one line with the title last; otherwise it is
two lines, the title under the id and each number's parts one under the other. An 80-column
terminal thus shows every number on every row, and a wider one more of each title.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rich.table import Table
from rich.text import Text

from api.leaderboard import tournament_lines
from common.numbers import shared_ranks
from common.text import shorten_title, terminal_safe
from hyposcore.cli.common import COLUMN_GAP, columns_width, compact_table
from storage.queries.leaderboard import LeaderboardRow

TITLE_CHARS = 60
# A title column narrower than this is hardly worth a line of its own: titles go under the ids.
ONE_LINE_TITLE_MIN = 24
STAND_IN_MARK = "*"
STAND_IN_NOTE = (
    f"{STAND_IN_MARK}: no market trades yet, so the composite stands in, as on the badge."
)


@dataclass(frozen=True)
class ScoredRow:
    """One hypothesis's latest numbers, as its badge and pages show them."""

    hypothesis_id: str
    title: str
    exchange: float
    market_traded: bool
    composite: float
    composite_low: float
    composite_high: float
    tournament: LeaderboardRow | None = None


@dataclass(frozen=True)
class _Column:
    """A column's header, and how its parts join on one line (on two, each has its own)."""

    header: str
    joiner: str = " "

    @property
    def split_header(self) -> str:
        return self.header.replace(" (", "\n(")


HYPOTHESIS = _Column("hypothesis")
NUMBERS = (HYPOTHESIS, _Column("exchange"), _Column("composite (80%)"))
Cells = list[tuple[str, ...]]


def open_table(rows: Sequence[ScoredRow], *, width: int) -> Table:
    """Open hypotheses in the given order (highest exchange rating first), ranked 1, 2, ...;
    ratings that print alike share a rank."""
    columns = [_Column("#"), *NUMBERS, _Column("tournament (80% interval)", " · ")]
    ranks = shared_ranks([f"{row.exchange:.2f}" for row in rows])
    cells = [
        [(str(rank),), *_numbers(row), _tournament(row)]
        for rank, row in zip(ranks, rows, strict=True)
    ]
    title = "open hypotheses: exchange ratings and tournament, highest rating first"
    return _table(title, columns, cells, [row.title for row in rows], width=width)


def resolved_table(rows: Sequence[tuple[str, ScoredRow]], *, width: int) -> Table:
    """Resolved hypotheses under their outcome, never ranked with the open ones."""
    columns = [_Column("outcome"), *NUMBERS]
    cells = [[(outcome,), *_numbers(row)] for outcome, row in rows]
    title = "resolved hypotheses, with hindsight: outcome, then the same numbers"
    return _table(title, columns, cells, [row.title for _, row in rows], width=width)


def stands_in(rows: Sequence[ScoredRow]) -> bool:
    """Whether any row's exchange rating is its composite standing in (marked, then noted)."""
    return any(not row.market_traded for row in rows)


def _numbers(row: ScoredRow) -> Cells:
    return [
        (terminal_safe(row.hypothesis_id),),
        (f"{row.exchange:.2f}{'' if row.market_traded else STAND_IN_MARK}",),
        (f"{row.composite:.2f}", f"({row.composite_low:.2f}–{row.composite_high:.2f})"),
    ]


def _tournament(row: ScoredRow) -> tuple[str, ...]:
    if row.tournament is None:
        return "unrated", "0 matches"
    return tournament_lines(row.tournament)


def _table(
    title: str, columns: list[_Column], cells: list[Cells], titles: list[str], *, width: int
) -> Table:
    """One line a hypothesis, the title last, where the terminal leaves a title room enough;
    else two, the title under the id. Every number is printed whole either way."""
    one_line = [
        [c.joiner.join(parts) for c, parts in zip(columns, row, strict=True)] for row in cells
    ]
    room = width - columns_width([c.header for c in columns], one_line) - COLUMN_GAP
    if room >= ONE_LINE_TITLE_MIN:
        headers = [c.header for c in columns] + ["title"]
        titles = [shorten_title(terminal_safe(t), min(room, TITLE_CHARS)) for t in titles]
        return _rich_table(
            title, headers, [[*row, t] for row, t in zip(one_line, titles, strict=True)]
        )
    at = columns.index(HYPOTHESIS)
    others = [c.split_header for i, c in enumerate(columns) if i != at]
    rest = [["\n".join(parts) for i, parts in enumerate(row) if i != at] for row in cells]
    room = max(width - columns_width(others, rest) - COLUMN_GAP, len(HYPOTHESIS.header))
    two_line = [["\n".join(parts) for parts in row] for row in cells]
    for row, full in zip(two_line, titles, strict=True):
        row[at] += "\n" + shorten_title(terminal_safe(full), min(room, TITLE_CHARS))
    return _rich_table(title, [c.split_header for c in columns], two_line, lines=True)


def _rich_table(
    title: str, headers: list[str], rows: list[list[str]], *, lines: bool = False
) -> Table:
    table = compact_table(title, title_justify="left", show_lines=lines)
    for header in headers:
        table.add_column(header, no_wrap=True, justify="right" if header == "#" else "left")
    for row in rows:
        table.add_row(*(Text(text) for text in row))
    return table
