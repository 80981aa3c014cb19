"""``hyposcore debate``: run one debate in this process and show it, nothing written.

No broker and no ledger writes: the case, the personas' believabilities and the hypothesis's
market are read from the database, the debate runs here, and the transcript, scores, decisions,
quality and the score the workers would record (``hyposcore.cli.debate_score``: the exchange
rating the worker's snapshot would show, the composite and its interval) are printed. All text
that came from the data or a model is printed as plain ``rich.text.Text``, never parsed as
markup.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import typer
from rich import box
from rich.table import Table
from rich.text import Text

from common.settings import Settings, get_settings
from common.text import terminal_safe
from debates.backends import registry
from debates.backends.base import BackendError
from debates.case import Case
from debates.config import validate_config
from debates.consistency import flag_reasons
from debates.personas import get_persona
from debates.quality import debate_quality
from debates.runner import run_debate
from debates.transcript import latest_by_persona
from debates.types import DebateConfig, DebateOutcome, TurnRecord
from hyposcore.cli.common import (
    console,
    err_console,
    friendly_errors,
    policy_checked,
)
from hyposcore.cli.debate_score import (
    score_json,
    show_score,
    stored_inputs,
    would_score,
    would_track_records,
)
from hyposcore.cli.options import AsOf, Backend, MaxRounds, MinRounds, Model, Panel, panel_keys
from scoring.dimensions import Dimension
from scoring.legends import COMPOSITE, EXCHANGE_RATING, INTERVAL


@friendly_errors
def debate(
    hypothesis_id: str = typer.Argument(
        ...,
        help="The hypothesis to debate, e.g. h-51e7234f.",
        metavar="HYPOTHESIS_ID",
        callback=policy_checked,
    ),
    backend: Backend = None,
    panel: Panel = None,
    max_rounds: MaxRounds = None,
    min_rounds: MinRounds = None,
    model: Model = None,
    as_of: AsOf = None,
    as_json: bool = typer.Option(False, "--json", help="Print the outcome as JSON."),
) -> None:
    """Run one debate in-process and print its transcript, scores, decisions, quality and the
    score it would record: the exchange rating it would trade to, then the composite with its
    interval, and for a forecast (an open hypothesis, or --as-of before its resolution) what
    numbers in their bands have meant in the newest blind backtest. Nothing is written.

    {legends}
    """
    settings = get_settings()
    config = _config(
        settings,
        backend=backend,
        panel=panel,
        min_rounds=min_rounds,
        max_rounds=max_rounds,
        model=model,
    )
    if as_of is not None and as_of.date() > datetime.now(UTC).date():
        raise typer.BadParameter(f"{as_of.date()} is in the future", param_hint="--as-of")
    inputs = stored_inputs(
        settings, hypothesis_id=hypothesis_id, as_of=as_of.date() if as_of else None
    )
    outcome = _run(inputs.case, config)
    score = would_score(outcome, inputs.believability, inputs.market.state, settings)
    records = would_track_records(score, inputs)
    if as_json:
        document = {
            **outcome_json(inputs.case, outcome),
            "score": score_json(score, inputs.market, records),
            "as_of": as_of.date().isoformat() if as_of else None,
            "resolution_note": inputs.resolution,
        }
        typer.echo(json.dumps(document, indent=2, sort_keys=True))
        return
    if as_of is not None:
        console.print(
            Text(
                f"as of {as_of.date()}: only evidence published before it and the facts dated "
                "by then (drug statuses and brain reach, replications, gene-disease links)",
                style="bold",
            )
        )
    show_outcome(inputs.case, outcome)
    show_score(score, inputs.market, resolution=inputs.resolution, records=records)


def _config(
    settings: Settings,
    *,
    backend: str | None,
    panel: str | None,
    min_rounds: int | None,
    max_rounds: int | None,
    model: str | None,
) -> DebateConfig:
    rounds_max = max_rounds if max_rounds is not None else settings.max_rounds
    return validate_config(
        DebateConfig(
            backend=backend or settings.backend,
            panel=panel_keys(panel),
            # A lower --max-rounds pulls the configured minimum down with it; only an explicit
            # --min-rounds above it is an error.
            min_rounds=min_rounds
            if min_rounds is not None
            else min(settings.min_rounds, rounds_max),
            max_rounds=rounds_max,
            model=model,
        )
    )


def _run(case: Case, config: DebateConfig) -> DebateOutcome:
    """The debate, or exit 2 on a case or configuration it refuses and 1 on a backend error."""
    try:
        agent = registry.create_from_settings(config.backend, model=config.model)
        return run_debate(case, config=config, backend=agent)
    except ValueError as exc:
        err_console.print(Text.assemble(("error: ", "bold red"), terminal_safe(str(exc))))
        raise typer.Exit(2) from None
    except BackendError as exc:
        err_console.print(Text.assemble(("backend error: ", "bold red"), terminal_safe(str(exc))))
        raise typer.Exit(1) from None


debate.__doc__ = (debate.__doc__ or "").format(
    legends="\n\n    ".join(f"{line}." for line in (EXCHANGE_RATING, COMPOSITE, INTERVAL))
)


def outcome_json(case: Case, outcome: DebateOutcome) -> dict[str, Any]:
    report = debate_quality(outcome.turns, case)
    flags = flag_reasons(outcome.decisions)
    return {
        "hypothesis_id": case.hypothesis_id,
        "panel": list(outcome.panel),
        "rounds": outcome.rounds,
        "quality": outcome.quality,
        "quality_components": {
            "density": report.density,
            "supported": report.supported,
            "engagement": report.engagement,
            "specificity": report.specificity,
        },
        "turns": [_turn_json(turn, flags) for turn in outcome.turns],
        "decisions": [
            {"round": d.round, "action": d.action, "reason": d.reason, "detail": d.detail}
            for d in outcome.decisions
        ],
    }


def _turn_json(turn: TurnRecord, flags: Mapping[tuple[int, str], str]) -> dict[str, Any]:
    return {
        "round": turn.round,
        "persona": turn.persona,
        **turn.output.model_dump(mode="json"),
        "unsupported_citations": list(turn.unsupported_citations),
        "backend": turn.backend,
        "model": turn.model,
        "prompt_tokens": turn.usage.prompt_tokens,
        "completion_tokens": turn.usage.completion_tokens,
        "cost_usd": turn.usage.cost_usd,
        # Why the turn is left out of the composite and the market, or None when it counts.
        "flagged": flags.get((turn.round, turn.persona)),
    }


def show_outcome(case: Case, outcome: DebateOutcome) -> None:
    console.print(
        Text.assemble(("Debate on ", "bold"), (terminal_safe(case.hypothesis_id), "bold cyan"))
    )
    console.print(Text(terminal_safe(case.title), style="italic"))
    current = 0
    flags = flag_reasons(outcome.decisions)
    for turn in outcome.turns:
        if turn.round != current:
            current = turn.round
            console.rule(f"Round {current}")
        console.print(turn_text(turn, flags.get((turn.round, turn.persona))))
    console.rule("Scores")
    console.print(scores_table(outcome.turns, width=console.width))
    console.rule("Decisions")
    console.print(decisions_table(outcome))
    report = debate_quality(outcome.turns, case)
    console.print(
        Text(
            f"quality {outcome.quality:.3f} (citation density {report.density:.2f}, "
            f"supported claims {report.supported:.2f}, engagement {report.engagement:.2f}, "
            f"specificity {report.specificity:.2f}); {outcome.rounds} rounds",
            style="bold",
        )
    )


def turn_text(turn: TurnRecord, flagged: str | None = None) -> Text:
    output = turn.output
    text = Text()
    text.append(f"{_title(turn.persona)}", style="bold magenta")
    if flagged:
        text.append("  FLAGGED, not counted", style="bold red")
    text.append(
        f"  verdict {output.verdict.value}, probability {output.probability:.2f}, "
        f"confidence {output.confidence:.2f}\n",
        style="dim",
    )
    # Model output and imported text: shown, never interpreted by the terminal (ESC, bidi).
    if flagged:
        text.append(terminal_safe(flagged) + "\n", style="red")
    text.append(terminal_safe(output.argument.strip()) + "\n")
    unsupported = set(turn.unsupported_citations)
    for claim in output.claims:
        text.append("  • ")
        text.append(terminal_safe(claim.text.strip()))
        for citation in claim.citations:
            shown = terminal_safe(citation)
            if citation in unsupported:
                text.append(f" [{shown} unsupported]", style="bold red")
            else:
                text.append(f" [{shown}]", style="green")
        text.append("\n")
    return text


SHORT_TITLES = {
    "theorist": "Theo",
    "skeptic": "Skep",
    "domain_expert": "DomEx",
    "synthesizer": "Synth",
    "epidemiologist": "Epid",
    "computational_biologist": "CompB",
    "clinical_trialist": "ClinT",
    "ethicist": "Ethic",
    "medicinal_chemist": "MedCh",
}
WIDE_CONSOLE = 120


def scores_table(turns: tuple[TurnRecord, ...], *, width: int = WIDE_CONSOLE) -> Table:
    """Each persona's latest scores, dimension by persona, then verdicts and probabilities.

    Below ``WIDE_CONSOLE`` columns the personas get short labels, explained in the caption.
    """
    latest = latest_by_persona(turns)
    short = width < WIDE_CONSOLE
    table = Table(box=box.SIMPLE_HEAD, padding=(0, 1), pad_edge=False, collapse_padding=True)
    table.add_column("dimension", no_wrap=True)
    for persona in latest:
        label = SHORT_TITLES.get(persona, persona[:5]) if short else _title(persona)
        table.add_column(label, justify="right", no_wrap=True)
    if short:
        table.caption = ", ".join(f"{SHORT_TITLES.get(p, p[:5])} = {_title(p)}" for p in latest)
    for dimension in Dimension:
        cells = [latest[p].output.scores.get(dimension) for p in latest]
        table.add_row(dimension.value, *("" if s is None else f"{s:.2f}" for s in cells))
    table.add_section()
    verdicts = [t.output.verdict.value for t in latest.values()]
    table.add_row("verdict", *(v[:3] if short else v for v in verdicts))
    table.add_row("probability", *(f"{t.output.probability:.2f}" for t in latest.values()))
    table.add_row("confidence", *(f"{t.output.confidence:.2f}" for t in latest.values()))
    return table


def decisions_table(outcome: DebateOutcome) -> Table:
    table = Table()
    table.add_column("round", justify="right", overflow="fold")
    table.add_column("action")
    table.add_column("reason")
    for decision in outcome.decisions:
        table.add_row(str(decision.round), decision.action, Text(terminal_safe(decision.reason)))
    return table


def _title(key: str) -> str:
    try:
        return get_persona(key).title
    except ValueError:
        return key
