"""The exchange's storage: one market per hypothesis, trades once per evaluation, replayable."""

from __future__ import annotations

import pytest

from scoring.exchange import Stance, debate_trades
from scoring.lmsr import MarketState, replay, replay_state
from storage.db import Database
from storage.errors import NotFoundError
from storage.models import Evaluation, Hypothesis, MarketTrade
from storage.queries import exchange

H = "h-51e7234f"
STANCES = [
    Stance("theorist", 0.82, 1.0),
    Stance("skeptic", 0.35, 1.0),
    Stance("domain_expert", 0.7, 1.2),
]


@pytest.fixture
def evaluations(db: Database) -> list[int]:
    with db.transaction() as session:
        session.add(Hypothesis(id=H, title="APOE-Dependent Autophagy Restoration"))
        rows = [Evaluation(hypothesis_id=H, config={}, config_hash=f"c{i}") for i in range(3)]
        session.add_all(rows)
        session.flush()
        return [row.id for row in rows]


def _trade(db: Database, evaluation_id: int, stances: list[Stance] = STANCES) -> bool:
    with db.transaction() as session:
        market = exchange.get_or_create_market(session, hypothesis_id=H, liquidity=100.0)
        state = MarketState(market.liquidity, market.q_yes, market.q_no)
        trades = debate_trades(state, stances, quality=0.8)
        return exchange.record_trades(
            session, hypothesis_id=H, evaluation_id=evaluation_id, trades=trades
        )


def test_trades_are_recorded_once_per_evaluation(db: Database, evaluations: list[int]) -> None:
    assert _trade(db, evaluations[0])
    assert not _trade(db, evaluations[0])  # a redelivered evaluation writes nothing twice
    with db.sessions() as session:
        trades = exchange.list_trades(session, hypothesis_id=H)
        assert [t.seq for t in trades] == [1, 2, 3]
        assert session.query(MarketTrade).count() == 3


def test_price_history_rebuilds_from_trades_alone(db: Database, evaluations: list[int]) -> None:
    _trade(db, evaluations[0])
    _trade(db, evaluations[1], [Stance("theorist", 0.9, 1.0), Stance("skeptic", 0.6, 0.5)])
    with db.sessions() as session:
        trades = exchange.list_trades(session, hypothesis_id=H)
        history = exchange.price_history(session, hypothesis_id=H)
        price = exchange.market_price(session, hypothesis_id=H)
        market = exchange.get_market(session, hypothesis_id=H)
    assert [p.seq for p in history] == [1, 2, 3, 4, 5]
    assert replay(100.0, trades) == pytest.approx([p.price_after for p in history], abs=1e-12)
    assert [p.price_before for p in history[1:]] == pytest.approx(
        [p.price_after for p in history[:-1]]
    )
    assert market is not None
    rebuilt = replay_state(100.0, trades)
    assert (rebuilt.q_yes, rebuilt.q_no) == pytest.approx((market.q_yes, market.q_no))
    assert price == pytest.approx(history[-1].price_after)


def test_stale_trades_are_refused(db: Database, evaluations: list[int]) -> None:
    stale = debate_trades(MarketState(100.0), STANCES, quality=0.9)
    _trade(db, evaluations[0])
    with pytest.raises(exchange.StaleMarketError, match=r"computed at 0\.5"), db.transaction() as s:
        exchange.record_trades(s, hypothesis_id=H, evaluation_id=evaluations[1], trades=stale)
    with db.sessions() as session:
        assert len(exchange.list_trades(session, hypothesis_id=H)) == 3


def test_no_trades_write_nothing_and_markets_need_a_hypothesis(
    db: Database, evaluations: list[int]
) -> None:
    with db.transaction() as session:
        exchange.get_or_create_market(session, hypothesis_id=H, liquidity=100.0)
        assert not exchange.record_trades(
            session, hypothesis_id=H, evaluation_id=evaluations[0], trades=[]
        )
        # an open market keeps its liquidity
        again = exchange.get_or_create_market(session, hypothesis_id=H, liquidity=5.0)
        assert again.liquidity == 100.0
    with db.sessions() as session:
        assert exchange.market_price(session, hypothesis_id=H) == 0.5
        assert exchange.market_price(session, hypothesis_id="h-none") is None
    with pytest.raises(NotFoundError, match="h-none"), db.transaction() as session:
        exchange.get_or_create_market(session, hypothesis_id="h-none", liquidity=100.0)


@pytest.mark.parametrize("liquidity", [0.0, -1.0, float("inf"), float("nan")])
def test_a_market_needs_a_finite_positive_liquidity(
    db: Database, evaluations: list[int], liquidity: float
) -> None:
    refused = pytest.raises(ValueError, match=f"finite and > 0, got {liquidity!r}")
    with refused, db.transaction() as session:
        exchange.get_or_create_market(session, hypothesis_id=H, liquidity=liquidity)
    with db.transaction() as session:  # nothing was opened; a small b is allowed
        assert exchange.get_market(session, hypothesis_id=H) is None
        opened = exchange.get_or_create_market(session, hypothesis_id=H, liquidity=0.5)
        assert opened.liquidity == 0.5
