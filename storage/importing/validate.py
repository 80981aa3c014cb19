"""Checking a parsed document: the envelope (version, sections), then each record on its own.

The envelope is all-or-nothing: a wrong version or a misspelt section name makes every record
suspect, so the file is refused. Records are checked one by one, so each problem names its
record and a bad record can be skipped without losing the rest.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ValidationError

from storage.errors import InvalidInputError, Problem
from storage.importing.problems import did_you_mean, problems_from_validation
from storage.importing.reading import Document
from storage.importing.schema import (
    FORMAT_VERSION,
    SECTIONS,
    DrugRecord,
    GeneRecord,
    HypothesisRecord,
)

M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class Entry(Generic[M]):
    """One valid record, with the label problems use for it."""

    label: str
    path: tuple[str | int, ...]
    record: M


@dataclass
class CheckedFile:
    """The valid records of a file and the problems of the invalid ones."""

    document: Document
    drugs: list[Entry[DrugRecord]] = field(default_factory=list)
    genes: list[Entry[GeneRecord]] = field(default_factory=list)
    hypotheses: list[Entry[HypothesisRecord]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    invalid_records: set[str] = field(default_factory=set)

    def reject(self, problem: Problem) -> None:
        self.problems.append(problem)
        if problem.record is not None:
            self.invalid_records.add(problem.record)


def check_document(document: Document) -> CheckedFile:
    """Validate every record; refuse the whole file when its envelope is wrong."""
    sections = _check_envelope(document)
    checked = CheckedFile(document=document)
    checked.drugs = _check_section(checked, sections, "drugs", DrugRecord, key=_drug_key)
    checked.genes = _check_section(checked, sections, "genes", GeneRecord, key=_gene_key)
    checked.hypotheses = _check_section(
        checked, sections, "hypotheses", HypothesisRecord, key=_hypothesis_key
    )
    return checked


def _drug_key(record: DrugRecord) -> str:
    return record.name.lower()


def _gene_key(record: GeneRecord) -> str:
    return record.symbol.upper()


def _hypothesis_key(record: HypothesisRecord) -> str:
    return record.id


def _check_envelope(document: Document) -> dict[str, list[Any]]:
    data, file = document.data, document.file
    problems = []
    for key in data:
        if key != "version" and key not in SECTIONS:
            hint = did_you_mean(str(key), ("version", *SECTIONS))
            problems.append(
                Problem(
                    file=file,
                    field=str(key),
                    line=document.line_of((key,)),
                    message="unknown top-level key"
                    + (hint or f"; expected version, {', '.join(SECTIONS)}"),
                )
            )
    version = data.get("version")
    if "version" not in data:
        problems.append(
            Problem(file=file, field="version", line=1, message=f"add 'version: {FORMAT_VERSION}'")
        )
    elif isinstance(version, bool) or version != FORMAT_VERSION:
        problems.append(
            Problem(
                file=file,
                field="version",
                line=document.line_of(("version",)),
                message=f"unsupported version {repr(version)[:40]}; this hyposcore reads version "
                f"{FORMAT_VERSION}",
            )
        )
    sections: dict[str, list[Any]] = {}
    for name in SECTIONS:
        value = data.get(name)
        if value is None:
            sections[name] = []
        elif isinstance(value, list):
            sections[name] = value
        else:
            problems.append(
                Problem(
                    file=file,
                    field=name,
                    line=document.line_of((name,)),
                    message=f"must be a list of records, not {type(value).__name__}",
                )
            )
    if not problems and not any(sections.values()):
        problems.append(
            Problem(file=file, message="nothing to import: no drugs, genes or hypotheses")
        )
    if problems:
        raise InvalidInputError(problems)
    return sections


def _check_section(
    checked: CheckedFile,
    sections: dict[str, list[Any]],
    name: str,
    model: type[M],
    *,
    key: Callable[[M], str],
) -> list[Entry[M]]:
    document = checked.document
    valid: list[Entry[M]] = []
    for index, raw in enumerate(sections[name]):
        path: tuple[str | int, ...] = (name, index)
        label = _label(name, index, raw, model)
        if not isinstance(raw, dict):
            checked.reject(
                Problem(
                    file=document.file,
                    record=label,
                    line=document.line_of(path),
                    message=f"a record must be a mapping of fields, not {type(raw).__name__}",
                )
            )
            continue
        try:
            record = model.model_validate(raw)
        except ValidationError as exc:
            for problem in problems_from_validation(
                exc, model=model, document=document, record=label, base=path
            ):
                checked.reject(problem)
            continue
        valid.append(Entry(label=label, path=path, record=record))
    return _drop_duplicates(checked, valid, key=key)


def _drop_duplicates(
    checked: CheckedFile, entries: list[Entry[M]], *, key: Callable[[M], str]
) -> list[Entry[M]]:
    """Every record whose key appears more than once is refused: which one is meant is unknown."""
    by_key: dict[str, list[Entry[M]]] = defaultdict(list)
    for entry in entries:
        by_key[key(entry.record)].append(entry)
    kept = []
    for entry in entries:
        twins = [other for other in by_key[key(entry.record)] if other is not entry]
        if not twins:
            kept.append(entry)
            continue
        field_name = _key_field(entry.record)
        checked.reject(
            Problem(
                file=checked.document.file,
                record=entry.label,
                field=field_name,
                line=checked.document.line_of((*entry.path, field_name)),
                message=f"{getattr(entry.record, field_name)!r} appears more than once in the "
                f"file (also {', '.join(t.label for t in twins)})",
            )
        )
    return kept


def _key_field(record: BaseModel) -> str:
    if isinstance(record, HypothesisRecord):
        return "id"
    if isinstance(record, GeneRecord):
        return "symbol"
    return "name"


def _label(section: str, index: int, raw: Any, model: type[BaseModel]) -> str:
    """``hypotheses[2] (h-51e7234f)``: the position, plus the record's own key when it has one."""
    label = f"{section}[{index}]"
    if isinstance(raw, dict):
        name = raw.get({DrugRecord: "name", GeneRecord: "symbol"}.get(model, "id"))
        if isinstance(name, str | int) and not isinstance(name, bool):
            label += f" ({str(name)[:60]})"
    return label
