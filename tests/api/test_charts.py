"""Inline SVG charts: pure functions from snapshots to well-formed, escaped markup."""

from __future__ import annotations

import pytest

from api.charts import DimensionBar, HistoryPoint, dimension_bars, history_chart
from tests.api.svg import SVG_NS, parse_svg


def _points(attribute: str) -> list[tuple[float, float]]:
    return [tuple(map(float, pair.split(","))) for pair in attribute.split()]  # type: ignore[misc]


def test_history_chart_draws_composite_band_and_market() -> None:
    points = [
        HistoryPoint(1, 0.5, 0.4, 0.6, 0.55),
        HistoryPoint(2, 0.7, 0.6, 0.8, None),
        HistoryPoint(3, 0.9, 0.8, 1.0, 0.85),
    ]
    root = parse_svg(history_chart(points, height=240))
    lines = {p.attrib["class"]: p for p in root.iter(f"{SVG_NS}polyline")}
    composite = _points(lines["composite"].attrib["points"])
    assert len(composite) == 3
    # Higher scores are drawn higher up (smaller y), left to right by version.
    assert composite[0][1] > composite[1][1] > composite[2][1]
    assert composite[0][0] < composite[1][0] < composite[2][0]
    assert len(_points(lines["market"].attrib["points"])) == 2  # missing prices are skipped
    band = root.find(f"{SVG_NS}polygon")
    assert band is not None and len(_points(band.attrib["points"])) == 6
    labels = [t.text for t in root.iter(f"{SVG_NS}text")]
    assert {"v1", "v2", "v3", "exchange rating (market price)"} <= set(labels)


def test_one_snapshot_shows_its_exchange_rating_as_well_as_its_composite() -> None:
    root = parse_svg(history_chart([HistoryPoint(1, 0.52, 0.43, 0.61, 0.32)], height=260))
    circles = {c.attrib["class"]: c for c in root.iter(f"{SVG_NS}circle") if "class" in c.attrib}
    market, composite = circles["market-point"], circles["composite-point"]
    # A line through one point draws nothing: the number must show as a marker.
    assert float(market.attrib["cy"]) > float(composite.attrib["cy"])  # 0.32 sits below 0.52
    assert market.findtext(f"{SVG_NS}title") == "v1: exchange rating 0.32"
    assert composite.findtext(f"{SVG_NS}title") == "v1: composite 0.52"
    band = _points(root.find(f"{SVG_NS}polygon").attrib["points"])  # type: ignore[union-attr]
    xs, ys = {x for x, _ in band}, {y for _, y in band}
    assert max(xs) - min(xs) >= 10  # the lone interval is drawn with a width, not as a line
    assert max(ys) - min(ys) == pytest.approx(0.18 * (260 - 16 - 52), abs=0.2)


def test_each_marker_names_the_evaluation_its_snapshot_came_from() -> None:
    points = [HistoryPoint(v, 0.52, 0.43, 0.61, 0.32, evaluation_id=70 + v) for v in (1, 2)]
    titles = [
        c.findtext(f"{SVG_NS}title")
        for c in parse_svg(history_chart(points)).iter(f"{SVG_NS}circle")
    ]
    assert "v2 (evaluation 72): exchange rating 0.32" in titles
    assert "v1 (evaluation 71): composite 0.52" in titles


def test_the_exchange_rating_is_the_headline_drawn_on_top_and_named_first() -> None:
    points = [HistoryPoint(1, 0.5, 0.4, 0.6, 0.3), HistoryPoint(2, 0.6, 0.5, 0.7, 0.35)]
    root = parse_svg(history_chart(points))
    drawn = [e.attrib.get("class") for e in root.iter() if e.attrib.get("class")]
    assert drawn.index("market") > drawn.index("composite")
    assert drawn.index("market-point") > max(
        i for i, c in enumerate(drawn) if c == "composite-point"
    )
    lines = {p.attrib["class"]: p for p in root.iter(f"{SVG_NS}polyline")}
    assert "stroke-dasharray" not in lines["market"].attrib
    assert "stroke-dasharray" in lines["composite"].attrib
    labels = [t.text for t in root.iter(f"{SVG_NS}text")]
    assert labels.index("exchange rating (market price)") < labels.index(
        "composite (80% interval band)"
    )


def test_history_chart_without_points_says_so() -> None:
    root = parse_svg(history_chart([]))
    assert "no snapshots yet" in [t.text for t in root.iter(f"{SVG_NS}text")]


def test_dimension_bars_scale_with_the_mean_and_escape_names() -> None:
    svg = dimension_bars([DimensionBar("novelty", 0.25, 0.1, 0.4), DimensionBar("<b>", 1.0)])
    assert "<b>" not in svg
    root = parse_svg(svg)
    bars = [r for r in root.iter(f"{SVG_NS}rect") if r.attrib.get("class") == "bar"]
    widths = [float(bar.attrib["width"]) for bar in bars]
    assert widths[1] == 4 * widths[0]
    assert "&lt;b&gt;" in svg


def test_history_is_plotted_against_time_with_scoring_rule_changes_marked() -> None:
    from datetime import UTC, datetime, timedelta

    t0 = datetime(2026, 3, 1, tzinfo=UTC)
    points = [
        HistoryPoint(1, 0.5, 0.4, 0.6, None, at=t0, config_hash="a" * 64),
        HistoryPoint(2, 0.6, 0.5, 0.7, None, at=t0 + timedelta(days=1), config_hash="a" * 64),
        HistoryPoint(3, 0.7, 0.6, 0.8, None, at=t0 + timedelta(days=10), config_hash="b" * 64),
    ]
    root = parse_svg(history_chart(points))
    line = next(p for p in root.iter(f"{SVG_NS}polyline") if p.attrib["class"] == "composite")
    xs = [x for x, _ in _points(line.attrib["points"])]
    # Spacing follows the dates (1 day, then 9 days), not the version numbers.
    assert (xs[2] - xs[1]) == pytest.approx(9 * (xs[1] - xs[0]))
    markers = [g for g in root.iter(f"{SVG_NS}g") if g.attrib.get("class") == "rule-change"]
    assert len(markers) == 1
    marker_x = float(markers[0].find(f"{SVG_NS}line").attrib["x1"])  # type: ignore[union-attr]
    assert xs[1] < marker_x < xs[2]
    texts = [t.text for t in root.iter(f"{SVG_NS}text")]
    assert "2026-03-01 00:00 UTC" in texts and "2026-03-11 00:00 UTC" in texts
    assert "scoring rule changed" in texts
