"""Writing curated hypotheses, their evidence, and the genes and drugs they name.

Every function reports whether it created, changed or left a record alone, and writes only
what differs: importing the same data twice issues no UPDATE and moves no ``updated_at``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from common.drug_status import decode as decode_status_history
from storage.errors import NotFoundError
from storage.models import Disease, Drug, EvidenceItem, Gene, Hypothesis, utcnow
from storage.models.knowledge import gene_diseases
from storage.queries.knowledge import (
    ensure_disease,
    find_drug,
    find_gene,
    find_hypothesis,
    upsert_drug,
    upsert_gene,
)

Outcome = Literal["created", "updated", "unchanged"]

_GENE_COLUMNS = (
    "full_name",
    "location",
    "ncbi_gene_id",
    "ensembl_id",
    "uniprot_id",
    "omim_id",
    "protein_length",
    "molecular_weight",
    "functions",
)
# What an import sets on a drug and an evidence item besides their keys (name; citation).
DRUG_FIELDS = (
    "mechanism",
    "target_complex",
    "approval_status",
    "brain_penetrant",
    "brain_penetrant_since",
    "status_history",
)
EVIDENCE_FIELDS = (
    "claim",
    "direction",
    "study_type",
    "organism",
    "year",
    "month",
    "day",
    "sample_size",
    "replicated",
    "replicated_since",
)


@dataclass(frozen=True)
class EvidenceFields:
    """One evidence item as it should be stored; ``citation`` is a canonical key."""

    citation: str
    claim: str
    direction: str
    study_type: str
    organism: str | None = None
    year: int | None = None
    month: int | None = None
    day: int | None = None
    sample_size: int | None = None
    replicated: bool | None = None
    # A PartialDate as text ("1998", "1998-06"), as common.dates writes it.
    replicated_since: str | None = None

    @property
    def pmid(self) -> str | None:
        kind, _, value = self.citation.partition(":")
        return value if kind == "PMID" else None

    @property
    def doi(self) -> str | None:
        kind, _, value = self.citation.partition(":")
        return value if kind == "DOI" else None


@dataclass(frozen=True)
class EvidenceChanges:
    added: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed)


@dataclass(frozen=True)
class HypothesisChange:
    hypothesis: Hypothesis
    outcome: Outcome
    evidence: EvidenceChanges


def known_gene_symbols(session: Session) -> list[str]:
    """Every gene symbol in the database, for reference checks and spelling hints."""
    return list(session.scalars(select(Gene.symbol).order_by(Gene.symbol)))


def known_drug_names(session: Session) -> list[str]:
    return list(session.scalars(select(Drug.name).order_by(Drug.name)))


def upsert_drug_record(
    session: Session, *, name: str, fields: Mapping[str, Any]
) -> tuple[Drug, Outcome]:
    """Create the drug or fill in its given fields (None keeps the stored value)."""
    existing = find_drug(session, name=name)
    before = _columns(existing, DRUG_FIELDS) if existing is not None else None
    drug = upsert_drug(session, name=name, **{k: fields.get(k) for k in DRUG_FIELDS})
    history = decode_status_history(drug.status_history)
    if history and history[-1].status != drug.approval_status:
        # A new status given without its date: the stored changes no longer end where the
        # drug stands, so an as-of debate would see a status that has since changed. Dropping
        # them hides the status from as-of debates until a dated history is imported again.
        drug.status_history = None
    if before is None:
        return drug, "created"
    return drug, "unchanged" if before == _columns(drug, DRUG_FIELDS) else "updated"


def upsert_gene_record(
    session: Session,
    *,
    symbol: str,
    fields: Mapping[str, Any],
    disease_names: Sequence[str] = (),
    disease_dates: Mapping[str, str] | None = None,
    drug_names: Sequence[str] = (),
    now: datetime | None = None,
) -> tuple[Gene, Outcome]:
    """Create the gene or fill in its given fields; its diseases and drugs only ever grow.

    Genes are shared with the gene-page importer, so a curated file adds to what a page said
    rather than replacing it. ``disease_dates`` dates links by disease name (a PartialDate as
    text); a link given undated keeps a stored date. Every drug must already exist.
    """
    existing = find_gene(session, symbol=symbol)
    before = _gene_state(existing) if existing is not None else None
    gene = upsert_gene(session, symbol=symbol, **{k: fields.get(k) for k in _GENE_COLUMNS})
    named = {name: ensure_disease(session, name=name) for name in disease_names}
    for disease in _unique_by_id(named.values()):
        if disease not in gene.diseases:
            gene.diseases.append(disease)
    for drug_name in drug_names:
        drug = find_drug(session, name=drug_name)
        if drug is None:
            raise NotFoundError(f"drug {drug_name!r} does not exist")
        if drug not in gene.drugs:
            gene.drugs.append(drug)
    dated = _date_disease_links(session, gene, named, disease_dates or {})
    if before is None:
        session.flush()
        return gene, "created"
    if before == _gene_state(gene) and not dated:
        return gene, "unchanged"
    gene.updated_at = now or utcnow()
    session.flush()
    return gene, "updated"


def _date_disease_links(
    session: Session, gene: Gene, named: Mapping[str, Disease], dates: Mapping[str, str]
) -> bool:
    """Set the dates of ``gene``'s links to the ``named`` diseases that ``dates`` dates (by
    name); True when any changed."""
    if not dates:
        return False
    session.flush()  # the links just appended become rows
    of_gene = gene_diseases.c.gene_id == gene.id
    query = select(gene_diseases.c.disease_id, gene_diseases.c.linked_since).where(of_gene)
    stored = dict(session.execute(query).all())
    changed = False
    for name, since in dates.items():
        disease_id = named[name].id
        if stored[disease_id] != since:
            link = of_gene & (gene_diseases.c.disease_id == disease_id)
            session.execute(update(gene_diseases).where(link).values(linked_since=since))
            changed = True
    return changed


def upsert_hypothesis(
    session: Session,
    *,
    hypothesis_id: str,
    title: str,
    statement: str,
    gene_symbols: Sequence[str],
    evidence: Sequence[EvidenceFields],
    disease_names: Sequence[str] = (),
    intervention_type: str | None = None,
    status: str = "open",
    resolution_source: str | None = None,
    resolved_on: date | None = None,
    resolution_citation: str | None = None,
    now: datetime | None = None,
) -> HypothesisChange:
    """Make the stored hypothesis exactly this one: fields, genes, diseases and evidence.

    Evidence is matched by citation key: an item with a known citation is updated in place
    (keeping its id), a new citation is added, and a stored citation not given is removed.
    ``updated_at`` moves only when something actually changed.
    """
    now = now or utcnow()
    genes = _unique_by_id(_require_gene(session, symbol) for symbol in gene_symbols)
    diseases = _unique_by_id(ensure_disease(session, name=name) for name in disease_names)
    hypothesis = find_hypothesis(session, hypothesis_id=hypothesis_id)
    created = hypothesis is None
    if hypothesis is None:
        hypothesis = Hypothesis(id=hypothesis_id, created_at=now, updated_at=now)
        session.add(hypothesis)
    columns = {
        "title": title,
        "statement": statement,
        "intervention_type": intervention_type,
        "status": status,
        "resolution_source": resolution_source,
        "resolved_on": resolved_on,
        "resolution_citation": resolution_citation,
    }
    changed = _assign(hypothesis, columns)
    changed = _link(hypothesis, genes=genes, diseases=diseases) or changed
    evidence_changes = _sync_evidence(hypothesis, evidence)
    if created:
        outcome: Outcome = "created"
    elif changed or evidence_changes.changed:
        hypothesis.updated_at = now
        outcome = "updated"
    else:
        outcome = "unchanged"
    session.flush()
    return HypothesisChange(hypothesis=hypothesis, outcome=outcome, evidence=evidence_changes)


def _link(hypothesis: Hypothesis, *, genes: Sequence[Gene], diseases: Sequence[Disease]) -> bool:
    """Set the hypothesis's genes and diseases; True when either set changed."""
    changed = False
    if {g.id for g in hypothesis.genes} != {g.id for g in genes}:
        hypothesis.genes = sorted(genes, key=lambda g: g.symbol)
        changed = True
    if {d.id for d in hypothesis.diseases} != {d.id for d in diseases}:
        hypothesis.diseases = sorted(diseases, key=lambda d: d.name)
        changed = True
    return changed


def _sync_evidence(hypothesis: Hypothesis, items: Sequence[EvidenceFields]) -> EvidenceChanges:
    stored = {item.citation: item for item in hypothesis.evidence}
    wanted = {item.citation for item in items}
    added = updated = unchanged = removed = 0
    for item in items:
        values = {name: getattr(item, name) for name in EVIDENCE_FIELDS}
        values.update(pmid=item.pmid, doi=item.doi)
        current = stored.get(item.citation)
        if current is None:
            hypothesis.evidence.append(EvidenceItem(citation=item.citation, **values))
            added += 1
        elif _assign(current, values):
            updated += 1
        else:
            unchanged += 1
    for citation, current in stored.items():
        if citation not in wanted:
            hypothesis.evidence.remove(current)  # delete-orphan removes the row
            removed += 1
    return EvidenceChanges(added=added, updated=updated, removed=removed, unchanged=unchanged)


def _require_gene(session: Session, symbol: str) -> Gene:
    gene = find_gene(session, symbol=symbol)
    if gene is None:
        raise NotFoundError(f"gene {symbol!r} does not exist")
    return gene


def _unique_by_id(rows: Any) -> list[Any]:
    """Drop repeats: two spellings of one disease fold to the same row."""
    seen: set[int] = set()
    unique = []
    for row in rows:
        if row.id not in seen:
            seen.add(row.id)
            unique.append(row)
    return unique


def _assign(row: Any, values: Mapping[str, Any]) -> bool:
    """Set only the attributes that differ, so an unchanged row is never written."""
    changed = False
    for name, value in values.items():
        if getattr(row, name) != value:
            setattr(row, name, value)
            changed = True
    return changed


def _columns(row: Any, names: Sequence[str]) -> tuple[Any, ...]:
    return tuple(getattr(row, name) for name in names)


def _gene_state(gene: Gene) -> tuple[Any, ...]:
    return (
        _columns(gene, _GENE_COLUMNS),
        frozenset(d.id for d in gene.diseases),
        frozenset(d.id for d in gene.drugs),
    )
