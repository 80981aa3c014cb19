"""The blend's nominal 80% intervals cover the truth about 80% of the time under its own model.

A smaller run of bench/interval_coverage.py (BENCHMARKS.md has the full figures): with 600
trials a true 80% coverage lies within +-4 points with probability above 99% for the composite
and far tighter for the dimensions, which pool ten intervals per trial. The old rules (a lone
persona's spread taken as 0, the Synthesizer counted as one more persona) covered 64% and 42%.
"""

from __future__ import annotations

import pytest

from bench.interval_coverage import CORE_LAYOUT, simulate


@pytest.mark.parametrize("personas", [1, 2, 3, 6])
def test_intervals_cover_about_eighty_percent(personas: int) -> None:
    result = simulate(personas, trials=600, seed=11, synthesizer=True)
    assert result.dimension == pytest.approx(0.80, abs=0.025)
    assert result.composite == pytest.approx(0.80, abs=0.045)


def test_the_core_panels_layout_covers_too() -> None:
    # Each member scores only its own dimensions, so their errors barely pool in the composite.
    result = simulate(3, trials=600, seed=11, synthesizer=True, layout=CORE_LAYOUT)
    assert result.dimension == pytest.approx(0.80, abs=0.025)
    assert result.composite == pytest.approx(0.80, abs=0.045)


def test_more_personas_give_narrower_intervals() -> None:
    widths = [simulate(n, trials=100, seed=3).dimension_width for n in (1, 2, 3, 6)]
    assert widths == sorted(widths, reverse=True)
