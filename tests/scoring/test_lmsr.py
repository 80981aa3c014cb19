"""The LMSR market: known costs and prices, bounded loss, path independence, replay."""

from __future__ import annotations

import itertools
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scoring.exchange import Stance, debate_trades
from scoring.lmsr import MarketError, MarketState, replay, replay_state, trade_toward


def test_empty_market_known_answer() -> None:
    market = MarketState(b=100.0)
    assert market.price == 0.5
    assert market.cost == pytest.approx(100 * math.log(2))
    assert market.max_loss == pytest.approx(69.314718, abs=1e-6)


def test_buying_b_yes_shares_known_answer() -> None:
    market = MarketState(b=100.0)
    after = market.after(100.0, 0.0)
    assert after.price == pytest.approx(math.e / (math.e + 1))  # 0.7310586
    assert market.cost_of(100.0, 0.0) == pytest.approx(100 * math.log((math.e + 1) / 2))
    assert market.cost_of(100.0, 0.0) == pytest.approx(62.011450, abs=1e-6)


def test_trade_toward_reaches_the_target_when_the_budget_allows() -> None:
    trade = trade_toward(MarketState(100.0), 0.8, budget=1000.0, persona="theorist")
    assert trade.shares_yes == pytest.approx(100 * math.log(4))
    assert trade.shares_no == 0.0
    assert trade.cost == pytest.approx(100 * math.log(2.5))  # 91.629
    assert trade.price_before == 0.5
    assert trade.price_after == pytest.approx(0.8)


def test_trade_toward_stops_where_the_budget_runs_out() -> None:
    trade = trade_toward(MarketState(100.0), 0.8, budget=25.0)
    assert trade.cost == pytest.approx(25.0)
    assert trade.shares_yes == pytest.approx(100 * math.log1p(math.expm1(0.25) / 0.5))
    # p' = 1 - (1 - p) * exp(-B / b) when buying YES with all of budget B: 1 - 0.5 e^-0.25
    assert trade.price_after == pytest.approx(1 - 0.5 * math.exp(-0.25))
    assert trade.price_after == pytest.approx(0.6105996, abs=1e-7)


def test_selling_down_buys_no_shares() -> None:
    trade = trade_toward(MarketState(100.0, q_yes=50.0), 0.2, budget=1e6)
    assert trade.shares_yes == 0.0 and trade.shares_no > 0
    assert trade.price_after == pytest.approx(0.2)


def test_huge_share_counts_do_not_overflow() -> None:
    # exp(1000) overflows a float; the log-sum-exp form does not.
    market = MarketState(b=1.0, q_yes=1000.0, q_no=-5.0)
    assert market.cost == pytest.approx(1000.0)
    assert MarketState(b=1.0, q_yes=-1000.0, q_no=-1000.0).cost == pytest.approx(
        -1000.0 + math.log(2)
    )
    trade = trade_toward(MarketState(1.0), 0.999, budget=1e9)
    assert trade.price_after == pytest.approx(0.999)
    assert 0.0 < trade.price_after < 1.0


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: MarketState(b=0.0), "liquidity b must be finite and > 0"),
        (lambda: trade_toward(MarketState(100.0), 1.5, 10.0), "target probability"),
        (lambda: trade_toward(MarketState(100.0), 0.5, -1.0), "budget must be"),
    ],
)
def test_bad_market_input_is_refused(call: object, message: str) -> None:
    with pytest.raises(MarketError, match=message):
        call()  # type: ignore[operator]


trade_steps = st.lists(
    st.tuples(st.floats(0.0, 1.0), st.floats(0.0, 500.0)), min_size=1, max_size=12
)


@given(st.floats(1.0, 1000.0), trade_steps)
def test_prices_stay_strictly_inside_zero_one_and_loss_is_bounded(
    b: float, steps: list[tuple[float, float]]
) -> None:
    state = MarketState(b)
    paid = 0.0
    for target, budget in steps:
        trade = trade_toward(state, target, budget)
        assert trade.cost <= budget * (1 + 1e-9) + 1e-9
        state = state.after(trade.shares_yes, trade.shares_no)
        paid += trade.cost
        assert 0.0 < state.price < 1.0
    # The market maker pays out max(q_yes, q_no) at worst; it collected `paid`.
    assert max(state.q_yes, state.q_no) - paid <= b * math.log(2) + 1e-6 * b


shares = st.tuples(st.floats(-300.0, 300.0), st.floats(-300.0, 300.0))


@given(st.floats(1.0, 500.0), st.lists(shares, min_size=1, max_size=5))
def test_trade_costs_are_path_independent(b: float, moves: list[tuple[float, float]]) -> None:
    start = MarketState(b)
    total_yes = math.fsum(y for y, _ in moves)
    total_no = math.fsum(n for _, n in moves)
    direct = start.cost_of(total_yes, total_no)
    for order in itertools.islice(itertools.permutations(moves), 24):
        state, spent = start, 0.0
        for y, n in order:
            spent += state.cost_of(y, n)
            state = state.after(y, n)
        assert spent == pytest.approx(direct, abs=1e-7 * b * (1 + len(moves)))


def test_price_history_is_rebuilt_from_trades_alone() -> None:
    state = MarketState(100.0)
    trades = []
    for stances in (
        [Stance("theorist", 0.9, 1.0), Stance("skeptic", 0.2, 1.5)],
        [Stance("expert", 0.7, 0.8), Stance("synthesizer", 0.65, 1.0)],
    ):
        batch = debate_trades(state, stances, quality=0.8)
        trades.extend(batch)
        for trade in batch:
            state = state.after(trade.shares_yes, trade.shares_no)
    assert replay(100.0, trades) == pytest.approx([t.price_after for t in trades])
    rebuilt = replay_state(100.0, trades)
    assert rebuilt.price == pytest.approx(state.price)
