"""docs/validation.md quotes what bench/backtest_validation.py measures on the bundled set.

If the dataset, the rubric, the blend, the market or the grading changes, this test fails until
the doc is re-measured with ``.venv/bin/python -m bench.backtest_validation --svg
docs/validation-reliability.svg``.
"""

from __future__ import annotations

import io
import re
from contextlib import redirect_stdout
from pathlib import Path

import pytest

from bench.backtest_validation import main

DOCS = Path(__file__).resolve().parents[2] / "docs"


@pytest.fixture(scope="module")
def measured(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[str], str]:
    """The bench's printed lines and its diagram, from one run (it debates all 60 blind)."""
    drawn = tmp_path_factory.mktemp("validation") / "reliability.svg"
    printed = io.StringIO()
    with redirect_stdout(printed):
        main(["--svg", str(drawn)])
    return printed.getvalue().splitlines(), drawn.read_text(encoding="utf-8")


def test_the_doc_quotes_every_measured_row(measured: tuple[list[str], str]) -> None:
    lines, _ = measured
    text = (DOCS / "validation.md").read_text(encoding="utf-8")
    rows = [line for line in lines if line.startswith("| ") and "---" not in line]
    assert len(rows) > 10
    missing = [row for row in rows if row not in text]
    assert missing == [], "re-measure docs/validation.md:\n" + "\n".join(missing)
    n_line = lines[0]  # "n = 60 (17 validated, 43 refuted)"
    n, validated, refuted = (
        int(word) for word in n_line.replace("(", " ").split() if word.isdigit()
    )
    assert f"**n = {n}** resolved hypotheses ({validated} validated, {refuted} refuted)" in text


def test_the_track_record_example_quotes_the_measured_bands(
    measured: tuple[list[str], str],
) -> None:
    """docs/scoring.md's worked sentence and its two comparisons are the bench's band rows."""
    lines, _ = measured
    rows = {
        cells[0]: cells[1:]
        for cells in (
            [cell.strip() for cell in line.strip("|").split("|")]
            for line in lines
            if re.match(r"\| \d\.\d\d–\d\.\d\d \|", line)
        )
    }
    exchange = {band: _counts(cells[0]) for band, cells in rows.items()}
    text = " ".join((DOCS / "scoring.md").read_text(encoding="utf-8").split())
    k, n, share, low, high = exchange["0.20–0.40"]
    assert (
        f"Of the {n} resolved hypotheses whose blind exchange rating was 0.20–0.40, {k} were "
        f"validated ({share}; 90% interval {low}–{high})"
    ) in text
    k, n, *_ = exchange["0.60–0.80"]
    assert f"blind ratings of 0.6–0.8 were borne out {k} times in {n}" in text
    k, n, *_ = exchange["0.40–0.60"]
    assert f"those of 0.4–0.6 {k} times in {n}" in text


def test_the_judges_figure_in_scoring_md_is_the_measured_one(
    measured: tuple[list[str], str],
) -> None:
    lines, _ = measured
    row = next(line for line in lines if line.startswith("| tournament judge ("))
    _, pairs, right, _, share = (cell.strip() for cell in row.strip("|").split("|"))
    text = " ".join((DOCS / "scoring.md").read_text(encoding="utf-8").split())
    assert f"was right in {right} of {pairs} pairs, {share};" in text


def _counts(cell: str) -> tuple[str, ...]:
    """ "4 of 20 (20%) [9%–37%]" as ("4", "20", "20%", "9%", "37%")."""
    found = re.fullmatch(r"(\d+) of (\d+) \((\d+%)\) \[(\d+%)–(\d+%)\]", cell)
    assert found is not None, cell
    return found.groups()


def test_the_doc_figure_is_the_measured_diagram(measured: tuple[list[str], str]) -> None:
    _, drawn = measured
    assert drawn == (DOCS / "validation-reliability.svg").read_text(encoding="utf-8")
