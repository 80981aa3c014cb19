"""SQLAlchemy models: the ledger and the single source of truth for every number hyposcore shows.

Conventions: timestamps are timezone-aware UTC; enumerations are stored as short strings with a
CHECK constraint (portable across SQLite and PostgreSQL, readable in ad-hoc SQL); free-form
structured data (raw infobox rows, per-dimension scores) is JSON.
"""

from __future__ import annotations

import enum
from datetime import UTC, date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp that is always timezone-aware UTC in Python, whatever the database keeps.

    SQLite has no time zones and hands back naive values; comparing those with aware ones
    (lease expiry against now) would raise, so they are normalised on the way in and out.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: hyposcore stores UTC-aware timestamps")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        dict[str, Any]: JSON,
        list[Any]: JSON,
        datetime: UTCDateTime(),
    }


def _check_in(column: str, values: type[enum.StrEnum], name: str) -> CheckConstraint:
    allowed = ", ".join(f"'{v.value}'" for v in values)
    return CheckConstraint(f"{column} IN ({allowed})", name=name)


class HypothesisStatus(enum.StrEnum):
    OPEN = "open"
    VALIDATED = "validated"
    REFUTED = "refuted"


class Direction(enum.StrEnum):
    SUPPORTS = "supports"
    CONTRADICTS = "contradicts"


class StudyType(enum.StrEnum):
    META_ANALYSIS = "meta-analysis"
    RCT = "rct"
    HUMAN_COHORT = "human-cohort"
    HUMAN_GENETICS = "human-genetics"
    ANIMAL_MODEL = "animal-model"
    IN_VITRO = "in-vitro"
    COMPUTATIONAL = "computational"
    REVIEW = "review"


class EvaluationState(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"


ACTIVE_STATES = (EvaluationState.QUEUED, EvaluationState.RUNNING)
TERMINAL_STATES = (EvaluationState.SUCCEEDED, EvaluationState.FAILED, EvaluationState.CANCELLED)


class ScoreSource(enum.StrEnum):
    """Where on a gene page a displayed score was read."""

    INFOBOX = "infobox"
    EXCHANGE = "exchange"


class MatchOutcome(enum.StrEnum):
    A = "a"
    B = "b"
    TIE = "tie"
    INVALID = "invalid"


# --- association tables ---------------------------------------------------------------------

gene_diseases = Table(
    "gene_diseases",
    Base.metadata,
    Column("gene_id", ForeignKey("genes.id", ondelete="CASCADE"), primary_key=True),
    Column("disease_id", ForeignKey("diseases.id", ondelete="CASCADE"), primary_key=True),
)

gene_drugs = Table(
    "gene_drugs",
    Base.metadata,
    Column("gene_id", ForeignKey("genes.id", ondelete="CASCADE"), primary_key=True),
    Column("drug_id", ForeignKey("drugs.id", ondelete="CASCADE"), primary_key=True),
)

hypothesis_genes = Table(
    "hypothesis_genes",
    Base.metadata,
    Column("hypothesis_id", ForeignKey("hypotheses.id", ondelete="CASCADE"), primary_key=True),
    Column("gene_id", ForeignKey("genes.id", ondelete="CASCADE"), primary_key=True),
)

hypothesis_diseases = Table(
    "hypothesis_diseases",
    Base.metadata,
    Column("hypothesis_id", ForeignKey("hypotheses.id", ondelete="CASCADE"), primary_key=True),
    Column("disease_id", ForeignKey("diseases.id", ondelete="CASCADE"), primary_key=True),
)


# --- knowledge: genes, diseases, drugs -----------------------------------------------------


class Gene(Base):
    __tablename__ = "genes"

    id: Mapped[int] = mapped_column(primary_key=True)
    symbol: Mapped[str] = mapped_column(String(32), unique=True)
    full_name: Mapped[str | None] = mapped_column(String(300))
    location: Mapped[str | None] = mapped_column(String(64))
    ncbi_gene_id: Mapped[str | None] = mapped_column(String(32))
    ensembl_id: Mapped[str | None] = mapped_column(String(32))
    uniprot_id: Mapped[str | None] = mapped_column(String(32))
    omim_id: Mapped[str | None] = mapped_column(String(32))
    protein_length: Mapped[int | None] = mapped_column(Integer)
    molecular_weight: Mapped[str | None] = mapped_column(String(64))
    kg_edges: Mapped[int | None] = mapped_column(Integer)
    # Label/value rows exactly as the infobox shows them, and its sub-tables (Target/Function...).
    infobox: Mapped[dict[str, Any]] = mapped_column(default=dict)
    functions: Mapped[list[Any]] = mapped_column(default=list)
    references: Mapped[list[Any]] = mapped_column(default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    diseases: Mapped[list[Disease]] = relationship(secondary=gene_diseases, order_by="Disease.name")
    drugs: Mapped[list[Drug]] = relationship(secondary=gene_drugs, order_by="Drug.name")


class Disease(Base):
    __tablename__ = "diseases"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The slug folds the many spellings a wiki uses ("ALZHEIMER'S DISEASE", "Alzheimer's disease").
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    name: Mapped[str] = mapped_column(String(200))


class Drug(Base):
    __tablename__ = "drugs"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    mechanism: Mapped[str | None] = mapped_column(String(300))
    target_complex: Mapped[str | None] = mapped_column(String(120))
    approval_status: Mapped[str | None] = mapped_column(String(64))
    brain_penetrant: Mapped[bool | None] = mapped_column()


# --- gene pages as imported and as published ------------------------------------------------


class GenePage(Base):
    """A wiki page as imported: its text is kept byte-for-byte so later edits stay surgical."""

    __tablename__ = "gene_pages"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    gene_id: Mapped[int | None] = mapped_column(ForeignKey("genes.id", ondelete="SET NULL"))
    source_path: Mapped[str | None] = mapped_column(String(1000))
    content: Mapped[str] = mapped_column(Text)
    content_sha256: Mapped[str] = mapped_column(String(64))
    problems: Mapped[list[Any]] = mapped_column(default=list)
    imported_at: Mapped[datetime] = mapped_column(default=utcnow)

    gene: Mapped[Gene | None] = relationship()
    displayed_scores: Mapped[list[DisplayedScore]] = relationship(
        back_populates="page", cascade="all, delete-orphan", order_by="DisplayedScore.id"
    )


class DisplayedScore(Base):
    """A score a page displayed for a hypothesis, with where on the page it stood."""

    __tablename__ = "displayed_scores"
    __table_args__ = (
        UniqueConstraint("page_id", "hypothesis_id", "source"),
        _check_in("source", ScoreSource, "source"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    page_id: Mapped[int] = mapped_column(ForeignKey("gene_pages.id", ondelete="CASCADE"))
    hypothesis_id: Mapped[str] = mapped_column(String(64))
    title: Mapped[str | None] = mapped_column(String(500))
    score: Mapped[float] = mapped_column(Float)
    source: Mapped[str] = mapped_column(String(16))
    raw: Mapped[str] = mapped_column(Text)

    page: Mapped[GenePage] = relationship(back_populates="displayed_scores")


class PageRevision(Base):
    """One published version of a gene page: when, what, and from which snapshots."""

    __tablename__ = "page_revisions"
    __table_args__ = (UniqueConstraint("page_name", "revision"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    page_name: Mapped[str] = mapped_column(String(200), index=True)
    revision: Mapped[int] = mapped_column(Integer)
    content: Mapped[str] = mapped_column(Text)
    content_sha256: Mapped[str] = mapped_column(String(64))
    snapshot_ids: Mapped[list[Any]] = mapped_column(default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


# --- hypotheses and their evidence ---------------------------------------------------------


class Hypothesis(Base):
    __tablename__ = "hypotheses"
    __table_args__ = (_check_in("status", HypothesisStatus, "status"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    title: Mapped[str] = mapped_column(String(500))
    statement: Mapped[str] = mapped_column(Text, default="")
    intervention_type: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default=HypothesisStatus.OPEN.value)
    resolution_source: Mapped[str | None] = mapped_column(Text)
    resolved_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    genes: Mapped[list[Gene]] = relationship(secondary=hypothesis_genes, order_by="Gene.symbol")
    diseases: Mapped[list[Disease]] = relationship(
        secondary=hypothesis_diseases, order_by="Disease.name"
    )
    evidence: Mapped[list[EvidenceItem]] = relationship(
        back_populates="hypothesis", cascade="all, delete-orphan", order_by="EvidenceItem.id"
    )


class EvidenceItem(Base):
    __tablename__ = "evidence_items"
    __table_args__ = (
        UniqueConstraint("hypothesis_id", "citation"),
        _check_in("direction", Direction, "direction"),
        _check_in("study_type", StudyType, "study_type"),
        CheckConstraint("pmid IS NOT NULL OR doi IS NOT NULL", name="has_citation"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    hypothesis_id: Mapped[str] = mapped_column(ForeignKey("hypotheses.id", ondelete="CASCADE"))
    # Canonical citation key, "PMID:12345" or "DOI:10.x/y"; the debates cite by this key.
    citation: Mapped[str] = mapped_column(String(300))
    pmid: Mapped[str | None] = mapped_column(String(16))
    doi: Mapped[str | None] = mapped_column(String(255))
    claim: Mapped[str] = mapped_column(Text)
    direction: Mapped[str] = mapped_column(String(16))
    study_type: Mapped[str] = mapped_column(String(32))
    organism: Mapped[str | None] = mapped_column(String(100))
    year: Mapped[int | None] = mapped_column(Integer)
    sample_size: Mapped[int | None] = mapped_column(Integer)
    replicated: Mapped[bool | None] = mapped_column()

    hypothesis: Mapped[Hypothesis] = relationship(back_populates="evidence")


# --- the evaluation ledger -----------------------------------------------------------------


class Evaluation(Base):
    """The ledger row: the database, not the broker, knows what state an evaluation is in."""

    __tablename__ = "evaluations"
    __table_args__ = (
        _check_in("state", EvaluationState, "state"),
        # At most one live evaluation per hypothesis and configuration, enforced by the database
        # so two concurrent queue requests cannot both win.
        Index(
            "uq_evaluations_live_config",
            "hypothesis_id",
            "dedup_key",
            unique=True,
            sqlite_where=text("state IN ('queued', 'running')"),
            postgresql_where=text("state IN ('queued', 'running')"),
        ),
        Index("ix_evaluations_state_lease", "state", "lease_expires_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    hypothesis_id: Mapped[str] = mapped_column(
        ForeignKey("hypotheses.id", ondelete="CASCADE"), index=True
    )
    config: Mapped[dict[str, Any]] = mapped_column(default=dict)
    config_hash: Mapped[str] = mapped_column(String(64))
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
    error: Mapped[str | None] = mapped_column(Text)
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
    latency_ms: Mapped[float] = mapped_column(Float, default=0.0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    evaluation: Mapped[Evaluation] = relationship(back_populates="turns")


# --- scores, the exchange and the tournament -----------------------------------------------


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
    __table_args__ = (_check_in("outcome", MatchOutcome, "outcome"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    hypothesis_a: Mapped[str] = mapped_column(ForeignKey("hypotheses.id", ondelete="CASCADE"))
    hypothesis_b: Mapped[str] = mapped_column(ForeignKey("hypotheses.id", ondelete="CASCADE"))
    outcome: Mapped[str] = mapped_column(String(16))
    # The judge's verdicts with A shown first and with B shown first, as read.
    verdict_ab: Mapped[str | None] = mapped_column(String(32))
    verdict_ba: Mapped[str | None] = mapped_column(String(32))
    judge: Mapped[str] = mapped_column(String(64))
    rationale: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Rating(Base):
    """The tournament rating of record (Bradley–Terry) and the live Elo between fits."""

    __tablename__ = "ratings"

    hypothesis_id: Mapped[str] = mapped_column(
        ForeignKey("hypotheses.id", ondelete="CASCADE"), primary_key=True
    )
    strength: Mapped[float | None] = mapped_column(Float)
    strength_low: Mapped[float | None] = mapped_column(Float)
    strength_high: Mapped[float | None] = mapped_column(Float)
    elo: Mapped[float] = mapped_column(Float, default=1200.0)
    matches: Mapped[int] = mapped_column(Integer, default=0)
    fitted_at: Mapped[datetime | None] = mapped_column()


class PersonaCalibration(Base):
    """A persona's believability, moved by its Brier score on resolved hypotheses."""

    __tablename__ = "persona_calibration"

    persona: Mapped[str] = mapped_column(String(64), primary_key=True)
    believability: Mapped[float] = mapped_column(Float, default=1.0)
    brier: Mapped[float | None] = mapped_column(Float)
    resolved_count: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class ApiToken(Base):
    """A write token for the HTTP API; only its SHA-256 is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column()
    revoked_at: Mapped[datetime | None] = mapped_column()
