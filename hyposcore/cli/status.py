"""``hyposcore status``: the evaluations, one evaluation in detail, and the running workers."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from api.ratings import exchange_rating
from common.as_of_rule import AS_OF_RULE_VERSION
from common.numbers import usd
from common.settings import get_settings
from common.text import ago, batch_wait, counted, pass_states, terminal_safe
from debates.consistency import flag_reasons
from debates.panel import described_panel
from hyposcore.cli.common import (
    COLUMN_GAP,
    columns_width,
    compact_table,
    console,
    friendly_errors,
    open_database,
)
from hyposcore.cli.follow import (
    STATE_STYLE,
    TERMINAL,
    debated_text,
    describe_progress,
    round_bound,
)
from scoring.exchange import no_trade_reason
from scoring.legends import coverage_note, resolution_note
from storage.db import Database
from storage.models import DebateTurn, Evaluation, EvaluationState, ScoreSnapshot, utcnow
from storage.queries import delivery
from storage.queries import evaluations as ledger
from storage.queries.knowledge import get_hypothesis
from storage.queries.provider_batches import BatchOfEvaluation, latest_batch_of
from storage.queries.snapshots import snapshot_of_evaluation
from storage.queries.spending import BilledUsage, billed_usage, hypothesis_spend_by_day
from storage.queries.turns import list_turns
from storage.queries.workers import PROVIDER_BATCH_TASK, last_pass, list_passes, list_workers
from wiki.badges import score_band

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
        table.add_row(number, escape(hypothesis), _styled_state(state), text, attempts, updated)
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
    return _after_state(row) if row.state not in TERMINAL else debated_text(row)


def _after_state(row: Evaluation) -> str:
    """A live evaluation's progress without the state it starts with, for a line or a column
    that shows the state already: "up to 8 rounds", not "queued · up to 8 rounds". An ended
    one has none."""
    if row.state in TERMINAL:
        return ""
    detail = describe_progress(row)[1]
    return detail.removeprefix(f"{row.state} · ").removeprefix(row.state)


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


def show_evaluation(database: Database, evaluation_id: int) -> None:
    """One evaluation: its state and timing, each turn's scores, its snapshot, its error."""
    with database.sessions() as session:
        row = ledger.get_evaluation(session, evaluation_id=evaluation_id)
        turns = list_turns(session, evaluation_id=evaluation_id)
        snapshot = snapshot_of_evaluation(session, evaluation_id=evaluation_id)
        billed = billed_usage(session, evaluation_id=evaluation_id)
        batch = latest_batch_of(session, evaluation_id=evaluation_id)
        # Read only where the delivery line can show it: before a batch has taken a turn.
        last_batch_pass = last_pass(session, task=PROVIDER_BATCH_TASK) if batch is None else None
        hypothesis = get_hypothesis(session, hypothesis_id=row.hypothesis_id)
        outcome = (
            resolution_note(hypothesis.status, hypothesis.resolved_on, snapshot.created_at.date())
            if snapshot is not None
            else None
        )
    detail = _after_state(row)
    console.print(f"[bold]evaluation {row.id}[/] of {escape(row.hypothesis_id)}", highlight=False)
    facts = {
        "state": _styled_state(row.state) + (f" · {detail}" if detail else ""),
        "backend": escape(str((row.config or {}).get("backend", "?"))),
        "panel": escape(described_panel(row.config or {}, row.decisions or [])),
        "rounds": _rounds_text(row, turns_rounds=[t.round for t in turns]),
        "attempts": f"{row.attempts} of at most {row.max_attempts}",
        "queued": _when(row.created_at),
        "started": _when(row.started_at),
        "finished": _when(row.finished_at),
        "as of": _as_of_text(row),
        "debate quality": f"{row.quality:.2f}" if row.quality is not None else "-",
        "billed": _billed_text(billed),
        "delivery": _delivery_text(row, batch, last_batch_pass),
    }
    flags = flag_reasons(row.decisions or [])
    notes = _notes(row, snapshot, outcome) + [
        ("flagged", f"[red]{escape(reason)}[/]") for reason in flags.values()
    ]
    for name, value in [*facts.items(), *notes]:
        console.print(f"  {name:>14}: {value}", highlight=False)
    if turns:
        _print_turns(turns, flagged=set(flags))


def _notes(
    row: Evaluation, snapshot: ScoreSnapshot | None, outcome: str | None
) -> list[tuple[str, str]]:
    """The lines an evaluation shows only when they apply, as (name, Rich markup)."""
    notes: list[tuple[str, str]] = []
    if row.error:
        notes.append(("error", f"[red]{escape(row.error)}[/]"))
    if row.paused_reason:
        notes.append(("paused", f"[yellow]{escape(row.paused_reason)}[/]"))
    no_trade = no_trade_reason(row.quality)
    if no_trade is not None:
        notes.append(("no trade", no_trade))
    if row.forecast:
        notes.append(("forecast", _forecast_text(row.forecast)))
    if outcome is not None:  # it changes what the scores below are, so it comes first
        notes.append(("resolved", f"{escape(outcome)}."))
    if snapshot is not None:
        notes.append(("scores", _scores_text(snapshot)))
        partial = coverage_note(scored=snapshot.dimensions or {}, coverage=snapshot.coverage)
        if partial is not None:
            notes.append(("composite", partial))
    return notes


def _print_turns(turns: list[DebateTurn], *, flagged: set[tuple[int, str]]) -> None:
    table = Table(title="turns")
    for column in ("round", "persona", "verdict", "confidence", "probability", "latency"):
        table.add_column(column, justify="right" if column != "persona" else "left")
    for turn in turns:
        mark = " [red](flagged)[/]" if (turn.round, turn.persona) in flagged else ""
        table.add_row(
            str(turn.round),
            escape(turn.persona) + mark,
            escape(turn.verdict),
            f"{turn.confidence:.2f}",
            f"{turn.probability:.2f}",
            f"{turn.latency_ms:.0f} ms",
        )
    console.print(table)


def _rounds_text(row: Evaluation, *, turns_rounds: list[int]) -> str:
    bound = round_bound(row)
    done = max(turns_rounds, default=0)
    return f"{done} debated" + (f" of at most {bound}" if bound else "")


def _styled_state(state: str) -> str:
    return f"[{STATE_STYLE.get(state, 'white')}]{state}[/]"


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S") if moment else "-"


def _scores_text(snapshot: ScoreSnapshot) -> str:
    """The headline first, by the rule and bands of the badges and pages, then the composite."""
    rating = exchange_rating(snapshot)
    stands_in = "" if snapshot.market_price is not None else "; the composite, no market price yet"
    price = (
        f", market price {snapshot.market_price:.2f}" if snapshot.market_price is not None else ""
    )
    return (
        f"exchange rating {rating.score:.2f} ({score_band(rating.score).name}{stands_in}), "
        f"composite {snapshot.composite:.2f} (80% interval {snapshot.composite_low:.2f}–"
        f"{snapshot.composite_high:.2f}){price}; snapshot v{snapshot.version}"
    )


def _forecast_text(forecast: dict[str, Any]) -> str:
    """A blind forecast's numbers: it is not in the score history, so it is shown here."""
    return (
        f"exchange rating {forecast['exchange_rating']:.2f} on a fresh market, composite "
        f"{forecast['composite']:.2f} ({forecast['level']:.0%} interval "
        f"{forecast['composite_low']:.2f}–{forecast['composite_high']:.2f}); as of "
        f"{forecast['as_of']}"
    )


def _delivery_text(
    row: Evaluation, batch: BatchOfEvaluation | None, last_batch_pass: datetime | None
) -> str:
    """Live, or through provider batches: the latest batch that held one of its turns, or,
    before the first, what it waits for (only beat's pass sends batches)."""
    if delivery.delivery_of(row.config or {}) != delivery.BATCH_DELIVERY:
        return "live"
    if batch is None:
        poll = get_settings().provider_batch_poll_seconds
        wait = batch_wait(last_batch_pass, now=utcnow(), poll_seconds=poll)
        return escape(f"provider batches · no turn sent yet; {wait}")
    sent = batch.provider_batch_id or "not sent yet"
    said = f", provider says {batch.status}" if batch.status else ""
    return escape(
        f"provider batches · round {batch.round}, {batch.persona} in {batch.backend} batch "
        f"{sent} ({batch.state}{said}; this turn {batch.item_state}"
        + (f": {batch.error}" if batch.error else "")
        + f"), sent {_when(batch.created_at)}"
    )


def _as_of_text(row: Any) -> str:
    """When the debate was set, and whether its blind forecast still grades the personas."""
    if row.as_of is None:
        return "now"
    if row.as_of_rule_version == AS_OF_RULE_VERSION:
        return f"{row.as_of.isoformat()} (blind forecast)"
    return (
        f"{row.as_of.isoformat()} (blind forecast under an older, looser as-of rule: "
        "it no longer grades the personas)"
    )


def _billed_text(billed: BilledUsage) -> str:
    """Tokens and cost the provider billed, naming the part that stored no turn."""
    text = (
        f"{billed.prompt_tokens} prompt + {billed.completion_tokens} completion tokens, "
        f"{usd(billed.cost_usd)}"
    )
    if billed.cached_read_tokens or billed.cache_write_tokens:
        text += (
            f"; prompt cache: {billed.cached_read_tokens} read, {billed.cache_write_tokens} written"
        )
    if billed.unanswered_calls:
        text += (
            f" (of which {billed.unanswered_calls} call(s) that stored no turn: "
            f"{usd(billed.unanswered_cost_usd)})"
        )
    return text
