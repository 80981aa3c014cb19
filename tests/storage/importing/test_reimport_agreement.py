"""The page importer and the hypothesis importer agree on drugs: re-imports change nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from storage.db import Database
from storage.importing import import_hypotheses
from storage.models import Drug
from tests.conftest import REPO_ROOT
from wiki.importer import import_pages

DATA = REPO_ROOT / "hyposcore" / "data"
BUNDLED_HYPOTHESES = DATA / "hypotheses.yaml"
BUNDLED_PAGE = DATA / "pages" / "mtor.txt"


def _drugs(db: Database) -> dict[str, tuple[str | None, str | None]]:
    with db.sessions() as session:
        return {d.name: (d.mechanism, d.target_complex) for d in session.scalars(select(Drug))}


def _import_both(db: Database, first: str) -> None:
    steps = {
        "page": lambda: import_pages(db, [Path(BUNDLED_PAGE)]),
        "hypotheses": lambda: import_hypotheses(db, BUNDLED_HYPOTHESES),
    }
    order = [first, *(name for name in steps if name != first)]
    for name in order:
        steps[name]()


@pytest.mark.parametrize("first", ["page", "hypotheses"])
def test_reimporting_the_unchanged_bundled_files_changes_nothing(db: Database, first: str) -> None:
    _import_both(db, first)
    settled = _drugs(db)
    again = import_hypotheses(db, BUNDLED_HYPOTHESES)
    pages = import_pages(db, [Path(BUNDLED_PAGE)])
    tally = again.hypotheses
    assert (again.drugs.created, again.drugs.updated) == (0, 0)
    assert (tally.created, tally.updated) == (0, 0)
    assert (again.genes.created, again.genes.updated) == (0, 0)
    assert [p.changed for p in pages.pages] == [False]
    assert _drugs(db) == settled


def test_the_curated_file_wins_over_the_page_on_a_drug_they_both_describe(db: Database) -> None:
    _import_both(db, "hypotheses")
    mechanism, _ = _drugs(db)["Everolimus"]
    # The curated file's wording, not the page's shorter "mTORC1/2 inhibitor".
    assert mechanism is not None and mechanism.startswith("Allosteric mTORC1 inhibitor")
