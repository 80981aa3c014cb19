"""The scoring phase: which of a debate's words the blend and the market hear, how loudly (by
the believabilities fixed when the debate began), on which market (a blind forecast never trades
the live one), and what the snapshot or the forecast then records."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import select

from common.settings import get_settings
from scoring.dimensions import Dimension
from scoring.lmsr import MarketState
from scoring.weights import Weights
from storage.db import Database
from storage.importing import import_hypotheses
from storage.models import Evaluation, Hypothesis, PersonaCalibration, Rating
from storage.queries.debated import debated_rows
from storage.queries.exchange import get_market, get_or_create_market
from storage.queries.snapshots import latest_snapshot
from storage.queries.turns import turn_scores_of
from tests.workers.pipeline_helpers import dataset_path, queue_evaluation, some_hypotheses
from workers import offline_batch, scoring_phase
from workers.agents import backend_factory
from workers.evaluation import run_debate_phase
from workers.scoring_phase import (
    Debated,
    ScorePlan,
    TurnView,
    forecast_fields,
    plan_score,
    rating_fields,
    row_views,
    score_batch,
    score_debated,
)

NOVELTY, EVIDENCE, SAFETY = "novelty", "evidence_strength", "safety_profile"


def _plan(
    turns: list[TurnView],
    believability: dict[str, float] | None = None,
    *,
    level: float = 0.8,
    market: MarketState = MarketState(100.0),
    quality: float = 1.0,
) -> ScorePlan:
    return plan_score(
        turns, believability or {}, Weights.default(), level=level, market=market, quality=quality
    )


SKEPTIC = TurnView("skeptic", 2, {NOVELTY: 0.4, EVIDENCE: 0.3}, 0.6, 0.3)
THEORIST = TurnView("theorist", 2, {NOVELTY: 0.7, EVIDENCE: 0.6}, 0.8, 0.8)
SUMMARY = TurnView("synthesizer", 3, {NOVELTY: 0.55, EVIDENCE: 0.45, SAFETY: 0.8}, 0.9, 0.6)
ODD = [TurnView("theorist", 1, {NOVELTY: 0.5}, 0.5, 0.5)]  # a case scoring trips over


def test_the_synthesizers_summary_fills_in_and_is_not_one_more_opinion() -> None:
    alone = _plan([SKEPTIC, THEORIST]).blend
    joined = _plan([SKEPTIC, THEORIST, SUMMARY]).blend
    for name in (NOVELTY, EVIDENCE):  # the interval is not narrowed by a copy of the others
        assert joined.dimensions[Dimension(name)] == alone.dimensions[Dimension(name)]
    assert joined.dimensions[Dimension.SAFETY_PROFILE].mean == 0.8  # nobody else scored it


def test_a_flagged_turn_takes_the_summary_of_what_it_scored_with_it_and_nothing_else() -> None:
    flagged = TurnView("skeptic", 2, {NOVELTY: 1.0}, 1.0, 1.0, flagged=True)
    plan = _plan([flagged, THEORIST, SUMMARY]).blend
    # The theorist's own novelty stands; the summary's novelty averaged the flagged turn in.
    assert plan.dimensions[Dimension.NOVELTY].mean == pytest.approx(0.7)
    assert plan.dimensions[Dimension.NOVELTY].n == 1
    assert plan.dimensions[Dimension.EVIDENCE_STRENGTH].mean == pytest.approx(0.6)


def test_believability_weighs_the_blend_and_the_trades_by_persona() -> None:
    even = _plan([SKEPTIC, THEORIST])
    trusted = _plan([SKEPTIC, THEORIST], {"theorist": 3.0, "skeptic": 0.5})
    assert trusted.blend.composite > even.blend.composite  # the theorist scored higher
    assert trusted.trades[-1].price_after > even.trades[-1].price_after


def test_a_blind_forecast_records_the_price_it_traded_to_or_its_start() -> None:
    start = MarketState(100.0)
    traded = _plan([SKEPTIC, THEORIST, SUMMARY])
    assert len(traded.trades) > 2
    fields = forecast_fields(traded, as_of=date(2020, 5, 30), start=start)
    assert fields["exchange_rating"] == traded.trades[-1].price_after != start.price
    assert (fields["as_of"], fields["traded"]) == ("2020-05-30", True)
    assert fields["coverage"] == traded.blend.coverage
    quiet = _plan([SKEPTIC, THEORIST], quality=0.1)  # below the quality floor: no trades
    unmoved = forecast_fields(quiet, as_of=date(2020, 5, 30), start=start)
    assert (unmoved["exchange_rating"], unmoved["traded"]) == (0.5, False)


def test_a_snapshot_carries_the_tournament_rating_only_when_rated() -> None:
    rated = Rating(hypothesis_id="h-1", strength=0.4, strength_low=0.1, strength_high=0.7)
    assert rating_fields(rated) == {"rating": 0.4, "rating_low": 0.1, "rating_high": 0.7}
    assert rating_fields(None) == {"rating": None, "rating_low": None, "rating_high": None}


def test_a_blind_forecast_prices_from_a_fresh_market_and_leaves_the_live_one(
    db: Database,
) -> None:
    settings, as_of = get_settings(), date(2020, 5, 30)
    turns = [SKEPTIC, THEORIST, SUMMARY]
    with db.transaction() as session:
        session.add(Hypothesis(id="h-blind", title="Blind"))
        session.flush()
        live = get_or_create_market(
            session, hypothesis_id="h-blind", liquidity=settings.market_liquidity
        )
        live.q_yes = 150.0  # the live market has moved far above 0.5
        row = Evaluation(hypothesis_id="h-blind", config={}, config_hash="c", as_of=as_of)
        session.add(row)
        session.flush()
        blind = Debated(row.id, "h-blind", False, turns, 1.0, {}, as_of=as_of)
        assert score_batch(session, settings, [blind], weights=Weights.default()) == ([row.id], {})
    fresh = _plan(
        turns, level=settings.interval_level, market=MarketState(settings.market_liquidity)
    )
    with db.sessions() as session:
        stored = session.get(Evaluation, row.id)
        market = get_market(session, hypothesis_id="h-blind")
        assert stored is not None and market is not None
        assert stored.forecast["exchange_rating"] == pytest.approx(fresh.trades[-1].price_after)
        assert (market.q_yes, market.q_no) == (150.0, 0.0)  # the live market never traded
        # The rest of what it forecast, as `hyposcore status` and the backtest read it.
        blend = fresh.blend
        assert {k: stored.forecast[k] for k in ("as_of", "traded", "level", "config_hash")} == {
            "as_of": "2020-05-30",
            "traded": True,
            "level": settings.interval_level,
            "config_hash": blend.config_hash,
        }
        assert (
            stored.forecast["composite_low"],
            stored.forecast["composite"],
            stored.forecast["composite_high"],
        ) == pytest.approx((blend.composite_low, blend.composite, blend.composite_high))
        assert latest_snapshot(session, hypothesis_id="h-blind") is None  # not in the history


def test_a_live_evaluation_records_the_price_its_trades_moved_the_market_to(
    db: Database,
) -> None:
    settings, turns, quality = get_settings(), [SKEPTIC, THEORIST, SUMMARY], 0.7
    with db.transaction() as session:
        session.add(Hypothesis(id="h-live", title="Live"))
        session.flush()
        market = get_or_create_market(
            session, hypothesis_id="h-live", liquidity=settings.market_liquidity
        )
        market.q_yes = 40.0  # earlier debates moved it
        row = Evaluation(hypothesis_id="h-live", config={}, config_hash="c")
        session.add(row)
        session.flush()
        live = Debated(row.id, "h-live", False, turns, quality, {})
        assert score_batch(session, settings, [live], weights=Weights.default()) == ([row.id], {})
    expected = _plan(
        turns,
        level=settings.interval_level,
        market=MarketState(settings.market_liquidity, q_yes=40.0),
        quality=quality,
    )
    with db.sessions() as session:
        snapshot = latest_snapshot(session, hypothesis_id="h-live")
        moved = get_market(session, hypothesis_id="h-live")
        assert snapshot is not None and moved is not None
        # The snapshot's price is the market's, after this debate's trades: the headline.
        assert snapshot.market_price == pytest.approx(expected.trades[-1].price_after)
        assert snapshot.market_price == pytest.approx(
            MarketState(moved.liquidity, moved.q_yes, moved.q_no).price
        )
        assert snapshot.market_price != pytest.approx(MarketState(100.0, q_yes=40.0).price)
        assert snapshot.quality == quality
        assert snapshot.composite == pytest.approx(expected.blend.composite)


def test_a_debate_that_cannot_trade_a_new_market_records_no_price(db: Database) -> None:
    """An untraded market's 0.50 is no one's judgement: the headline falls to the composite
    until a debate trades, and a later debate that cannot trade keeps the price it left."""
    settings, turns = get_settings(), [SKEPTIC, THEORIST, SUMMARY]
    prices = []
    with db.transaction() as session:
        session.add(Hypothesis(id="h-quiet", title="Quiet"))
        session.flush()
        for quality in (0.1, 0.7, 0.1):  # cannot trade, trades, cannot trade
            row = Evaluation(hypothesis_id="h-quiet", config={}, config_hash="c")
            session.add(row)
            session.flush()
            debated = Debated(row.id, "h-quiet", False, turns, quality, {})
            assert score_batch(session, settings, [debated], weights=Weights.default())[0]
            snapshot = latest_snapshot(session, hypothesis_id="h-quiet")
            assert snapshot is not None
            prices.append(snapshot.market_price)
    traded = _plan(turns, level=settings.interval_level, quality=0.7).trades[-1].price_after
    assert prices == [None, pytest.approx(traded), pytest.approx(traded)]


def test_scoring_weighs_the_believabilities_fixed_when_the_debate_began(db: Database) -> None:
    """A recalibration between a debate and its scoring must not reweigh the debate."""
    import_hypotheses(db, dataset_path())
    settings = get_settings()
    with db.transaction() as session:
        for persona in ("theorist", "skeptic", "domain_expert", "synthesizer"):
            session.add(PersonaCalibration(persona=persona, believability=0.2))
    (hypothesis_id,) = some_hypotheses(db, 1)
    evaluation_id = queue_evaluation(db, settings, hypothesis_id)
    [claimed] = offline_batch.claim(db, settings, evaluation_ids=[evaluation_id], owner="test")
    run_debate_phase(db, settings, claimed, owner="test", backend_for=backend_factory(settings))
    with db.transaction() as session:  # graded meanwhile: every persona now counts for more
        for row in session.scalars(select(PersonaCalibration)):
            row.believability = 1.6
    with db.sessions() as session:
        (row,) = debated_rows(session, evaluation_ids=[evaluation_id])
        views = row_views(row, turn_scores_of(session, evaluation_ids=[evaluation_id])[row.id])
        fixed = dict(row.believability)
    assert fixed and set(fixed.values()) == {0.2}

    def price(believability: dict[str, float]) -> float:
        plan = _plan(views, believability, level=settings.interval_level, quality=row.quality)
        return plan.trades[-1].price_after

    assert score_debated(db, settings, evaluation_ids=[evaluation_id]).succeeded == (evaluation_id,)
    with db.sessions() as session:
        snapshot = latest_snapshot(session, hypothesis_id=hypothesis_id)
    assert snapshot is not None
    assert snapshot.market_price == pytest.approx(price(fixed))
    # Low believabilities cap the trades, so the price tells them from the new ones or none.
    assert snapshot.market_price != pytest.approx(price(dict.fromkeys(fixed, 1.6)))
    assert snapshot.market_price != pytest.approx(price({}))


def test_one_evaluation_that_cannot_be_scored_fails_alone(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = get_settings()
    flagged = [TurnView("skeptic", 2, {NOVELTY: 0.4}, 0.6, 0.3, flagged=True)]
    with db.transaction() as session:
        for name in ("h-bad", "h-odd", "h-good"):
            session.add(Hypothesis(id=name, title=name))
        session.flush()
        rows = [
            Evaluation(hypothesis_id=name, config={}, config_hash="c")
            for name in ("h-bad", "h-odd", "h-good")
        ]
        session.add_all(rows)
        session.flush()
        bad, odd, good = (row.id for row in rows)
        real_plan = plan_score

        def plan_or_break(turns: Any, *args: Any, **kwargs: Any) -> ScorePlan:
            if turns is ODD:
                raise ZeroDivisionError("a bug in one case")
            return real_plan(turns, *args, **kwargs)

        monkeypatch.setattr(scoring_phase, "plan_score", plan_or_break)
        batch = [
            Debated(bad, "h-bad", False, flagged, 1.0, {}),
            Debated(odd, "h-odd", False, ODD, 1.0, {}),
            Debated(good, "h-good", False, [SKEPTIC, THEORIST], 1.0, {}),
        ]
        scored, failed = score_batch(session, settings, batch, weights=Weights.default())
    assert scored == [good]
    assert failed[bad].startswith("cannot score: every persona's last turn was flagged")
    assert failed[odd] == "cannot score: ZeroDivisionError: a bug in one case"
    with db.sessions() as session:
        assert latest_snapshot(session, hypothesis_id="h-good") is not None
        assert latest_snapshot(session, hypothesis_id="h-bad") is None
