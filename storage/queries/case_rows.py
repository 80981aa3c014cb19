"""What a debate reads about its hypotheses, as plain rows: six small queries, or one on
PostgreSQL.

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
from itertools import chain
from types import SimpleNamespace
from typing import Any, TypeAlias

from sqlalchemy import (
    JSON,
    BindParameter,
    ColumnElement,
    Connection,
    FromClause,
    ScalarSelect,
    Select,
    Table,
    bindparam,
    func,
    literal_column,
    select,
)
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.orm import Session

from storage.models import Disease, Drug, EvidenceItem, Gene, Hypothesis
from storage.models.knowledge import (
    gene_diseases,
    gene_drugs,
    hypothesis_diseases,
    hypothesis_genes,
)
from storage.queries.hypotheses import DRUG_FIELDS, EVIDENCE_FIELDS
from storage.queries.knowledge import missing_hypothesis
from storage.queries.prebuilt import AnyRow

# A row read by attribute name: a query's row, or one object of a JSON list (CASES_AS_JSON).
Record: TypeAlias = "AnyRow | SimpleNamespace"


@dataclass(frozen=True)
class CaseRows:
    """The rows of several hypotheses' cases; lists are keyed by hypothesis id or gene id."""

    hypotheses: dict[str, Record]
    genes: dict[str, list[Record]]
    diseases: dict[str, list[str]]
    evidence: dict[str, list[Record]]
    gene_drugs: dict[int, list[Record]]
    # Each a disease's ``name`` and the ``linked_since`` of its link to the gene.
    gene_diseases: dict[int, list[Record]]


def read_case_rows(session: Session, *, hypothesis_ids: Sequence[str]) -> CaseRows:
    """The case rows of ``hypothesis_ids``; NotFoundError names the first that does not exist.

    On PostgreSQL in one query (``CASES_AS_JSON``); elsewhere in six."""
    connection = session.connection()
    read = read_in_one_query if connection.dialect.name == "postgresql" else read_in_six_queries
    found = read(connection, sorted(set(hypothesis_ids)))
    for hypothesis_id in hypothesis_ids:
        if hypothesis_id not in found.hypotheses:
            raise missing_hypothesis(session, hypothesis_id)
    return found


def read_in_six_queries(connection: Connection, hypothesis_ids: Sequence[str]) -> CaseRows:
    def rows(statement: Select[Any], owners: Sequence[Any]) -> Sequence[AnyRow]:
        return connection.execute(statement, {"owners": list(owners)}).all()

    genes = _grouped(rows(_GENES, hypothesis_ids))
    gene_ids = sorted({row.id for found in genes.values() for row in found})
    return CaseRows(
        hypotheses={row.id: row for row in rows(_HYPOTHESES, hypothesis_ids)},
        genes=genes,
        diseases=_names(rows(_HYPOTHESIS_DISEASES, hypothesis_ids)),
        evidence=_grouped(rows(_EVIDENCE, hypothesis_ids)),
        gene_drugs=_grouped(rows(_GENE_DRUGS, gene_ids)),
        gene_diseases=_grouped(rows(_GENE_DISEASES, gene_ids)),
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


def _diseases_of(link: Table, owner_column: str, *more: str) -> Select[Any]:
    return (
        select(link.c[owner_column].label("owner"), _DISEASE.c.name, *_columns(link, *more))
        .join(_DISEASE, _DISEASE.c.id == link.c.disease_id)
        .where(link.c[owner_column].in_(_OWNERS))
        .order_by(_DISEASE.c.name)
    )


_HYPOTHESIS_DISEASES = _diseases_of(hypothesis_diseases, "hypothesis_id")
_GENE_DISEASES = _diseases_of(gene_diseases, "gene_id", "linked_since")


def _grouped(rows: Any) -> dict[Any, list[Record]]:
    grouped: dict[Any, list[Record]] = defaultdict(list)
    for row in rows:
        grouped[row.owner].append(row)
    return dict(grouped)


def _names(rows: Sequence[AnyRow]) -> dict[Any, list[str]]:
    return {owner: [row.name for row in found] for owner, found in _grouped(rows).items()}


# -- PostgreSQL: the same rows in one query -------------------------------------------------
# Each hypothesis comes as one row whose genes (each with its drugs and diseases), diseases and
# evidence are JSON lists in the orders above. Six round trips, and six statements for the
# server to run, were most of what a debate's start cost a worker and the server; the JSON is
# parsed by the driver in C.


def _object(*columns: ColumnElement[Any], **more: ColumnElement[Any]) -> ColumnElement[Any]:
    """A JSON object of ``columns`` under their own names, and of ``more``."""
    named = [(column.key, column) for column in columns] + list(more.items())
    # The keys are this module's own column names, so they are safe to write as literals.
    pairs = chain.from_iterable((literal_column(f"'{key}'"), value) for key, value in named)
    return func.json_build_object(*pairs, type_=JSON)


def _json_list(
    item: ColumnElement[Any], *, order: ColumnElement[Any], of: FromClause, where: Any
) -> ScalarSelect[Any]:
    """A scalar subquery: the JSON list of ``item`` over ``of`` where ``where``, empty if none."""
    listed = func.json_agg(aggregate_order_by(item, order), type_=JSON)
    return (
        select(func.coalesce(listed, literal_column("'[]'::json"), type_=JSON))
        .select_from(of)
        .where(where)
        .scalar_subquery()
    )


def _disease_names(link: Table, owner_column: str, owner: Any, *more: str) -> ScalarSelect[Any]:
    """The JSON list of the disease names ``link`` ties to ``owner``, as ``_diseases_of``;
    with ``more`` of the link's columns, a list of objects of the name and those."""
    return _json_list(
        _object(_DISEASE.c.name, *_columns(link, *more)) if more else _DISEASE.c.name,
        order=_DISEASE.c.name,
        of=link.join(_DISEASE, _DISEASE.c.id == link.c.disease_id),
        where=link.c[owner_column] == owner,
    )


def _cases_as_json() -> Select[Any]:
    gene_id = _GENE.c.id
    drugs = _json_list(
        _object(*_columns(_DRUG, "name", *DRUG_FIELDS)),
        order=_DRUG.c.name,
        of=gene_drugs.join(_DRUG, _DRUG.c.id == gene_drugs.c.drug_id),
        where=gene_drugs.c.gene_id == gene_id,
    )
    gene_disease_names = _disease_names(gene_diseases, "gene_id", gene_id, "linked_since")
    owner = _HYPOTHESIS.c.id
    genes = _json_list(
        _object(
            *_columns(_GENE, "id", "symbol", "full_name", "functions", "kg_edges"),
            drugs=drugs,
            diseases=gene_disease_names,
        ),
        order=_GENE.c.symbol,
        of=hypothesis_genes.join(_GENE, gene_id == hypothesis_genes.c.gene_id),
        where=hypothesis_genes.c.hypothesis_id == owner,
    )
    diseases = _disease_names(hypothesis_diseases, "hypothesis_id", owner)
    evidence = _json_list(
        _object(*_columns(_EVIDENCE_ITEM, "citation", *EVIDENCE_FIELDS)),
        order=_EVIDENCE_ITEM.c.id,
        of=_EVIDENCE_ITEM,
        where=_EVIDENCE_ITEM.c.hypothesis_id == owner,
    )
    return _HYPOTHESES.add_columns(
        genes.label("genes"), diseases.label("diseases"), evidence.label("evidence")
    )


CASES_AS_JSON = _cases_as_json()


def read_in_one_query(connection: Connection, hypothesis_ids: Sequence[str]) -> CaseRows:
    """PostgreSQL's CASES_AS_JSON: the same rows as ``read_in_six_queries``."""
    found = CaseRows({}, {}, {}, {}, {}, {})
    for row in connection.execute(CASES_AS_JSON, {"owners": list(hypothesis_ids)}):
        found.hypotheses[row.id] = row
        found.diseases[row.id] = list(row.diseases)
        found.evidence[row.id] = [SimpleNamespace(**item) for item in row.evidence]
        found.genes[row.id] = []
        for gene in row.genes:
            found.genes[row.id].append(SimpleNamespace(**gene))
            found.gene_drugs[gene["id"]] = [SimpleNamespace(**drug) for drug in gene["drugs"]]
            found.gene_diseases[gene["id"]] = [SimpleNamespace(**d) for d in gene["diseases"]]
    return found
