"""docs/scoring.md's worked example quotes what bench/worked_example.py computes, which is what
``hyposcore demo`` publishes for h-51e7234f (same import, same debate, same scoring function).

If the rubric, the blend or the market changes, this test fails until the doc is regenerated
from ``.venv/bin/python -m bench.worked_example``.
"""

from __future__ import annotations

from pathlib import Path

from bench.worked_example import worked_example
from scoring.weights import Weights

DOC = Path(__file__).resolve().parents[2] / "docs" / "scoring.md"


def test_the_doc_quotes_the_computed_worked_example() -> None:
    _, outcome, rows, plan = worked_example()
    text = DOC.read_text(encoding="utf-8")
    result = plan.blend
    assert f"**Composite {result.composite:.4f}**" in text
    assert f"**{result.composite_low:.4f}–{result.composite_high:.4f}**" in text
    assert f"**Exchange rating after the debate: {plan.trades[-1].price_after:.4f}.**" in text
    for dimension, estimate in result.dimensions.items():
        row = f"| {dimension.value} | {Weights.default()[dimension]:.2f} | {estimate.n} | "
        assert f"{row}{estimate.mean:.4f} | {estimate.low:.4f}–{estimate.high:.4f} |" in text
    for row in rows:
        cells = f"| {row.persona} | {row.round} | {row.confidence:.4f} | {row.probability:.4f} |"
        assert cells in text
    assert Weights.default().hash in text
    assert outcome.quality == 1.0
