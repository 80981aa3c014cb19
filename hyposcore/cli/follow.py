"""Following evaluations to their end: progress bars that never wait in silence.

``follow`` stops early, and says why, when no live worker consumes the queues the evaluations
need (workers beat into the ledger every few seconds, see workers.heartbeats); on its
timeout it says that it timed out and where each evaluation stands.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass
from typing import Literal

from rich.markup import escape
from rich.progress import (
    BarColumn,
    Progress,
    ProgressColumn,
    TaskID,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
)

from common.text import counted
from hyposcore.cli.common import console
from storage.db import Database
from storage.errors import NotFoundError
from storage.models import TERMINAL_STATES, Evaluation
from storage.queries import delivery
from storage.queries import evaluations as ledger
from storage.queries.workers import consumed_queues
from workers.celery_app import DEBATES_QUEUE, SCORING_QUEUE

# An evaluation is debated on one queue and scored on another; both need a consumer.
NEEDED_QUEUES = (DEBATES_QUEUE, SCORING_QUEUE)
# Under the 15 s promised: a worker that is starting beats well within this.
NO_WORKER_SECONDS = 12.0
POLL_SECONDS = 0.5
# Up to this many evaluations get a bar each; more share one bar (see Board).
FEW = 8
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

# Counted in this order: what has ended, then what is under way, then what waits.
COUNT_ORDER = (
    *("succeeded", "failed", "cancelled"),
    *("paused", "batched", "debated", "running"),
    "queued",
)

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
    """Show progress (see Board) until all evaluations end, the timeout passes, or no worker
    has consumed the needed queues for ``no_worker_seconds``; then say which happened."""
    started = time.monotonic()
    deadline = started + timeout
    served_at = started
    missing: tuple[str, ...] = ()
    ending: Ending = "finished"
    with Progress(*_columns(), console=console) as progress:
        board = Board(progress, evaluation_ids)
        while True:
            rows = _load(database, evaluation_ids)
            board.show(rows)
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


class Board:
    """The bars on screen: one per evaluation when they are few; when they are many, one bar
    for them all, its states counted, and a bar for each of a few evaluations in progress.

    A bar per evaluation for a thousand evaluations is taller than any terminal: Rich then
    crops the live display, and the bars of most evaluations are never seen.
    """

    def __init__(self, progress: Progress, evaluation_ids: list[int]) -> None:
        self.progress = progress
        self.many = len(evaluation_ids) > FEW
        self.bars: dict[int, TaskID] = {}
        if self.many:
            self.overall = progress.add_task(
                f"{len(evaluation_ids)} evaluations", total=len(evaluation_ids), detail="queued"
            )
        else:
            for eid in evaluation_ids:
                self.bars[eid] = progress.add_task(f"evaluation {eid}", total=1.0, detail="queued")

    def show(self, rows: list[Evaluation]) -> None:
        described = {row.id: describe_progress(row) for row in rows}
        if self.many:
            self.progress.update(
                self.overall,
                completed=sum(fraction for fraction, _ in described.values()),
                detail=count_states(rows),
            )
            self._follow_in_progress(rows)
        for eid, bar in self.bars.items():
            fraction, detail = described[eid]
            self.progress.update(bar, completed=fraction, detail=detail)

    def _follow_in_progress(self, rows: list[Evaluation]) -> None:
        """Keep a bar for up to ``FEW`` evaluations in progress; drop those that settled."""
        in_progress = [row.id for row in rows if row.state not in SETTLED | {"queued"}]
        for eid in [eid for eid in self.bars if eid not in in_progress]:
            self.progress.remove_task(self.bars.pop(eid))
        for eid in in_progress:
            if len(self.bars) >= FEW:
                break
            if eid not in self.bars:
                self.bars[eid] = self.progress.add_task(f"  evaluation {eid}", total=1.0, detail="")


def count_states(rows: list[Evaluation]) -> str:
    """How many evaluations are in each state, such as "12 succeeded · 4 running · 58 queued":
    what has ended, then what is under way, then what waits."""
    counts = Counter(row.state for row in rows)
    return " · ".join(
        f"[{STATE_STYLE[state]}]{counts[state]} {state}[/]"
        for state in COUNT_ORDER
        if counts[state]
    )


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
    if len(unfinished) > FEW:
        console.print(
            f"{len(unfinished)} evaluations have not ended: {count_states(unfinished)}. List them "
            "with: hyposcore status --state STATE; see one with: hyposcore status ID",
            highlight=False,
        )
        return
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
        if delivery.delivery_of(row.config or {}) == delivery.BATCH_DELIVERY:
            # Only beat's provider-batch pass moves it on; `status ID` says when that last ran.
            return 0.0, "queued · for beat's next provider batch"
        return 0.0, "queued" + (f" · up to {bound} rounds" if bound else "")
    round_ = int(progress.get("round", 0))
    turns = int(progress.get("turns_done", 0))
    phase = progress.get("phase", row.state)
    debated = debated_text(row)
    if row.state == "paused":
        return 0.0, f"paused · spend limit · {debated} kept"
    if row.state == "batched":
        return 0.0, f"in a provider batch · round {round_}, {counted(turns, 'turn')} kept"
    if row.state == "debated":
        return 0.95, f"debated · waiting for scoring · {debated}"
    if phase == "scoring":
        return 0.95, f"scoring · {debated} debated"
    of = f" of at most {bound}" if bound else ""
    fraction = min(0.9, 0.9 * round_ / bound) if bound else 0.0
    return fraction, f"{phase} · round {round_}{of} · {counted(turns, 'turn')}"


def debated_text(row: Evaluation) -> str:
    """What an evaluation has debated so far, from its progress: "4 rounds, 6 turns"."""
    progress = row.progress or {}
    rounds, turns = int(progress.get("round", 0)), int(progress.get("turns_done", 0))
    return f"{counted(rounds, 'round')}, {counted(turns, 'turn')}"


def after_state(row: Evaluation) -> str:
    """A live evaluation's progress without the state it starts with, for a line or a column
    that shows the state already: "up to 8 rounds", not "queued · up to 8 rounds". An ended
    one has none."""
    if row.state in TERMINAL:
        return ""
    detail = describe_progress(row)[1]
    return detail.removeprefix(f"{row.state} · ").removeprefix(row.state)


def styled_state(state: str) -> str:
    """``state`` in its colour, as Rich markup."""
    return f"[{STATE_STYLE.get(state, 'white')}]{state}[/]"


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
        found = ledger.get_evaluations(session, evaluation_ids=evaluation_ids)
    missing = [eid for eid in evaluation_ids if eid not in found]
    if missing:
        raise NotFoundError(f"evaluation {missing[0]} does not exist")
    return [found[eid] for eid in evaluation_ids]
