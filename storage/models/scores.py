"""Scores, the exchange, the tournament and persona calibration."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, check_in, utcnow
from storage.models.enums import MatchOutcome


class ScoringConfig(Base):
    """A dimension-weight configuration, addressed by its hash so snapshots never mix scales."""

    __tablename__ = "scoring_configs"

    hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    weights: Mapped[dict[str, Any]] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ScoreSnapshot(Base):
    """One versioned score of a hypothesis; every badge and page number comes from one of these."""

    __tablename__ = "score_snapshots"
    __table_args__ = (
        UniqueConstraint("hypothesis_id", "version"),
        UniqueConstraint("evaluation_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    hypothesis_id: Mapped[str] = mapped_column(
        ForeignKey("hypotheses.id", ondelete="CASCADE"), index=True
    )
    evaluation_id: Mapped[int | None] = mapped_column(
        ForeignKey("evaluations.id", ondelete="SET NULL")
    )
    version: Mapped[int] = mapped_column(Integer)
    # {dimension: {"mean": .., "low": .., "high": .., "n": ..}}; missing dimensions are absent.
    dimensions: Mapped[dict[str, Any]] = mapped_column(default=dict)
    composite: Mapped[float] = mapped_column(Float)
    composite_low: Mapped[float] = mapped_column(Float)
    composite_high: Mapped[float] = mapped_column(Float)
    coverage: Mapped[float] = mapped_column(Float)
    market_price: Mapped[float | None] = mapped_column(Float)
    rating: Mapped[float | None] = mapped_column(Float)
    rating_low: Mapped[float | None] = mapped_column(Float)
    rating_high: Mapped[float | None] = mapped_column(Float)
    quality: Mapped[float | None] = mapped_column(Float)
    config_hash: Mapped[str] = mapped_column(ForeignKey("scoring_configs.hash"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Market(Base):
    """The LMSR state of one hypothesis; rebuildable from its trades."""

    __tablename__ = "markets"

    hypothesis_id: Mapped[str] = mapped_column(
        ForeignKey("hypotheses.id", ondelete="CASCADE"), primary_key=True
    )
    liquidity: Mapped[float] = mapped_column(Float)
    q_yes: Mapped[float] = mapped_column(Float, default=0.0)
    q_no: Mapped[float] = mapped_column(Float, default=0.0)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class MarketTrade(Base):
    __tablename__ = "market_trades"
    __table_args__ = (
        UniqueConstraint("evaluation_id", "persona"),
        UniqueConstraint("hypothesis_id", "seq"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    hypothesis_id: Mapped[str] = mapped_column(ForeignKey("hypotheses.id", ondelete="CASCADE"))
    evaluation_id: Mapped[int | None] = mapped_column(
        ForeignKey("evaluations.id", ondelete="SET NULL")
    )
    seq: Mapped[int] = mapped_column(Integer)
    persona: Mapped[str] = mapped_column(String(64))
    target_probability: Mapped[float] = mapped_column(Float)
    shares_yes: Mapped[float] = mapped_column(Float)
    shares_no: Mapped[float] = mapped_column(Float)
    cost: Mapped[float] = mapped_column(Float)
    price_before: Mapped[float] = mapped_column(Float)
    price_after: Mapped[float] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class TournamentMatch(Base):
    __tablename__ = "tournament_matches"
    __table_args__ = (check_in("outcome", MatchOutcome, "outcome"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    hypothesis_a: Mapped[str] = mapped_column(ForeignKey("hypotheses.id", ondelete="CASCADE"))
    hypothesis_b: Mapped[str] = mapped_column(ForeignKey("hypotheses.id", ondelete="CASCADE"))
    outcome: Mapped[str] = mapped_column(String(16))
    # The judge's verdicts with A shown first and with B shown first, as read. A match judged
    # once (the default since 0007) shows A first and leaves verdict_ba NULL.
    verdict_ab: Mapped[str | None] = mapped_column(String(32))
    verdict_ba: Mapped[str | None] = mapped_column(String(32))
    judge: Mapped[str] = mapped_column(String(64))
    rationale: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Rating(Base):
    """The tournament rating of record (Bradley–Terry, by component) and the live Elo."""

    __tablename__ = "ratings"

    hypothesis_id: Mapped[str] = mapped_column(
        ForeignKey("hypotheses.id", ondelete="CASCADE"), primary_key=True
    )
    strength: Mapped[float | None] = mapped_column(Float)
    strength_low: Mapped[float | None] = mapped_column(Float)
    strength_high: Mapped[float | None] = mapped_column(Float)
    elo: Mapped[float] = mapped_column(Float, default=1200.0)
    matches: Mapped[int] = mapped_column(Integer, default=0)
    # Won or lost (not tied) matches; below MIN_DECIDED the entrant is unrated (strength NULL).
    decided: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Connected component of the comparison graph (1 = largest); strengths order only within it.
    component: Mapped[int | None] = mapped_column(Integer)
    component_size: Mapped[int | None] = mapped_column(Integer)
    # The judge's fitted pull towards the first-shown hypothesis (the same for the whole fit).
    position_bias: Mapped[float | None] = mapped_column(Float)
    position_bias_low: Mapped[float | None] = mapped_column(Float)
    position_bias_high: Mapped[float | None] = mapped_column(Float)
    # The sd of log-strengths the fit learnt from the matches, with its interval (the same for
    # the whole fit).
    strength_spread: Mapped[float | None] = mapped_column(Float)
    strength_spread_low: Mapped[float | None] = mapped_column(Float)
    strength_spread_high: Mapped[float | None] = mapped_column(Float)
    fitted_at: Mapped[datetime | None] = mapped_column()


class PersonaCalibration(Base):
    """A persona's believability, moved by its Brier score on resolved hypotheses."""

    __tablename__ = "persona_calibration"

    persona: Mapped[str] = mapped_column(String(64), primary_key=True)
    believability: Mapped[float] = mapped_column(Float, default=1.0)
    brier: Mapped[float | None] = mapped_column(Float)
    resolved_count: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
