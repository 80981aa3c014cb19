"""Inline SVG charts for the web views: pure functions from numbers to markup.

Charts are SVG strings so pages work without JavaScript; every label is XML-escaped here, and
every coordinate is a number this module computed, so the result is safe to embed as is.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from functools import cached_property
from html import escape

COMPOSITE_COLOR = "#1565c0"
BAND_COLOR = "#90caf9"
MARKET_COLOR = "#ef6c00"
GRID_COLOR = "#e0e0e0"
TEXT_COLOR = "#424242"
RULE_COLOR = "#6a1b9a"
RESOLUTION_COLOR = "#37474f"
COMPOSITE_DASH = "5 3"
# Above this many snapshots, per-point version labels would overlap.
MAX_VERSION_LABELS = 12
# Snapshots computed minutes apart on an axis of days or months are spread, in order, to at
# least this far apart (pixels), or each one's marker and label would sit on the last's.
MIN_POINT_GAP = 18.0


@dataclass(frozen=True)
class HistoryPoint:
    """One snapshot on the history chart; scores are in [0, 1].

    With ``at`` on every point the x axis is time; ``config_hash`` (the scoring weights' hash)
    marks where the scoring rule changed between two snapshots.
    """

    version: int
    composite: float
    low: float
    high: float
    market_price: float | None = None
    at: datetime | None = None
    config_hash: str | None = None
    evaluation_id: int | None = None  # the debate it came from, named in its markers' titles


@dataclass(frozen=True)
class Resolution:
    """The day a hypothesis was settled, and how ("validated" or "refuted")."""

    outcome: str
    on: date


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
    points: Sequence[HistoryPoint],
    *,
    width: int = 640,
    height: int = 260,
    title: str = "",
    resolved: Resolution | None = None,
) -> str:
    """The exchange rating (market price) and the composite with its interval band over time
    (or by version, without times), a marker wherever the scoring rule (weights hash)
    changed, and one on the day of the resolution when it falls between two snapshots."""
    frame = _Frame(width, height, sorted(points, key=lambda p: p.version))
    label = title or "Score history"
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart history-chart" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" '
        f'aria-label="{escape(label)}"><title>{escape(label)}</title>'
    ]
    parts += _grid(frame)
    if not frame.points:
        parts.append(
            f'<text x="{width / 2:.0f}" y="{height / 2:.0f}" text-anchor="middle" '
            f'fill="{TEXT_COLOR}">no snapshots yet</text></svg>'
        )
        return "".join(parts)
    parts += _rule_changes(frame)
    parts += _resolution_mark(frame, resolved)
    parts += _series(frame)
    parts += _x_labels(frame)
    parts.append(_history_legend(frame))
    return "".join(parts)


@dataclass(frozen=True)
class _Frame:
    width: int
    height: int
    points: Sequence[HistoryPoint]
    left: int = 40
    right: int = 16
    top: int = 16
    bottom: int = 52

    @property
    def plot_w(self) -> int:
        return self.width - self.left - self.right

    @property
    def plot_h(self) -> int:
        return self.height - self.top - self.bottom

    @property
    def timed(self) -> bool:
        return bool(self.points) and all(p.at is not None for p in self.points)

    def x(self, index: int) -> float:
        return self._xs[index]

    @cached_property
    def _xs(self) -> list[float]:
        count = len(self.points)
        if count == 1:
            return [self.left + self.plot_w / 2]
        even = [self.left + self.plot_w * i / (count - 1) for i in range(count)]
        if not self.timed:
            return even
        first, last = self._seconds(0), self._seconds(count - 1)
        if last <= first:
            return even
        timed = [
            self.left + self.plot_w * (self._seconds(i) - first) / (last - first)
            for i in range(count)
        ]
        return spread(timed, self.left, self.left + self.plot_w, MIN_POINT_GAP)

    def y(self, value: float) -> float:
        return self.top + self.plot_h * (1 - _clamp(value))

    def x_at(self, moment: datetime) -> float | None:
        """Where a moment falls on a time axis, between the snapshots either side of it as
        they are drawn; None off its ends, or without one."""
        if not self.timed or len(self.points) < 2:
            return None
        seconds = moment.timestamp()
        for index in range(1, len(self.points)):
            before, after = self._seconds(index - 1), self._seconds(index)
            if before < seconds <= after:
                share = (seconds - before) / (after - before)
                return self.x(index - 1) + share * (self.x(index) - self.x(index - 1))
        return None

    def _seconds(self, index: int) -> float:
        at = self.points[index].at
        return at.timestamp() if at is not None else 0.0


def _grid(frame: _Frame) -> list[str]:
    parts = []
    for tick in (0.0, 0.25, 0.5, 0.75, 1.0):
        y = frame.y(tick)
        parts.append(
            f'<line x1="{frame.left}" y1="{y:.1f}" x2="{frame.width - frame.right}" '
            f'y2="{y:.1f}" stroke="{GRID_COLOR}"/><text x="{frame.left - 6}" y="{y + 4:.1f}" '
            f'font-size="11" text-anchor="end" fill="{TEXT_COLOR}">{tick:.2f}</text>'
        )
    return parts


def _series(frame: _Frame) -> list[str]:
    """The composite (dashed, with its band) under the exchange rating (solid, on top), so the
    headline catches the eye first; every snapshot gets a marker, so that a lone snapshot still
    shows both numbers."""
    pts = frame.points
    upper = [(frame.x(i), frame.y(p.high)) for i, p in enumerate(pts)]
    lower = [(frame.x(i), frame.y(p.low)) for i, p in enumerate(pts)]
    composite = [(frame.x(i), frame.y(p.composite)) for i, p in enumerate(pts)]
    if len(pts) == 1:  # a band through one x has no width, so give a lone interval 12 px
        upper = [(upper[0][0] - 6.0, upper[0][1]), (upper[0][0] + 6.0, upper[0][1])]
        lower = [(lower[0][0] - 6.0, lower[0][1]), (lower[0][0] + 6.0, lower[0][1])]
    parts = [
        f'<polygon class="interval" points="{_polyline(upper + lower[::-1])}" '
        f'fill="{BAND_COLOR}" fill-opacity="0.5" stroke="none"/>',
        f'<polyline class="composite" points="{_polyline(composite)}" fill="none" '
        f'stroke="{COMPOSITE_COLOR}" stroke-width="1.5" stroke-dasharray="{COMPOSITE_DASH}"/>',
    ]
    parts += [
        _marker(
            "composite-point", x, y, 2.5, COMPOSITE_COLOR, f"{_named(p)}: composite", p.composite
        )
        for (x, y), p in zip(composite, pts, strict=True)
    ]
    traded = [(i, p, p.market_price) for i, p in enumerate(pts) if p.market_price is not None]
    market = [(frame.x(i), frame.y(price)) for i, _, price in traded]
    if market:
        parts.append(
            f'<polyline class="market" points="{_polyline(market)}" fill="none" '
            f'stroke="{MARKET_COLOR}" stroke-width="2.5"/>'
        )
        parts += [
            _marker("market-point", x, y, 4.0, MARKET_COLOR, f"{_named(p)}: exchange rating", price)
            for (x, y), (_, p, price) in zip(market, traded, strict=True)
        ]
    return parts


def _named(point: HistoryPoint) -> str:
    """ "v2 (evaluation 75)": a snapshot and the debate that made it."""
    made_by = f" (evaluation {point.evaluation_id})" if point.evaluation_id is not None else ""
    return f"v{point.version}{made_by}"


def _marker(
    kind: str, x: float, y: float, radius: float, color: str, what: str, value: float
) -> str:
    return (
        f'<circle class="{kind}" cx="{x:.1f}" cy="{y:.1f}" r="{radius}" fill="{color}">'
        f"<title>{escape(what)} {value:.2f}</title></circle>"
    )


def spread(positions: Sequence[float], low: float, high: float, gap: float) -> list[float]:
    """``positions`` (ascending) moved as little as this simple rule allows so that
    neighbours are at least ``gap`` apart (less, if [low, high] cannot hold them all at
    that), keeping their order and staying within [low, high]."""
    if len(positions) < 2:
        return list(positions)
    gap = min(gap, (high - low) / (len(positions) - 1))
    moved = list(positions)
    for i in range(1, len(moved)):
        moved[i] = max(moved[i], moved[i - 1] + gap)
    moved[-1] = min(moved[-1], high)
    for i in range(len(moved) - 2, -1, -1):
        moved[i] = min(moved[i], moved[i + 1] - gap)
    return [max(low, x) for x in moved]  # rounding may leave the first a hair under low


def _rule_changes(frame: _Frame) -> list[str]:
    """A vertical marker before each snapshot scored under other weights than the one before."""
    parts = []
    for index in range(1, len(frame.points)):
        before, after = frame.points[index - 1].config_hash, frame.points[index].config_hash
        if before is None or after is None or before == after:
            continue
        x = (frame.x(index - 1) + frame.x(index)) / 2
        parts.append(
            f'<g class="rule-change"><title>scoring rule changed: weights {escape(before[:8])} '
            f"→ {escape(after[:8])}</title>"
            f'<line x1="{x:.1f}" y1="{frame.top}" x2="{x:.1f}" y2="{frame.top + frame.plot_h}" '
            f'stroke="{RULE_COLOR}" stroke-width="1.5" stroke-dasharray="3 3"/>'
            f'<text x="{x + 3:.1f}" y="{frame.top + 10}" font-size="10" fill="{RULE_COLOR}">'
            f"new weights</text></g>"
        )
    return parts


def _resolution_mark(frame: _Frame, resolved: Resolution | None) -> list[str]:
    """A solid line at the start of the day of the resolution: snapshots left of it were
    forecasts of the outcome, those from it on hindsight (scoring.legends.resolution_note)."""
    if resolved is None:
        return []
    x = frame.x_at(datetime.combine(resolved.on, time(), tzinfo=UTC))
    if x is None:
        return []
    # The label goes on the side with room for it, below the rule-change label's line.
    room = frame.width - frame.right - x > 8 * len(resolved.outcome)
    label_x, anchor = (x + 3, "start") if room else (x - 3, "end")
    return [
        f'<g class="resolution"><title>{escape(resolved.outcome)} on '
        f"{resolved.on.isoformat()}: ratings before it were forecasts of the outcome, from it "
        f"on hindsight</title>"
        f'<line x1="{x:.1f}" y1="{frame.top}" x2="{x:.1f}" y2="{frame.top + frame.plot_h}" '
        f'stroke="{RESOLUTION_COLOR}" stroke-width="1.5"/>'
        f'<text x="{label_x:.1f}" y="{frame.top + 22}" font-size="10" text-anchor="{anchor}" '
        f'fill="{RESOLUTION_COLOR}">{escape(resolved.outcome)}</text></g>'
    ]


def _x_labels(frame: _Frame) -> list[str]:
    parts = []
    base = frame.height - frame.bottom
    if len(frame.points) <= MAX_VERSION_LABELS:
        parts += [
            f'<text x="{frame.x(i):.1f}" y="{base + 14}" font-size="10" text-anchor="middle" '
            f'fill="{TEXT_COLOR}">v{p.version}</text>'
            for i, p in enumerate(frame.points)
        ]
    if frame.timed:
        ends = sorted({0, len(frame.points) - 1})
        for index in ends:
            at = frame.points[index].at
            anchor = "start" if index == 0 and len(ends) > 1 else "end" if index else "middle"
            if at is not None:
                parts.append(
                    f'<text class="time" x="{frame.x(index):.1f}" y="{base + 28}" font-size="10" '
                    f'text-anchor="{anchor}" fill="{TEXT_COLOR}">'
                    f"{at.strftime('%Y-%m-%d %H:%M')} UTC</text>"
                )
    return parts


def _history_legend(frame: _Frame) -> str:
    """The headline first: exchange rating, then the composite with its band, then rule changes."""
    left, legend_y = frame.left, frame.height - 6
    return (
        f'<line x1="{left}" y1="{legend_y - 5}" x2="{left + 14}" y2="{legend_y - 5}" '
        f'stroke="{MARKET_COLOR}" stroke-width="2.5"/>'
        f'<circle cx="{left + 7}" cy="{legend_y - 5}" r="3" fill="{MARKET_COLOR}"/>'
        f'<text x="{left + 18}" y="{legend_y}" font-size="11" fill="{TEXT_COLOR}">'
        f"exchange rating (market price)</text>"
        f'<rect x="{left + 212}" y="{legend_y - 9}" width="14" height="8" fill="{BAND_COLOR}"/>'
        f'<line x1="{left + 212}" y1="{legend_y - 5}" x2="{left + 226}" y2="{legend_y - 5}" '
        f'stroke="{COMPOSITE_COLOR}" stroke-width="1.5" stroke-dasharray="{COMPOSITE_DASH}"/>'
        f'<text x="{left + 230}" y="{legend_y}" font-size="11" fill="{TEXT_COLOR}">'
        f"composite (80% interval band)</text>"
        f'<line x1="{left + 422}" y1="{legend_y - 9}" x2="{left + 422}" y2="{legend_y + 1}" '
        f'stroke="{RULE_COLOR}" stroke-width="1.5" stroke-dasharray="3 3"/>'
        f'<text x="{left + 428}" y="{legend_y}" font-size="11" fill="{TEXT_COLOR}">'
        f"scoring rule changed</text></svg>"
    )


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
