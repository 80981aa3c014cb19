"""Inline SVG charts for the web views: pure functions from numbers to markup.

Charts are SVG strings so pages work without JavaScript; every label is XML-escaped here, and
every coordinate is a number this module computed, so the result is safe to embed as is.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

COMPOSITE_COLOR = "#1565c0"
BAND_COLOR = "#90caf9"
MARKET_COLOR = "#ef6c00"
GRID_COLOR = "#e0e0e0"
TEXT_COLOR = "#424242"


@dataclass(frozen=True)
class HistoryPoint:
    """One snapshot on the history chart; scores are in [0, 1]."""

    version: int
    composite: float
    low: float
    high: float
    market_price: float | None = None


@dataclass(frozen=True)
class DimensionBar:
    name: str
    mean: float
    low: float | None = None
    high: float | None = None


def _clamp(value: float) -> float:
    return min(1.0, max(0.0, value))


def _polyline(points: Sequence[tuple[float, float]]) -> str:
    return " ".join(f"{x:.1f},{y:.1f}" for x, y in points)


def history_chart(
    points: Sequence[HistoryPoint], *, width: int = 640, height: int = 240, title: str = ""
) -> str:
    """Composite score by snapshot version with its interval band, and the market price."""
    left, right, top, bottom = 40, 16, 16, 36
    plot_w, plot_h = width - left - right, height - top - bottom
    ordered = sorted(points, key=lambda p: p.version)
    label = title or "Score history"

    def x_at(index: int) -> float:
        if len(ordered) == 1:
            return left + plot_w / 2
        return left + plot_w * index / (len(ordered) - 1)

    def y_at(value: float) -> float:
        return top + plot_h * (1 - _clamp(value))

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart history-chart" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" '
        f'aria-label="{escape(label)}"><title>{escape(label)}</title>'
    ]
    for tick in (0.0, 0.25, 0.5, 0.75, 1.0):
        y = y_at(tick)
        parts.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" '
            f'stroke="{GRID_COLOR}"/><text x="{left - 6}" y="{y + 4:.1f}" font-size="11" '
            f'text-anchor="end" fill="{TEXT_COLOR}">{tick:.2f}</text>'
        )
    if not ordered:
        parts.append(
            f'<text x="{width / 2:.0f}" y="{height / 2:.0f}" text-anchor="middle" '
            f'fill="{TEXT_COLOR}">no snapshots yet</text></svg>'
        )
        return "".join(parts)
    upper = [(x_at(i), y_at(p.high)) for i, p in enumerate(ordered)]
    lower = [(x_at(i), y_at(p.low)) for i, p in enumerate(ordered)]
    parts.append(
        f'<polygon class="interval" points="{_polyline(upper + lower[::-1])}" '
        f'fill="{BAND_COLOR}" fill-opacity="0.5" stroke="none"/>'
    )
    composite = [(x_at(i), y_at(p.composite)) for i, p in enumerate(ordered)]
    parts.append(
        f'<polyline class="composite" points="{_polyline(composite)}" fill="none" '
        f'stroke="{COMPOSITE_COLOR}" stroke-width="2"/>'
    )
    for x, y in composite:
        parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{COMPOSITE_COLOR}"/>')
    market = [
        (x_at(i), y_at(p.market_price)) for i, p in enumerate(ordered) if p.market_price is not None
    ]
    if market:
        parts.append(
            f'<polyline class="market" points="{_polyline(market)}" fill="none" '
            f'stroke="{MARKET_COLOR}" stroke-width="2" stroke-dasharray="6 3"/>'
        )
    for i, point in enumerate(ordered):
        parts.append(
            f'<text x="{x_at(i):.1f}" y="{height - bottom + 16}" font-size="11" '
            f'text-anchor="middle" fill="{TEXT_COLOR}">v{point.version}</text>'
        )
    legend_y = height - 6
    parts.append(
        f'<rect x="{left}" y="{legend_y - 9}" width="14" height="8" fill="{BAND_COLOR}"/>'
        f'<line x1="{left}" y1="{legend_y - 5}" x2="{left + 14}" y2="{legend_y - 5}" '
        f'stroke="{COMPOSITE_COLOR}" stroke-width="2"/>'
        f'<text x="{left + 18}" y="{legend_y}" font-size="11" fill="{TEXT_COLOR}">'
        f"composite (interval band)</text>"
        f'<line x1="{left + 190}" y1="{legend_y - 5}" x2="{left + 204}" y2="{legend_y - 5}" '
        f'stroke="{MARKET_COLOR}" stroke-width="2" stroke-dasharray="6 3"/>'
        f'<text x="{left + 208}" y="{legend_y}" font-size="11" fill="{TEXT_COLOR}">'
        f"market price</text></svg>"
    )
    return "".join(parts)


def dimension_bars(bars: Sequence[DimensionBar], *, width: int = 640) -> str:
    """One horizontal bar per dimension (mean), with its interval as a whisker."""
    row_h, label_w, right = 22, 200, 48
    plot_w = width - label_w - right
    height = max(row_h, row_h * len(bars)) + 8
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart dimension-bars" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" '
        f'aria-label="Dimension scores"><title>Dimension scores</title>'
    ]
    if not bars:
        parts.append(
            f'<text x="4" y="16" font-size="12" fill="{TEXT_COLOR}">no dimension scores yet</text>'
        )
    for index, bar in enumerate(bars):
        y = 4 + index * row_h
        mean = _clamp(bar.mean)
        parts.append(
            f'<text x="{label_w - 8}" y="{y + 14}" font-size="12" text-anchor="end" '
            f'fill="{TEXT_COLOR}">{escape(bar.name.replace("_", " "))}</text>'
            f'<rect x="{label_w}" y="{y + 3}" width="{plot_w}" height="14" fill="{GRID_COLOR}"/>'
            f'<rect class="bar" x="{label_w}" y="{y + 3}" width="{plot_w * mean:.1f}" '
            f'height="14" fill="{COMPOSITE_COLOR}"/>'
        )
        if bar.low is not None and bar.high is not None:
            x1, x2 = label_w + plot_w * _clamp(bar.low), label_w + plot_w * _clamp(bar.high)
            parts.append(
                f'<line x1="{x1:.1f}" y1="{y + 10}" x2="{x2:.1f}" y2="{y + 10}" '
                f'stroke="{TEXT_COLOR}" stroke-width="2"/>'
            )
        parts.append(
            f'<text x="{width - right + 6}" y="{y + 14}" font-size="12" '
            f'fill="{TEXT_COLOR}">{mean:.2f}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)
