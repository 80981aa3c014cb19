"""``hyposcore debate``: run one debate in this process and show it, nothing written.

No broker and no ledger writes: the case, the personas' believabilities and the hypothesis's
market are read from the database, the debate runs here, and the transcript, scores, decisions,
quality and the score the workers would record (composite, its interval, and the exchange
rating the debate's trades would move the market to) are printed. All text that came from the
data or a model is printed as plain ``rich.text.Text``, never parsed as markup.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import typer
from rich import box
from rich.table import Table
from rich.text import Text

from common.settings import Settings, get_settings
from common.text import terminal_safe
from debates.asof import debate_inputs
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
    open_database,
    policy_checked,
)
from hyposcore.cli.options import AsOf, Backend, MaxRounds, Panel, panel_keys
from scoring.blend import BlendError
from scoring.dimensions import Dimension
from scoring.legends import COMPOSITE, EXCHANGE_RATING, INTERVAL, coverage_note, resolution_note
from scoring.lmsr import MarketState
from scoring.weights import Weights
from storage.queries.calibration import persona_believability
from storage.queries.exchange import get_market, market_has_traded
from storage.queries.knowledge import get_hypothesis
from workers.cases import load_case
from workers.scoring_phase import ScorePlan, outcome_views, plan_score


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
    min_rounds: int | None = typer.Option(None, "--min-rounds", help="At least N rounds (2-8)."),
    model: str | None = typer.Option(
        None, "--model", help="Model name for LLM backends.", callback=policy_checked
    ),
    as_of: AsOf = None,
    as_json: bool = typer.Option(False, "--json", help="Print the outcome as JSON."),
) -> None:
    """Run one debate in-process and print its transcript, scores, decisions, quality and the
    score it would record: the exchange rating it would trade to, then the composite with its
    interval. Nothing is written.

    {legends}
    """
    settings = get_settings()
    rounds_max = max_rounds if max_rounds is not None else settings.max_rounds
    config = validate_config(
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
    if as_of is not None and as_of.date() > datetime.now(UTC).date():
        raise typer.BadParameter(f"{as_of.date()} is in the future", param_hint="--as-of")
    case, believability, market, resolution = _stored_inputs(
        settings, hypothesis_id=hypothesis_id, as_of=as_of.date() if as_of else None
    )
    try:
        agent = registry.create_from_settings(config.backend, model=config.model)
        outcome = run_debate(case, config=config, backend=agent)
    except ValueError as exc:
        err_console.print(Text.assemble(("error: ", "bold red"), terminal_safe(str(exc))))
        raise typer.Exit(2) from None
    except BackendError as exc:
        err_console.print(Text.assemble(("backend error: ", "bold red"), terminal_safe(str(exc))))
        raise typer.Exit(1) from None
    score = would_score(outcome, believability, market.state, settings)
    if as_json:
        document = {**outcome_json(case, outcome), "score": score_json(score, market)}
        document["as_of"] = as_of.date().isoformat() if as_of else None
        document["resolution_note"] = resolution
        typer.echo(json.dumps(document, indent=2, sort_keys=True))
        return
    if as_of is not None:
        console.print(
            Text(f"as of {as_of.date()}: only evidence published before it", style="bold")
        )
    show_outcome(case, outcome)
    show_score(score, market, resolution=resolution)


@dataclass(frozen=True)
class StartingMarket:
    """The market a debate trades, and whether it has a price yet: a live market has none until
    a debate trades it (the worker's snapshot then shows the composite, labelled), while a blind
    forecast's fresh market reports its opening 0.50 when its debate does not trade."""

    state: MarketState
    priced: bool


def _stored_inputs(
    settings: Settings, *, hypothesis_id: str, as_of: date | None
) -> tuple[Case, dict[str, float], StartingMarket, str | None]:
    """The case, the personas' believabilities and the market a debate starts from, and what
    its rating would be to a resolved hypothesis (``scoring.legends.resolution_note``).

    An as-of debate is a blind forecast, as an as-of evaluation makes it (workers.evaluation):
    only evidence published before the date, every persona at believability 1.0, a fresh market.
    """
    database = open_database(settings)
    try:
        with database.sessions() as session:
            case = load_case(session, hypothesis_id=hypothesis_id)
            believability = persona_believability(session)
            stored = get_market(session, hypothesis_id=hypothesis_id)
            traded = market_has_traded(session, hypothesis_id=hypothesis_id)
            hypothesis = get_hypothesis(session, hypothesis_id=hypothesis_id)
            resolution = resolution_note(
                hypothesis.status, hypothesis.resolved_on, as_of or datetime.now(UTC).date()
            )
    finally:
        database.dispose()
    case, believability = debate_inputs(case, believability, as_of)
    if as_of is not None or stored is None:  # a blind forecast trades a fresh market of its own
        fresh = MarketState(settings.market_liquidity)
        return case, believability, StartingMarket(fresh, priced=as_of is not None), resolution
    market = MarketState(stored.liquidity, stored.q_yes, stored.q_no)
    return case, believability, StartingMarket(market, priced=traded), resolution


debate.__doc__ = (debate.__doc__ or "").format(
    legends="\n\n    ".join(f"{line}." for line in (EXCHANGE_RATING, COMPOSITE, INTERVAL))
)


def would_score(
    outcome: DebateOutcome,
    believability: dict[str, float],
    market: MarketState,
    settings: Settings,
) -> ScorePlan | None:
    """What the scoring phase would record for this debate; None when nothing can be blended."""
    try:
        return plan_score(
            outcome_views(outcome),
            believability,
            Weights.default(),
            level=settings.interval_level,
            market=market,
            quality=outcome.quality,
        )
    except BlendError:
        return None


def shown_rating(plan: ScorePlan, market: StartingMarket) -> tuple[float, str]:
    """The exchange rating the worker's snapshot would show, by the badges' rule: the price the
    debate trades to, else the market's own, else (no price yet) the composite, labelled."""
    if plan.trades:
        return plan.trades[-1].price_after, "exchange rating"
    if market.priced:
        return market.state.price, "exchange rating"
    return plan.blend.composite, "composite score, no market price yet"


def score_json(plan: ScorePlan | None, market: StartingMarket) -> dict[str, Any] | None:
    if plan is None:
        return None
    result = plan.blend
    rating, label = shown_rating(plan, market)
    return {
        "exchange_rating_before": market.state.price,
        "exchange_rating": rating,
        "exchange_rating_label": label,
        "traded": bool(plan.trades),
        "no_trade_reason": plan.no_trade,
        "composite": result.composite,
        "composite_low": result.composite_low,
        "composite_high": result.composite_high,
        "level": result.level,
        "dimensions": {d.value: e.as_dict() for d, e in result.dimensions.items()},
        "missing": [d.value for d in result.missing],
        "coverage": result.coverage,
        "config_hash": result.config_hash,
        "legends": {
            "exchange_rating": EXCHANGE_RATING,
            "composite": COMPOSITE,
            "interval": INTERVAL,
        },
    }


def show_score(plan: ScorePlan | None, market: StartingMarket, *, resolution: str | None) -> None:
    console.rule("Score")
    if resolution is not None:  # it changes what the rating is read as, so it comes first
        console.print(Text(f"{resolution}.", style="bold"))
    if plan is None:
        console.print(Text("no score: no dimension was scored with a positive weight"))
        return
    result = plan.blend
    rating, _ = shown_rating(plan, market)
    if plan.trades:  # from the opening 0.50 of a market no debate has traded yet
        move = f"{market.state.price:.2f} → {rating:.2f}"
    elif market.priced:
        move = f"{rating:.2f} (no trade: {plan.no_trade})"
    else:
        move = f"{rating:.2f} (the composite, no market price yet; no trade: {plan.no_trade})"
    console.print(Text(f"exchange rating {move}", style="bold"))
    console.print(
        Text(
            f"composite {result.composite:.2f} "
            f"({result.level:.0%} interval {result.composite_low:.2f}–{result.composite_high:.2f})"
        )
    )
    note = coverage_note(scored=[d.value for d in result.dimensions], coverage=result.coverage)
    if note is not None:
        console.print(Text(f"Composite {note}."))
    for legend in (EXCHANGE_RATING, COMPOSITE, INTERVAL):
        console.print(Text(f"{legend}.", style="dim"))


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
