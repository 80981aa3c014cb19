"""The reliability diagram of a backtest as inline SVG: forecast against what happened.

Each series is a forecaster's reliability bins: the mean forecast of a bin on x, the share of
its hypotheses validated on y, the dot's area growing with the bin's count. A perfectly
calibrated forecaster lies on the diagonal. Labels are XML-escaped here and every coordinate
is a number computed here, so the markup is safe to embed; the same function draws the
figure of docs/validation.md.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape

from api.charts import GRID_COLOR, TEXT_COLOR

# Colour-blind-safe pair (Okabe-Ito), then more of the same palette.
SERIES_COLORS = ("#d55e00", "#0072b2", "#009e73", "#cc79a7", "#e69f00")
# Bin: (mean forecast, observed share, count); None for an empty bin.
Bin = tuple[float | None, float | None, int]
MARGIN_LEFT, MARGIN_RIGHT, MARGIN_TOP, MARGIN_BOTTOM = 56, 180, 16, 48
# The legend sits right of the plot: swatch and gap, then the label at about 7 px a character
# (12 px sans-serif), so the figure widens for long names rather than cutting them off.
LEGEND_INDENT, LEGEND_CHAR_WIDTH = 34, 7


def reliability_chart(
    series: Sequence[tuple[str, Sequence[Bin]]], *, size: int = 320, title: str = ""
) -> str:
    """An SVG of the series' bins over [0, 1] x [0, 1] with the diagonal and labelled axes."""
    label = title or "Reliability diagram"
    longest = max((len(name) for name, _ in series), default=0)
    width = MARGIN_LEFT + size + max(MARGIN_RIGHT, LEGEND_INDENT + LEGEND_CHAR_WIDTH * longest)
    height = MARGIN_TOP + size + MARGIN_BOTTOM
    described = "; ".join(_describe(name, bins) for name, bins in series) or "no forecasts"
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart reliability-chart" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" '
        f'aria-labelledby="rel-title rel-desc">'
        f'<title id="rel-title">{escape(label)}</title>'
        f'<desc id="rel-desc">Forecast probability (x) against the share validated (y); '
        f"the diagonal is perfect calibration. {escape(described)}</desc>"
    ]
    parts += _axes(size)
    for index, (name, bins) in enumerate(series):
        parts += _series(name, bins, size, SERIES_COLORS[index % len(SERIES_COLORS)], index)
    parts.append("</svg>")
    return "".join(parts)


def _x(value: float, size: int) -> float:
    return MARGIN_LEFT + value * size


def _y(value: float, size: int) -> float:
    return MARGIN_TOP + (1.0 - value) * size


def _axes(size: int) -> list[str]:
    parts = []
    for tick in (0.0, 0.25, 0.5, 0.75, 1.0):
        x, y = _x(tick, size), _y(tick, size)
        parts.append(
            f'<line x1="{x:.1f}" y1="{_y(0, size):.1f}" x2="{x:.1f}" y2="{_y(1, size):.1f}" '
            f'stroke="{GRID_COLOR}"/>'
            f'<line x1="{_x(0, size):.1f}" y1="{y:.1f}" x2="{_x(1, size):.1f}" y2="{y:.1f}" '
            f'stroke="{GRID_COLOR}"/>'
            f'<text x="{x:.1f}" y="{_y(0, size) + 16:.1f}" text-anchor="middle" font-size="11" '
            f'fill="{TEXT_COLOR}">{tick:g}</text>'
            f'<text x="{_x(0, size) - 6:.1f}" y="{y + 4:.1f}" text-anchor="end" font-size="11" '
            f'fill="{TEXT_COLOR}">{tick:g}</text>'
        )
    mid = size / 2
    parts.append(
        f'<line class="diagonal" x1="{_x(0, size):.1f}" y1="{_y(0, size):.1f}" '
        f'x2="{_x(1, size):.1f}" y2="{_y(1, size):.1f}" stroke="{TEXT_COLOR}" '
        f'stroke-dasharray="4 4"/>'
        f'<text class="axis-label" x="{MARGIN_LEFT + mid:.1f}" y="{MARGIN_TOP + size + 38:.1f}" '
        f'text-anchor="middle" font-size="12" fill="{TEXT_COLOR}">forecast probability</text>'
        f'<text class="axis-label" x="14" y="{MARGIN_TOP + mid:.1f}" text-anchor="middle" '
        f'font-size="12" fill="{TEXT_COLOR}" transform="rotate(-90 14 {MARGIN_TOP + mid:.1f})">'
        "share validated</text>"
    )
    return parts


def _series(name: str, bins: Sequence[Bin], size: int, color: str, index: int) -> list[str]:
    filled = [(f, o, c) for f, o, c in bins if f is not None and o is not None and c > 0]
    points = [(_x(f, size), _y(o, size), c) for f, o, c in filled]
    parts = [f'<g class="series" data-name="{escape(name)}">']
    if len(points) > 1:
        line = " ".join(f"{x:.1f},{y:.1f}" for x, y, _ in points)
        parts.append(f'<polyline points="{line}" fill="none" stroke="{color}" stroke-width="2"/>')
    for x, y, count in points:
        radius = 3.0 + 2.0 * math.sqrt(count)
        parts.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{radius:.1f}" fill="{color}" '
            f'fill-opacity="0.6" stroke="{color}"><title>{escape(name)}: {count} '
            f"hypothes{'is' if count == 1 else 'es'}</title></circle>"
        )
    legend_x = MARGIN_LEFT + size + 16
    legend_y = MARGIN_TOP + 14 + 20 * index
    parts.append(
        f'<rect x="{legend_x}" y="{legend_y - 9}" width="12" height="12" fill="{color}"/>'
        f'<text x="{legend_x + 18}" y="{legend_y + 1}" font-size="12" '
        f'fill="{TEXT_COLOR}">{escape(name)}</text></g>'
    )
    return parts


def _describe(name: str, bins: Sequence[Bin]) -> str:
    shown = [
        f"{f:.2f} forecast, {o:.2f} validated ({c})"
        for f, o, c in bins
        if f is not None and o is not None and c > 0
    ]
    return f"{name}: " + (", ".join(shown) if shown else "no bins")
