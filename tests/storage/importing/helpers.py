"""Shared by the importer tests: the base file, writing variants of it, and database dumps."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select

from storage.db import Database
from storage.models import Base
from tests.conftest import FIXTURES

HYPOTHESES = FIXTURES / "hypotheses"
BASE = HYPOTHESES / "base.yaml"
EXAMPLE = Path(__file__).resolve().parents[3] / "docs" / "examples" / "hypotheses.yaml"


def base_document() -> dict[str, Any]:
    """A fresh, mutable copy of the valid base file."""
    return copy.deepcopy(yaml.safe_load(BASE.read_text()))


def write_yaml(folder: Path, data: Any, name: str = "hypotheses.yaml") -> Path:
    path = folder / name
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
    return path


def write_json(folder: Path, data: Any, name: str = "hypotheses.json") -> Path:
    path = folder / name
    path.write_text(json.dumps(data, indent=2, default=str))
    return path


def dump_database(db: Database) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, in a stable order: equal dumps mean nothing was written."""
    dump: dict[str, list[tuple[Any, ...]]] = {}
    with db.engine.connect() as connection:
        for table in Base.metadata.sorted_tables:
            rows = connection.execute(select(table)).all()
            dump[table.name] = sorted((tuple(row) for row in rows), key=repr)
    return dump
