"""Shared fixtures: a migrated database on SQLite and on the machine's PostgreSQL."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from common.settings import get_settings
from storage.db import Database
from tests.databases import DIALECTS, migrated_database

# The CLI's module-level rich consoles read COLUMNS once, when first imported, and keep that
# width for good if it is set; pytest-xdist's workers and developers' shells set it. Unset
# here, before any test module imports the CLI, the consoles read it afresh on every render,
# so each test's own width (or the fixture's default below) is the one its output gets.
os.environ.pop("COLUMNS", None)

REPO_ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture(autouse=True)
def _isolated_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every test gets its own data folder, no settings from the developer's environment, and
    an 80-column terminal unless it asks for another."""
    for key in list(os.environ):
        if key.startswith("HYPOSCORE_") and not key.startswith("HYPOSCORE_TEST_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("HYPOSCORE_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("COLUMNS", "80")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture(params=DIALECTS)
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A database migrated to head, on SQLite and on PostgreSQL."""
    with migrated_database(request.param, tmp_path) as database:
        yield database
