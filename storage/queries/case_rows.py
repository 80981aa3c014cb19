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
from typing import Any

from sqlalchemy import BindParameter, Select, Table, bindparam, select
from sqlalchemy.orm import Session

from storage.errors import NotFoundError
from storage.models import Disease, Drug, EvidenceItem, Gene, Hypothesis
from storage.models.knowledge import (
    gene_diseases,
    gene_drugs,
    hypothesis_diseases,
    hypothesis_genes,
)
from storage.queries.hypotheses import DRUG_FIELDS, EVIDENCE_FIELDS
from storage.queries.prebuilt import AnyRow


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
    connection = session.connection()

    def rows(statement: Select[Any], owners: Sequence[Any]) -> Sequence[AnyRow]:
        return connection.execute(statement, {"owners": list(owners)}).all()

    wanted = sorted(set(hypothesis_ids))
    hypotheses: dict[str, AnyRow] = {row.id: row for row in rows(_HYPOTHESES, wanted)}
    for hypothesis_id in hypothesis_ids:
        if hypothesis_id not in hypotheses:
            raise NotFoundError(f"hypothesis {hypothesis_id!r} does not exist")
    genes = _grouped(rows(_GENES, wanted))
    gene_ids = sorted({row.id for found in genes.values() for row in found})
    return CaseRows(
        hypotheses=hypotheses,
        genes=genes,
        diseases=_names(rows(_HYPOTHESIS_DISEASES, wanted)),
        evidence=_grouped(rows(_EVIDENCE, wanted)),
        gene_drugs=_grouped(rows(_GENE_DRUGS, gene_ids)),
        gene_diseases=_names(rows(_GENE_DISEASES, gene_ids)),
    )


# Built once, run on the session's connection (as ``storage.queries.prebuilt`` says why): a
# worker reads a case for every debate, and building six ORM selects and running them through
# the session cost more than the queries.
def _table(model: Any) -> Table:
    table: Table = model.__table__
    return table


_OWNERS: BindParameter[Any] = bindparam("owners", expanding=True)
_HYPOTHESIS, _GENE, _EVIDENCE_ITEM, _DRUG, _DISEASE = (
    _table(model) for model in (Hypothesis, Gene, EvidenceItem, Drug, Disease)
)


def _columns(table: Table, *names: str) -> list[Any]:
    return [table.c[name] for name in names]


_HYPOTHESES = select(
    *_columns(
        _HYPOTHESIS,
        "id",
        "title",
        "statement",
        "intervention_type",
        "status",
        "resolved_on",
        "resolution_citation",
    )
).where(_HYPOTHESIS.c.id.in_(_OWNERS))

_GENES = (
    select(
        hypothesis_genes.c.hypothesis_id.label("owner"),
        *_columns(_GENE, "id", "symbol", "full_name", "functions", "kg_edges"),
    )
    .join(_GENE, _GENE.c.id == hypothesis_genes.c.gene_id)
    .where(hypothesis_genes.c.hypothesis_id.in_(_OWNERS))
    .order_by(_GENE.c.symbol)
)

_EVIDENCE = (
    select(
        _EVIDENCE_ITEM.c.hypothesis_id.label("owner"),
        *_columns(_EVIDENCE_ITEM, "citation", *EVIDENCE_FIELDS),
    )
    .where(_EVIDENCE_ITEM.c.hypothesis_id.in_(_OWNERS))
    .order_by(_EVIDENCE_ITEM.c.id)
)

_GENE_DRUGS = (
    select(gene_drugs.c.gene_id.label("owner"), *_columns(_DRUG, "name", *DRUG_FIELDS))
    .join(_DRUG, _DRUG.c.id == gene_drugs.c.drug_id)
    .where(gene_drugs.c.gene_id.in_(_OWNERS))
    .order_by(_DRUG.c.name)
)


def _diseases_of(link: Table, owner_column: str) -> Select[Any]:
    return (
        select(link.c[owner_column].label("owner"), _DISEASE.c.name)
        .join(_DISEASE, _DISEASE.c.id == link.c.disease_id)
        .where(link.c[owner_column].in_(_OWNERS))
        .order_by(_DISEASE.c.name)
    )


_HYPOTHESIS_DISEASES = _diseases_of(hypothesis_diseases, "hypothesis_id")
_GENE_DISEASES = _diseases_of(gene_diseases, "gene_id")


def _grouped(rows: Any) -> dict[Any, list[AnyRow]]:
    grouped: dict[Any, list[AnyRow]] = defaultdict(list)
    for row in rows:
        grouped[row.owner].append(row)
    return dict(grouped)


def _names(rows: Sequence[AnyRow]) -> dict[Any, list[str]]:
    return {owner: [row.name for row in found] for owner, found in _grouped(rows).items()}
