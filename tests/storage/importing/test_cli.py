"""``hyposcore import hypotheses``: the summary, refusals (exit 2) and --skip-invalid."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from typer.testing import CliRunner

from hyposcore.cli.common import open_database
from hyposcore.cli.main import app
from storage.models import Hypothesis
from tests.storage.importing.helpers import BASE, base_document, dump_database, write_yaml

runner = CliRunner()


def _words(text: str) -> str:
    """Output with rich's line wrapping undone, so assertions do not depend on the width."""
    return " ".join(text.split())


def _stored_ids() -> list[str]:
    database = open_database()
    try:
        with database.sessions() as session:
            return list(session.scalars(select(Hypothesis.id).order_by(Hypothesis.id)))
    finally:
        database.dispose()


def test_import_prints_a_summary_and_a_second_run_changes_nothing() -> None:
    first = runner.invoke(app, ["import", "hypotheses", str(BASE)])
    assert first.exit_code == 0, first.output
    assert "│ hypotheses │ 2 │ 0 │ 0 │ - │" in _words(first.stdout)

    second = runner.invoke(app, ["import", "hypotheses", str(BASE)])
    assert second.exit_code == 0, second.output
    assert "│ hypotheses │ 0 │ 0 │ 2 │ - │" in _words(second.stdout)
    assert "│ evidence items │ 0 │ 0 │ 3 │ 0 │" in _words(second.stdout)
    assert _stored_ids() == ["h-51e7234f", "h-7f3e9a21"]


def test_a_changed_hypothesis_says_when_its_pages_will_show_it(tmp_path: Path) -> None:
    assert runner.invoke(app, ["import", "hypotheses", str(BASE)]).exit_code == 0
    doc = base_document()
    doc["hypotheses"][0]["title"] += " (revised)"
    result = runner.invoke(app, ["import", "hypotheses", str(write_yaml(tmp_path, doc))])
    assert result.exit_code == 0, result.output
    said = _words(result.stdout)
    assert "│ hypotheses │ 0 │ 1 │ 1 │ - │" in said
    assert "1 hypothesis changed: a new outcome reaches published gene pages and badges" in said
    again = runner.invoke(app, ["import", "hypotheses", str(write_yaml(tmp_path, doc))])
    assert "changed: published" not in _words(again.stdout)


def test_a_bad_file_exits_2_names_the_problem_and_writes_nothing(tmp_path: Path) -> None:
    doc = base_document()
    doc["hypotheses"][1]["evidence"][0]["citation"] = "see the 1993 Science paper"
    path = write_yaml(tmp_path, doc)

    result = runner.invoke(app, ["import", "hypotheses", str(path)])

    assert result.exit_code == 2
    message = _words(result.stderr)
    assert "1 problem(s); nothing written" in message
    assert (
        "record hypotheses[1] (h-7f3e9a21): field 'evidence[0].citation': "
        "'see the 1993 Science paper' is neither a PMID" in message
    )
    assert _stored_ids() == []


def test_skip_invalid_imports_the_rest_and_lists_what_it_skipped(tmp_path: Path) -> None:
    doc = base_document()
    doc["hypotheses"][1]["id"] = "h-NOPE"
    path = write_yaml(tmp_path, doc)

    result = runner.invoke(app, ["import", "hypotheses", str(path), "--skip-invalid"])

    assert result.exit_code == 1, result.output
    assert "skipped 1 invalid record(s):" in result.stderr
    assert "record hypotheses[1] (h-NOPE): field 'id'" in result.stderr
    assert "│ hypotheses │ 1 │ 0 │ 0 │ - │" in _words(result.stdout)
    assert _stored_ids() == ["h-51e7234f"]


def test_a_missing_file_is_refused_clearly(tmp_path: Path) -> None:
    # Wide enough that the temporary path, however deep, is not folded mid-name.
    missing = str(tmp_path / "nope.yaml")
    result = runner.invoke(app, ["import", "hypotheses", missing], env={"COLUMNS": "400"})
    assert result.exit_code == 2
    assert "nope.yaml: cannot read the file: No such file or directory" in _words(result.stderr)
    database = open_database()
    try:
        assert all(
            rows == []
            for name, rows in dump_database(database).items()
            if name != "alembic_version"
        )
    finally:
        database.dispose()
