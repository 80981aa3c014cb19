"""Hanson's logarithmic market scoring rule for a binary market: "is this hypothesis validated?"

C(q) = b * ln(exp(q_yes / b) + exp(q_no / b)) is the cost function; a trade that moves the
outstanding shares from q to q' costs C(q') - C(q), and the YES price is
exp(q_yes / b) / (exp(q_yes / b) + exp(q_no / b)). Costs depend only on the end state, so a
sequence of trades costs the same in any order, and the market maker can lose at most b * ln 2.
Everything is computed in log-sum-exp form so that no share count overflows.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

DEFAULT_LIQUIDITY = 100.0
# A trader aiming at exactly 0 or 1 would need infinite shares; targets are clamped this far in.
PRICE_EPSILON = 1e-6


class MarketError(ValueError):
    """An impossible market or trade (non-positive liquidity, a target outside [0, 1], ...)."""


class HasShares(Protocol):
    """Anything that records a trade's shares: a scoring ``Trade`` or a stored trade row."""

    @property
    def shares_yes(self) -> float: ...

    @property
    def shares_no(self) -> float: ...


@dataclass(frozen=True)
class Trade:
    persona: str
    target_probability: float
    shares_yes: float
    shares_no: float
    cost: float
    price_before: float
    price_after: float


@dataclass(frozen=True)
class MarketState:
    b: float
    q_yes: float = 0.0
    q_no: float = 0.0

    def __post_init__(self) -> None:
        if not (math.isfinite(self.b) and self.b > 0):
            raise MarketError(f"liquidity b must be finite and > 0, got {self.b!r}")
        if not (math.isfinite(self.q_yes) and math.isfinite(self.q_no)):
            raise MarketError(f"share counts must be finite, got {self.q_yes!r}, {self.q_no!r}")

    @property
    def cost(self) -> float:
        """C(q) = b * ln(exp(q_yes/b) + exp(q_no/b)), computed without overflow."""
        return self.b * _logaddexp(self.q_yes / self.b, self.q_no / self.b)

    @property
    def price(self) -> float:
        """The YES price, in (0, 1): the market's probability that the hypothesis holds."""
        return _sigmoid((self.q_yes - self.q_no) / self.b)

    def after(self, shares_yes: float, shares_no: float) -> MarketState:
        return MarketState(self.b, self.q_yes + shares_yes, self.q_no + shares_no)

    def cost_of(self, shares_yes: float, shares_no: float) -> float:
        """What buying these shares costs now (negative when selling)."""
        return self.after(shares_yes, shares_no).cost - self.cost

    @property
    def max_loss(self) -> float:
        """The market maker's worst-case loss, b * ln 2, whatever is traded."""
        return self.b * math.log(2.0)


def trade_toward(
    state: MarketState, target_probability: float, budget: float, *, persona: str = ""
) -> Trade:
    """Buy the shares that move the price toward ``target_probability``, spending <= ``budget``.

    Below the target the trader buys YES, above it NO; with too little budget it stops where
    the budget runs out (closed form, no search).
    """
    check_target(target_probability)
    if not (math.isfinite(budget) and budget >= 0):
        raise MarketError(f"budget must be finite and >= 0, got {budget!r}")
    shares_yes, shares_no, cost = step_toward(
        state.b, state.q_yes, state.q_no, target_probability, budget
    )
    return Trade(
        persona=persona,
        target_probability=float(target_probability),
        shares_yes=shares_yes,
        shares_no=shares_no,
        cost=cost,
        price_before=state.price,
        price_after=state.after(shares_yes, shares_no).price,
    )


def check_target(target_probability: float) -> None:
    if not (math.isfinite(target_probability) and 0.0 <= target_probability <= 1.0):
        raise MarketError(f"target probability must be in [0, 1], got {target_probability!r}")


def step_toward(
    b: float, q_yes: float, q_no: float, target_probability: float, budget: float
) -> tuple[float, float, float]:
    """``trade_toward`` on bare floats, for loops of many small trades: (yes, no, cost).

    The arithmetic is the same as MarketState's, operation for operation, so either way of
    trading gives the very same floats. Arguments are not checked.
    """
    target = min(1.0 - PRICE_EPSILON, max(PRICE_EPSILON, target_probability))
    x = (q_yes - q_no) / b
    gap = _logit(target) - x  # in units of b
    shares_yes = shares_no = 0.0
    if gap > 0:
        # Buying x YES shares costs b * ln(1 - p + p * exp(x / b)); invert at the budget.
        shares_yes = b * min(gap, _affordable(budget / b, _sigmoid(x)))
    elif gap < 0:
        shares_no = b * min(-gap, _affordable(budget / b, 1.0 - _sigmoid(x)))
    cost = b * _logaddexp((q_yes + shares_yes) / b, (q_no + shares_no) / b) - b * _logaddexp(
        q_yes / b, q_no / b
    )
    return shares_yes, shares_no, cost


def replay_state(b: float, trades: Iterable[HasShares]) -> MarketState:
    """The market after ``trades``, from an empty one: the stored q's can always be rebuilt."""
    state = MarketState(b)
    for trade in trades:
        state = state.after(trade.shares_yes, trade.shares_no)
    return state


def replay(b: float, trades: Iterable[HasShares]) -> list[float]:
    """The price after each trade, from an empty market: the price history, from trades alone."""
    state = MarketState(b)
    prices: list[float] = []
    for trade in trades:
        state = state.after(trade.shares_yes, trade.shares_no)
        prices.append(state.price)
    return prices


def _affordable(budget_in_b: float, price: float) -> float:
    """Shares (in units of b) of a side priced ``price`` that ``budget_in_b * b`` buys."""
    if budget_in_b > 30.0:
        # exp overflows long before this matters; here ln(1 + (e^B - 1)/p) = B - ln p to 1e-13.
        return budget_in_b - math.log(price)
    return math.log1p(math.expm1(budget_in_b) / price)


def _logaddexp(x: float, y: float) -> float:
    high = max(x, y)
    return high + math.log1p(math.exp(-abs(x - y)))


def _sigmoid(x: float) -> float:
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def _logit(p: float) -> float:
    return math.log(p) - math.log1p(-p)
