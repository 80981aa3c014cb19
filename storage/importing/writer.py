"""Importing a hypothesis file: check it whole, then write it in one transaction.

Nothing is written while any record has a problem, unless the caller asks to skip invalid
records; then the valid ones are written and every skipped one is reported.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from common.drug_status import encode as encode_status_history
from common.identifiers import GENE_ID_FIELDS, id_conflict_message
from storage.db import Database
from storage.errors import InvalidInputError, Problem
from storage.importing.problems import did_you_mean
from storage.importing.reading import MAX_FILE_BYTES, Document, read_document
from storage.importing.schema import GeneRecord, HypothesisRecord
from storage.importing.validate import CheckedFile, Entry, check_document
from storage.models import Disease
from storage.queries.hypotheses import (
    EvidenceFields,
    Outcome,
    known_drug_names,
    known_gene_symbols,
    upsert_drug_record,
    upsert_gene_record,
    upsert_hypothesis,
)
from storage.queries.knowledge import find_gene


@dataclass
class Tally:
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    def count(self, outcome: Outcome) -> None:
        setattr(self, outcome, getattr(self, outcome) + 1)

    @property
    def total(self) -> int:
        return self.created + self.updated + self.unchanged


@dataclass
class EvidenceTally:
    added: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0


@dataclass
class ImportReport:
    """What an import did; ``problems`` lists the records skipped with ``skip_invalid``."""

    file: str
    drugs: Tally = field(default_factory=Tally)
    genes: Tally = field(default_factory=Tally)
    hypotheses: Tally = field(default_factory=Tally)
    evidence: EvidenceTally = field(default_factory=EvidenceTally)
    diseases_created: int = 0
    skipped_records: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        counts = (self.drugs, self.genes, self.hypotheses)
        return self.diseases_created > 0 or any(t.created or t.updated for t in counts)


def import_hypotheses(
    database: Database,
    path: Path,
    *,
    skip_invalid: bool = False,
    max_bytes: int = MAX_FILE_BYTES,
) -> ImportReport:
    """Import a hypothesis file (YAML or JSON) into ``database`` in one transaction.

    Raises ``InvalidInputError`` (nothing written) when the file is unusable, or when any
    record is invalid and ``skip_invalid`` is false.
    """
    document = read_document(path, max_bytes=max_bytes)
    return import_document(database, document, skip_invalid=skip_invalid)


def import_document(
    database: Database, document: Document, *, skip_invalid: bool = False
) -> ImportReport:
    """Import an already parsed document (see ``parse_document`` for uploads)."""
    checked = check_document(document)
    with database.transaction() as session:
        _check_references(session, checked)
        if checked.problems and not skip_invalid:
            raise InvalidInputError(checked.problems)
        report = ImportReport(
            file=document.file,
            skipped_records=sorted(checked.invalid_records),
            problems=list(checked.problems),
        )
        _write(session, checked, report)
    return report


def _check_references(session: Session, checked: CheckedFile) -> None:
    """Refuse genes naming unknown drugs and hypotheses naming unknown genes."""
    drugs = {e.record.name.lower(): e.record.name for e in checked.drugs}
    drugs.update({name.lower(): name for name in known_drug_names(session)})
    checked.genes = [
        entry
        for entry in checked.genes
        if _all_known(checked, entry, "drugs", entry.record.drugs, drugs, what="drug")
    ]
    checked.genes = [entry for entry in checked.genes if _keeps_stored_ids(session, checked, entry)]
    genes = {e.record.symbol.upper(): e.record.symbol for e in checked.genes}
    genes.update({symbol.upper(): symbol for symbol in known_gene_symbols(session)})
    checked.hypotheses = [
        entry
        for entry in checked.hypotheses
        if _all_known(checked, entry, "genes", entry.record.genes, genes, what="gene")
    ]


def _keeps_stored_ids(session: Session, checked: CheckedFile, entry: Entry[GeneRecord]) -> bool:
    """A gene record may add identifiers but never change a stored one (the pages' rule too)."""
    stored = find_gene(session, symbol=entry.record.symbol)
    if stored is None:
        return True
    ok = True
    for field_name in GENE_ID_FIELDS:
        given, known = getattr(entry.record, field_name), getattr(stored, field_name)
        if given is None or known is None or given == known:
            continue
        ok = False
        checked.reject(
            Problem(
                file=checked.document.file,
                record=entry.label,
                field=field_name,
                line=checked.document.line_of((*entry.path, field_name)),
                message=id_conflict_message(field_name, given, known, stored.symbol),
            )
        )
    return ok


def _all_known(
    checked: CheckedFile,
    entry: Entry[GeneRecord] | Entry[HypothesisRecord],
    field_name: str,
    names: list[str],
    known: dict[str, str],
    *,
    what: str,
) -> bool:
    fold = str.upper if what == "gene" else str.lower
    ok = True
    for index, name in enumerate(names):
        if fold(name) in known:
            continue
        ok = False
        checked.reject(
            Problem(
                file=checked.document.file,
                record=entry.label,
                field=f"{field_name}[{index}]",
                line=checked.document.line_of((*entry.path, field_name, index)),
                message=f"unknown {what} {name!r}: not among this file's valid {what}s "
                "nor in the database" + did_you_mean(name, known.values()),
            )
        )
    return ok


def _write(session: Session, checked: CheckedFile, report: ImportReport) -> None:
    diseases_before = session.scalar(select(func.count()).select_from(Disease)) or 0
    for drug in checked.drugs:
        record = drug.record
        fields = record.model_dump(
            mode="json", exclude={"name", "status_history", "brain_penetrant_since"}
        )
        since = record.brain_penetrant_since
        fields["brain_penetrant_since"] = None if since is None else str(since)
        status = record.current_status
        fields["approval_status"] = None if status is None else status.value
        fields["status_history"] = encode_status_history(record.changes())
        _, outcome = upsert_drug_record(session, name=record.name, fields=fields)
        report.drugs.count(outcome)
    for gene in checked.genes:
        fields = gene.record.model_dump(
            mode="json", exclude={"symbol", "drugs", "diseases", "functions"}
        )
        # An absent functions table leaves the stored one alone; a given one replaces it.
        fields["functions"] = [f.model_dump() for f in gene.record.functions] or None
        _, outcome = upsert_gene_record(
            session,
            symbol=gene.record.symbol,
            fields=fields,
            disease_names=gene.record.disease_names,
            disease_dates={name: str(since) for name, since in gene.record.disease_dates.items()},
            drug_names=gene.record.drugs,
        )
        report.genes.count(outcome)
    for hypothesis in checked.hypotheses:
        _write_hypothesis(session, hypothesis.record, report)
    diseases_after = session.scalar(select(func.count()).select_from(Disease)) or 0
    report.diseases_created = diseases_after - diseases_before


def _write_hypothesis(session: Session, record: HypothesisRecord, report: ImportReport) -> None:
    change = upsert_hypothesis(
        session,
        hypothesis_id=record.id,
        title=record.title,
        statement=record.statement,
        gene_symbols=record.genes,
        disease_names=record.diseases,
        intervention_type=record.intervention_type.value if record.intervention_type else None,
        status=record.status.value,
        resolution_source=record.resolution.source if record.resolution else None,
        resolved_on=record.resolution.date if record.resolution else None,
        resolution_citation=record.resolution.citation if record.resolution else None,
        evidence=[
            EvidenceFields(
                citation=item.citation,
                claim=item.claim,
                direction=item.direction.value,
                study_type=item.study_type.value,
                organism=item.organism,
                year=item.date.year if item.date else None,
                month=item.date.month if item.date else None,
                day=item.date.day if item.date else None,
                sample_size=item.sample_size,
                replicated=item.replicated,
                replicated_since=str(item.replicated_since) if item.replicated_since else None,
            )
            for item in record.evidence
        ],
    )
    report.hypotheses.count(change.outcome)
    report.evidence.added += change.evidence.added
    report.evidence.updated += change.evidence.updated
    report.evidence.removed += change.evidence.removed
    report.evidence.unchanged += change.evidence.unchanged
