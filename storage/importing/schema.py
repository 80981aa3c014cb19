"""The hypothesis file format (version 1) as pydantic models: one model per kind of record.

Records are validated one at a time (see ``storage.importing.validate``) so that a bad record
can be named and, with ``--skip-invalid``, left out without losing its neighbours. Lengths
follow the database columns, so a value that validates here always fits when it is written.
"""

from __future__ import annotations

import enum
from datetime import UTC, date, datetime
from itertools import pairwise
from typing import Annotated

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
    model_validator,
)

from common.citations import normalize_citation
from common.dates import EARLIEST_YEAR, PartialDate, parse_partial_date
from common.drug_status import StatusChange
from common.identifiers import HYPOTHESIS_ID_RULE, check_gene_symbol, hypothesis_id_problem
from common.limits import (
    MAX_CLAIM,
    MAX_PROTEIN_LENGTH,
    MAX_RESOLUTION_SOURCE,
    MAX_SAMPLE_SIZE,
    MAX_STATEMENT,
    MAX_TITLE,
)
from common.text import POLICY
from storage.models import Direction, HypothesisStatus, StudyType
from storage.queries.knowledge import disease_slug

FORMAT_VERSION = 1
SECTIONS = ("drugs", "genes", "hypotheses")
MAX_EVIDENCE = 50


def _text(max_length: int | None = None) -> StringConstraints:
    return StringConstraints(strip_whitespace=True, min_length=1, max_length=max_length)


# Non-empty text after trimming, at most as long as the column that stores it, and free of the
# characters docs/text-policy.md refuses.
# The policy sees the text as the file gives it (before trimming), so positions match the file.
_Policy = POLICY
Text64 = Annotated[str, _text(64), _Policy]
Text100 = Annotated[str, _text(100), _Policy]
Text120 = Annotated[str, _text(120), _Policy]
Text200 = Annotated[str, _text(200), _Policy]
Text300 = Annotated[str, _text(300), _Policy]
Title = Annotated[str, _text(MAX_TITLE), _Policy]
Statement = Annotated[str, _text(MAX_STATEMENT), _Policy]
Claim = Annotated[str, _text(MAX_CLAIM), _Policy]
Source = Annotated[str, _text(MAX_RESOLUTION_SOURCE), _Policy]
Symbol = Annotated[str, _text(32), AfterValidator(check_gene_symbol), _Policy]
Identifier = Annotated[str, _text(32), _Policy]


class ApprovalStatus(enum.StrEnum):
    APPROVED = "approved"
    INVESTIGATIONAL = "investigational"
    WITHDRAWN = "withdrawn"
    DISCONTINUED = "discontinued"
    PRECLINICAL = "preclinical"


class InterventionType(enum.StrEnum):
    SMALL_MOLECULE = "small-molecule"
    ANTIBODY = "antibody"
    GENE_THERAPY = "gene-therapy"
    ANTISENSE = "antisense"
    CELL_THERAPY = "cell-therapy"
    LIFESTYLE = "lifestyle"
    OTHER = "other"


class Record(BaseModel):
    """Unknown fields are errors: a typo must not silently drop data."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def _parsed_date(value: object) -> PartialDate:
    parsed = parse_partial_date(value)
    if parsed.earliest > datetime.now(UTC).date():
        raise ValueError(f"{parsed} is in the future")
    return parsed


Published = Annotated[PartialDate, BeforeValidator(_parsed_date)]


class StatusChangeRecord(Record):
    status: ApprovalStatus
    # The day it took effect where known; otherwise a date by which it certainly held.
    since: Published


class DrugRecord(Record):
    name: Text200
    mechanism: Text300 | None = None
    target_complex: Text120 | None = None
    approval_status: ApprovalStatus | None = None
    brain_penetrant: bool | None = None
    # When its reaching the brain was first published: an as-of debate reads it only from then.
    brain_penetrant_since: Published | None = None
    # Its dated changes, oldest first: an as-of debate sees the status as it then stood
    # (common.drug_status). The last one is the status now.
    status_history: list[StatusChangeRecord] = Field(default_factory=list, max_length=20)

    @model_validator(mode="after")
    def _penetrance_dated_only_when_shown(self) -> DrugRecord:
        since = self.brain_penetrant_since
        if since is not None and self.brain_penetrant is not True:
            raise ValueError(
                f"brain_penetrant_since {since} needs brain_penetrant: true (it dates the "
                "first publication showing the drug reaches the brain)"
            )
        return self

    @model_validator(mode="after")
    def _history_in_order(self) -> DrugRecord:
        history = self.status_history
        for index, (earlier, later) in enumerate(pairwise(history), start=1):
            if later.since.earliest <= earlier.since.latest:
                raise ValueError(
                    f"status_history[{index}] ({later.since}) does not come after "
                    f"status_history[{index - 1}] ({earlier.since}): list the changes oldest "
                    "first, each in a later year, month or day than the one before"
                )
        now = self.approval_status
        if history and now is not None and history[-1].status is not now:
            raise ValueError(
                f"approval_status {now.value!r} is not the last status of status_history "
                f"({history[-1].status.value!r}); give only one of them, or make them agree"
            )
        return self

    @property
    def current_status(self) -> ApprovalStatus | None:
        """The status now: as given, or the last of the history."""
        if self.approval_status is not None or not self.status_history:
            return self.approval_status
        return self.status_history[-1].status

    def changes(self) -> list[StatusChange]:
        return [StatusChange(change.status.value, change.since) for change in self.status_history]


class GeneFunction(Record):
    target: Text120
    function: Text300


class DiseaseLink(Record):
    name: Text200
    # When the gene's link to the disease was first published: an as-of debate reads the link
    # only from then on, and an undated one not at all.
    since: Published | None = None


def _named_link(value: object) -> object:
    # A disease is written by its name alone, or as {name, since} to date the link.
    return {"name": value} if isinstance(value, str) else value


Linked = Annotated[DiseaseLink, BeforeValidator(_named_link)]


class GeneRecord(Record):
    # Identifiers are often written unquoted in YAML (ncbi_gene_id: 2475) and arrive as numbers.
    model_config = ConfigDict(extra="forbid", frozen=True, coerce_numbers_to_str=True)

    symbol: Symbol
    full_name: Text300 | None = None
    location: Text64 | None = None
    ncbi_gene_id: Identifier | None = None
    ensembl_id: Identifier | None = None
    uniprot_id: Identifier | None = None
    omim_id: Identifier | None = None
    protein_length: int | None = Field(None, ge=1, le=MAX_PROTEIN_LENGTH)
    molecular_weight: Text64 | None = None
    functions: list[GeneFunction] = Field(default_factory=list)
    drugs: list[Text200] = Field(default_factory=list)
    diseases: list[Linked] = Field(default_factory=list)

    @field_validator("diseases")
    @classmethod
    def _diseases_have_a_name(cls, links: list[DiseaseLink]) -> list[DiseaseLink]:
        names = _check_disease_names([link.name for link in links])
        seen: dict[str, str] = {}
        for name in names:  # one disease twice could give its link two dates
            slug = disease_slug(name)
            if slug in seen:
                raise ValueError(f"disease {name!r} is listed twice (as {seen[slug]!r} too)")
            seen[slug] = name
        return links

    @property
    def disease_names(self) -> list[str]:
        return [link.name for link in self.diseases]

    @property
    def disease_dates(self) -> dict[str, PartialDate]:
        """The dated links, by disease name."""
        return {link.name: link.since for link in self.diseases if link.since is not None}


def _citation_key(text: str) -> str:
    key = normalize_citation(text)
    if key is None:
        raise ValueError(
            f"{text!r} is neither a PMID (e.g. PMID:20460369) "
            "nor a DOI (e.g. doi:10.1074/jbc.M110.133488)"
        )
    if len(key) > 255:
        raise ValueError("a DOI may be at most 255 characters long")
    return key


class EvidenceRecord(Record):
    citation: Annotated[str, _Policy]
    claim: Claim
    direction: Direction
    study_type: StudyType
    organism: Text100 | None = None
    # When it was published: ``published`` (YYYY, YYYY-MM or YYYY-MM-DD), or the older ``year``.
    year: int | None = Field(None, ge=EARLIEST_YEAR)
    published: Published | None = None
    sample_size: int | None = Field(None, ge=1, le=MAX_SAMPLE_SIZE)
    replicated: bool | None = None
    # The date by which an independent study had reproduced it (the item's own date when it
    # repeats an earlier study): an as-of debate sees it as replicated only from then on.
    replicated_since: Published | None = None

    @property
    def date(self) -> PartialDate | None:
        """The publication date, however it was written."""
        if self.published is not None:
            return self.published
        return PartialDate(self.year) if self.year is not None else None

    @model_validator(mode="after")
    def _one_date(self) -> EvidenceRecord:
        known = self.published
        if known is not None and self.year is not None and known.year != self.year:
            raise ValueError(
                f"year {self.year} and published {self.published} disagree; give only published"
            )
        return self

    @model_validator(mode="after")
    def _replication_dated_after_publication(self) -> EvidenceRecord:
        since = self.replicated_since
        if since is None:
            return self
        if self.replicated is not True:
            raise ValueError(
                f"replicated_since {since} needs replicated: true (it dates a replication)"
            )
        published = self.date
        if published is not None and since.latest < published.earliest:
            raise ValueError(
                f"replicated_since {since} comes before the item was published ({published}): "
                "a finding that repeats an earlier study is replicated from its own date"
            )
        return self

    @field_validator("citation")
    @classmethod
    def _canonical_citation(cls, text: str) -> str:
        return _citation_key(text)

    @field_validator("year")
    @classmethod
    def _not_in_the_future(cls, year: int | None) -> int | None:
        if year is not None and year > datetime.now(UTC).year + 1:
            raise ValueError(f"year {year} is in the future")
        return year


class Resolution(Record):
    source: Source
    date: date
    # The publication that settled it. An as-of debate never sees it, whatever its date.
    citation: Annotated[str, _Policy] | None = None

    @field_validator("citation")
    @classmethod
    def _canonical_citation(cls, text: str | None) -> str | None:
        return None if text is None else _citation_key(text)


class HypothesisRecord(Record):
    id: Annotated[str, _Policy]
    title: Title
    statement: Statement
    genes: list[Symbol] = Field(min_length=1)
    diseases: list[Text200] = Field(default_factory=list)
    intervention_type: InterventionType | None = None
    status: HypothesisStatus = HypothesisStatus.OPEN
    # Validated even when absent, so that a resolved status without one is caught.
    resolution: Resolution | None = Field(None, validate_default=True)
    # The curator's prior belief that the hypothesis holds. Validated; not yet stored (the
    # hypotheses table has no column for it).
    prior_score: float | None = Field(None, ge=0.0, le=1.0, allow_inf_nan=False)
    evidence: list[EvidenceRecord] = Field(min_length=1, max_length=MAX_EVIDENCE)

    @field_validator("id")
    @classmethod
    def _id_pattern(cls, value: str) -> str:
        if hypothesis_id_problem(value) is not None:
            raise ValueError(f"{value!r} is not a hypothesis id: use {HYPOTHESIS_ID_RULE}")
        return value

    @field_validator("genes")
    @classmethod
    def _genes_once(cls, symbols: list[str]) -> list[str]:
        _check_unique(symbols, what="gene")
        return symbols

    @field_validator("diseases")
    @classmethod
    def _diseases_have_a_name(cls, names: list[str]) -> list[str]:
        return _check_disease_names(names)

    @field_validator("evidence")
    @classmethod
    def _citations_once(cls, items: list[EvidenceRecord]) -> list[EvidenceRecord]:
        _check_unique([item.citation for item in items], what="citation")
        return items

    @field_validator("resolution")
    @classmethod
    def _resolution_matches_status(
        cls, resolution: Resolution | None, info: ValidationInfo
    ) -> Resolution | None:
        status = info.data.get("status")
        if status is None:  # the status itself was invalid and is reported on its own
            return resolution
        if status is HypothesisStatus.OPEN and resolution is not None:
            raise ValueError("an open hypothesis has no resolution; remove it or set the status")
        if status is not HypothesisStatus.OPEN and resolution is None:
            raise ValueError(
                f"status {status.value!r} needs a resolution: {{source: ..., date: ...}}"
            )
        return resolution


def _check_unique(values: list[str], *, what: str) -> None:
    seen: set[str] = set()
    for value in values:
        key = value.upper()
        if key in seen:
            raise ValueError(f"{what} {value!r} is listed twice")
        seen.add(key)


def _check_disease_names(names: list[str]) -> list[str]:
    for name in names:
        slug = disease_slug(name)
        if not slug:
            raise ValueError(f"disease name {name!r} has no letters or digits")
        if len(slug) > 120:
            raise ValueError(f"disease name {name[:40]!r}... is too long")
    return names
