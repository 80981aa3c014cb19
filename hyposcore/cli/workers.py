"""``hyposcore worker``, ``beat``, ``queue`` and ``status``: running and watching the pipeline."""

from __future__ import annotations

import time
from typing import Annotated

import typer
from rich.markup import escape
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from common.settings import get_settings
from hyposcore.cli.common import console, friendly_errors, open_database
from storage.db import Database
from storage.models import TERMINAL_STATES, Evaluation
from storage.queries import evaluations as ledger
from storage.queries.knowledge import list_hypotheses
from workers.celery_app import QUEUES, get_app
from workers.dispatch import debate_config, submit_evaluations

_TERMINAL = {state.value for state in TERMINAL_STATES}
_STATE_STYLE = {
    "queued": "yellow",
    "running": "cyan",
    "debated": "blue",
    "succeeded": "green",
    "failed": "red",
    "cancelled": "dim",
}


def worker(
    queues: Annotated[
        str, typer.Option("--queues", "-Q", help="Comma-separated queues.")
    ] = ",".join(QUEUES),
    concurrency: Annotated[int, typer.Option("--concurrency", "-c", min=1)] = 4,
    pool: Annotated[
        str, typer.Option("--pool", "-P", help="threads, prefork or solo.")
    ] = "threads",
    loglevel: Annotated[str, typer.Option("--loglevel", "-l")] = "INFO",
    hostname: Annotated[str | None, typer.Option("--hostname", "-n")] = None,
) -> None:
    """Start a Celery worker (the same as `celery -A workers worker`)."""
    settings = get_settings()
    open_database(settings).dispose()  # the schema must exist before tasks touch it
    argv = ["worker", "-Q", queues, "-c", str(concurrency), "-P", pool, "-l", loglevel, "-E"]
    if hostname:
        argv += ["-n", hostname]
    get_app(settings).worker_main(argv)


def beat(loglevel: Annotated[str, typer.Option("--loglevel", "-l")] = "INFO") -> None:
    """Start the scheduler: reaper, re-evaluation, tournament rounds and rating refits."""
    settings = get_settings()
    settings.ensure_data_dir()
    get_app(settings).Beat(loglevel=loglevel).run()


@friendly_errors
def queue(
    hypothesis_ids: Annotated[
        list[str] | None,
        typer.Argument(help="One or more, e.g. h-51e7234f h-8c41d7a2.", show_default=False),
    ] = None,
    all_hypotheses: Annotated[
        bool, typer.Option("--all", help="Queue every hypothesis in the database.")
    ] = False,
    wait: Annotated[bool, typer.Option("--wait", help="Follow progress until it ends.")] = False,
    force: Annotated[bool, typer.Option(help="Queue even if the same run is live.")] = False,
    backend: Annotated[
        str | None, typer.Option(help="A backend name, e.g. evidence, openai or anthropic.")
    ] = None,
    panel: Annotated[str | None, typer.Option(help="Comma-separated persona keys.")] = None,
    max_rounds: Annotated[int | None, typer.Option(help="At most N rounds (2-8).")] = None,
    timeout: Annotated[float, typer.Option(help="Seconds --wait waits at most.")] = 3600.0,
) -> None:
    """Queue evaluations of HYPOTHESIS_IDS (a live run with the same settings is returned,
    unless --force). Offline evaluations queued together are debated as one batch."""
    if bool(hypothesis_ids) == all_hypotheses:
        raise typer.BadParameter("name one or more hypotheses, or pass --all (not both)")
    settings = get_settings()
    database = open_database(settings)
    config = debate_config(
        settings,
        backend=backend,
        panel=[p.strip() for p in panel.split(",")] if panel else None,
        max_rounds=max_rounds,
    )
    if all_hypotheses:
        with database.sessions() as session:
            hypothesis_ids = [h.id for h in list_hypotheses(session, limit=1_000_000)]
    enqueued = submit_evaluations(
        database, settings, hypothesis_ids=hypothesis_ids or [], config=config, force=force
    )
    for hypothesis_id, entry in zip(hypothesis_ids or [], enqueued, strict=True):
        verb = "queued" if entry.created else "already live as"
        console.print(
            f"{escape(hypothesis_id)}: {verb} evaluation [bold]{entry.evaluation.id}[/]",
            highlight=False,
        )
    if wait:
        final = follow(database, [e.evaluation.id for e in enqueued], timeout=timeout)
        if any(e.state != "succeeded" for e in final):
            raise typer.Exit(1)


def follow(database: Database, evaluation_ids: list[int], *, timeout: float) -> list[Evaluation]:
    """Show a progress bar per evaluation until all end (or ``timeout``); return their rows."""
    deadline = time.monotonic() + timeout
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        TextColumn("{task.fields[detail]}"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console) as progress:
        bars = {
            eid: progress.add_task(f"evaluation {eid}", total=1.0, detail="queued")
            for eid in evaluation_ids
        }
        while True:
            rows = _load(database, evaluation_ids)
            for row in rows:
                fraction, detail = describe_progress(row)
                progress.update(bars[row.id], completed=fraction, detail=detail)
            if all(row.state in _TERMINAL for row in rows) or time.monotonic() > deadline:
                break
            time.sleep(0.5)
    for row in rows:
        if row.state == "failed":
            console.print(f"[red]evaluation {row.id} failed:[/] {escape(row.error or '')}")
    return rows


def describe_progress(row: Evaluation) -> tuple[float, str]:
    """A fraction done and a short text such as "round 2 of 4 · 3 turns"."""
    if row.state == "succeeded":
        return 1.0, "[green]succeeded[/]"
    if row.state in _TERMINAL:
        return 1.0, f"[{_STATE_STYLE[row.state]}]{row.state}[/]"
    progress = row.progress or {}
    round_ = int(progress.get("round", 0))
    rounds = max(int(progress.get("rounds", 0)), 1)
    turns = int(progress.get("turns_done", 0))
    phase = progress.get("phase", row.state)
    if row.state == "debated":
        return 0.95, "debated · waiting for scoring"
    if phase == "scoring":
        return 0.95, "scoring"
    fraction = min(0.9, 0.9 * round_ / rounds) if row.state == "running" else 0.0
    return fraction, f"{phase} · round {round_} (at most {rounds}) · {turns} turns"


def _load(database: Database, evaluation_ids: list[int]) -> list[Evaluation]:
    with database.sessions() as session:
        return [ledger.get_evaluation(session, evaluation_id=eid) for eid in evaluation_ids]


@friendly_errors
def status(
    evaluation_id: Annotated[int | None, typer.Argument(help="One evaluation in detail.")] = None,
    hypothesis: Annotated[str | None, typer.Option(help="Only this hypothesis.")] = None,
    state: Annotated[str | None, typer.Option(help="Only this state.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 20,
) -> None:
    """Show evaluations: their state, progress, attempts and errors."""
    database = open_database()
    with database.sessions() as session:
        if evaluation_id is not None:
            rows = [ledger.get_evaluation(session, evaluation_id=evaluation_id)]
        else:
            rows = ledger.list_evaluations(
                session, hypothesis_id=hypothesis, states=[state] if state else None, limit=limit
            )
        counts = ledger.count_by_state(session)
    table = Table(title="evaluations", caption=" · ".join(f"{k} {v}" for k, v in counts.items()))
    for column in ("id", "hypothesis", "state", "progress", "attempts", "updated", "error"):
        table.add_column(column, overflow="fold")
    for row in rows:
        _, detail = describe_progress(row)
        table.add_row(
            str(row.id),
            escape(row.hypothesis_id),
            f"[{_STATE_STYLE.get(row.state, 'white')}]{row.state}[/]",
            detail,
            f"{row.attempts}/{row.max_attempts}",
            row.updated_at.strftime("%Y-%m-%d %H:%M:%S"),
            escape((row.error or "")[:120]),
        )
    console.print(table)
    if evaluation_id is not None and rows[0].error:
        # One evaluation asked for: its whole error, unfolded, whatever the terminal's width.
        console.print(f"[red]error:[/] {escape(rows[0].error)}", highlight=False, soft_wrap=True)
