"""Bulk reads behind the publisher: a few queries per batch of pages, whatever the page count.

Everything returns plain values (no ORM objects), because the publisher handles tens of
thousands of pages and only needs a handful of columns from each row.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storage.errors import NotFoundError
from storage.models import (
    Gene,
    GenePage,
    Hypothesis,
    HypothesisStatus,
    ScoreSnapshot,
    hypothesis_genes,
)
from storage.queries.revisions import IN_CHUNK


@dataclass(frozen=True)
class ImportedPage:
    """An imported gene page without its text: its name and the gene it was imported as."""

    name: str
    gene_symbol: str | None
    content_sha256: str


@dataclass(frozen=True)
class SnapshotFacts:
    """The columns of a score snapshot that a published page and its badge show."""

    id: int
    hypothesis_id: str
    version: int
    composite: float
    composite_low: float
    composite_high: float
    market_price: float | None


@dataclass(frozen=True)
class LatestSnapshots:
    """A hypothesis's newest snapshot and the one before it (for the badge's trend arrow)."""

    latest: SnapshotFacts
    previous: SnapshotFacts | None


def imported_pages(
    session: Session, *, gene_symbols: Sequence[str] | None = None
) -> list[ImportedPage]:
    """Imported pages (all, or those of the given genes, any case), by name."""
    query = (
        select(GenePage.name, Gene.symbol, GenePage.content_sha256)
        .outerjoin(Gene, GenePage.gene_id == Gene.id)
        .order_by(GenePage.name)
    )
    if gene_symbols is not None:
        wanted = sorted({symbol.upper() for symbol in gene_symbols})
        query = query.where(func.upper(Gene.symbol).in_(wanted))
    return [ImportedPage(name, symbol, sha) for name, symbol, sha in session.execute(query)]


def imported_page_content(session: Session, *, name: str) -> str:
    """The page's text as imported, byte-for-byte."""
    content = session.scalar(select(GenePage.content).where(GenePage.name == name))
    if content is None:
        raise NotFoundError(f"gene page {name!r} was never imported")
    return content


def gene_hypothesis_ids(
    session: Session, *, gene_symbols: Sequence[str] | None = None
) -> dict[str, list[str]]:
    """Hypotheses linked to each gene, keyed by the gene's symbol upper-cased."""
    query = (
        select(Gene.symbol, hypothesis_genes.c.hypothesis_id)
        .join(hypothesis_genes, hypothesis_genes.c.gene_id == Gene.id)
        .order_by(Gene.symbol, hypothesis_genes.c.hypothesis_id)
    )
    linked: dict[str, list[str]] = {}
    for symbols in _chunks(None if gene_symbols is None else [s.upper() for s in gene_symbols]):
        chunk = query if symbols is None else query.where(func.upper(Gene.symbol).in_(symbols))
        for symbol, hypothesis_id in session.execute(chunk):
            linked.setdefault(symbol.upper(), []).append(hypothesis_id)
    return linked


@dataclass(frozen=True)
class HypothesisLabels:
    """What a page shows of its hypotheses besides their numbers: titles, and the outcome
    ("validated" or "refuted") of each that is resolved."""

    titles: dict[str, str]
    outcomes: dict[str, str]


def hypothesis_labels(session: Session, *, hypothesis_ids: Iterable[str]) -> HypothesisLabels:
    """Titles and outcomes of the hypotheses that exist, one query per few thousand ids;
    unknown ids are absent."""
    labels = HypothesisLabels({}, {})
    for ids in _chunks(list(hypothesis_ids)):
        if not ids:
            continue
        query = select(Hypothesis.id, Hypothesis.title, Hypothesis.status).where(
            Hypothesis.id.in_(ids)
        )
        for hypothesis_id, title, status in session.execute(query):
            labels.titles[str(hypothesis_id)] = str(title)
            if status != HypothesisStatus.OPEN.value:
                labels.outcomes[str(hypothesis_id)] = str(status)
    return labels


def latest_snapshot_facts(
    session: Session, *, hypothesis_ids: Iterable[str]
) -> dict[str, LatestSnapshots]:
    """The newest two snapshots of each hypothesis, one query per few thousand ids.

    Hypotheses without a snapshot are absent.
    """
    columns = (
        ScoreSnapshot.id,
        ScoreSnapshot.hypothesis_id,
        ScoreSnapshot.version,
        ScoreSnapshot.composite,
        ScoreSnapshot.composite_low,
        ScoreSnapshot.composite_high,
        ScoreSnapshot.market_price,
    )
    rank = func.row_number().over(
        partition_by=ScoreSnapshot.hypothesis_id, order_by=ScoreSnapshot.version.desc()
    )
    found: dict[str, LatestSnapshots] = {}
    for ids in _chunks(list(hypothesis_ids)):
        if not ids:
            continue
        ranked = (
            select(*columns, rank.label("rank"))
            .where(ScoreSnapshot.hypothesis_id.in_(ids))
            .subquery()
        )
        rows = session.execute(
            select(*(ranked.c[c.key] for c in columns))
            .where(ranked.c.rank <= 2)
            .order_by(ranked.c.hypothesis_id, ranked.c.version.desc())
        )
        for row in rows:
            facts = SnapshotFacts(*row)
            known = found.get(facts.hypothesis_id)
            if known is None:
                found[facts.hypothesis_id] = LatestSnapshots(latest=facts, previous=None)
            else:
                found[facts.hypothesis_id] = LatestSnapshots(latest=known.latest, previous=facts)
    return found


def _chunks(values: Sequence[str] | None) -> list[list[str] | None]:
    if values is None:
        return [None]
    unique = sorted(set(values))
    return [unique[i : i + IN_CHUNK] for i in range(0, len(unique), IN_CHUNK)]
