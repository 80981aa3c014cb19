"""The case a debate argues over: a hypothesis with its evidence and its genes' facts.

Plain frozen data, built from the database by the caller, so that debates never touch storage
and the same case always gives the same debate.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Hashable
from dataclasses import dataclass, field, fields, is_dataclass
from datetime import date
from functools import cached_property
from typing import Any

from common.dates import PartialDate
from common.drug_status import StatusChange


@dataclass(frozen=True)
class Evidence:
    """One cited finding; ``citation`` is the key agents cite: "PMID:123" or "DOI:10.x/y"."""

    citation: str
    claim: str
    direction: str  # "supports" | "contradicts"
    study_type: str  # storage.models.StudyType values: "rct", "animal-model", ...
    organism: str | None = None
    year: int | None = None
    sample_size: int | None = None
    replicated: bool | None = None
    # The month and day it was published, where known (``year`` is the year).
    month: int | None = None
    day: int | None = None
    # The date by which an independent study had reproduced it, where known; an as-of case
    # shows it as replicated only from then on.
    replicated_since: PartialDate | None = None


@dataclass(frozen=True)
class DrugFact:
    name: str
    mechanism: str | None = None
    target_complex: str | None = None
    approval_status: str | None = None
    brain_penetrant: bool | None = None
    # When its reaching the brain was first published; an as-of case reads it only from then.
    brain_penetrant_since: PartialDate | None = None
    # Its dated status changes, oldest first; an as-of case keeps those known by then.
    status_history: tuple[StatusChange, ...] = ()


@dataclass(frozen=True)
class GeneFacts:
    symbol: str
    full_name: str | None = None
    # (target, function) rows of the gene page's Target/Function table.
    functions: tuple[tuple[str, str], ...] = ()
    drugs: tuple[DrugFact, ...] = ()
    diseases: tuple[str, ...] = ()
    kg_edges: int | None = None
    # (disease, date) for each link to a disease whose first publication is dated; an as-of
    # case keeps only the links dated before it.
    linked_since: tuple[tuple[str, PartialDate], ...] = ()


@dataclass(frozen=True)
class Case:
    hypothesis_id: str
    title: str
    statement: str
    intervention_type: str | None = None
    diseases: tuple[str, ...] = ()
    genes: tuple[GeneFacts, ...] = ()
    evidence: tuple[Evidence, ...] = field(default_factory=tuple)
    # How the hypothesis was settled, if it was: never shown to a debate, but an as-of debate
    # (debates.asof) uses them to keep the settling publication out of its evidence.
    resolved_on: date | None = None
    resolving_citation: str | None = None
    # Set on a blind debate's case (debates.asof): its evidence is what was published before it.
    as_of: date | None = None

    @cached_property
    def citations(self) -> frozenset[str]:
        return frozenset(item.citation for item in self.evidence)

    @cached_property
    def derived(self) -> dict[Hashable, Any]:
        """Answers of pure functions of this case, kept by :mod:`debates.derived`.

        Not a field: it takes no part in equality, hashing or repr, and a copy starts empty.
        """
        return {}

    def __getstate__(self) -> dict[str, Any]:
        # Only the fields: cached values are recomputed by whoever holds the copy.
        return {f.name: getattr(self, f.name) for f in fields(self)}


def case_digest(case: Case) -> str:
    """A SHA-256 (hex) of everything a debate of ``case`` reads: two cases with the same
    digest give the same debate, so a finished one may stand for the other."""
    canonical = json.dumps(case, sort_keys=True, separators=(",", ":"), default=_plain)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _plain(value: Any) -> Any:
    # One level at a time, as json walks down: dataclasses.asdict would deep-copy the whole
    # case first, and costs more than twice as much for the same text.
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: getattr(value, f.name) for f in fields(value)}
    return str(value)
