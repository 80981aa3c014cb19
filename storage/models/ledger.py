"""The evaluation ledger and the debate turns it owns."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storage.models.base import Base, check_in, utcnow
from storage.models.enums import ACTIVE_STATES, EvaluationState
from storage.models.knowledge import Hypothesis

_LIVE_VALUES = ", ".join(f"'{state.value}'" for state in ACTIVE_STATES)
# The states in which an evaluation still counts as live for dedup (one per configuration).
LIVE_STATES_SQL = f"state IN ({_LIVE_VALUES})"


class Evaluation(Base):
    """The ledger row: the database, not the broker, knows what state an evaluation is in."""

    __tablename__ = "evaluations"
    __table_args__ = (
        check_in("state", EvaluationState, "state"),
        # At most one live evaluation per hypothesis and configuration, enforced by the database
        # so two concurrent queue requests cannot both win.
        Index(
            "uq_evaluations_live_config",
            "hypothesis_id",
            "dedup_key",
            unique=True,
            sqlite_where=text(LIVE_STATES_SQL),
            postgresql_where=text(LIVE_STATES_SQL),
        ),
        Index("ix_evaluations_state_lease", "state", "lease_expires_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    hypothesis_id: Mapped[str] = mapped_column(
        ForeignKey("hypotheses.id", ondelete="CASCADE"), index=True
    )
    config: Mapped[dict[str, Any]] = mapped_column(default=dict)
    config_hash: Mapped[str] = mapped_column(String(64))
    # The date the debate was run as of (config["as_of"], copied for queries); NULL is "now".
    as_of: Mapped[date | None] = mapped_column(Date)
    # The as-of rule its debate followed (config["as_of_rule_version"], common.as_of_rule); NULL for
    # "now", and for blind forecasts made before the rule had versions.
    as_of_rule_version: Mapped[int | None] = mapped_column(Integer)
    # An as-of evaluation's blind forecast (composite, interval, exchange rating on a fresh
    # market): kept here, never in the live score history or market.
    forecast: Mapped[dict[str, Any] | None] = mapped_column()
    # debates.case.case_digest of the case the debate read, recorded at its start (cleared if
    # a resume reads another): a backtest's rerun on the same data reuses an as-of evaluation
    # that succeeded on it (workers.backtest_pipeline).
    case_digest: Mapped[str | None] = mapped_column(String(64))
    # What the debating backend may know beyond its case, recorded at the debate's start
    # (debates.backends.knowledge): True when it reads only the request; else a model's
    # configured training cutoff (its last possible day), or NULL when unknown. A blind
    # forecast grades the personas only if one of them shows the outcome came later.
    reads_only_request: Mapped[bool | None] = mapped_column(Boolean)
    knowledge_cutoff: Mapped[date | None] = mapped_column(Date)
    # The model the backend was asked for, the worker's default filled in when the config
    # names none; NULL for a backend without models, or a debate begun before it was kept
    # whose request and turns name no single model (migration 0032).
    model: Mapped[str | None] = mapped_column(String(200))
    # Equal to config_hash, or NULL for a forced evaluation that may run beside a live twin:
    # NULLs never collide in the unique index below.
    dedup_key: Mapped[str | None] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(16), default=EvaluationState.QUEUED.value)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer, default=3)
    lease_owner: Mapped[str | None] = mapped_column(String(200))
    lease_expires_at: Mapped[datetime | None] = mapped_column()
    heartbeat_at: Mapped[datetime | None] = mapped_column()
    idempotency_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    progress: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # Round-control decisions and panel choices, each with its reason.
    decisions: Mapped[list[Any]] = mapped_column(default=list)
    quality: Mapped[float | None] = mapped_column(Float)
    # The persona believabilities the debate weighed, fixed when it starts: a resumed debate
    # goes on with the weights it began with, and any debate can be replayed exactly.
    believability: Mapped[dict[str, Any] | None] = mapped_column()
    # The debate's data-fence token, fixed with the believabilities: every prompt of the debate,
    # resumed or not, starts with the same bytes (a provider caches that prefix).
    fence_token: Mapped[str | None] = mapped_column(String(32))
    error: Mapped[str | None] = mapped_column(Text)
    # Why a spend limit paused the evaluation (state "paused"); cleared when it resumes.
    paused_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # When a message for this evaluation was last handed to the broker; the reaper re-sends
    # for evaluations queued long ago whose message may have been lost.
    enqueued_at: Mapped[datetime | None] = mapped_column()
    started_at: Mapped[datetime | None] = mapped_column()
    finished_at: Mapped[datetime | None] = mapped_column()
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    hypothesis: Mapped[Hypothesis] = relationship()
    turns: Mapped[list[DebateTurn]] = relationship(
        back_populates="evaluation",
        cascade="all, delete-orphan",
        order_by=lambda: [DebateTurn.round, DebateTurn.id],
    )


class DebateTurn(Base):
    __tablename__ = "debate_turns"
    __table_args__ = (UniqueConstraint("evaluation_id", "round", "persona"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    evaluation_id: Mapped[int] = mapped_column(ForeignKey("evaluations.id", ondelete="CASCADE"))
    round: Mapped[int] = mapped_column(Integer)
    persona: Mapped[str] = mapped_column(String(64))
    backend: Mapped[str] = mapped_column(String(64))
    model: Mapped[str | None] = mapped_column(String(200))
    argument: Mapped[str] = mapped_column(Text)
    claims: Mapped[list[Any]] = mapped_column(default=list)
    scores: Mapped[dict[str, Any]] = mapped_column(default=dict)
    confidence: Mapped[float] = mapped_column(Float)
    probability: Mapped[float] = mapped_column(Float)
    verdict: Mapped[str] = mapped_column(String(16))
    unsupported_citations: Mapped[list[Any]] = mapped_column(default=list)
    prompt_tokens: Mapped[int] = mapped_column(Integer, default=0)
    completion_tokens: Mapped[int] = mapped_column(Integer, default=0)
    cost_usd: Mapped[float] = mapped_column(Float, default=0.0)
    # Of prompt_tokens: read from and written to the provider's prompt cache, priced apart.
    cached_read_tokens: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    cache_write_tokens: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    latency_ms: Mapped[float] = mapped_column(Float, default=0.0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    evaluation: Mapped[Evaluation] = relationship(back_populates="turns")


class UnansweredCall(Base):
    """Tokens a provider billed for a turn that was never stored: a reply that stayed invalid
    after its repair, a repair call that failed, an error after a billed call. With the turns,
    these make the ledger's usage equal to what the provider billed, whatever the outcome."""

    __tablename__ = "unanswered_calls"

    id: Mapped[int] = mapped_column(primary_key=True)
    evaluation_id: Mapped[int] = mapped_column(
        ForeignKey("evaluations.id", ondelete="CASCADE"), index=True
    )
    round: Mapped[int] = mapped_column(Integer)
    persona: Mapped[str] = mapped_column(String(64))
    error: Mapped[str] = mapped_column(String(200))
    prompt_tokens: Mapped[int] = mapped_column(Integer, default=0)
    completion_tokens: Mapped[int] = mapped_column(Integer, default=0)
    cost_usd: Mapped[float] = mapped_column(Float, default=0.0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
