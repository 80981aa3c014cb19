"""``hyposcore leaderboard``: the tournament's groups in the terminal, as the web view has them.

Each group is a table with a text picture of every strength on its 80% interval, on the
group's own axis (the web view's chart, in characters); the unrated and the resolved follow,
each with its match count. ``--json`` prints ``GET /leaderboard``'s items.
"""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich import box
from rich.table import Table
from rich.text import Text

from api.backtests import latest_judge_text
from api.leaderboard import (
    TOURNAMENT_LEGEND,
    LeaderboardLine,
    leaderboard_line,
    sections,
    strength_bars,
    summary_text,
)
from api.schemas import leaderboard_entry
from api.strength_chart import StrengthBar, axis_span
from common.text import shorten_title, terminal_safe
from hyposcore.cli.common import (
    COLUMN_GAP,
    columns_width,
    console,
    friendly_errors,
    open_database,
)
from storage.queries.backtests import latest_grades
from storage.queries.leaderboard import count_leaderboard, fit_summary, leaderboard

MAX_ROWS = 10_000
PICTURE_WIDTH = 17
TITLE_CHARS = 48
TITLE_MIN = 12
INTERVAL, STRENGTH, AVERAGE, EMPTY = "─", "●", "┆", " "


@friendly_errors
def show_leaderboard(
    limit: Annotated[int, typer.Option(min=1, max=MAX_ROWS, metavar="N")] = 100,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the rows as JSON (the API's items).")
    ] = False,
) -> None:
    """Show the tournament leaderboard: each group's hypotheses strongest first, with their
    strength, 80% interval, matches (decided ones in brackets) and a picture of the
    intervals; then the unrated and the resolved.

    Strengths compare only within a group: no order is claimed between groups. The newest
    stored backtest, where it judged its pairs, says how often the judge's preference fell on
    the validated hypothesis of a validated-refuted pair.
    """
    with open_database().sessions() as session:
        rows = leaderboard(session, limit=limit)
        summary = fit_summary(session)
        total = count_leaderboard(session)
        judge_record = latest_judge_text(latest_grades(session))
    if as_json:
        typer.echo(json.dumps([leaderboard_entry(r).model_dump(mode="json") for r in rows]))
        return
    console.print(summary_text(summary), highlight=False)
    if judge_record is not None:
        console.print(f"{judge_record}.", markup=False, highlight=False)
    drawn = strength_bars(rows)
    for section, lines in sections([leaderboard_line(row) for row in rows]):
        pictures = _pictures(drawn.get(section, []))
        console.print(_rated_table(section, lines, pictures) if pictures else _rest(section, lines))
    if total > len(rows):
        console.print(
            f"{total - len(rows)} more; show them with --limit {min(total, MAX_ROWS)}", style="dim"
        )
    console.print(Text(TOURNAMENT_LEGEND, style="dim"))
    console.print(f"picture: {INTERVAL} the 80% interval, {STRENGTH} the strength, {AVERAGE} 0")


def _rated_table(section: str, lines: list[LeaderboardLine], pictures: dict[str, str]) -> Table:
    headers = ["#", "hypothesis", "strength", "80% interval", "matches", "picture"]
    cells = [
        [
            line.rank,
            terminal_safe(line.hypothesis_id),
            line.strength,
            line.interval,
            f"{line.matches} ({line.decided})",
            pictures.get(line.hypothesis_id, ""),
        ]
        for line in lines
    ]
    return _table(section, headers, cells, [line.title for line in lines])


def _rest(section: str, lines: list[LeaderboardLine]) -> Table:
    """The unrated and the resolved: why each has no strength, and its matches."""
    headers = ["hypothesis", "standing", "matches"]
    cells = [
        [terminal_safe(line.hypothesis_id), line.strength, f"{line.matches} ({line.decided})"]
        for line in lines
    ]
    return _table(section, headers, cells, [line.title for line in lines])


def _table(title: str, headers: list[str], cells: list[list[str]], titles: list[str]) -> Table:
    """One line a hypothesis: the numbers and the picture whole, then as much of the title as
    the terminal has room for (none on a terminal too narrow for a useful part of it)."""
    table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
    for header in headers:
        table.add_column(header, no_wrap=True)
    # The numbers, the gap before the title, and a gap's room after it (the table's edges).
    room = min(TITLE_CHARS, console.width - columns_width(headers, cells) - 2 * COLUMN_GAP)
    if room >= TITLE_MIN:
        table.add_column("title", no_wrap=True)
    for row, full_title in zip(cells, titles, strict=True):
        shown = [shorten_title(terminal_safe(full_title), room)] if room >= TITLE_MIN else []
        table.add_row(*(Text(cell) for cell in row + shown))
    return table


def _pictures(bars: list[StrengthBar]) -> dict[str, str]:
    """Each bar drawn on its group's axis, by hypothesis id."""
    if not bars:
        return {}
    lo, hi = axis_span(bars)
    return {bar.hypothesis_id: interval_picture(bar, lo, hi) for bar in bars}


def interval_picture(bar: StrengthBar, lo: float, hi: float, width: int = PICTURE_WIDTH) -> str:
    """One line of ``width`` characters spanning [lo, hi]: the interval, the strength on it,
    and 0 where nothing else is drawn."""

    def cell(value: float) -> int:
        return min(width - 1, max(0, round((value - lo) / (hi - lo) * (width - 1))))

    cells = [EMPTY] * width
    cells[cell(0.0)] = AVERAGE
    if bar.low is not None and bar.high is not None:
        for index in range(cell(bar.low), cell(bar.high) + 1):
            cells[index] = INTERVAL
    cells[cell(bar.strength)] = STRENGTH
    return "".join(cells)
