"""Building a debate's :class:`~debates.case.Case` from the ledger's rows.

The only place that turns the ledger's rows (``storage.queries.case_rows``) into the plain
frozen data the debates read, so debates never touch storage and the same rows always give the
same case (genes by symbol, diseases by name, evidence in the order it was imported).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy.orm import Session

from common.dates import PartialDate, parse_partial_date
from common.drug_status import decode as decode_status_history
from debates.case import Case, DrugFact, Evidence, GeneFacts
from storage.queries.case_rows import CaseRows, read_case_rows


def load_case(session: Session, *, hypothesis_id: str) -> Case:
    """The case for ``hypothesis_id``; raises ``storage.errors.NotFoundError`` when unknown."""
    return load_cases(session, hypothesis_ids=[hypothesis_id])[hypothesis_id]


def load_cases(session: Session, *, hypothesis_ids: Sequence[str]) -> dict[str, Case]:
    """The cases of several hypotheses, read in the same six queries as one."""
    return cases_of(read_case_rows(session, hypothesis_ids=hypothesis_ids))


def cases_of(rows: CaseRows) -> dict[str, Case]:
    return {hypothesis_id: case_of(rows, hypothesis_id) for hypothesis_id in rows.hypotheses}


def case_of(rows: CaseRows, hypothesis_id: str) -> Case:
    hypothesis = rows.hypotheses[hypothesis_id]
    return Case(
        hypothesis_id=hypothesis.id,
        title=hypothesis.title,
        statement=hypothesis.statement or "",
        intervention_type=hypothesis.intervention_type,
        diseases=tuple(rows.diseases.get(hypothesis_id, ())),
        genes=tuple(gene_facts(rows, gene) for gene in rows.genes.get(hypothesis_id, ())),
        evidence=tuple(evidence(item) for item in rows.evidence.get(hypothesis_id, ())),
        resolved_on=hypothesis.resolved_on,
        resolving_citation=hypothesis.resolution_citation,
    )


def gene_facts(rows: CaseRows, gene: Any) -> GeneFacts:
    links = rows.gene_diseases.get(gene.id, ())
    return GeneFacts(
        symbol=gene.symbol,
        full_name=gene.full_name,
        functions=tuple(_function_rows(gene.functions or [])),
        drugs=tuple(drug_fact(drug) for drug in rows.gene_drugs.get(gene.id, ())),
        diseases=tuple(link.name for link in links),
        kg_edges=gene.kg_edges,
        linked_since=tuple(
            (link.name, parse_partial_date(link.linked_since))
            for link in links
            if link.linked_since is not None
        ),
    )


def drug_fact(drug: Any) -> DrugFact:
    return DrugFact(
        name=drug.name,
        mechanism=drug.mechanism,
        target_complex=drug.target_complex,
        approval_status=drug.approval_status,
        brain_penetrant=drug.brain_penetrant,
        brain_penetrant_since=_date(drug.brain_penetrant_since),
        status_history=decode_status_history(drug.status_history),
    )


def evidence(item: Any) -> Evidence:
    return Evidence(
        citation=item.citation,
        claim=item.claim,
        direction=item.direction,
        study_type=item.study_type,
        organism=item.organism,
        year=item.year,
        sample_size=item.sample_size,
        replicated=item.replicated,
        month=item.month,
        day=item.day,
        replicated_since=_date(item.replicated_since),
    )


def _date(text: str | None) -> PartialDate | None:
    """A date stored as text ("2009", "2009-06"), as common.dates writes it; None if none."""
    return None if text is None else parse_partial_date(text)


def _function_rows(rows: Iterable[Any]) -> Iterable[tuple[str, str]]:
    # The importer stores {"target": .., "function": ..}; pairs are accepted for older rows.
    for row in rows:
        if isinstance(row, dict):
            yield str(row.get("target", "")), str(row.get("function", ""))
        elif isinstance(row, (list, tuple)) and len(row) == 2:
            yield str(row[0]), str(row[1])
