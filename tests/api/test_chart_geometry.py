"""Where the charts draw things: on the scale their axes label, inside the picture, and apart.

The chart tests elsewhere check what is drawn and in which order; these check that a reader who
reads a point against the gridlines reads its value, and that no label leaves the picture or
lands on another. Text is measured with the badges' Verdana widths, wider than the sans-serif
fonts browsers fall back on, so a label that fits here fits on the page.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from api.charts import (
    GRID_COLOR,
    MIN_POINT_GAP,
    DimensionBar,
    HistoryPoint,
    Resolution,
    dimension_bars,
    history_chart,
    spread,
)
from api.strength_chart import StrengthBar, strength_chart
from tests.api.svg import SVG_NS, parse_svg
from wiki.badges import FONT_SIZE_PX, text_width

T0 = datetime(2026, 3, 1, tzinfo=UTC)


def _gridlines(root: ET.Element) -> dict[str, ET.Element]:
    """Each horizontal gridline by the tick label drawn beside it."""
    children = list(root)
    return {
        label.text or "": line
        for line, label in pairwise(children)
        if line.tag == f"{SVG_NS}line" and line.get("stroke") == GRID_COLOR
    }


def _circles(root: ET.Element, kind: str) -> list[tuple[float, float]]:
    return [
        (float(c.attrib["cx"]), float(c.attrib["cy"]))
        for c in root.iter(f"{SVG_NS}circle")
        if c.get("class") == kind
    ]


def _y_of(grid: dict[str, ET.Element], tick: str) -> float:
    return float(grid[tick].attrib["y1"])


def _text_box(text: ET.Element) -> tuple[float, float, float, float]:
    """(left, right, top, bottom) of a text element, its width estimated in Verdana."""
    size = float(text.get("font-size", FONT_SIZE_PX))
    width = text_width(text.text or "") * size / FONT_SIZE_PX
    x, y = float(text.attrib["x"]), float(text.attrib["y"])
    anchor = text.get("text-anchor", "start")
    left = {"start": x, "middle": x - width / 2, "end": x - width}[anchor]
    return left, left + width, y - size, y


def _inside(root: ET.Element) -> None:
    width, height = float(root.attrib["width"]), float(root.attrib["height"])
    for text in root.iter(f"{SVG_NS}text"):
        left, right, top, bottom = _text_box(text)
        assert left >= 0 and right <= width and top >= 0 and bottom <= height, text.text
    for line in root.iter(f"{SVG_NS}line"):
        for axis, limit in (("x", width), ("y", height)):
            for end in ("1", "2"):
                assert 0 <= float(line.attrib[f"{axis}{end}"]) <= limit, ET.tostring(line)


def test_history_points_sit_on_the_gridlines_of_their_values() -> None:
    points = [
        HistoryPoint(1, 0.25, 0.0, 0.5, 0.75),
        HistoryPoint(2, 1.0, 0.75, 1.0, 0.5),
        HistoryPoint(3, 1.4, 1.2, 1.6, -0.3),  # out of range: drawn at the edge, not off it
    ]
    root = parse_svg(history_chart(points))
    grid = _gridlines(root)
    assert list(grid) == ["0.00", "0.25", "0.50", "0.75", "1.00"]
    ys = [_y_of(grid, tick) for tick in grid]
    steps = {round(b - a, 6) for a, b in pairwise(ys)}
    assert len(steps) == 1 and steps.pop() < 0  # evenly spaced, higher values higher up
    for tick, line in grid.items():  # each tick label is beside its own line
        label = next(t for t in root.iter(f"{SVG_NS}text") if t.text == tick)
        assert 0 < float(label.attrib["y"]) - float(line.attrib["y1"]) <= 5
    composite = [y for _, y in _circles(root, "composite-point")]
    market = [y for _, y in _circles(root, "market-point")]
    assert composite == [_y_of(grid, "0.25"), _y_of(grid, "1.00"), _y_of(grid, "1.00")]
    assert market == [_y_of(grid, "0.75"), _y_of(grid, "0.50"), _y_of(grid, "0.00")]
    band = root.find(f"{SVG_NS}polygon")
    assert band is not None
    band_ys = [float(pair.split(",")[1]) for pair in band.attrib["points"].split()]
    assert band_ys[:3] == [_y_of(grid, "0.50"), _y_of(grid, "1.00"), _y_of(grid, "1.00")]
    assert band_ys[3:] == [_y_of(grid, "1.00"), _y_of(grid, "0.75"), _y_of(grid, "0.00")]


def test_history_points_span_the_plot_from_gridline_end_to_end() -> None:
    grid_line = _gridlines(parse_svg(history_chart([])))["0.00"]
    left, right = float(grid_line.attrib["x1"]), float(grid_line.attrib["x2"])
    by_version = [HistoryPoint(v, 0.5, 0.4, 0.6, 0.5) for v in (1, 2, 3)]
    xs = [x for x, _ in _circles(parse_svg(history_chart(by_version)), "composite-point")]
    assert xs == [left, (left + right) / 2, right]
    (alone,) = _circles(parse_svg(history_chart(by_version[:1])), "market-point")
    assert alone[0] == (left + right) / 2
    timed = [
        HistoryPoint(1, 0.5, 0.4, 0.6, 0.5, at=T0),
        HistoryPoint(2, 0.5, 0.4, 0.6, 0.5, at=T0 + timedelta(days=3)),
        HistoryPoint(3, 0.5, 0.4, 0.6, 0.5, at=T0 + timedelta(days=4)),
    ]
    xs = [x for x, _ in _circles(parse_svg(history_chart(timed)), "market-point")]
    assert xs[0] == left and xs[2] == right
    assert xs[1] == pytest.approx(left + 0.75 * (right - left), abs=0.05)


def test_a_rule_change_is_marked_midway_between_its_snapshots_across_the_whole_plot() -> None:
    points = [
        HistoryPoint(1, 0.5, 0.4, 0.6, None, at=T0, config_hash="a" * 64),
        HistoryPoint(2, 0.6, 0.5, 0.7, None, at=T0 + timedelta(days=2), config_hash="b" * 64),
    ]
    root = parse_svg(history_chart(points))
    grid = _gridlines(root)
    (marker,) = (g for g in root.iter(f"{SVG_NS}g") if g.get("class") == "rule-change")
    line = marker.find(f"{SVG_NS}line")
    assert line is not None and line.attrib["x1"] == line.attrib["x2"]
    xs = [x for x, _ in _circles(root, "composite-point")]
    assert float(line.attrib["x1"]) == pytest.approx((xs[0] + xs[1]) / 2, abs=0.05)
    assert float(line.attrib["y1"]) == _y_of(grid, "1.00")
    assert float(line.attrib["y2"]) == _y_of(grid, "0.00")
    assert marker.findtext(f"{SVG_NS}title") == "scoring rule changed: weights aaaaaaaa → bbbbbbbb"


def _resolution_marks(root: ET.Element) -> list[ET.Element]:
    return [g for g in root.iter(f"{SVG_NS}g") if g.get("class") == "resolution"]


def test_the_day_of_the_resolution_is_marked_where_it_falls_between_snapshots() -> None:
    points = [
        HistoryPoint(v, 0.5, 0.4, 0.6, 0.6, at=T0 + timedelta(days=days))
        for v, days in ((1, 0), (2, 1), (3, 5))
    ]
    root = parse_svg(history_chart(points, resolved=Resolution("refuted", date(2026, 3, 4))))
    (mark,) = _resolution_marks(root)
    line = mark.find(f"{SVG_NS}line")
    assert line is not None and line.attrib["x1"] == line.attrib["x2"]
    xs = [x for x, _ in _circles(root, "market-point")]
    # 4 March is three days into the five between v2 (2 March) and v3 (6 March)
    assert float(line.attrib["x1"]) == pytest.approx(xs[0] + (xs[2] - xs[0]) * 3 / 5, abs=0.05)
    grid = _gridlines(root)
    assert float(line.attrib["y1"]) == _y_of(grid, "1.00")
    assert float(line.attrib["y2"]) == _y_of(grid, "0.00")
    assert mark.findtext(f"{SVG_NS}text") == "refuted"
    assert (mark.findtext(f"{SVG_NS}title") or "").startswith("refuted on 2026-03-04: ratings")
    _inside(root)
    # at the right edge the label turns inward, still inside the picture
    edge = parse_svg(history_chart(points, resolved=Resolution("validated", date(2026, 3, 6))))
    (mark,) = _resolution_marks(edge)
    assert mark.find(f"{SVG_NS}text").get("text-anchor") == "end"  # type: ignore[union-attr]
    _inside(edge)


@pytest.mark.parametrize(
    "on", [date(2026, 3, 1), date(2026, 2, 1), date(2026, 3, 7)], ids=["first", "before", "after"]
)
def test_a_resolution_off_the_snapshots_span_is_not_marked(on: date) -> None:
    points = [HistoryPoint(v, 0.5, 0.4, 0.6, at=T0 + timedelta(days=v)) for v in (0, 5)]
    assert not _resolution_marks(parse_svg(history_chart(points, resolved=Resolution("x", on))))
    untimed = [HistoryPoint(v, 0.5, 0.4, 0.6) for v in (1, 2)]
    assert not _resolution_marks(parse_svg(history_chart(untimed, resolved=Resolution("x", on))))


@pytest.mark.parametrize("count", [1, 2, 5])
def test_every_label_stays_inside_the_chart_and_the_legend_entries_apart(count: int) -> None:
    points = [
        HistoryPoint(
            v, 0.5, 0.4, 0.6, 0.55, at=T0 + timedelta(days=v), config_hash="ab"[v % 2] * 64
        )
        for v in range(1, count + 1)
    ]
    root = parse_svg(history_chart(points))
    _inside(root)
    legend_y = max(float(t.attrib["y"]) for t in root.iter(f"{SVG_NS}text"))
    legend = [t for t in root.iter(f"{SVG_NS}text") if float(t.attrib["y"]) == legend_y]
    assert [t.text for t in legend] == [
        "exchange rating (market price)",
        "composite (80% interval band)",
        "scoring rule changed",
    ]
    # Each swatch sits between the end of the entry before it and its own text.
    swatches = sorted(
        float(e.attrib["x1"] if e.tag == f"{SVG_NS}line" else e.attrib["x"])
        for e in root
        if e.tag in (f"{SVG_NS}line", f"{SVG_NS}rect")
        and float(e.attrib.get("y1", e.attrib.get("y", 0))) >= legend_y - 10
    )
    ends = [0.0] + [_text_box(t)[1] for t in legend]
    starts = [_text_box(t)[0] for t in legend]
    for entry, start in enumerate(starts):
        assert any(ends[entry] < x < start for x in swatches), legend[entry].text


def test_dimension_whiskers_mark_the_interval_on_the_bars_own_scale() -> None:
    bars = [
        DimensionBar("mechanistic_plausibility", 0.6, 0.1, 0.9),
        DimensionBar("novelty", 0.25, 0.2, 0.4),
        DimensionBar("druggability", 1.0),
        DimensionBar("safety_profile", 0.5, 0.3, None),  # half an interval: no whisker
    ]
    root = parse_svg(dimension_bars(bars))
    _inside(root)
    rects = list(root.iter(f"{SVG_NS}rect"))
    tracks = [r for r in rects if r.get("class") != "bar"]
    fills = [r for r in rects if r.get("class") == "bar"]
    whiskers = list(root.iter(f"{SVG_NS}line"))
    assert len(tracks) == len(fills) == 4 and len(whiskers) == 2
    for track, fill in zip(tracks, fills, strict=True):
        assert (track.attrib["x"], track.attrib["y"]) == (fill.attrib["x"], fill.attrib["y"])
    rows = [float(t.attrib["y"]) for t in tracks]
    assert all(b - a >= float(tracks[0].attrib["height"]) for a, b in pairwise(rows))
    assert float(root.attrib["height"]) >= rows[-1] + float(tracks[-1].attrib["height"])
    for whisker, track, bar in zip(whiskers, tracks[:2], bars[:2], strict=True):
        x0, span = float(track.attrib["x"]), float(track.attrib["width"])
        assert float(whisker.attrib["x1"]) == pytest.approx(x0 + span * (bar.low or 0), abs=0.05)
        assert float(whisker.attrib["x2"]) == pytest.approx(x0 + span * (bar.high or 0), abs=0.05)
        top, height = float(track.attrib["y"]), float(track.attrib["height"])
        assert whisker.attrib["y1"] == whisker.attrib["y2"]
        assert top < float(whisker.attrib["y1"]) < top + height
    texts = list(root.iter(f"{SVG_NS}text"))
    names, values = texts[0::2], texts[1::2]
    assert [n.text for n in names] == [
        "mechanistic plausibility",
        "novelty",
        "druggability",
        "safety profile",
    ]
    assert [v.text for v in values] == ["0.60", "0.25", "1.00", "0.50"]
    for name, value, track in zip(names, values, tracks, strict=True):
        top, bottom = float(track.attrib["y"]), float(track.attrib["y"]) + 14
        right_end = float(track.attrib["x"]) + float(track.attrib["width"])
        assert _text_box(name)[1] < float(track.attrib["x"]) < right_end < _text_box(value)[0]
        for text in (name, value):  # on the bar's own row
            assert top <= float(text.attrib["y"]) <= bottom + 2


def test_snapshots_computed_at_the_same_moment_are_spread_by_version() -> None:
    same = [HistoryPoint(v, 0.5, 0.4, 0.6, 0.5, at=T0) for v in (1, 2)]
    xs = [x for x, _ in _circles(parse_svg(history_chart(same)), "composite-point")]
    assert xs[0] < xs[1]


def test_an_unknown_rule_hash_marks_no_change() -> None:
    points = [
        HistoryPoint(1, 0.5, 0.4, 0.6, None, config_hash=None),
        HistoryPoint(2, 0.6, 0.5, 0.7, None, config_hash="b" * 64),
    ]
    root = parse_svg(history_chart(points))
    assert not [g for g in root.iter(f"{SVG_NS}g") if g.get("class") == "rule-change"]


def test_a_lone_snapshots_interval_is_drawn_centred_on_it() -> None:
    root = parse_svg(history_chart([HistoryPoint(1, 0.52, 0.43, 0.61, 0.32)]))
    band = root.find(f"{SVG_NS}polygon")
    assert band is not None
    xs = {float(pair.split(",")[0]) for pair in band.attrib["points"].split()}
    ((x, _),) = _circles(root, "composite-point")
    assert len(xs) == 2 and sum(xs) / 2 == x and max(xs) - min(xs) >= 10


def test_an_empty_chart_says_so_in_its_middle_under_its_title() -> None:
    root = parse_svg(history_chart([]))
    _inside(root)
    assert root.attrib["aria-label"] == root.findtext(f"{SVG_NS}title") == "Score history"
    (empty,) = (t for t in root.iter(f"{SVG_NS}text") if t.text == "no snapshots yet")
    assert float(empty.attrib["x"]) == float(root.attrib["width"]) / 2
    assert float(empty.attrib["y"]) == float(root.attrib["height"]) / 2


_STRENGTHS = st.floats(min_value=-6.0, max_value=6.0, allow_nan=False)


@st.composite
def _strength_bars(draw: st.DrawFn) -> list[StrengthBar]:
    bars = []
    for rank in range(1, draw(st.integers(min_value=1, max_value=20)) + 1):
        a, b, c = sorted(draw(st.tuples(_STRENGTHS, _STRENGTHS, _STRENGTHS)))
        title = draw(st.text(alphabet="WMmw il.-'Ωé", min_size=1, max_size=90))
        if draw(st.booleans()):  # a long unbroken title of the widest letters
            title = "W" * draw(st.integers(min_value=30, max_value=60))
        bars.append(StrengthBar(rank, title, b, a, c))
    return bars


@given(bars=_strength_bars())
@settings(max_examples=60, deadline=None)
def test_the_strength_chart_keeps_every_label_and_mark_inside(bars: list[StrengthBar]) -> None:
    root = parse_svg(strength_chart(bars, chart_id="g", group="Group 1"))
    _inside(root)  # the widest titles (W, M) included: the label column grows to fit them
    for circle in root.iter(f"{SVG_NS}circle"):
        assert 0 <= float(circle.attrib["cx"]) <= float(root.attrib["width"])
    labels = [t for t in root.iter(f"{SVG_NS}text") if t.get("text-anchor") == "end"]
    grid = [line for line in root.iter(f"{SVG_NS}line") if line.get("stroke") == GRID_COLOR]
    plot_left = min(float(line.attrib["x1"]) for line in grid)
    # no label runs into the plot
    assert all(_text_box(label)[1] <= plot_left for label in labels)


def test_snapshots_minutes_apart_on_a_long_axis_each_keep_their_marker_and_label() -> None:
    # What was found: v2, v3 and v4, one batch 21 days after v1, were drawn on one spot and
    # their version labels printed over each other.
    batch = T0 + timedelta(days=21)
    points = [HistoryPoint(1, 0.5, 0.4, 0.6, 0.32, at=T0)] + [
        HistoryPoint(v, 0.5, 0.4, 0.6, price, at=batch + timedelta(seconds=v))
        for v, price in ((2, 0.39), (3, 0.36), (4, 0.32))
    ]
    root = parse_svg(history_chart(points, resolved=Resolution("refuted", date(2026, 3, 10))))
    grid_line = _gridlines(root)["0.00"]
    left, right = float(grid_line.attrib["x1"]), float(grid_line.attrib["x2"])
    xs = [x for x, _ in _circles(root, "market-point")]
    assert xs[0] == left and xs[-1] == right  # the axis still runs from the first to the last
    assert all(b - a >= MIN_POINT_GAP - 0.05 for a, b in pairwise(xs))
    labels = [t for t in root.iter(f"{SVG_NS}text") if (t.text or "").startswith("v")]
    assert [t.text for t in labels] == ["v1", "v2", "v3", "v4"]
    for a, b in pairwise(labels):
        assert _text_box(a)[1] < _text_box(b)[0], (a.text, b.text)
    # The resolution, 9 days in, still falls between v1 and v2 as they are drawn.
    (mark,) = _resolution_marks(root)
    x = float(mark.find(f"{SVG_NS}line").attrib["x1"])  # type: ignore[union-attr]
    assert xs[0] < x < xs[1]
    assert x == pytest.approx(xs[0] + (xs[1] - xs[0]) * 9 / 21, abs=0.05)
    _inside(root)


@given(
    st.lists(st.floats(0, 600), min_size=1, max_size=40).map(sorted),
    st.floats(1, 30),
)
@settings(max_examples=200)
def test_spread_keeps_order_and_bounds_and_moves_nothing_already_apart(
    positions: list[float], gap: float
) -> None:
    moved = spread(positions, 0.0, 600.0, gap)
    assert len(moved) == len(positions)
    assert all(0.0 <= x <= 600.0 for x in moved)
    usable = min(gap, 600.0 / max(len(positions) - 1, 1))
    assert all(b - a >= usable - 1e-9 for a, b in pairwise(moved))
    if all(b - a >= gap for a, b in pairwise(positions)):
        assert moved == pytest.approx(positions, abs=1e-9)
