"""Debate trading: quality gate, believability budgets, deterministic order."""

from __future__ import annotations

import itertools

import pytest

from scoring.exchange import MIN_QUALITY, Stance, debate_trades, final_state, no_trade_reason
from scoring.lmsr import MarketError, MarketState

STANCES = [
    Stance("theorist", 0.85, 1.0),
    Stance("skeptic", 0.30, 1.0),
    Stance("domain_expert", 0.70, 1.2),
    Stance("synthesizer", 0.65, 1.0),
]


def test_a_low_quality_debate_does_not_trade() -> None:
    assert debate_trades(MarketState(100.0), STANCES, quality=0.29) == []
    assert len(debate_trades(MarketState(100.0), STANCES, quality=0.3)) == 4


def test_trades_run_in_persona_order_whatever_the_input_order() -> None:
    forward = debate_trades(MarketState(100.0), STANCES, quality=0.9)
    backward = debate_trades(MarketState(100.0), list(reversed(STANCES)), quality=0.9)
    assert forward == backward
    assert [t.persona for t in forward] == sorted(s.persona for s in STANCES)
    # each trade starts where the previous one stopped
    for earlier, later in itertools.pairwise(forward):
        assert later.price_before == pytest.approx(earlier.price_after)


def test_budget_grows_with_believability() -> None:
    market = MarketState(100.0)
    weak = debate_trades(market, [Stance("p", 0.9, 0.2)], quality=1.0)[0]
    strong = debate_trades(market, [Stance("p", 0.9, 2.0)], quality=1.0)[0]
    assert weak.cost == pytest.approx(0.25 * 100 * 0.2)
    assert strong.price_after > weak.price_after > 0.5


def test_the_price_moves_toward_the_consensus() -> None:
    state = MarketState(100.0)
    for _ in range(30):
        state = final_state(
            state, debate_trades(state, [Stance("a", 0.7, 1.0), Stance("b", 0.7, 1.0)], 1.0)
        )
    assert state.price == pytest.approx(0.7, abs=1e-6)


def test_duplicate_personas_and_bad_quality_are_refused() -> None:
    with pytest.raises(MarketError, match="'theorist' has more than one stance"):
        debate_trades(MarketState(100.0), [STANCES[0], STANCES[0]], quality=0.9)
    with pytest.raises(MarketError, match="quality must be in"):
        debate_trades(MarketState(100.0), STANCES, quality=1.5)
    with pytest.raises(MarketError, match="persona 'x': target probability"):
        debate_trades(MarketState(100.0), [Stance("x", 2.0, 1.0)], quality=0.9)


def test_no_persona_wins_by_trading_last() -> None:
    def final_price(first: str, second: str) -> float:
        stances = [Stance(first, 0.3, 1.0), Stance(second, 0.7, 1.0)]
        return final_state(
            MarketState(100.0), debate_trades(MarketState(100.0), stances, 1.0)
        ).price

    # the same two opposite views, whichever name sorts first, end near the middle
    assert final_price("aaa", "zzz") == pytest.approx(0.5, abs=0.005)
    assert final_price("zzz", "aaa") == pytest.approx(0.5, abs=0.005)


def test_costs_stay_within_budgets_and_add_up_to_the_market_cost() -> None:
    market = MarketState(100.0)
    trades = debate_trades(market, STANCES, quality=0.9)
    budgets = {s.persona: 0.25 * 100 * s.believability for s in STANCES}
    for trade in trades:
        assert trade.cost <= budgets[trade.persona] + 1e-9
    end = final_state(market, trades)
    assert sum(t.cost for t in trades) == pytest.approx(end.cost - market.cost)
    assert trades[-1].price_after == pytest.approx(end.price)


@pytest.mark.parametrize("quality", [0.0, 0.1, 0.296, 0.2999])
def test_a_debate_that_does_not_trade_is_told_why(quality: float) -> None:
    stances = [Stance("theorist", 0.9, 1.0)]
    assert debate_trades(MarketState(b=100.0), stances, quality) == []
    reason = no_trade_reason(quality)
    assert reason is not None and f"below the {MIN_QUALITY:.2f} it needs to trade" in reason
    # The quality is shown to as many places as it takes to differ from the threshold.
    assert "quality 0.30 " not in reason


@pytest.mark.parametrize("quality", [MIN_QUALITY, 0.5, 1.0])
def test_a_debate_that_trades_needs_no_reason(quality: float) -> None:
    assert debate_trades(MarketState(b=100.0), [Stance("theorist", 0.9, 1.0)], quality)
    assert no_trade_reason(quality) is None


def test_an_evaluation_not_debated_yet_has_no_reason_not_to_trade() -> None:
    assert no_trade_reason(None) is None
