"""Gene pages as imported, the scores they displayed, and the revisions hyposcore published."""

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
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storage.models.base import Base, check_in, utcnow
from storage.models.enums import ScoreSource
from storage.models.knowledge import Gene


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
        check_in("source", ScoreSource, "source"),
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
    # Hypothesis id -> "validated" or "refuted", for each resolved hypothesis the page shows.
    outcomes: Mapped[dict[str, Any]] = mapped_column(default=dict, server_default=text("'{}'"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
