"""Writing a batch of scored evaluations: trades, market totals and snapshots in a few statements.

The one-by-one functions (``exchange.record_trades``, ``snapshots.record_snapshot``) check and
retry per evaluation; a batch instead locks its hypotheses' markets up front, in id order, so
it alone appends to them until it commits, and then writes every row with one executemany per
table. The unique keys (evaluation and persona for trades; evaluation, and hypothesis and
version, for snapshots) still refuse anything written twice.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    BindParameter,
    Connection,
    Select,
    Table,
    bindparam,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.orm import Session

from storage.models import Market, MarketTrade, ScoreSnapshot, utcnow
from storage.queries.exchange import TradeLike, check_fresh, lmsr_price, moved, trade_rows
from storage.queries.inserts import insert_new_only

_MARKETS: Table = Market.__table__  # type: ignore[assignment]
_TRADES: Table = MarketTrade.__table__  # type: ignore[assignment]
_SNAPSHOTS: Table = ScoreSnapshot.__table__  # type: ignore[assignment]


@dataclass
class _Book:
    liquidity: float
    q_yes: float
    q_no: float
    next_seq: int
    next_version: int
    touched: bool = False


class ScoreBatch:
    """The locked markets of a batch's hypotheses, traded in memory and written by ``write``."""

    def __init__(self, session: Session, *, hypothesis_ids: Sequence[str], liquidity: float):
        if not (math.isfinite(liquidity) and liquidity > 0):
            raise ValueError(f"market liquidity must be finite and > 0, got {liquidity!r}")
        self._session = session
        self._now = utcnow()
        self._trades: list[dict[str, Any]] = []
        self._snapshots: list[dict[str, Any]] = []
        ids = sorted(set(hypothesis_ids))
        self._books = self._lock(ids, liquidity) if ids else {}

    def _lock(self, ids: list[str], liquidity: float) -> dict[str, _Book]:
        connection = self._connection()
        opening = insert_new_only(connection, _MARKETS, key=["hypothesis_id"])
        connection.execute(
            opening,
            [
                {
                    "hypothesis_id": i,
                    "liquidity": liquidity,
                    "q_yes": 0.0,
                    "q_no": 0.0,
                    "updated_at": self._now,
                }
                for i in ids
            ],
        )
        markets = connection.execute(_LOCKED_MARKETS, {"ids": ids}).all()
        seqs = _last_by_hypothesis(connection, _LAST_SEQ, ids)
        versions = _last_by_hypothesis(connection, _LAST_VERSION, ids)
        return {
            h: _Book(b, q_yes, q_no, seqs.get(h, 0) + 1, versions.get(h, 0) + 1)
            for h, b, q_yes, q_no in markets
        }

    def _connection(self) -> Connection:
        # What the session has pending goes first, as session.execute's autoflush would send it
        # (a new scoring config, say, which snapshots refer to).
        self._session.flush()
        return self._session.connection()

    def market(self, hypothesis_id: str) -> tuple[float, float, float]:
        """The market's (liquidity, q_yes, q_no) after the trades made so far in this batch."""
        book = self._books[hypothesis_id]
        return book.liquidity, book.q_yes, book.q_no

    def price(self, hypothesis_id: str) -> float | None:
        """The market's price, or None while no debate has traded it: an untraded market's
        0.50 is its opening, no one's judgement, so it must not stand as the headline."""
        book = self._books[hypothesis_id]
        if book.next_seq == 1:
            return None
        return lmsr_price(book.liquidity, book.q_yes, book.q_no)

    def trade(self, hypothesis_id: str, *, evaluation_id: int, trades: Sequence[TradeLike]) -> None:
        """Append one evaluation's trades; they must start from the market's current price."""
        if not trades:
            return
        book = self._books[hypothesis_id]
        check_fresh(hypothesis_id, book.liquidity, book.q_yes, book.q_no, trades)
        self._trades += trade_rows(
            hypothesis_id=hypothesis_id,
            evaluation_id=evaluation_id,
            first_seq=book.next_seq,
            trades=trades,
            now=self._now,
        )
        book.next_seq += len(trades)
        book.q_yes, book.q_no = moved(book.q_yes, book.q_no, trades)
        book.touched = True

    def snapshot(self, hypothesis_id: str, *, evaluation_id: int, **fields: Any) -> int:
        """Stage the hypothesis's next snapshot; returns its version."""
        book = self._books[hypothesis_id]
        version = book.next_version
        book.next_version += 1
        self._snapshots.append(
            {
                "hypothesis_id": hypothesis_id,
                "evaluation_id": evaluation_id,
                "version": version,
                "created_at": self._now,
                **fields,
            }
        )
        return version

    def write(self) -> None:
        """Insert the trades and snapshots and move the markets: one executemany each."""
        connection = self._connection()
        if self._trades:
            connection.execute(_INSERT_TRADES, self._trades)
        moved = [
            {"hypothesis": h, "q_yes": b.q_yes, "q_no": b.q_no, "now": self._now}
            for h, b in self._books.items()
            if b.touched
        ]
        if moved:
            connection.execute(_MOVE_MARKET, moved)
        if self._snapshots:
            connection.execute(_INSERT_SNAPSHOTS, self._snapshots)
        self._trades.clear()
        self._snapshots.clear()


def _last_by_hypothesis(
    connection: Connection, statement: Select[Any], ids: list[str]
) -> dict[str, int]:
    return {h: int(n or 0) for h, n in connection.execute(statement, {"ids": ids})}


# Every score batch runs these: built once and run on the session's connection, without the
# ORM's per-statement work (storage.queries.prebuilt says why).
_IDS: BindParameter[Any] = bindparam("ids", expanding=True)
_LOCKED_MARKETS = (
    select(_MARKETS.c.hypothesis_id, _MARKETS.c.liquidity, _MARKETS.c.q_yes, _MARKETS.c.q_no)
    .where(_MARKETS.c.hypothesis_id.in_(_IDS))
    .order_by(_MARKETS.c.hypothesis_id)
    .with_for_update()
)


def _last_of(column: Any) -> Select[Any]:
    table = column.table
    return (
        select(table.c.hypothesis_id, func.max(column))
        .where(table.c.hypothesis_id.in_(_IDS))
        .group_by(table.c.hypothesis_id)
    )


_LAST_SEQ = _last_of(_TRADES.c.seq)
_LAST_VERSION = _last_of(_SNAPSHOTS.c.version)
_INSERT_TRADES = insert(_TRADES)
_INSERT_SNAPSHOTS = insert(_SNAPSHOTS)
_MOVE_MARKET = (
    update(_MARKETS)
    .where(_MARKETS.c.hypothesis_id == bindparam("hypothesis"))
    .values(q_yes=bindparam("q_yes"), q_no=bindparam("q_no"), updated_at=bindparam("now"))
)
