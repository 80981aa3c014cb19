"""``hyposcore import page``: the summary table, exit codes and refused input."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

from hyposcore.cli import common as cli_common
from hyposcore.cli.common import open_database
from hyposcore.cli.main import app
from storage.queries.knowledge import count_rows
from tests.wiki.pages import SEED, page_path

runner = CliRunner()


def _counts() -> dict[str, int]:
    database = open_database()
    try:
        with database.sessions() as session:
            return count_rows(session)
    finally:
        database.dispose()


def _flat(output: str) -> str:
    """Rich wraps long lines to the terminal width; compare text, not layout."""
    return " ".join(output.split())


def test_import_prints_a_summary_row_per_page() -> None:
    result = runner.invoke(
        app, ["import", "page", str(SEED), str(page_path("tfeb_diagram_first.txt"))]
    )
    assert result.exit_code == 0, result.output
    assert "MTOR" in result.output and "TFEB" in result.output
    assert "h-51e7234f shows 0.80 in the infobox but 0.73" in result.output
    counts = _counts()
    assert (counts["gene_pages"], counts["displayed_scores"]) == (2, 6)


def test_refused_input_exits_2_and_writes_nothing() -> None:
    bad = page_path("tfeb_score_out_of_range.txt")
    result = runner.invoke(app, ["import", "page", str(SEED), str(bad)])
    assert result.exit_code == 2
    assert "nothing written" in result.output
    assert f"{bad}:16: record h-7f3a9c21: field 'exchange score'" in _flat(result.output)
    assert _counts()["gene_pages"] == 0


def test_skip_invalid_writes_the_rest_and_exits_1(tmp_path: Path) -> None:
    empty = tmp_path / "[bold]empty.txt"
    empty.write_bytes(b"")
    result = runner.invoke(app, ["import", "page", "--skip-invalid", str(empty), str(SEED)])
    assert result.exit_code == 1
    assert f"{empty}: file is empty" in result.output  # shown literally, not as Rich markup
    assert _counts()["gene_pages"] == 1


def test_a_bar_follows_reading_and_writing_in_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    screen = io.StringIO()
    monkeypatch.setattr(cli_common, "console", Console(file=screen, force_terminal=True))
    result = runner.invoke(app, ["import", "page", str(SEED)])
    assert result.exit_code == 0, result.output
    drawn = screen.getvalue()
    assert "reading pages" in drawn and "writing pages" in drawn and "1/1" in drawn
    assert "MTOR" in result.output  # the report, printed after the bar is gone
