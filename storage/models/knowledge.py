"""Knowledge: genes, diseases, drugs, hypotheses and the evidence they cite."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storage.models.base import Base, check_in, utcnow
from storage.models.enums import Direction, HypothesisStatus, StudyType

# --- association tables ---------------------------------------------------------------------

gene_diseases = Table(
    "gene_diseases",
    Base.metadata,
    Column("gene_id", ForeignKey("genes.id", ondelete="CASCADE"), primary_key=True),
    Column("disease_id", ForeignKey("diseases.id", ondelete="CASCADE"), primary_key=True),
    # When the link was first published ("1993", "1993-03", "1993-03-04"), where known: an
    # as-of debate reads the link only from then on.
    Column("linked_since", String(10), nullable=True),
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
    # Other symbols and names of the gene, from a page's Aliases row.
    aliases: Mapped[list[Any]] = mapped_column(default=list)
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
    # When its reaching the brain was first published ("2009", "2009-06"), where known.
    brain_penetrant_since: Mapped[str | None] = mapped_column(String(10))
    # Its dated status changes, in common.drug_status's stored form; None when undated.
    status_history: Mapped[str | None] = mapped_column(Text)


# --- hypotheses and their evidence ---------------------------------------------------------


class Hypothesis(Base):
    __tablename__ = "hypotheses"
    __table_args__ = (check_in("status", HypothesisStatus, "status"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    title: Mapped[str] = mapped_column(String(500))
    statement: Mapped[str] = mapped_column(Text, default="")
    intervention_type: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default=HypothesisStatus.OPEN.value)
    resolution_source: Mapped[str | None] = mapped_column(Text)
    resolved_on: Mapped[date | None] = mapped_column(Date)
    # The publication that settled it, "PMID:..." or "DOI:..."; an as-of debate never sees it.
    resolution_citation: Mapped[str | None] = mapped_column(String(300))
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
        check_in("direction", Direction, "direction"),
        check_in("study_type", StudyType, "study_type"),
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
    # When it was published: a year at least, the month and day where known.
    year: Mapped[int | None] = mapped_column(Integer)
    month: Mapped[int | None] = mapped_column(Integer)
    day: Mapped[int | None] = mapped_column(Integer)
    sample_size: Mapped[int | None] = mapped_column(Integer)
    replicated: Mapped[bool | None] = mapped_column()
    # When it was first reproduced ("1998", "1998-06", "1998-06-04"), where known.
    replicated_since: Mapped[str | None] = mapped_column(String(10))

    hypothesis: Mapped[Hypothesis] = relationship(back_populates="evidence")
