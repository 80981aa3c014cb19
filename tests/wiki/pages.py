"""Helpers shared by the gene-page tests."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import FIXTURES

PAGES = FIXTURES / "pages"
SEED = PAGES / "mtor_seed.txt"


def page_path(name: str) -> Path:
    return PAGES / name


def page_text(name: str) -> str:
    return (PAGES / name).read_bytes().decode("utf-8")
