"""Inline SVG charts: pure functions from snapshots to well-formed, escaped markup."""

from __future__ import annotations

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
    assert {"v1", "v2", "v3", "market price"} <= set(labels)


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
