"""The exchange: one LMSR market per hypothesis and its trades, recorded once per evaluation.

The trades are the record; the market row's q's are a running total of them, so the price
history (and the market itself) can always be rebuilt from ``list_trades``. The pricing math
lives in ``scoring.lmsr``; this module only stores what it computed.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from storage.errors import NotFoundError, StorageError
from storage.models import Hypothesis, Market, MarketTrade, utcnow
from storage.queries.knowledge import missing_hypothesis

# Trades computed against a market whose price has moved since are refused, not stored.
PRICE_TOLERANCE = 1e-9


class StaleMarketError(StorageError):
    """The trades were computed against an older market state; recompute them and retry."""


class TradeLike(Protocol):
    """What ``record_trades`` needs of a trade (``scoring.lmsr.Trade`` has all of it)."""

    @property
    def persona(self) -> str: ...
    @property
    def target_probability(self) -> float: ...
    @property
    def shares_yes(self) -> float: ...
    @property
    def shares_no(self) -> float: ...
    @property
    def cost(self) -> float: ...
    @property
    def price_before(self) -> float: ...
    @property
    def price_after(self) -> float: ...


@dataclass(frozen=True)
class PricePoint:
    seq: int
    persona: str
    evaluation_id: int | None
    price_before: float
    price_after: float
    created_at: datetime


def get_market(session: Session, *, hypothesis_id: str, lock: bool = False) -> Market | None:
    query = select(Market).where(Market.hypothesis_id == hypothesis_id)
    if lock:
        query = query.with_for_update()
    return session.scalar(query)


def get_or_create_market(
    session: Session, *, hypothesis_id: str, liquidity: float, lock: bool = True
) -> Market:
    """The hypothesis's market, opened empty with liquidity ``liquidity`` if it has none.

    With ``lock`` (the default) the row is locked for this transaction on PostgreSQL, so two
    workers trading the same hypothesis take turns instead of pricing from the same state.
    An existing market keeps its own liquidity: changing b mid-history would rewrite prices.
    """
    if not (math.isfinite(liquidity) and liquidity > 0):
        raise ValueError(f"market liquidity must be finite and > 0, got {liquidity!r}")
    market = get_market(session, hypothesis_id=hypothesis_id, lock=lock)
    if market is not None:
        return market
    if session.get(Hypothesis, hypothesis_id) is None:
        raise missing_hypothesis(session, hypothesis_id)
    try:
        with session.begin_nested():
            session.add(Market(hypothesis_id=hypothesis_id, liquidity=liquidity))
    except IntegrityError:
        pass  # another worker opened it first; theirs is the market
    market = get_market(session, hypothesis_id=hypothesis_id, lock=lock)
    if market is None:
        raise RuntimeError(f"market of {hypothesis_id!r} vanished while opening it")
    return market


def has_traded(session: Session, *, evaluation_id: int) -> bool:
    return (
        session.scalar(
            select(MarketTrade.id).where(MarketTrade.evaluation_id == evaluation_id).limit(1)
        )
        is not None
    )


def market_has_traded(session: Session, *, hypothesis_id: str) -> bool:
    """Whether any debate has traded the hypothesis's market: until then it has no price."""
    found = select(MarketTrade.id).where(MarketTrade.hypothesis_id == hypothesis_id).limit(1)
    return session.scalar(found) is not None


def record_trades(
    session: Session,
    *,
    hypothesis_id: str,
    evaluation_id: int | None,
    trades: Sequence[TradeLike],
    now: datetime | None = None,
) -> bool:
    """Append one evaluation's trades and move the market; False if nothing new was written.

    A redelivered evaluation that already traded writes nothing twice. Trades whose first
    ``price_before`` is not the market's current price were computed against a stale state and
    raise ``StaleMarketError``. Call inside the transaction that locked the market
    (``get_or_create_market``).
    """
    if not trades:
        return False
    if evaluation_id is not None and has_traded(session, evaluation_id=evaluation_id):
        return False
    market = get_market(session, hypothesis_id=hypothesis_id, lock=True)
    if market is None:
        raise NotFoundError(f"hypothesis {hypothesis_id!r} has no market; open it first")
    check_fresh(hypothesis_id, market.liquidity, market.q_yes, market.q_no, trades)
    now = now or utcnow()
    seq = 1 + (
        session.scalar(
            select(func.max(MarketTrade.seq)).where(MarketTrade.hypothesis_id == hypothesis_id)
        )
        or 0
    )
    rows = trade_rows(
        hypothesis_id=hypothesis_id,
        evaluation_id=evaluation_id,
        first_seq=seq,
        trades=trades,
        now=now,
    )
    try:
        with session.begin_nested():
            session.add_all(MarketTrade(**row) for row in rows)
            market.q_yes, market.q_no = moved(market.q_yes, market.q_no, trades)
            market.updated_at = now
    except IntegrityError:
        # A concurrent delivery of the same evaluation won (unique evaluation_id, persona).
        session.refresh(market)
        if evaluation_id is not None and has_traded(session, evaluation_id=evaluation_id):
            return False
        raise
    return True


def check_fresh(
    hypothesis_id: str, b: float, q_yes: float, q_no: float, trades: Sequence[TradeLike]
) -> None:
    """Raise StaleMarketError unless ``trades`` start from the market's current price."""
    current = lmsr_price(b, q_yes, q_no)
    if abs(trades[0].price_before - current) > PRICE_TOLERANCE:
        raise StaleMarketError(
            f"market of {hypothesis_id!r} is at {current:.12f}, but the trades were "
            f"computed at {trades[0].price_before:.12f}"
        )


def trade_rows(
    *,
    hypothesis_id: str,
    evaluation_id: int | None,
    first_seq: int,
    trades: Sequence[TradeLike],
    now: datetime,
) -> list[dict[str, Any]]:
    """The MarketTrade rows of one evaluation's trades, numbered from ``first_seq``."""
    return [
        {
            "hypothesis_id": hypothesis_id,
            "evaluation_id": evaluation_id,
            "seq": first_seq + offset,
            "persona": trade.persona,
            "target_probability": trade.target_probability,
            "shares_yes": trade.shares_yes,
            "shares_no": trade.shares_no,
            "cost": trade.cost,
            "price_before": trade.price_before,
            "price_after": trade.price_after,
            "created_at": now,
        }
        for offset, trade in enumerate(trades)
    ]


def moved(q_yes: float, q_no: float, trades: Sequence[TradeLike]) -> tuple[float, float]:
    """The market's q's after ``trades``; every writer sums them this way, to the same float."""
    yes = math.fsum(t.shares_yes for t in trades)
    no = math.fsum(t.shares_no for t in trades)
    return q_yes + yes, q_no + no


def list_trades(session: Session, *, hypothesis_id: str) -> list[MarketTrade]:
    """Every trade of the hypothesis's market, in the order they were made."""
    return list(
        session.scalars(
            select(MarketTrade)
            .where(MarketTrade.hypothesis_id == hypothesis_id)
            .order_by(MarketTrade.seq)
        )
    )


def price_history(session: Session, *, hypothesis_id: str) -> list[PricePoint]:
    return [
        PricePoint(
            seq=t.seq,
            persona=t.persona,
            evaluation_id=t.evaluation_id,
            price_before=t.price_before,
            price_after=t.price_after,
            created_at=t.created_at,
        )
        for t in list_trades(session, hypothesis_id=hypothesis_id)
    ]


def market_price(session: Session, *, hypothesis_id: str) -> float | None:
    """The current price (the exchange rating), or None if the hypothesis has no market."""
    market = get_market(session, hypothesis_id=hypothesis_id)
    return None if market is None else lmsr_price(market.liquidity, market.q_yes, market.q_no)


def lmsr_price(b: float, q_yes: float, q_no: float) -> float:
    # The LMSR price, restated here only to check staleness; scoring.lmsr is the definition.
    x = (q_yes - q_no) / b
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)
