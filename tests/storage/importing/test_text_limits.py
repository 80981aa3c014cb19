"""Free text past its documented maximum is refused at import, naming the field (issue 16)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from common.limits import MAX_CLAIM, MAX_RESOLUTION_SOURCE, MAX_STATEMENT
from storage.db import Database
from storage.errors import InvalidInputError
from storage.importing import import_hypotheses
from storage.models import Hypothesis
from tests.databases import migrated_sqlite
from tests.storage.importing.helpers import base_document, dump_database, write_json


@pytest.fixture
def sqlite(tmp_path: Path) -> Database:
    return migrated_sqlite(tmp_path / "limits.db")


def _refusal(db: Database, folder: Path, doc: dict[str, Any]) -> list[tuple[str | None, str]]:
    before = dump_database(db)
    with pytest.raises(InvalidInputError) as refused:
        import_hypotheses(db, write_json(folder, doc))
    assert dump_database(db) == before
    return [(p.field, p.message) for p in refused.value.problems]


def test_a_nine_megabyte_statement_is_refused(sqlite: Database, tmp_path: Path) -> None:
    doc = base_document()
    doc["hypotheses"][1]["statement"] = "autophagy " * 940_000
    problems = _refusal(sqlite, tmp_path, doc)
    assert any(
        field == "statement" and f"at most {MAX_STATEMENT} characters" in message
        for field, message in problems
    ), problems


def test_claims_and_resolution_sources_are_bounded(sqlite: Database, tmp_path: Path) -> None:
    doc = base_document()
    doc["hypotheses"][1]["evidence"][0]["claim"] = "c" * (MAX_CLAIM + 1)
    doc["hypotheses"][1]["status"] = "validated"
    doc["hypotheses"][1]["resolution"] = {
        "source": "s" * (MAX_RESOLUTION_SOURCE + 1),
        "date": "2024-01-01",
    }
    fields = {field for field, _ in _refusal(sqlite, tmp_path, doc)}
    assert {"evidence[0].claim", "resolution.source"} <= fields


def test_text_at_the_maximum_is_imported(sqlite: Database, tmp_path: Path) -> None:
    doc = base_document()
    doc["hypotheses"][1]["statement"] = "s" * MAX_STATEMENT
    doc["hypotheses"][1]["evidence"][0]["claim"] = "c" * MAX_CLAIM
    import_hypotheses(sqlite, write_json(tmp_path, doc))
    with sqlite.sessions() as session:
        stored = session.get(Hypothesis, doc["hypotheses"][1]["id"])
        assert stored is not None and len(stored.statement) == MAX_STATEMENT
