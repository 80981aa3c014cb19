"""Issue 11: hostile text, odd identifiers and huge numbers in hypothesis files.

Every case is refused with exit code 2 (or a problem naming the field and position), without a
traceback, and leaves the database exactly as it was.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from common.text import first_refused, text_problem
from hyposcore.cli.common import open_database
from hyposcore.cli.main import app
from storage.db import Database
from storage.errors import InvalidInputError
from storage.importing import check_document, import_document, import_hypotheses, parse_document
from tests.storage.importing.helpers import BASE, base_document, dump_database, write_json

runner = CliRunner()

REFUSED = {
    "NUL": "\x00",
    "SOH": "\x01",
    "ESC": "\x1b",
    "DEL": "\x7f",
    "NEL (C1)": "\x85",
    "lone CR": "\r",
    "RLO": "\u202e",
    "LRE": "\u202a",
    "RLI": "\u2067",
    "PDI": "\u2069",
    "RLM": "\u200f",
    "ALM": "\u061c",
}


def _words(text: str) -> str:
    return " ".join(text.split())


def _dump() -> dict[str, list[tuple[Any, ...]]]:
    database = open_database()
    try:
        return dump_database(database)
    finally:
        database.dispose()


def _import_json(tmp_path: Path, document: dict[str, Any]) -> Any:
    """Run the CLI on ``document`` written as JSON (``\\u0000`` escapes, not raw bytes)."""
    path = write_json(tmp_path, document)
    assert b"\x00" not in path.read_bytes()
    return runner.invoke(app, ["import", "hypotheses", str(path)])


@pytest.mark.parametrize("name", sorted(REFUSED))
@pytest.mark.parametrize(
    ("field", "place"),
    [
        ("title", ("hypotheses", 0, "title")),
        ("statement", ("hypotheses", 0, "statement")),
        ("evidence[0].claim", ("hypotheses", 0, "evidence", 0, "claim")),
        ("evidence[0].organism", ("hypotheses", 0, "evidence", 0, "organism")),
        ("full_name", ("genes", 0, "full_name")),
    ],
)
def test_refused_characters_are_named_with_field_and_position(
    name: str, field: str, place: tuple[str | int, ...]
) -> None:
    """Defects 2, 3 and 4: a NUL written as \u0000, other controls and bidirectional
    overrides are refused at import, naming the record, the field and the character."""
    document = base_document()
    target: Any = document
    for key in place[:-1]:
        target = target[key]
    target[place[-1]] = "Evil" + REFUSED[name] + "Text"
    raw = json.dumps(document).encode()
    assert b"\x00" not in raw
    checked = check_document(parse_document(raw, file="evil.json", suffix=".json"))
    (problem,) = checked.problems
    assert problem.field == field
    assert f"U+{ord(REFUSED[name]):04X}" in problem.message
    assert "at character 5" in problem.message


@pytest.mark.parametrize("name", ["NUL", "ESC", "RLO"])
def test_refused_characters_exit_2_and_write_nothing(tmp_path: Path, name: str) -> None:
    """Defect 2: a NUL written as \u0000 in JSON was accepted and later poisoned the page."""
    before = _dump()
    document = base_document()
    document["hypotheses"][0]["title"] = "Evil" + REFUSED[name] + "Title"
    result = _import_json(tmp_path, document)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    message = _words(result.stderr)
    assert "record hypotheses[0] (h-51e7234f): field 'title'" in message
    assert f"U+{ord(REFUSED[name]):04X}" in message
    assert _dump() == before


def test_crlf_line_endings_and_tabs_in_text_are_kept(tmp_path: Path, db: Database) -> None:
    document = base_document()
    document["hypotheses"][0]["statement"] = "First line,\r\n\tthen the second."
    raw = json.dumps(document).encode()
    import_document(db, parse_document(raw, file="crlf.json", suffix=".json"))


def test_gene_symbol_with_a_slash_exits_2_naming_the_field(tmp_path: Path) -> None:
    """Defect 1: 'A/B' would become a path separator in every link to the gene."""
    result = _import_json(tmp_path, {"version": 1, "genes": [{"symbol": "A/B"}]})
    assert result.exit_code == 2, result.output
    message = _words(result.stderr)
    assert "record genes[0] (A/B): field 'symbol'" in message
    assert "is not a gene symbol" in message
    assert _dump()["genes"] == []


@pytest.mark.parametrize("symbol", ["A B", "../etc", "A?x", "A#1", "A%2F", ".hidden", "-X", "é"])
def test_symbols_that_are_not_safe_path_segments_are_refused(db: Database, symbol: str) -> None:
    raw = json.dumps({"version": 1, "genes": [{"symbol": symbol}]}).encode()
    with pytest.raises(InvalidInputError) as caught:
        import_document(db, parse_document(raw, file="genes.json", suffix=".json"))
    assert [p.field for p in caught.value.problems] == ["symbol"]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("evidence[0].sample_size", 10**30),
        ("evidence[0].sample_size", 2**31),
        ("evidence[0].year", 10**30),
    ],
)
def test_integers_past_what_the_database_stores_exit_2_naming_the_field(
    tmp_path: Path, field: str, value: int
) -> None:
    """Defect 5 (the importer's half): sample_size 10**30 ended in an OverflowError traceback."""
    before = _dump()
    document = base_document()
    document["hypotheses"][0]["evidence"][0][field.split(".")[-1]] = value
    result = _import_json(tmp_path, document)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert f"field '{field}'" in _words(result.stderr)
    assert _dump() == before


def test_the_largest_stored_sample_size_is_accepted(db: Database) -> None:
    document = base_document()
    document["hypotheses"][0]["evidence"][0]["sample_size"] = 2**31 - 1
    raw = json.dumps(document).encode()
    report = import_document(db, parse_document(raw, file="big.json", suffix=".json"))
    assert report.hypotheses.created == 2


def test_an_integer_too_long_to_read_is_refused_as_a_file_problem(tmp_path: Path) -> None:
    path = tmp_path / "huge.yaml"
    path.write_text("version: 1\ngenes:\n  - symbol: MTOR\n    protein_length: " + "9" * 5000)
    result = runner.invoke(app, ["import", "hypotheses", str(path)])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert "a value cannot be read" in _words(result.stderr)


def test_a_statement_longer_than_the_limit_is_refused(db: Database) -> None:
    document = base_document()
    document["hypotheses"][0]["statement"] = "x" * 10_001
    raw = json.dumps(document).encode()
    with pytest.raises(InvalidInputError) as caught:
        import_document(db, parse_document(raw, file="long.json", suffix=".json"))
    assert [p.field for p in caught.value.problems] == ["statement"]


def test_a_hypothesis_file_never_overwrites_a_stored_gene_id(db: Database, tmp_path: Path) -> None:
    """Defect 9: a later import replaced the ids a page stored, reported as 'genes updated 1'."""
    import_hypotheses(db, BASE)
    before = dump_database(db)
    document = base_document()
    document["genes"][0]["ncbi_gene_id"] = "9999"
    with pytest.raises(InvalidInputError) as caught:
        import_hypotheses(db, write_json(tmp_path, document))
    (problem,) = [p for p in caught.value.problems if p.field == "ncbi_gene_id"]
    assert "NCBI Gene ID 9999 contradicts 2475 already stored for gene MTOR" in problem.message
    assert dump_database(db) == before


def test_a_hypothesis_file_fills_in_a_missing_gene_id(db: Database, tmp_path: Path) -> None:
    document = base_document()
    del document["genes"][0]["ncbi_gene_id"]
    import_hypotheses(db, write_json(tmp_path, document))
    report = import_hypotheses(db, BASE)
    assert report.genes.updated == 1


@settings(max_examples=200, deadline=None)
@given(text=st.text(max_size=40))
def test_the_policy_names_the_first_refused_character(text: str) -> None:
    at = first_refused(text)
    problem = text_problem(text)
    assert (at is None) == (problem is None)
    if at is not None and problem is not None:
        assert f"U+{ord(text[at]):04X}" in problem
        assert f"character {at + 1}" in problem
