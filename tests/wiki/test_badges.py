"""Badges: text measurement, score bands, trend arrows, escaping and the shields.io JSON."""

from __future__ import annotations

import re

import pytest

from common.text import shorten_title as shorten
from scoring.legends import EXCHANGE_RATING, RESOLVED
from tests.api.svg import SVG_NS, parse_svg
from wiki.badges import (
    BANDS,
    PADDING,
    BadgeScore,
    gene_badge_svg,
    gene_shields_endpoint,
    html_snippet,
    hypothesis_badge_svg,
    score_band,
    shields_endpoint,
    text_width,
    trend_arrow,
)


def _width(svg: str) -> int:
    return int(parse_svg(svg).attrib["width"])


def test_wide_text_measures_wider_than_narrow_text_of_equal_length() -> None:
    assert len("MMMMWWWW") == len("iiiillll")
    assert text_width("MMMMWWWW") > 2 * text_width("iiiillll")
    wide = hypothesis_badge_svg(BadgeScore("MMMMWWWW", 0.7))
    narrow = hypothesis_badge_svg(BadgeScore("iiiillll", 0.7))
    assert _width(wide) > _width(narrow)


def test_unknown_characters_are_measured_as_wide_glyphs() -> None:
    assert text_width("mTOR抑制") > text_width("mTORxx")


def test_badge_is_well_formed_svg_with_label_message_and_band_colour() -> None:
    svg = hypothesis_badge_svg(BadgeScore("APOE autophagy", 0.73, previous=0.70))
    root = parse_svg(svg)
    texts = [t.text for t in root.iter(f"{SVG_NS}text")]
    assert texts == ["APOE autophagy", "0.73 ↑"]
    fills = [r.attrib.get("fill") for r in root.iter(f"{SVG_NS}rect")]
    assert score_band(0.73).color in fills
    assert root.find(f"{SVG_NS}title") is not None
    # the tooltip: the number, then what it is (scoring/legends.py)
    assert root.find(f"{SVG_NS}title").text == (  # type: ignore[union-attr]
        f"APOE autophagy: 0.73 ↑. {EXCHANGE_RATING}."
    )


@pytest.mark.parametrize(
    ("score", "band"),
    [(0.95, "strong"), (0.80, "strong"), (0.7999, "good"), (0.65, "good"), (0.5, "moderate"),
     (0.35, "weak"), (0.349, "poor"), (0.0, "poor"), (None, "unscored")],
)  # fmt: skip
def test_score_bands_have_documented_floors(score: float | None, band: str) -> None:
    assert score_band(score).name == band


def test_bands_are_ordered_and_distinctly_coloured() -> None:
    floors = [b.floor for b in BANDS]
    assert floors == sorted(floors, reverse=True)
    assert len({b.color for b in BANDS}) == len(BANDS)


def test_trend_arrow_follows_the_change_since_the_previous_snapshot() -> None:
    assert trend_arrow(0.73, 0.70) == "↑"
    assert trend_arrow(0.60, 0.70) == "↓"
    assert trend_arrow(0.702, 0.70) == "→"
    assert trend_arrow(0.7, None) == ""
    assert BadgeScore("x", 0.7).message == "0.70"
    assert BadgeScore("x", None).message == "unscored"


def test_hostile_text_is_escaped_in_svg() -> None:
    payload = "<script>alert(1)</script>\"'&"
    svg = hypothesis_badge_svg(BadgeScore(payload, 0.5))
    assert "<script>" not in svg
    root = parse_svg(svg)  # still well-formed XML
    assert next(t.text for t in root.iter(f"{SVG_NS}text")) == payload
    gene = gene_badge_svg("<b>G</b>", [BadgeScore(payload, 0.5)])
    assert "<b>" not in gene and "<script>" not in gene
    parse_svg(gene)


def test_gene_badge_stacks_one_row_per_hypothesis() -> None:
    rows = [BadgeScore("First hypothesis", 0.81), BadgeScore("Second", None)]
    root = parse_svg(gene_badge_svg("MTOR", rows))
    assert int(root.attrib["height"]) == 20 * 3
    texts = [t.text for t in root.iter(f"{SVG_NS}text")]
    assert texts == ["MTOR", "2 hypotheses", "First hypothesis", "0.81", "Second", "unscored"]
    empty = parse_svg(gene_badge_svg("TP53", []))
    assert [t.text for t in empty.iter(f"{SVG_NS}text")] == ["TP53", "0 hypotheses"]
    assert empty.findtext(f"{SVG_NS}title") == "TP53: no hypotheses"


def test_gene_badge_lists_the_best_first_and_its_tooltip_says_what_the_numbers_are() -> None:
    given = [BadgeScore("Low", 0.40), BadgeScore("Unscored", None), BadgeScore("High", 0.82)]
    root = parse_svg(gene_badge_svg("MTOR", given))
    texts = [t.text for t in root.iter(f"{SVG_NS}text")]
    assert texts[2:] == ["High", "0.82", "Low", "0.40", "Unscored", "unscored"]
    assert root.findtext(f"{SVG_NS}title") == (
        f"MTOR: High: 0.82; Low: 0.40; Unscored: unscored. {EXCHANGE_RATING}."
    )
    one = parse_svg(gene_badge_svg("TP53", [BadgeScore("Only", 0.5)]))
    assert [t.text for t in one.iter(f"{SVG_NS}text")][:2] == ["TP53", "1 hypothesis"]


def test_a_resolved_hypothesis_shows_its_outcome_and_ranks_after_the_open_ones() -> None:
    given = [
        BadgeScore("Settled", 0.88, 0.50, outcome="validated"),
        BadgeScore("Open low", 0.40),
        BadgeScore("Refuted", 0.20, outcome="refuted"),
        BadgeScore("Open high", 0.62, 0.60),
    ]
    root = parse_svg(gene_badge_svg("APP", given))
    texts = [t.text for t in root.iter(f"{SVG_NS}text")]
    # the open ones by rating, then the settled ones: no trend arrow, the outcome instead
    assert texts[2:] == [
        "Open high", "0.62 ↑", "Open low", "0.40", "Settled", "0.88 · validated",
        "Refuted", "0.20 · refuted",
    ]  # fmt: skip
    title = root.findtext(f"{SVG_NS}title") or ""
    assert title.endswith(f"{EXCHANGE_RATING}. {RESOLVED}.")
    # the colour is still the number's band, as on the page's Exchange line
    assert BadgeScore("x", 0.88, outcome="validated").band == score_band(0.88)
    open_only = parse_svg(gene_badge_svg("APP", given[1::2])).findtext(f"{SVG_NS}title") or ""
    assert RESOLVED not in open_only
    lone = parse_svg(hypothesis_badge_svg(given[0])).findtext(f"{SVG_NS}title") or ""
    assert lone == f"Settled: 0.88 · validated. {EXCHANGE_RATING}. {RESOLVED}."


def test_the_genes_best_is_its_best_open_hypothesis() -> None:
    rows = [BadgeScore("done", 0.9, outcome="validated"), BadgeScore("live", 0.55)]
    assert gene_shields_endpoint("APP", rows)["message"] == "2 hypotheses, best 0.55"
    settled = gene_shields_endpoint("APP", rows[:1])
    assert (settled["message"], settled["color"]) == ("1 hypothesis", "757575")


def test_shields_endpoint_json() -> None:
    doc = shields_endpoint(BadgeScore("APOE", 0.73, 0.80))
    assert doc["schemaVersion"] == 1
    assert (doc["label"], doc["message"]) == ("APOE", "0.73 ↓")
    assert re.fullmatch(r"[0-9a-f]{6}", doc["color"])
    gene = gene_shields_endpoint("MTOR", [BadgeScore("a", 0.4), BadgeScore("b", 0.82)])
    assert gene == {  # shields.io's endpoint schema: a misspelt key is silently ignored
        "schemaVersion": 1,
        "label": "MTOR",
        "message": "2 hypotheses, best 0.82",
        "color": score_band(0.82).color.lstrip("#"),
        "labelColor": "555555",
        "cacheSeconds": 300,
    }
    lone = gene_shields_endpoint("TP53", [BadgeScore("a", None)], cache_seconds=60)
    assert (lone["message"], lone["color"], lone["cacheSeconds"]) == ("1 hypothesis", "757575", 60)
    assert gene_shields_endpoint("SOD1", [])["message"] == "0 hypotheses"
    assert set(doc) == set(gene) and doc["labelColor"] == "555555"


def test_html_snippet_escapes_every_attribute() -> None:
    snippet = html_snippet(
        image_url="https://x/b.svg?a=1&b=2", link_url='https://x/"onmouseover=', alt="<i>"
    )
    assert snippet == (
        '<a href="https://x/&quot;onmouseover="><img src="https://x/b.svg?a=1&amp;b=2" '
        'alt="&lt;i&gt;"></a>'
    )


def test_shorten_keeps_short_titles_and_cuts_long_ones() -> None:
    assert shorten("  APOE   autophagy ") == "APOE autophagy"
    long = shorten("x" * 100, 40)
    assert len(long) == 40 and long.endswith("…")


def test_every_text_is_centred_in_its_segment_and_fits_it() -> None:
    svg = parse_svg(
        gene_badge_svg(
            "MTOR",
            [BadgeScore("APOE-Dependent Autophagy Restoration", 0.73), BadgeScore("b", None)],
        )
    )
    rects = [r.attrib for r in svg.iter(f"{SVG_NS}rect")][1:]  # after the clip path's
    texts = [t.attrib for t in svg.iter(f"{SVG_NS}text")]
    assert len(rects) == len(texts) == 6  # a label and a message segment in each of 3 rows
    for rect, text in zip(rects, texts, strict=True):
        left, width = float(rect.get("x", 0)), float(rect["width"])
        top, height = float(rect["y"]), float(rect["height"])
        # text coordinates are ten times the rect's, rendered at scale(.1)
        assert float(text["x"]) / 10 == pytest.approx(left + width / 2, abs=0.05)
        assert top < float(text["y"]) / 10 < top + height
        assert 0 < float(text["textLength"]) / 10 <= width - 2 * PADDING  # inside its margins
