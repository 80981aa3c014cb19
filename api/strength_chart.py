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
from common.numbers import signed, signed_interval
from common.text import neutralise, shorten_title
from scoring.bt_ratings import INTERVAL_LEVEL
from wiki.badges import FONT_SIZE_PX, text_width

ROW_HEIGHT = 22
LABEL_CHARS = 40
LABEL_FONT_PX = 12
# Between a label's right end and the plot, and left of the longest label.
LABEL_GAP = 8
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
    hypothesis_id: str = ""

    @property
    def label(self) -> str:
        return f"{self.rank}. {shorten_title(self.title, LABEL_CHARS)}"


@dataclass(frozen=True)
class _Frame:
    """Where the plot sits (right of the widest label) and the strengths it spans."""

    left: float
    lo: float
    hi: float

    def x(self, value: float) -> float:
        span = self.hi - self.lo if self.hi > self.lo else 1.0
        return self.left + (value - self.lo) / span * PLOT_WIDTH


def strength_chart(bars: Sequence[StrengthBar], *, chart_id: str, group: str) -> str:
    """An SVG of the bars in the given order, on one log-strength axis with 0 marked."""
    bars = [replace(bar, title=neutralise(bar.title)) for bar in bars]
    group = neutralise(group)
    frame = _Frame(_label_column(bars), *axis_span(bars))
    height = MARGIN_TOP + ROW_HEIGHT * len(bars) + MARGIN_BOTTOM
    width = round(frame.left + PLOT_WIDTH + MARGIN_RIGHT)
    title_id, desc_id = f"{chart_id}-title", f"{chart_id}-desc"
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart strength-chart" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" '
        f'aria-labelledby="{title_id} {desc_id}">'
        f'<title id="{title_id}">{escape(group)}: strengths and {INTERVAL_LEVEL:.0%} '
        "intervals</title>"
        f'<desc id="{desc_id}">{escape(describe(bars))}</desc>'
    ]
    parts += _axis(frame, len(bars))
    for index, bar in enumerate(bars):
        parts += _row(bar, index, frame)
    parts.append("</svg>")
    return "".join(parts)


def _label_column(bars: Sequence[StrengthBar]) -> float:
    """Wide enough for the widest label, measured in Verdana (wider than the sans-serif fonts
    browsers fall back on), so no label is cut off at the picture's left edge."""
    widest = max((text_width(bar.label) for bar in bars), default=0.0)
    return 2 * LABEL_GAP + widest * LABEL_FONT_PX / FONT_SIZE_PX


def describe(bars: Sequence[StrengthBar]) -> str:
    """The picture in words, for readers who cannot see it."""
    rows = "; ".join(f"#{bar.rank} {bar.title}: {_reading(bar)}" for bar in bars)
    return (
        f"Fitted log-strength (dot) and {INTERVAL_LEVEL:.0%} interval (bar) of each hypothesis; "
        f"overlapping bars are pairs the matches have not clearly ordered. {rows}"
    )


def _reading(bar: StrengthBar) -> str:
    if bar.low is None or bar.high is None:
        return signed(bar.strength)
    return f"{signed(bar.strength)} ({signed_interval(bar.low, bar.high)})"


def axis_span(bars: Sequence[StrengthBar]) -> tuple[float, float]:
    """Whole units around every bar and 0, so the axis reads in the legend's units."""
    values = [0.0]
    for bar in bars:
        values += [bar.strength] + [v for v in (bar.low, bar.high) if v is not None]
    lo, hi = math.floor(min(values)), math.ceil(max(values))
    return float(lo), float(hi if hi > lo else lo + 1)


def _axis(frame: _Frame, rows: int) -> list[str]:
    top, bottom = MARGIN_TOP, MARGIN_TOP + ROW_HEIGHT * rows
    step = 1 if frame.hi - frame.lo < MAX_TICKS else 2
    parts = []
    for tick in range(int(frame.lo), int(frame.hi) + 1, step):
        x = frame.x(tick)
        parts.append(
            f'<line x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{bottom}" stroke="{GRID_COLOR}"/>'
            f'<text x="{x:.1f}" y="{bottom + 15}" text-anchor="middle" font-size="11" '
            f'fill="{TEXT_COLOR}">{_tick_label(tick)}</text>'
        )
    zero = frame.x(0.0)
    parts.append(
        f'<line class="average" x1="{zero:.1f}" y1="{top}" x2="{zero:.1f}" y2="{bottom}" '
        f'stroke="{TEXT_COLOR}" stroke-dasharray="4 3"/>'
        f'<text class="axis-label" x="{frame.left + PLOT_WIDTH / 2:.1f}" y="{bottom + 32}" '
        f'text-anchor="middle" font-size="12" fill="{TEXT_COLOR}">'
        "log-strength (0: the group's average)</text>"
    )
    return parts


def _tick_label(tick: int) -> str:
    return signed(tick, places=0)


def _row(bar: StrengthBar, index: int, frame: _Frame) -> list[str]:
    y = MARGIN_TOP + ROW_HEIGHT * index + ROW_HEIGHT / 2
    parts = [
        f'<g class="entrant"><title>{escape(f"#{bar.rank} {bar.title}: {_reading(bar)}")}'
        f'</title><text x="{frame.left - LABEL_GAP:.1f}" y="{y + 4:.1f}" text-anchor="end" '
        f'font-size="{LABEL_FONT_PX}" fill="{TEXT_COLOR}">{escape(bar.label)}</text>'
    ]
    if bar.low is not None and bar.high is not None:
        parts.append(
            f'<line class="interval" x1="{frame.x(bar.low):.1f}" y1="{y:.1f}" '
            f'x2="{frame.x(bar.high):.1f}" y2="{y:.1f}" stroke="{BAND_COLOR}" '
            'stroke-width="6" stroke-linecap="round"/>'
        )
    parts.append(
        f'<circle class="strength" cx="{frame.x(bar.strength):.1f}" cy="{y:.1f}" r="4" '
        f'fill="{COMPOSITE_COLOR}"/></g>'
    )
    return parts
