"""What a debate reads about its hypotheses, as plain rows in six small queries.

Every evaluation starts by reading its hypothesis's case. Loading whole ORM objects for it
(each gene's infobox and references as JSON, relationship loaders, identity map) cost a worker
more CPU than a model turn's own bookkeeping, so these queries select only the columns a case
shows, in the orders the case keeps: genes by symbol, diseases and drugs by name, evidence in
the order it was imported.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypeAlias

from sqlalchemy import Row, select
from sqlalchemy.orm import Session

from storage.errors import NotFoundError
from storage.models import Disease, Drug, EvidenceItem, Gene, Hypothesis
from storage.models.knowledge import (
    gene_diseases,
    gene_drugs,
    hypothesis_diseases,
    hypothesis_genes,
)

# A row of any columns, read by attribute name.
AnyRow: TypeAlias = "Row[*tuple[Any, ...]]"


@dataclass(frozen=True)
class CaseRows:
    """The rows of several hypotheses' cases; lists are keyed by hypothesis id or gene id."""

    hypotheses: dict[str, AnyRow]
    genes: dict[str, list[AnyRow]]
    diseases: dict[str, list[str]]
    evidence: dict[str, list[AnyRow]]
    gene_drugs: dict[int, list[AnyRow]]
    gene_diseases: dict[int, list[str]]


def read_case_rows(session: Session, *, hypothesis_ids: Sequence[str]) -> CaseRows:
    """The case rows of ``hypothesis_ids``; NotFoundError names the first that does not exist."""
    wanted = sorted(set(hypothesis_ids))
    hypotheses: dict[str, AnyRow] = {
        row.id: row
        for row in session.execute(
            select(
                Hypothesis.id,
                Hypothesis.title,
                Hypothesis.statement,
                Hypothesis.intervention_type,
                Hypothesis.status,
                Hypothesis.resolved_on,
                Hypothesis.resolution_citation,
            ).where(Hypothesis.id.in_(wanted))
        )
    }
    for hypothesis_id in hypothesis_ids:
        if hypothesis_id not in hypotheses:
            raise NotFoundError(f"hypothesis {hypothesis_id!r} does not exist")
    genes = _grouped(
        session.execute(
            select(
                hypothesis_genes.c.hypothesis_id.label("owner"),
                Gene.id,
                Gene.symbol,
                Gene.full_name,
                Gene.functions,
                Gene.kg_edges,
            )
            .join(Gene, Gene.id == hypothesis_genes.c.gene_id)
            .where(hypothesis_genes.c.hypothesis_id.in_(wanted))
            .order_by(Gene.symbol)
        )
    )
    gene_ids = sorted({row.id for rows in genes.values() for row in rows})
    return CaseRows(
        hypotheses=hypotheses,
        genes=genes,
        diseases=_names(_diseases_of(session, hypothesis_diseases, "hypothesis_id", wanted)),
        evidence=_grouped(
            session.execute(
                select(EvidenceItem.hypothesis_id.label("owner"), *_EVIDENCE_COLUMNS)
                .where(EvidenceItem.hypothesis_id.in_(wanted))
                .order_by(EvidenceItem.id)
            )
        ),
        gene_drugs=_grouped(
            session.execute(
                select(gene_drugs.c.gene_id.label("owner"), *_DRUG_COLUMNS)
                .join(Drug, Drug.id == gene_drugs.c.drug_id)
                .where(gene_drugs.c.gene_id.in_(gene_ids))
                .order_by(Drug.name)
            )
        ),
        gene_diseases=_names(_diseases_of(session, gene_diseases, "gene_id", gene_ids)),
    )


_EVIDENCE_COLUMNS = (
    EvidenceItem.citation,
    EvidenceItem.claim,
    EvidenceItem.direction,
    EvidenceItem.study_type,
    EvidenceItem.organism,
    EvidenceItem.year,
    EvidenceItem.month,
    EvidenceItem.day,
    EvidenceItem.sample_size,
    EvidenceItem.replicated,
)

_DRUG_COLUMNS = (
    Drug.name,
    Drug.mechanism,
    Drug.target_complex,
    Drug.approval_status,
    Drug.brain_penetrant,
)


def _diseases_of(
    session: Session, link: Any, owner_column: str, owners: Sequence[Any]
) -> Sequence[AnyRow]:
    return session.execute(
        select(link.c[owner_column].label("owner"), Disease.name)
        .join(Disease, Disease.id == link.c.disease_id)
        .where(link.c[owner_column].in_(list(owners)))
        .order_by(Disease.name)
    ).all()


def _grouped(rows: Any) -> dict[Any, list[AnyRow]]:
    grouped: dict[Any, list[AnyRow]] = defaultdict(list)
    for row in rows:
        grouped[row.owner].append(row)
    return dict(grouped)


def _names(rows: Sequence[AnyRow]) -> dict[Any, list[str]]:
    return {owner: [row.name for row in found] for owner, found in _grouped(rows).items()}
