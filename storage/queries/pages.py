"""Gene pages as imported, the scores they displayed, and the gene links an import writes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from common.text import content_digest
from storage.errors import NotFoundError
from storage.models import Disease, DisplayedScore, Drug, Gene, GenePage, utcnow


@dataclass(frozen=True)
class ShownScore:
    """The values of one DisplayedScore row: a score a page showed, and where."""

    hypothesis_id: str
    source: str
    title: str | None
    score: float
    raw: str


def find_gene_page(session: Session, *, name: str) -> GenePage | None:
    return session.scalar(select(GenePage).where(GenePage.name == name))


def get_gene_page(session: Session, *, name: str) -> GenePage:
    page = find_gene_page(session, name=name)
    if page is None:
        raise NotFoundError(f"gene page {name!r} does not exist")
    return page


def list_gene_pages(
    session: Session, *, gene_symbol: str | None = None, limit: int = 1000, offset: int = 0
) -> list[GenePage]:
    query = select(GenePage).order_by(GenePage.name).limit(limit).offset(offset)
    if gene_symbol is not None:
        query = query.join(Gene, GenePage.gene_id == Gene.id).where(
            func.upper(Gene.symbol) == gene_symbol.upper()
        )
    return list(session.scalars(query))


def save_gene_page(
    session: Session,
    *,
    name: str,
    gene_id: int | None,
    source_path: str | None,
    content: str,
    problems: Sequence[dict[str, Any]],
    now: datetime | None = None,
) -> tuple[GenePage, bool]:
    """Create or update the page called ``name``; returns it and whether anything changed.

    An unchanged page is not touched at all (not even ``imported_at``), so re-importing the
    same file is a no-op.
    """
    values: dict[str, Any] = {
        "gene_id": gene_id,
        "source_path": source_path,
        "content": content,
        "content_sha256": content_digest(content),
        "problems": [dict(p) for p in problems],
    }
    page = find_gene_page(session, name=name)
    if page is None:
        page = GenePage(name=name, imported_at=now or utcnow(), **values)
        session.add(page)
        session.flush()
        return page, True
    changed = {key: value for key, value in values.items() if getattr(page, key) != value}
    if not changed:
        return page, False
    for key, value in changed.items():
        setattr(page, key, value)
    page.imported_at = now or utcnow()
    session.flush()
    return page, True


def sync_displayed_scores(session: Session, *, page_id: int, scores: Sequence[ShownScore]) -> bool:
    """Make the page's DisplayedScore rows exactly ``scores``, touching only rows that differ.

    Returns whether anything changed.
    """
    existing = {
        (row.hypothesis_id, row.source): row
        for row in session.scalars(select(DisplayedScore).where(DisplayedScore.page_id == page_id))
    }
    changed = False
    wanted = set()
    for shown in scores:
        key = (shown.hypothesis_id, shown.source)
        wanted.add(key)
        row = existing.get(key)
        if row is None:
            session.add(DisplayedScore(page_id=page_id, **vars(shown)))
            changed = True
            continue
        for field in ("title", "score", "raw"):
            if getattr(row, field) != getattr(shown, field):
                setattr(row, field, getattr(shown, field))
                changed = True
    for key, row in existing.items():
        if key not in wanted:
            session.delete(row)
            changed = True
    session.flush()
    return changed


def list_displayed_scores(
    session: Session, *, page_name: str | None = None, hypothesis_id: str | None = None
) -> list[DisplayedScore]:
    query = select(DisplayedScore).order_by(DisplayedScore.page_id, DisplayedScore.id)
    if page_name is not None:
        query = query.join(GenePage).where(GenePage.name == page_name)
    if hypothesis_id is not None:
        query = query.where(DisplayedScore.hypothesis_id == hypothesis_id)
    return list(session.scalars(query))


def link_gene_disease(session: Session, *, gene: Gene, disease: Disease) -> bool:
    """Associate a disease with a gene once; returns whether the link is new."""
    if disease in gene.diseases:
        return False
    gene.diseases.append(disease)
    session.flush()
    return True


def link_gene_drug(session: Session, *, gene: Gene, drug: Drug) -> bool:
    """Associate a drug with a gene once; returns whether the link is new."""
    if drug in gene.drugs:
        return False
    gene.drugs.append(drug)
    session.flush()
    return True
