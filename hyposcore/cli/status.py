"""``hyposcore status``: the evaluations and the running workers; with an ID, one evaluation in
detail (``hyposcore.cli.status_evaluation``)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from common.numbers import usd
from common.text import ago, counted, pass_states, terminal_safe
from hyposcore.cli.common import (
    COLUMN_GAP,
    columns_width,
    compact_table,
    console,
    friendly_errors,
    open_database,
)
from hyposcore.cli.follow import TERMINAL, after_state, debated_text, styled_state
from hyposcore.cli.status_evaluation import show_evaluation
from storage.db import Database
from storage.models import Evaluation, EvaluationState, utcnow
from storage.queries import evaluations as ledger
from storage.queries.knowledge import get_hypothesis
from storage.queries.spending import hypothesis_spend_by_day
from storage.queries.workers import list_passes, list_workers

STATES = tuple(state.value for state in EvaluationState)


def _known_state(value: str | None) -> str | None:
    if value is not None and value not in STATES:
        raise typer.BadParameter(f"{value!r} is not a state; one of: {', '.join(STATES)}")
    return value


@friendly_errors
def status(
    evaluation_id: Annotated[
        int | None,
        typer.Argument(
            help="One evaluation in detail: rounds, turns, scores, error.", metavar="ID"
        ),
    ] = None,
    hypothesis: Annotated[
        str | None, typer.Option(help="Only this hypothesis.", metavar="HYPOTHESIS_ID")
    ] = None,
    state: Annotated[
        str | None,
        typer.Option(
            help=f"Only this state: {', '.join(STATES)}.", metavar="STATE", callback=_known_state
        ),
    ] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000, metavar="N")] = 20,
) -> None:
    """Show evaluations (their state, progress, attempts and errors) and the running workers;
    with an ID, that evaluation in detail."""
    database = open_database()
    if evaluation_id is not None:
        show_evaluation(database, evaluation_id)
        return
    with database.sessions() as session:
        if hypothesis is not None:
            get_hypothesis(session, hypothesis_id=hypothesis)  # an unknown one is an error
        rows = ledger.list_evaluations(
            session, hypothesis_id=hypothesis, states=[state] if state else None, limit=limit
        )
        counts = ledger.count_by_state(session, hypothesis_id=hypothesis)
    console.print(_evaluations_table(rows, counts, of=hypothesis))
    for row in rows:
        # Below the table, at the terminal's full width: more than a column would hold. The
        # first 120 characters here; `hyposcore status ID` shows all of it.
        if note := row.error or row.paused_reason:
            console.print(Text(f"evaluation {row.id}: {terminal_safe(note[:120])}"))
    if hypothesis is not None:
        show_spend(database, hypothesis)
    show_workers(database)


def _evaluations_table(
    rows: list[Evaluation], counts: dict[str, int], *, of: str | None = None
) -> Table:
    """One line an evaluation, on an 80-column terminal too; errors follow the table."""
    table = compact_table("evaluations", caption=_counts_caption(counts, of=of))
    cells = [
        (
            str(row.id),
            row.hypothesis_id,
            row.state,
            _progress_cell(row),
            f"{row.attempts}/{row.max_attempts}",
            row.updated_at.strftime("%Y-%m-%d %H:%M") if row.updated_at else "-",
        )
        for row in rows
    ]
    headers = ("id", "hypothesis", "state", "progress", "attempts", "updated (UTC)")
    # Only the progress text is cut short on a narrow terminal: a cut id or time is no use.
    # It gets the room the other columns leave, as score_table gives a title its room.
    at = headers.index("progress")
    others = [header for i, header in enumerate(headers) if i != at]
    rest = [[cell for i, cell in enumerate(row) if i != at] for row in cells]
    room = max(console.width - columns_width(others, rest) - COLUMN_GAP, len(headers[at]))
    for column in headers:
        table.add_column(
            column,
            no_wrap=True,
            justify="right" if column == "id" else "left",
            max_width=room if column == "progress" else None,
        )
    for number, hypothesis, state, text, attempts, updated in cells:
        table.add_row(number, escape(hypothesis), styled_state(state), text, attempts, updated)
    return table


def _counts_caption(counts: dict[str, int], *, of: str | None = None) -> str:
    """E.g. "74 evaluations: succeeded 72 · failed 2", or "4 evaluations of h-51e7234f: ..."
    for one hypothesis; states with none are left out."""
    total = sum(counts.values())
    whose = f" of {escape(of)}" if of is not None else ""
    if not total:
        return f"no evaluations{whose} yet"
    states = " · ".join(f"{state} {count}" for state, count in counts.items() if count)
    return f"{counted(total, 'evaluation')}{whose}: {states}"


def _progress_cell(row: Evaluation) -> str:
    """Where a live evaluation stands; for an ended one, what it debated (its state is in the
    column before)."""
    return after_state(row) if row.state not in TERMINAL else debated_text(row)


def show_spend(database: Database, hypothesis_id: str) -> None:
    """What providers billed for a hypothesis's evaluations, day by day (nothing if nothing)."""
    with database.sessions() as session:
        days = hypothesis_spend_by_day(session, hypothesis_id=hypothesis_id)
    if not days:
        return
    table = Table(title=f"billed for {escape(hypothesis_id)}, by day (UTC)")
    for column in ("day", "input tokens", "from cache", "output tokens", "US$"):
        table.add_column(column, justify="left" if column == "day" else "right")
    for day in days:
        table.add_row(
            day.day.isoformat(),
            str(day.prompt_tokens),
            str(day.cached_read_tokens),
            str(day.completion_tokens),
            usd(day.cost_usd, symbol=False),
        )
    console.print(table)


def show_workers(database: Database) -> None:
    """The workers the ledger has heard from: live ones first, then stopped or silent ones."""
    with database.sessions() as session:
        workers = list_workers(session)
        passes = list_passes(session)
    now = utcnow()
    if passes:
        console.print(Text("scheduled passes: " + " · ".join(pass_states(passes, now=now))))
    if not workers:
        console.print("workers: none has ever sent a heartbeat; start one with: hyposcore worker")
        return
    rows = []
    for worker in sorted(workers, key=lambda w: (not w.alive, w.name)):
        if worker.alive:
            doing = ", ".join(f"evaluation {i}" for i in worker.current_evaluations) or "idle"
        else:
            doing = "stopped" if worker.stopped_at else "silent (gone?)"
        rows.append(
            [
                worker.name,
                worker.host,
                str(worker.pid),
                ", ".join(worker.queues),
                worker.backend,
                worker.broker,
                ago((now - worker.last_beat_at).total_seconds()),
                doing,
            ]
        )
    console.print(_workers_table(rows))


def _workers_table(rows: list[list[str]]) -> Table:
    table = compact_table("workers (from their heartbeats in the ledger)")
    headers = ["worker", "host", "pid", "queues", "backend", "broker", "last beat", "doing"]
    if all(row[0].endswith(f"@{row[1]}") for row in rows):
        # Celery names a worker name@host: a host column would say it twice.
        headers.pop(1)
        rows = [[row[0], *row[2:]] for row in rows]
    for index, column in enumerate(headers):
        # Lists and the broker may wrap between words, never inside one; the rest never wraps.
        wraps = column in ("queues", "broker", "doing")
        longest_word = max(len(word) for row in rows for word in [column, *row[index].split()])
        table.add_column(column, no_wrap=not wraps, min_width=longest_word if wraps else None)
    for row in rows:
        style = {"stopped": "dim", "silent (gone?)": "red"}.get(row[-1], "")
        cells = [Text(terminal_safe(cell)) for cell in row[:-1]]
        table.add_row(*cells, Text(row[-1], style=style))
    return table
