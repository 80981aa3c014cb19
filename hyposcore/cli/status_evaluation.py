"""``hyposcore status ID``: one evaluation in detail: its state and timing, where it was
delivered, what it was billed, each turn, its scores or blind forecast, and its error."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from rich.markup import escape
from rich.table import Table

from api.evaluation_schemas import debated_model, grading_note
from api.ratings import exchange_rating
from common.numbers import usd
from common.settings import get_settings
from common.text import batch_wait
from debates.consistency import flag_reasons
from debates.panel import described_panel
from hyposcore.cli.common import console
from hyposcore.cli.follow import after_state, round_bound, styled_state
from scoring.exchange import no_trade_reason
from scoring.legends import coverage_note, resolution_note
from storage.db import Database
from storage.models import DebateTurn, Evaluation, ScoreSnapshot, utcnow
from storage.queries import delivery
from storage.queries import evaluations as ledger
from storage.queries.calibration import grades_personas
from storage.queries.knowledge import get_hypothesis
from storage.queries.provider_batches import BatchOfEvaluation, latest_batch_of
from storage.queries.snapshots import snapshot_of_evaluation
from storage.queries.spending import BilledUsage, billed_usage
from storage.queries.turns import list_turns
from storage.queries.workers import PROVIDER_BATCH_TASK, last_pass
from wiki.badges import score_band


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
    detail = after_state(row)
    console.print(f"[bold]evaluation {row.id}[/] of {escape(row.hypothesis_id)}", highlight=False)
    facts = {
        "state": styled_state(row.state) + (f" · {detail}" if detail else ""),
        "backend": escape(_backend_text(row)),
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


def _backend_text(row: Evaluation) -> str:
    backend, model = str((row.config or {}).get("backend", "?")), debated_model(row)
    return f"{backend} ({model})" if model else backend


def _as_of_text(row: Any) -> str:
    """When the debate was set, and whether its blind forecast still grades the personas."""
    if row.as_of is None:
        return "now"
    if grades_personas(row) and row.reads_only_request:
        return f"{row.as_of.isoformat()} (blind forecast)"
    return f"{row.as_of.isoformat()} (blind forecast: {grading_note(row)})"


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
