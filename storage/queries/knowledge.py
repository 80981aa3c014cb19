"""Genes, diseases, drugs and hypotheses: lookups and listings."""

from __future__ import annotations

import re
from typing import Any, TypeVar

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, selectinload

from storage.errors import NotFoundError
from storage.models import Disease, Drug, Gene, Hypothesis

QueryT = TypeVar("QueryT", bound=Select[Any])

_NON_SLUG = re.compile(r"[^a-z0-9]+")


def disease_slug(name: str) -> str:
    """Fold a disease's spellings to one key: "ALZHEIMER'S DISEASE" -> "alzheimers-disease"."""
    return _NON_SLUG.sub("-", name.lower().replace("'", "")).strip("-")


def get_gene(session: Session, *, symbol: str) -> Gene:
    gene = find_gene(session, symbol=symbol)
    if gene is None:
        raise NotFoundError(f"gene {symbol!r} does not exist")
    return gene


def find_gene(session: Session, *, symbol: str) -> Gene | None:
    return session.scalar(select(Gene).where(func.upper(Gene.symbol) == symbol.upper()))


def list_genes(session: Session, *, limit: int = 1000, offset: int = 0) -> list[Gene]:
    return list(session.scalars(select(Gene).order_by(Gene.symbol).limit(limit).offset(offset)))


def find_disease(session: Session, *, name: str) -> Disease | None:
    return session.scalar(select(Disease).where(Disease.slug == disease_slug(name)))


def find_hypothesis(session: Session, *, hypothesis_id: str) -> Hypothesis | None:
    """The hypothesis with its genes, diseases and evidence loaded, or None."""
    return session.scalar(
        select(Hypothesis)
        .where(Hypothesis.id == hypothesis_id)
        .options(
            selectinload(Hypothesis.genes),
            selectinload(Hypothesis.diseases),
            selectinload(Hypothesis.evidence),
        )
    )


def get_hypothesis(session: Session, *, hypothesis_id: str) -> Hypothesis:
    hypothesis = find_hypothesis(session, hypothesis_id=hypothesis_id)
    if hypothesis is None:
        raise missing_hypothesis(session, hypothesis_id)
    return hypothesis


def missing_hypothesis(session: Session, hypothesis_id: str) -> NotFoundError:
    """The error for an id no hypothesis has, naming the stored id it differs from only by
    letter case or surrounding spaces (ids are lower case: 'H-51E7234F' means h-51e7234f)."""
    message = f"hypothesis {hypothesis_id!r} does not exist"
    near = hypothesis_id.strip().lower()
    if near != hypothesis_id and session.get(Hypothesis, near) is not None:
        message += f"; did you mean {near!r}?"
    return NotFoundError(message)


def hypothesis_filters(
    query: QueryT, *, gene: str | None, disease: str | None, status: str | None
) -> QueryT:
    """Narrow a hypothesis query by target gene, disease (any spelling) and status."""
    if gene is not None:
        query = query.where(Hypothesis.genes.any(func.upper(Gene.symbol) == gene.upper()))
    if disease is not None:
        query = query.where(Hypothesis.diseases.any(Disease.slug == disease_slug(disease)))
    if status is not None:
        query = query.where(Hypothesis.status == status)
    return query


def list_hypotheses(
    session: Session,
    *,
    gene: str | None = None,
    disease: str | None = None,
    status: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[Hypothesis]:
    query = (
        select(Hypothesis)
        .options(selectinload(Hypothesis.genes), selectinload(Hypothesis.diseases))
        .order_by(Hypothesis.id)
        .limit(limit)
        .offset(offset)
    )
    return list(
        session.scalars(hypothesis_filters(query, gene=gene, disease=disease, status=status))
    )


def count_rows(session: Session) -> dict[str, int]:
    """Row counts of the main tables, for summaries and health checks."""
    from storage.models import Base

    counts: dict[str, int] = {}
    for name in (
        "genes",
        "diseases",
        "drugs",
        "hypotheses",
        "evidence_items",
        "gene_pages",
        "displayed_scores",
        "evaluations",
        "debate_turns",
        "score_snapshots",
    ):
        table = Base.metadata.tables[name]
        counts[name] = int(session.scalar(select(func.count()).select_from(table)) or 0)
    return counts


def upsert_gene(session: Session, *, symbol: str, **fields: Any) -> Gene:
    """Create the gene, or update the given fields of the existing one (None leaves a field)."""
    gene = find_gene(session, symbol=symbol)
    if gene is None:
        gene = Gene(symbol=symbol, infobox={}, functions=[], references=[])
        session.add(gene)
    for name, value in fields.items():
        if value is not None and getattr(gene, name) != value:
            setattr(gene, name, value)
    session.flush()
    return gene


def ensure_disease(session: Session, *, name: str) -> Disease:
    """The disease with this name's slug, created under ``name`` when new."""
    disease = find_disease(session, name=name)
    if disease is None:
        disease = Disease(slug=disease_slug(name), name=name.strip())
        session.add(disease)
        session.flush()
    return disease


def find_drug(session: Session, *, name: str) -> Drug | None:
    return session.scalar(select(Drug).where(func.lower(Drug.name) == name.strip().lower()))


def fill_drug(session: Session, *, name: str, **fields: Any) -> Drug:
    """Create the drug, or set only those of the given fields the stored drug still lacks.

    How gene pages record drugs: the curated hypothesis file (``upsert_drug``) is the source
    that corrects a drug's facts, and a page only fills gaps. Were both to overwrite, each
    re-import of either unchanged file would flip the other's wording back.
    """
    drug = find_drug(session, name=name)
    if drug is None:
        drug = Drug(name=name.strip())
        session.add(drug)
    for field_name, value in fields.items():
        if value is not None and getattr(drug, field_name) is None:
            setattr(drug, field_name, value)
    session.flush()
    return drug


def upsert_drug(session: Session, *, name: str, **fields: Any) -> Drug:
    """Create the drug, or fill in the given fields of the existing one (None leaves a field)."""
    drug = find_drug(session, name=name)
    if drug is None:
        drug = Drug(name=name.strip())
        session.add(drug)
    for field_name, value in fields.items():
        if value is not None and getattr(drug, field_name) != value:
            setattr(drug, field_name, value)
    session.flush()
    return drug
