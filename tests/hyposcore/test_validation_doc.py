"""docs/validation.md quotes what bench/backtest_validation.py measures on the bundled set.

If the dataset, the rubric, the blend, the market or the grading changes, this test fails until
the doc is re-measured with ``.venv/bin/python -m bench.backtest_validation --svg
docs/validation-reliability.svg``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.backtest_validation import main

DOCS = Path(__file__).resolve().parents[2] / "docs"


def test_the_doc_quotes_every_measured_row(capsys: pytest.CaptureFixture[str]) -> None:
    main([])
    measured = capsys.readouterr().out.splitlines()
    text = (DOCS / "validation.md").read_text(encoding="utf-8")
    rows = [line for line in measured if line.startswith("| ") and "---" not in line]
    assert len(rows) > 10
    missing = [row for row in rows if row not in text]
    assert missing == [], "re-measure docs/validation.md:\n" + "\n".join(missing)
    n_line = measured[0]  # "n = 7 (3 validated, 4 refuted)"
    n, validated, refuted = (
        int(word) for word in n_line.replace("(", " ").split() if word.isdigit()
    )
    assert f"**n = {n}** resolved hypotheses ({validated} validated, {refuted} refuted)" in text


def test_the_doc_figure_is_the_measured_diagram(tmp_path: Path) -> None:
    drawn = tmp_path / "reliability.svg"
    main(["--svg", str(drawn)])
    assert drawn.read_text(encoding="utf-8") == (DOCS / "validation-reliability.svg").read_text(
        encoding="utf-8"
    )
