"""The import-linter contracts in pyproject.toml hold, and they fail when a layer is broken.

Each test lints a copy of the source packages, so a test can add a forbidden import to one
module and see ``lint-imports`` name the contract it breaks, without touching the real tree.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REPO_ROOT

CONFIG: dict[str, Any] = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["tool"][
    "importlinter"
]
CONTRACTS: dict[str, dict[str, Any]] = {c["id"]: c for c in CONFIG["contracts"]}
# The console script next to this interpreter: the one `make test` runs.
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")
# Modules of wiki that may reach the ledger; every other wiki module must be pure.
WIKI_LEDGER_MODULES = {"wiki.importer", "wiki.publish"}


def _source_copy(destination: Path) -> Path:
    """The root packages and pyproject.toml copied to ``destination`` (Python sources only)."""
    for package in CONFIG["root_packages"]:
        shutil.copytree(
            REPO_ROOT / package,
            destination / package,
            ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "templates", "static", "data"),
        )
    shutil.copy(REPO_ROOT / "pyproject.toml", destination / "pyproject.toml")
    return destination


def _add_import(tree: Path, module_file: str, statement: str) -> None:
    path = tree / module_file
    path.write_text(path.read_text() + f"\n{statement}\n")


def _lint(tree: Path) -> subprocess.CompletedProcess[str]:
    # PYTHONPATH puts the copy ahead of the editable install, so the copy is what is analysed.
    env = {**os.environ, "PYTHONPATH": str(tree)}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--no-logo"],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _verdicts(output: str) -> dict[str, str]:
    """Contract id -> "KEPT" or "BROKEN", read from the summary lines of the output."""
    verdicts = {}
    for contract_id, contract in CONTRACTS.items():
        found = re.search(rf"^{re.escape(contract['name'])} (KEPT|BROKEN)\b", output, re.M)
        assert found is not None, f"no verdict for {contract['name']!r} in:\n{output}"
        verdicts[contract_id] = found[1]
    return verdicts


def test_the_tree_as_it_is_keeps_every_contract(tmp_path: Path) -> None:
    result = _lint(_source_copy(tmp_path))

    assert result.returncode == 0, result.stdout + result.stderr
    assert set(_verdicts(result.stdout).values()) == {"KEPT"}


def test_a_pure_wiki_module_importing_storage_breaks_only_the_pure_wiki_contract(
    tmp_path: Path,
) -> None:
    tree = _source_copy(tmp_path)
    _add_import(tree, "wiki/genepage.py", "from storage.models import Base")

    result = _lint(tree)

    assert result.returncode != 0
    verdicts = _verdicts(result.stdout)
    assert verdicts.pop("wiki-page-format-pure") == "BROKEN"
    assert set(verdicts.values()) == {"KEPT"}  # wiki may import storage, just not from here
    assert "wiki.genepage -> storage.models" in result.stdout


@pytest.mark.parametrize(
    ("module_file", "statement", "contract_id"),
    [
        ("scoring/blend.py", "import sqlalchemy", "scoring-pure-maths"),
        ("debates/runner.py", "from storage.db import Database", "debates-no-database"),
        ("storage/db.py", "import debates.case", "layers"),
        ("common/citations.py", "import scoring.weights", "layers"),
        ("wiki/publish.py", "import workers.dispatch", "layers"),
        ("api/app.py", "import workers.tasks", "api-queues-through-dispatch"),
    ],
)
def test_each_contract_fails_when_its_rule_is_broken(
    tmp_path: Path, module_file: str, statement: str, contract_id: str
) -> None:
    tree = _source_copy(tmp_path)
    _add_import(tree, module_file, statement)

    result = _lint(tree)

    assert result.returncode != 0
    assert _verdicts(result.stdout)[contract_id] == "BROKEN", result.stdout


def test_every_wiki_module_but_importer_and_publish_is_held_pure() -> None:
    modules = {f"wiki.{path.stem}" for path in (REPO_ROOT / "wiki").glob("*.py")} - {
        "wiki.__init__"
    }
    pure = set(CONTRACTS["wiki-page-format-pure"]["source_modules"])

    assert pure == modules - WIKI_LEDGER_MODULES


def test_importing_the_pure_wiki_modules_loads_no_database_code() -> None:
    """The contract reads import statements; this also catches an import made at run time."""
    pure = CONTRACTS["wiki-page-format-pure"]["source_modules"]
    forbidden = ("storage", "sqlalchemy")
    script = (
        "import importlib, sys\n"
        f"for name in {pure!r}:\n"
        "    importlib.import_module(name)\n"
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {forbidden!r}))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True
    )

    assert result.stdout.strip() == "[]"
