"""The leaderboard's picture: every bar and dot where its numbers say, on one shared axis."""

from __future__ import annotations

import pytest

from api.leaderboard import strength_bars
from api.strength_chart import PLOT_WIDTH, StrengthBar, strength_chart
from common.text import REPLACEMENT
from storage.queries.leaderboard import LeaderboardRow
from tests.api.svg import SVG_NS, parse_svg, svg_texts

BARS = [
    StrengthBar(1, "GBA1 Variants Raise Parkinson's Disease Risk", 1.87, 0.89, 2.85),
    StrengthBar(2, "APOE-Dependent Autophagy Restoration", -1.52, -2.36, -0.68),
    StrengthBar(3, "No interval yet", 0.1),
]


def _x_of(svg: str, cls: str) -> list[float]:
    root = parse_svg(svg)
    if cls == "strength":
        return [float(c.get("cx", "nan")) for c in root.iter(f"{SVG_NS}circle")]
    lines = [line for line in root.iter(f"{SVG_NS}line") if line.get("class") == cls]
    return [float(line.get(end, "nan")) for line in lines for end in ("x1", "x2")]


def _ticks(svg: str) -> dict[str, float]:
    """The x of each axis tick label, by its text."""
    return {
        t.text or "": float(t.get("x", "nan"))
        for t in parse_svg(svg).iter(f"{SVG_NS}text")
        if t.get("text-anchor") == "middle" and t.get("font-size") == "11"
    }


def test_each_dot_sits_on_its_bar_and_the_axis_is_shared() -> None:
    svg = strength_chart(BARS, chart_id="g1", group="Group 1")
    dots = _x_of(svg, "strength")
    low1, high1, low2, high2 = _x_of(svg, "interval")
    assert low1 < dots[0] < high1 and low2 < dots[1] < high2
    # The whole-unit domain is [-3, +3]: the scale maps each number linearly onto the plot.
    ticks = _ticks(svg)
    left, per_unit = ticks["−3"], PLOT_WIDTH / 6
    assert ticks["+3"] == pytest.approx(left + PLOT_WIDTH)
    assert dots[0] == pytest.approx(left + (1.87 + 3) * per_unit, abs=0.06)
    assert high2 == pytest.approx(left + (-0.68 + 3) * per_unit, abs=0.06)
    (zero, zero_again) = _x_of(svg, "average")
    assert zero == zero_again == pytest.approx(ticks["0"], abs=0.06)
    # One interval line per bar that has one; the third is a dot alone.
    assert len(dots) == 3 and len(_x_of(svg, "interval")) == 4
    ticks = ["−3", "−2", "−1", "0", "+1", "+2", "+3"]
    assert [t for t in svg_texts(svg) if t and t[0] in "+−0"] == ticks


def test_rows_follow_the_given_order_top_to_bottom() -> None:
    root = parse_svg(strength_chart(BARS, chart_id="g1", group="Group 1"))
    ys = [float(c.get("cy", "nan")) for c in root.iter(f"{SVG_NS}circle")]
    assert ys == sorted(ys)
    labels = [t for t in svg_texts(strength_chart(BARS, chart_id="g", group="G")) if t]
    assert [label for label in labels if label[0].isdigit() and "." in label] == [
        "1. GBA1 Variants Raise Parkinson's Disease…",
        "2. APOE-Dependent Autophagy Restoration",
        "3. No interval yet",
    ]


def test_titles_are_escaped_and_ids_are_the_charts_own() -> None:
    hostile = [StrengthBar(1, '<script>alert("x")</script> & more', 0.0, -0.5, 0.5)]
    svg = strength_chart(hostile, chart_id="strengths-2", group="Group <2>")
    root = parse_svg(svg)  # well-formed: nothing the title held broke out
    assert "<script>" not in svg
    assert root.get("aria-labelledby") == "strengths-2-title strengths-2-desc"
    title = root.find(f"{SVG_NS}title")
    assert title is not None and title.text == "Group <2>: strengths and 80% intervals"
    desc = root.find(f"{SVG_NS}desc")
    reading = '#1 <script>alert("x")</script> & more: 0.00 (−0.50 to +0.50)'
    assert desc is not None and reading in (desc.text or "")


def test_the_words_sign_numbers_as_the_leaderboard_table_does() -> None:
    """A true minus and no sign on zero, in the description and in each row's tooltip."""
    root = parse_svg(strength_chart(BARS, chart_id="g1", group="Group 1"))
    desc = root.find(f"{SVG_NS}desc")
    assert desc is not None
    assert "APOE-Dependent Autophagy Restoration: −1.52 (−2.36 to −0.68)" in (desc.text or "")
    tooltips = [t.text or "" for t in root.iter(f"{SVG_NS}title")][1:]
    assert tooltips[1] == "#2 APOE-Dependent Autophagy Restoration: −1.52 (−2.36 to −0.68)"
    assert tooltips[2] == "#3 No interval yet: +0.10"
    assert not any("-" in tip.split(":")[-1] for tip in tooltips)


def test_a_title_can_neither_reverse_the_text_nor_break_the_markup() -> None:
    reversing = [StrengthBar(1, "Tau\u202e lowering\x07", 0.2, -0.1, 0.5)]
    svg = strength_chart(reversing, chart_id="g", group="G")
    parse_svg(svg)  # a raw control character would make the SVG malformed
    assert "\u202e" not in svg and "\x07" not in svg
    assert f"1. Tau{REPLACEMENT} lowering{REPLACEMENT}" in svg_texts(svg)


def test_a_group_all_at_zero_still_has_an_axis() -> None:
    svg = strength_chart([StrengthBar(1, "a", 0.0, 0.0, 0.0)], chart_id="g", group="G")
    assert [t for t in svg_texts(svg) if t in ("0", "+1")] == ["0", "+1"]


def _row(hid: str, rank: int | None, strength: float | None, component: int) -> LeaderboardRow:
    return LeaderboardRow(
        rank, hid, f"T {hid}", strength, None, None, 1200.0, 4, 4, component, 2, None
    )


def test_only_rated_rows_are_drawn_one_chart_per_group() -> None:
    rows = [_row("a", 1, 0.5, 1), _row("b", 2, -0.5, 1), _row("c", 1, 0.0, 2)]
    rows.append(_row("d", None, None, 2))
    bars = strength_bars(rows)
    assert {name: [bar.title for bar in group] for name, group in bars.items()} == {
        "Group 1 (2 hypotheses compared)": ["T a", "T b"],
        "Group 2 (2 hypotheses compared)": ["T c"],
    }
