"""What one in-process debate would record, and how ``hyposcore debate`` shows it.

The inputs are read from the ledger as an evaluation would read them (the case, the personas'
believabilities, the market it trades); the score is planned by the workers' own
``plan_score``, and the exchange rating shown is the one the worker's snapshot would show.
A forecast (a debate of a hypothesis unresolved at its date) also states what numbers in its
bands have meant in the newest stored blind backtest, as the hypothesis page does.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from rich.text import Text

from api.track_record import TrackRecordOut, latest_blind_grades, records_for
from common.settings import Settings
from debates.asof import debate_inputs
from debates.case import Case
from debates.types import DebateOutcome
from hyposcore.cli.common import console, open_database
from hyposcore.cli.track_record import print_track_records
from scoring.blend import BlendError
from scoring.legends import (
    COMPOSITE,
    EXCHANGE_RATING,
    INTERVAL,
    coverage_note,
    is_forecast_of,
    resolution_note,
)
from scoring.lmsr import MarketState
from scoring.weights import Weights
from storage.queries.backtests import ReportGrades
from storage.queries.calibration import persona_believability
from storage.queries.exchange import get_market, market_has_traded
from storage.queries.knowledge import get_hypothesis
from wiki.publish_rows import ShownNumber, shown_number
from workers.cases import load_case
from workers.scoring_phase import ScorePlan, outcome_views, plan_score


@dataclass(frozen=True)
class StartingMarket:
    """The market a debate trades, and whether it has a price yet: a live market has none until
    a debate trades it (the worker's snapshot then shows the composite, labelled), while a blind
    forecast's fresh market reports its opening 0.50 when its debate does not trade."""

    state: MarketState
    priced: bool


@dataclass(frozen=True)
class DebateInputs:
    case: Case
    believability: dict[str, float]
    market: StartingMarket
    # What its rating would be read as, for a hypothesis resolved by the debate's date.
    resolution: str | None
    # The newest stored blind backtest (api.track_record.latest_blind_grades), for a
    # forecast's track record; None for hindsight.
    backtest: ReportGrades | None


def stored_inputs(settings: Settings, *, hypothesis_id: str, as_of: date | None) -> DebateInputs:
    """The case, the personas' believabilities and the market a debate starts from, what its
    rating would be to a resolved hypothesis (``scoring.legends.resolution_note``), and the
    newest stored blind backtest when it is a forecast.

    An as-of debate is a blind forecast, as an as-of evaluation makes it (workers.evaluation):
    only evidence published before the date and the facts dated by then (drug statuses and brain
    reach, replications, gene-disease links), every persona at believability 1.0, a fresh market.
    """
    database = open_database(settings)
    try:
        with database.sessions() as session:
            case = load_case(session, hypothesis_id=hypothesis_id)
            believability = persona_believability(session)
            stored = get_market(session, hypothesis_id=hypothesis_id)
            traded = market_has_traded(session, hypothesis_id=hypothesis_id)
            hypothesis = get_hypothesis(session, hypothesis_id=hypothesis_id)
            scored_on = as_of or datetime.now(UTC).date()
            resolution = resolution_note(hypothesis.status, hypothesis.resolved_on, scored_on)
            settled = hypothesis.resolved_on
            forecast = settled is None or is_forecast_of(settled, scored_on)
            backtest = latest_blind_grades(session) if forecast else None
    finally:
        database.dispose()
    case, believability = debate_inputs(case, believability, as_of)
    if as_of is not None or stored is None:  # a blind forecast trades a fresh market of its own
        market = StartingMarket(MarketState(settings.market_liquidity), priced=as_of is not None)
    else:
        live = MarketState(stored.liquidity, stored.q_yes, stored.q_no)
        market = StartingMarket(live, priced=traded)
    return DebateInputs(case, believability, market, resolution, backtest)


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


@dataclass(frozen=True)
class WouldRecord:
    """The numbers the worker's snapshot of this debate would hold (``wiki.publish_rows.
    ScoreNumbers``): its market price is None until some debate has traded the market."""

    composite: float
    composite_low: float
    composite_high: float
    market_price: float | None
    config_hash: str


def would_record(plan: ScorePlan, market: StartingMarket) -> WouldRecord:
    """The snapshot's numbers: its price is the one the debate trades to, else the market's
    own, else none."""
    price = plan.trades[-1].price_after if plan.trades else None
    if price is None and market.priced:
        price = market.state.price
    blend = plan.blend
    return WouldRecord(
        blend.composite, blend.composite_low, blend.composite_high, price, blend.config_hash
    )


def shown_rating(plan: ScorePlan, market: StartingMarket) -> ShownNumber:
    """The exchange rating the worker's snapshot would show, chosen by the publisher's own rule
    (``wiki.publish_rows.shown_number``)."""
    return shown_number(would_record(plan, market))


def would_track_records(plan: ScorePlan | None, inputs: DebateInputs) -> list[TrackRecordOut]:
    """What numbers in the bands of the debate's would-be numbers have meant, when the debate
    is a forecast and a backtest is stored (``api.track_record.records_for``)."""
    if plan is None:
        return []
    return records_for(inputs.backtest, would_record(plan, inputs.market))


def score_json(
    plan: ScorePlan | None, market: StartingMarket, records: list[TrackRecordOut]
) -> dict[str, Any] | None:
    if plan is None:
        return None
    result = plan.blend
    shown = shown_rating(plan, market)
    return {
        "exchange_rating_before": market.state.price,
        "exchange_rating": shown.score,
        "exchange_rating_label": shown.kind,
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
        "track_record": [record.model_dump(mode="json") for record in records],
        "legends": {
            "exchange_rating": EXCHANGE_RATING,
            "composite": COMPOSITE,
            "interval": INTERVAL,
        },
    }


def show_score(
    plan: ScorePlan | None,
    market: StartingMarket,
    *,
    resolution: str | None,
    records: list[TrackRecordOut],
) -> None:
    console.rule("Score")
    if resolution is not None:  # it changes what the rating is read as, so it comes first
        console.print(Text(f"{resolution}.", style="bold"))
    if plan is None:
        console.print(Text("no score: no dimension was scored with a positive weight"))
        return
    result = plan.blend
    rating = shown_rating(plan, market).score
    if plan.trades:  # from the price before it: an untraded market's opening 0.50
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
    print_track_records(records)
    for legend in (EXCHANGE_RATING, COMPOSITE, INTERVAL):
        console.print(Text(f"{legend}.", style="dim"))
