"""Bad hypothesis files: each is refused with a problem naming file, record and field, and the
database is left exactly as it was — even the valid edits in the same file are not written."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from storage.db import Database
from storage.errors import InvalidInputError, Problem
from storage.importing import (
    MAX_FILE_BYTES,
    import_document,
    import_hypotheses,
    parse_document,
)
from tests.servers import fresh_postgres_database
from tests.storage.importing.helpers import (
    BASE,
    HYPOTHESES,
    base_document,
    dump_database,
    write_json,
    write_yaml,
)

Doc = dict[str, Any]
H1 = "hypotheses[1] (h-7f3e9a21)"
DRUG0 = "drugs[0] (Sirolimus (rapamycin))"


@dataclass(frozen=True)
class Bad:
    """A way to write a bad file, and the problem it must produce."""

    make: Callable[[Path], Path]
    message: str
    record: str | None = None
    field: str | None = None
    line: int | None = None


def broken(change: Callable[[Doc], object], *, as_json: bool = False) -> Callable[[Path], Path]:
    """The base file with one valid edit (a new title for h-51e7234f) and one breakage."""

    def make(folder: Path) -> Path:
        doc = base_document()
        doc["hypotheses"][0]["title"] = "A retitled hypothesis that must not be written"
        change(doc)
        return write_json(folder, doc) if as_json else write_yaml(folder, doc)

    return make


def fixture(name: str) -> Callable[[Path], Path]:
    return lambda folder: HYPOTHESES / name


def raw(content: bytes, name: str = "hypotheses.yaml") -> Callable[[Path], Path]:
    def make(folder: Path) -> Path:
        path = folder / name
        path.write_bytes(content)
        return path

    return make


def huge(folder: Path) -> Path:
    path = folder / "huge.yaml"
    with path.open("wb") as handle:  # sparse: costs no disk, but its size is over the limit
        handle.truncate(MAX_FILE_BYTES + 1)
    return path


def set_in(path: tuple[str | int, ...], value: object) -> Callable[[Doc], None]:
    def change(doc: Doc) -> None:
        target: Any = doc
        for part in path[:-1]:
            target = target[part]
        target[path[-1]] = value

    return change


def delete(path: tuple[str | int, ...]) -> Callable[[Doc], None]:
    def change(doc: Doc) -> None:
        target: Any = doc
        for part in path[:-1]:
            target = target[part]
        del target[path[-1]]

    return change


EV0 = ("hypotheses", 1, "evidence", 0)

CASES: dict[str, Bad] = {
    "unknown gene symbol": Bad(
        broken(set_in(("hypotheses", 1, "genes"), ["APOE", "MTORR"])),
        "unknown gene 'MTORR': not among this file's valid genes nor in the database; "
        "did you mean 'MTOR'?",
        H1,
        "genes[1]",
    ),
    "duplicate hypothesis id": Bad(
        broken(set_in(("hypotheses", 1, "id"), "h-51e7234f")),
        "'h-51e7234f' appears more than once in the file (also hypotheses[0] (h-51e7234f))",
        "hypotheses[1] (h-51e7234f)",
        "id",
    ),
    "evidence without a citation": Bad(
        broken(delete((*EV0, "citation"))),
        "this field is required",
        H1,
        "evidence[0].citation",
    ),
    "citation neither PMID nor DOI": Bad(
        broken(set_in((*EV0, "citation"), "PMC3454865")),
        "'PMC3454865' is neither a PMID (e.g. PMID:20460369) nor a DOI",
        H1,
        "evidence[0].citation",
    ),
    "published on a day that does not exist": Bad(
        broken(set_in((*EV0, "published"), "2016-02-30")),
        "day 30 does not exist in 2016-02 (it has 29 days)",
        H1,
        "evidence[0].published",
    ),
    "published in month 13": Bad(
        broken(set_in((*EV0, "published"), "2016-13")),
        "month 13 is not between 1 and 12",
        H1,
        "evidence[0].published",
    ),
    "published written another way": Bad(
        broken(set_in((*EV0, "published"), "03/2016")),
        "'03/2016' is not a date: write YYYY, YYYY-MM or YYYY-MM-DD",
        H1,
        "evidence[0].published",
    ),
    "published in the future": Bad(
        broken(set_in((*EV0, "published"), "2999-01")),
        "2999-01 is in the future",
        H1,
        "evidence[0].published",
    ),
    "year and published disagree": Bad(
        broken(set_in((*EV0, "published"), "1999-05")),
        "and published 1999-05 disagree; give only published",
        H1,
        "evidence[0]",
    ),
    "a replication dated before its item was published": Bad(
        broken(set_in((*EV0, "replicated_since"), 1990)),
        "replicated_since 1990 comes before the item was published (1993)",
        H1,
        "evidence[0]",
    ),
    "a replication dated on an item not replicated": Bad(
        broken(
            lambda doc: [
                set_in((*EV0, "replicated"), False)(doc),
                set_in((*EV0, "replicated_since"), "1994-05")(doc),
            ]
        ),
        "replicated_since 1994-05 needs replicated: true",
        H1,
        "evidence[0]",
    ),
    "a replication dated in the future": Bad(
        broken(set_in((*EV0, "replicated_since"), "2999-02")),
        "2999-02 is in the future",
        H1,
        "evidence[0].replicated_since",
    ),
    "resolving citation neither PMID nor DOI": Bad(
        broken(
            set_in(
                ("hypotheses", 1, "resolution"),
                {"source": "s", "date": "2016-10-29", "citation": "PMC1"},
            )
        ),
        "'PMC1' is neither a PMID",
        H1,
        "resolution.citation",
    ),
    "prior score above 1": Bad(
        broken(set_in(("hypotheses", 1, "prior_score"), 1.5)),
        "Input should be less than or equal to 1 (got 1.5)",
        H1,
        "prior_score",
    ),
    "unknown study type": Bad(
        broken(set_in((*EV0, "study_type"), "cohort")),
        "'cohort' is not allowed; expected",
        H1,
        "evidence[0].study_type",
    ),
    "unknown direction": Bad(
        broken(set_in((*EV0, "direction"), "support")),
        "'support' is not allowed; expected 'supports' or 'contradicts'; did you mean 'supports'?",
        H1,
        "evidence[0].direction",
    ),
    "resolved status without resolution": Bad(
        broken(set_in(("hypotheses", 1, "status"), "validated")),
        "status 'validated' needs a resolution",
        H1,
        "resolution",
    ),
    "open status with a resolution": Bad(
        broken(set_in(("hypotheses", 1, "resolution"), {"source": "PMID:1", "date": "2020-01-01"})),
        "an open hypothesis has no resolution",
        H1,
        "resolution",
    ),
    "id not matching the pattern": Bad(
        broken(set_in(("hypotheses", 1, "id"), "H_7F3E")),
        "'H_7F3E' is not a hypothesis id: use 'h-' then 4 to 32 lowercase letters or digits",
        "hypotheses[1] (H_7F3E)",
        "id",
    ),
    "misspelt field": Bad(
        broken(lambda doc: doc["hypotheses"][1].update(statment="typo")),
        "unknown field; did you mean 'statement'?",
        H1,
        "statment",
    ),
    "no evidence": Bad(
        broken(set_in(("hypotheses", 1, "evidence"), [])),
        "List should have at least 1 item",
        H1,
        "evidence",
    ),
    "the same citation twice": Bad(
        broken(
            lambda doc: doc["hypotheses"][1]["evidence"].append(
                {
                    **doc["hypotheses"][1]["evidence"][0],
                    "citation": "https://doi.org/10.1126/SCIENCE.8346443",
                }
            )
        ),
        "citation 'DOI:10.1126/science.8346443' is listed twice",
        H1,
        "evidence",
    ),
    "gene naming an unknown drug": Bad(
        broken(set_in(("genes", 0, "drugs"), ["Sirolimus"])),
        "unknown drug 'Sirolimus': not among this file's valid drugs nor in the database",
        "genes[0] (MTOR)",
        "drugs[0]",
    ),
    "a disease link dated in the future": Bad(
        broken(set_in(("genes", 0, "diseases"), [{"name": "Alzheimer's disease", "since": 2999}])),
        "2999 is in the future",
        "genes[0] (MTOR)",
        "diseases[0].since",
    ),
    "a disease link without its name": Bad(
        broken(set_in(("genes", 0, "diseases"), [{"since": 1993}])),
        "this field is required",
        "genes[0] (MTOR)",
        "diseases[0].name",
    ),
    "the same disease name twice on a gene": Bad(
        broken(set_in(("genes", 0, "diseases"), ["Alzheimer's disease", "Alzheimer's disease"])),
        'disease "Alzheimer\'s disease" is listed twice',
        "genes[0] (MTOR)",
        "diseases",
    ),
    "a disease listed twice on a gene": Bad(
        broken(
            set_in(
                ("genes", 0, "diseases"),
                ["Alzheimer's disease", {"name": "Alzheimers Disease", "since": 1993}],
            )
        ),
        "disease 'Alzheimers Disease' is listed twice (as \"Alzheimer's disease\" too)",
        "genes[0] (MTOR)",
        "diseases",
    ),
    "a drug dated as reaching the brain but not said to": Bad(
        broken(set_in(("drugs", 0, "brain_penetrant_since"), 2009)),
        "brain_penetrant_since 2009 needs brain_penetrant: true",
        DRUG0,
    ),
    "a drug shown to reach the brain in the future": Bad(
        broken(
            lambda doc: [
                set_in(("drugs", 0, "brain_penetrant"), True)(doc),
                set_in(("drugs", 0, "brain_penetrant_since"), "2999-03")(doc),
            ]
        ),
        "2999-03 is in the future",
        DRUG0,
        "brain_penetrant_since",
    ),
    "a drug's status history out of order": Bad(
        broken(
            set_in(
                ("drugs", 0, "status_history"),
                [{"status": "approved", "since": "2004-09"}, {"status": "approved", "since": 2004}],
            )
        ),
        "status_history[1] (2004) does not come after status_history[0] (2004-09): list the "
        "changes oldest first",
        DRUG0,
    ),
    "a drug's status not the last of its history": Bad(
        broken(
            set_in(
                ("drugs", 0, "status_history"),
                [{"status": "approved", "since": 1999}, {"status": "withdrawn", "since": 2004}],
            )
        ),
        "approval_status 'approved' is not the last status of status_history ('withdrawn')",
        DRUG0,
    ),
    "a drug's status dated in the future": Bad(
        broken(set_in(("drugs", 0, "status_history"), [{"status": "approved", "since": 2999}])),
        "2999 is in the future",
        DRUG0,
        "status_history[0].since",
    ),
    "an unknown status in a drug's history": Bad(
        broken(set_in(("drugs", 0, "status_history"), [{"status": "aproved", "since": 1999}])),
        "'aproved' is not allowed",
        DRUG0,
        "status_history[0].status",
    ),
    "a record that is not a mapping": Bad(
        broken(set_in(("hypotheses", 1), "h-7f3e9a21")),
        "a record must be a mapping of fields, not str",
        "hypotheses[1]",
    ),
    "error in a JSON file": Bad(
        broken(set_in((*EV0, "year"), "twenty-ten"), as_json=True),
        "Input should be a valid integer",
        H1,
        "evidence[0].year",
    ),
    "malformed YAML": Bad(fixture("malformed.yaml"), "malformed YAML", line=6),
    "malformed JSON": Bad(
        fixture("malformed.json"),
        "malformed JSON: Expecting property name enclosed in double quotes (line 4, column 74)",
        line=4,
    ),
    "empty file": Bad(fixture("empty.yaml"), "the file is empty"),
    "only comments": Bad(fixture("comments_only.yaml"), "the file has no content"),
    "binary file": Bad(raw(b"version: 1\n\x00\x01\x02\xff"), "binary content (a NUL byte at"),
    "not UTF-8": Bad(raw("version: 1 # caf\u00e9\n".encode("latin-1")), "not UTF-8 text"),
    "huge file": Bad(huge, f"the limit is {MAX_FILE_BYTES:,} bytes"),
    "control character": Bad(
        raw(b"version: 1\nhypotheses: []\n# bell \x07\n"),
        "control character #x0007 is not allowed",
        line=3,
    ),
    "nested too deeply (YAML)": Bad(
        raw(b"version: 1\nhypotheses: " + b"[" * 5000 + b"]" * 5000), "nests lists and mappings"
    ),
    "nested too deeply (JSON)": Bad(
        raw(b'{"version": 1, "hypotheses": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", "x.json"),
        "nests lists and mappings",
    ),
    "top level is a list": Bad(
        fixture("not_a_mapping.yaml"), "the top level must be a mapping", line=1
    ),
    "wrong version": Bad(
        fixture("wrong_version.yaml"),
        "unsupported version 2; this hyposcore reads version 1",
        field="version",
        line=1,
    ),
    "missing version": Bad(broken(delete(("version",))), "add 'version: 1'", field="version"),
    "misspelt section": Bad(
        broken(lambda doc: doc.update(hypothesis=doc.pop("hypotheses"))),
        "unknown top-level key; did you mean 'hypotheses'?",
        field="hypothesis",
    ),
    "duplicate YAML key": Bad(fixture("duplicate_key.yaml"), "key 'title' appears twice", line=5),
    "YAML alias": Bad(
        raw(b"version: 1\ngenes:\n  - &g {symbol: MTOR}\n  - *g\n"),
        "YAML aliases (*name) are not supported",
        line=4,
    ),
}


def _matches(problem: Problem, path: Path, bad: Bad) -> bool:
    return (
        problem.file == str(path)
        and problem.record == bad.record
        and problem.field == bad.field
        and bad.message in problem.message
        and (bad.line is None or problem.line == bad.line)
    )


@dataclass(frozen=True)
class Seeded:
    db: Database
    dump: dict[str, list[tuple[Any, ...]]]


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def seeded(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Seeded]:
    """One database per backend holding the base file, shared by every refusal below.

    Sharing is sound because a refused import must write nothing: each test compares the
    whole database with the dump taken right after seeding, so a stray write fails it.
    """
    if request.param == "sqlite":
        database = Database(f"sqlite:///{tmp_path_factory.mktemp('bad') / 'test.db'}")
        yield from _seed(database)
        return
    with fresh_postgres_database() as url:
        yield from _seed(Database(url))


def _seed(database: Database) -> Iterator[Seeded]:
    database.upgrade()
    import_hypotheses(database, BASE)
    yield Seeded(database, dump_database(database))
    database.dispose()


@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
def test_bad_input_is_refused_and_nothing_is_written(
    seeded: Seeded, tmp_path: Path, case: str
) -> None:
    bad = CASES[case]
    db, before = seeded.db, seeded.dump
    path = bad.make(tmp_path)

    with pytest.raises(InvalidInputError) as refused:
        import_hypotheses(db, path)

    problems = refused.value.problems
    assert any(_matches(p, path, bad) for p in problems), "\n".join(map(str, problems))
    assert dump_database(db) == before


def test_problem_text_names_file_line_record_and_field(seeded: Seeded, tmp_path: Path) -> None:
    path = CASES["unknown direction"].make(tmp_path)
    with pytest.raises(InvalidInputError) as refused:
        import_hypotheses(seeded.db, path)
    lines = path.read_text().splitlines()
    line = 1 + next(i for i, text in enumerate(lines) if text.endswith("direction: support"))
    assert str(refused.value) == (
        f"{path}:{line}: record {H1}: field 'evidence[0].direction': 'support' is not allowed; "
        "expected 'supports' or 'contradicts'; did you mean 'supports'?"
    )


def test_every_invalid_record_is_reported_not_just_the_first(
    tmp_path: Path, seeded: Seeded
) -> None:
    doc = base_document()
    doc["hypotheses"][0]["evidence"][1]["direction"] = "sideways"
    doc["hypotheses"][1]["genes"] = ["NOPE"]
    with pytest.raises(InvalidInputError) as refused:
        import_hypotheses(seeded.db, write_yaml(tmp_path, doc))
    assert dump_database(seeded.db) == seeded.dump
    fields = {(p.record, p.field) for p in refused.value.problems}
    assert fields == {
        ("hypotheses[0] (h-51e7234f)", "evidence[1].direction"),
        (H1, "genes[0]"),
    }


def test_uploaded_bytes_are_checked_like_files(seeded: Seeded) -> None:
    text = BASE.read_bytes().replace(b"direction: supports", b"direction: support", 1)
    document = parse_document(text, file="upload.yaml", suffix=".yaml")
    with pytest.raises(InvalidInputError) as refused:
        import_document(seeded.db, document)
    (problem,) = refused.value.problems
    assert (problem.file, problem.field) == ("upload.yaml", "evidence[0].direction")
    with pytest.raises(InvalidInputError, match="the limit is 1,024 bytes"):
        parse_document(text, file="upload.yaml", max_bytes=1024)
    assert dump_database(seeded.db) == seeded.dump


def test_json_problems_carry_lines_too(seeded: Seeded, tmp_path: Path) -> None:
    path = CASES["error in a JSON file"].make(tmp_path)
    lines = path.read_text().splitlines()
    expected = 1 + next(i for i, text in enumerate(lines) if '"year": "twenty-ten"' in text)
    with pytest.raises(InvalidInputError) as refused:
        import_hypotheses(seeded.db, path)
    (problem,) = refused.value.problems
    assert (problem.field, problem.line) == ("evidence[0].year", expected)
