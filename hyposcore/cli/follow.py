"""Following evaluations to their end: progress bars that never wait in silence.

``follow`` stops early, and says why, when no live worker consumes the queues the evaluations
need (workers beat into the ledger every few seconds, see workers.heartbeats); on its
timeout it says that it timed out and where each evaluation stands.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Literal

from rich.markup import escape
from rich.progress import (
    BarColumn,
    Progress,
    ProgressColumn,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
)

from hyposcore.cli.common import console
from storage.db import Database
from storage.models import TERMINAL_STATES, Evaluation
from storage.queries import evaluations as ledger
from storage.queries.workers import consumed_queues
from workers.celery_app import DEBATES_QUEUE, SCORING_QUEUE

# An evaluation is debated on one queue and scored on another; both need a consumer.
NEEDED_QUEUES = (DEBATES_QUEUE, SCORING_QUEUE)
# Under the 15 s promised: a worker that is starting beats well within this.
NO_WORKER_SECONDS = 12.0
POLL_SECONDS = 0.5
START_WORKER = "hyposcore worker"

TERMINAL = {state.value for state in TERMINAL_STATES}
# Following stops at these too: a paused evaluation waits for a spend limit (maybe a day), a
# batched one for its provider batch (up to 24 hours).
SETTLED = TERMINAL | {"paused", "batched"}
STATE_STYLE = {
    "queued": "yellow",
    "running": "cyan",
    "debated": "blue",
    "paused": "magenta",
    "batched": "blue",
    "succeeded": "green",
    "failed": "red",
    "cancelled": "dim",
}

Ending = Literal["finished", "timed out", "no worker"]


@dataclass(frozen=True)
class Followed:
    """The evaluations as last seen, and why following ended."""

    rows: list[Evaluation]
    ending: Ending
    missing_queues: tuple[str, ...] = ()


def follow(
    database: Database,
    evaluation_ids: list[int],
    *,
    timeout: float,
    no_worker_seconds: float = NO_WORKER_SECONDS,
) -> Followed:
    """Show a progress bar per evaluation until all end, the timeout passes, or no worker
    has consumed the needed queues for ``no_worker_seconds``; then say which happened."""
    started = time.monotonic()
    deadline = started + timeout
    served_at = started
    missing: tuple[str, ...] = ()
    ending: Ending = "finished"
    with Progress(*_columns(), console=console) as progress:
        bars = {
            eid: progress.add_task(f"evaluation {eid}", total=1.0, detail="queued")
            for eid in evaluation_ids
        }
        while True:
            rows = _load(database, evaluation_ids)
            for row in rows:
                fraction, detail = describe_progress(row)
                progress.update(bars[row.id], completed=fraction, detail=detail)
            if all(row.state in SETTLED for row in rows):
                break
            now = time.monotonic()
            missing = _unserved_queues(database)
            if not missing:
                served_at = now
            elif now - served_at > no_worker_seconds:
                ending = "no worker"
                break
            if now > deadline:
                ending = "timed out"
                break
            time.sleep(POLL_SECONDS)
    followed = Followed(rows, ending, missing if ending != "finished" else ())
    report_ending(followed, timeout=timeout)
    return followed


def report_ending(followed: Followed, *, timeout: float) -> None:
    """Failures with their errors; and, when following stopped early, why and what next."""
    for row in followed.rows:
        if row.state == "failed":
            console.print(f"[red]evaluation {row.id} failed:[/] {escape(row.error or '')}")
        elif row.state == "paused":
            console.print(
                f"[magenta]evaluation {row.id} paused:[/] {escape(row.paused_reason or '')}",
                highlight=False,
            )
        elif row.state == "batched":
            console.print(
                f"[blue]evaluation {row.id} is in a provider batch[/]: its answers come within "
                "24 hours, at half the price; `hyposcore queue --now` asks every turn live.",
                highlight=False,
            )
    unfinished = [row for row in followed.rows if row.state not in SETTLED]
    if followed.ending == "no worker":
        queues = ", ".join(followed.missing_queues)
        console.print(
            f"[bold red]no worker is consuming the {queues} queue(s)[/]: none has sent a "
            f"heartbeat for {NO_WORKER_SECONDS:.0f} s. Start one in another terminal with\n"
            f"  [bold]{START_WORKER}[/]\nand the queued evaluations run; nothing is lost.",
            highlight=False,
        )
    elif followed.ending == "timed out":
        console.print(f"[bold red]timed out[/] after {timeout:g} s of waiting.", highlight=False)
        if followed.missing_queues:
            console.print(f"No worker consumes them now; start one with: {START_WORKER}")
    for row in unfinished:
        _, detail = describe_progress(row)
        console.print(
            f"evaluation {row.id} ({escape(row.hypothesis_id)}) is {detail}; "
            f"follow it with: hyposcore status {row.id}",
            highlight=False,
        )


def round_bound(row: Evaluation) -> int | None:
    """The most rounds the evaluation's debate can take, from its progress or configuration."""
    for value in ((row.progress or {}).get("rounds"), (row.config or {}).get("max_rounds")):
        if isinstance(value, int) and value > 0:
            return value
    return None


def describe_progress(row: Evaluation) -> tuple[float, str]:
    """A fraction done and a short text such as "debate · round 2 of at most 4 · 3 turns"."""
    if row.state in TERMINAL:
        return 1.0, f"[{STATE_STYLE[row.state]}]{row.state}[/]"
    progress = row.progress or {}
    bound = round_bound(row)
    if row.state == "queued":
        return 0.0, "queued" + (f" · up to {bound} rounds" if bound else "")
    round_ = int(progress.get("round", 0))
    turns = int(progress.get("turns_done", 0))
    phase = progress.get("phase", row.state)
    if row.state == "paused":
        return 0.0, f"paused by a spend limit · {round_} rounds, {turns} turns kept"
    if row.state == "batched":
        return 0.0, f"in a provider batch · round {round_}, {turns} turns kept"
    if row.state == "debated":
        return 0.95, f"debated · waiting for scoring · {round_} rounds, {turns} turns"
    if phase == "scoring":
        return 0.95, f"scoring · {round_} rounds, {turns} turns debated"
    of = f" of at most {bound}" if bound else ""
    fraction = min(0.9, 0.9 * round_ / bound) if bound else 0.0
    return fraction, f"{phase} · round {round_}{of} · {turns} turns"


def _columns() -> tuple[ProgressColumn, ...]:
    return (
        TextColumn("{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        TextColumn("{task.fields[detail]}"),
        TimeElapsedColumn(),
    )


def _unserved_queues(database: Database) -> tuple[str, ...]:
    with database.sessions() as session:
        served = consumed_queues(session)
    return tuple(q for q in NEEDED_QUEUES if q not in served)


def _load(database: Database, evaluation_ids: list[int]) -> list[Evaluation]:
    with database.sessions() as session:
        return [ledger.get_evaluation(session, evaluation_id=eid) for eid in evaluation_ids]
