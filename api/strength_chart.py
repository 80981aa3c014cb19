"""A group's tournament strengths as inline SVG: one row per hypothesis, its fitted strength
as a dot on its 80% interval.

The table gives the numbers; the picture shows at a glance what they claim. Where two bars
overlap, the matches have not clearly ordered the pair, however far apart their ranks read.
Titles are neutralised (controls and bidirectional overrides replaced, as the templates do
for every other text) and XML-escaped here, and every coordinate is computed here, so the
markup is safe to embed.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from html import escape

from api.charts import BAND_COLOR, COMPOSITE_COLOR, GRID_COLOR, TEXT_COLOR
from common.text import neutralise, shorten_title
from scoring.bt_posterior import INTERVAL_LEVEL

ROW_HEIGHT = 22
LABEL_CHARS = 40
# Room for a label of LABEL_CHARS characters at about 7 px each (12 px sans-serif).
LABEL_WIDTH = 7 * (LABEL_CHARS + 4)
PLOT_WIDTH = 360
MARGIN_RIGHT, MARGIN_TOP, MARGIN_BOTTOM = 16, 8, 40
# More integer ticks than this crowd the axis; then every other one is drawn.
MAX_TICKS = 9


@dataclass(frozen=True)
class StrengthBar:
    """One rated hypothesis: its rank in the group, its title and its fitted log-strength."""

    rank: int
    title: str
    strength: float
    low: float | None = None
    high: float | None = None


def strength_chart(bars: Sequence[StrengthBar], *, chart_id: str, group: str) -> str:
    """An SVG of the bars in the given order, on one log-strength axis with 0 marked."""
    bars = [replace(bar, title=neutralise(bar.title)) for bar in bars]
    group = neutralise(group)
    lo, hi = _domain(bars)
    height = MARGIN_TOP + ROW_HEIGHT * len(bars) + MARGIN_BOTTOM
    width = LABEL_WIDTH + PLOT_WIDTH + MARGIN_RIGHT
    title_id, desc_id = f"{chart_id}-title", f"{chart_id}-desc"
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart strength-chart" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" '
        f'aria-labelledby="{title_id} {desc_id}">'
        f'<title id="{title_id}">{escape(group)}: strengths and {INTERVAL_LEVEL:.0%} '
        "intervals</title>"
        f'<desc id="{desc_id}">{escape(describe(bars))}</desc>'
    ]
    parts += _axis(lo, hi, len(bars))
    for index, bar in enumerate(bars):
        parts += _row(bar, index, lo, hi)
    parts.append("</svg>")
    return "".join(parts)


def describe(bars: Sequence[StrengthBar]) -> str:
    """The picture in words, for readers who cannot see it."""
    rows = "; ".join(f"#{bar.rank} {bar.title}: {_reading(bar)}" for bar in bars)
    return (
        f"Fitted log-strength (dot) and {INTERVAL_LEVEL:.0%} interval (bar) of each hypothesis; "
        f"overlapping bars are pairs the matches have not clearly ordered. {rows}"
    )


def _reading(bar: StrengthBar) -> str:
    if bar.low is None or bar.high is None:
        return f"{bar.strength:+.2f}"
    return f"{bar.strength:+.2f} ({bar.low:+.2f} to {bar.high:+.2f})"


def _domain(bars: Sequence[StrengthBar]) -> tuple[float, float]:
    """Whole units around every bar and 0, so the axis reads in the legend's units."""
    values = [0.0]
    for bar in bars:
        values += [bar.strength] + [v for v in (bar.low, bar.high) if v is not None]
    lo, hi = math.floor(min(values)), math.ceil(max(values))
    return float(lo), float(hi if hi > lo else lo + 1)


def _x(value: float, lo: float, hi: float) -> float:
    span = hi - lo if hi > lo else 1.0
    return LABEL_WIDTH + (value - lo) / span * PLOT_WIDTH


def _axis(lo: float, hi: float, rows: int) -> list[str]:
    top, bottom = MARGIN_TOP, MARGIN_TOP + ROW_HEIGHT * rows
    step = 1 if hi - lo < MAX_TICKS else 2
    parts = []
    for tick in range(int(lo), int(hi) + 1, step):
        x = _x(tick, lo, hi)
        parts.append(
            f'<line x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{bottom}" stroke="{GRID_COLOR}"/>'
            f'<text x="{x:.1f}" y="{bottom + 15}" text-anchor="middle" font-size="11" '
            f'fill="{TEXT_COLOR}">{_tick_label(tick)}</text>'
        )
    zero = _x(0.0, lo, hi)
    parts.append(
        f'<line class="average" x1="{zero:.1f}" y1="{top}" x2="{zero:.1f}" y2="{bottom}" '
        f'stroke="{TEXT_COLOR}" stroke-dasharray="4 3"/>'
        f'<text class="axis-label" x="{LABEL_WIDTH + PLOT_WIDTH / 2:.1f}" y="{bottom + 32}" '
        f'text-anchor="middle" font-size="12" fill="{TEXT_COLOR}">'
        "log-strength (0: the group's average)</text>"
    )
    return parts


def _tick_label(tick: int) -> str:
    return f"+{tick}" if tick > 0 else ("\u2212" + str(-tick) if tick < 0 else "0")


def _row(bar: StrengthBar, index: int, lo: float, hi: float) -> list[str]:
    y = MARGIN_TOP + ROW_HEIGHT * index + ROW_HEIGHT / 2
    label = f"{bar.rank}. {shorten_title(bar.title, LABEL_CHARS)}"
    parts = [
        f'<g class="entrant"><title>{escape(f"#{bar.rank} {bar.title}: {_reading(bar)}")}'
        f'</title><text x="{LABEL_WIDTH - 8}" y="{y + 4:.1f}" text-anchor="end" '
        f'font-size="12" fill="{TEXT_COLOR}">{escape(label)}</text>'
    ]
    if bar.low is not None and bar.high is not None:
        parts.append(
            f'<line class="interval" x1="{_x(bar.low, lo, hi):.1f}" y1="{y:.1f}" '
            f'x2="{_x(bar.high, lo, hi):.1f}" y2="{y:.1f}" stroke="{BAND_COLOR}" '
            'stroke-width="6" stroke-linecap="round"/>'
        )
    parts.append(
        f'<circle class="strength" cx="{_x(bar.strength, lo, hi):.1f}" cy="{y:.1f}" r="4" '
        f'fill="{COMPOSITE_COLOR}"/></g>'
    )
    return parts
