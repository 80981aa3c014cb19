"""The in-place editor: only score-bearing lines change, twice is once, both numbers agree."""

from __future__ import annotations

import dataclasses
import difflib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from common.text import first_refused
from storage.models import ScoreSource
from tests.wiki.pages import SEED, page_text
from wiki.editor import OUTCOME_MARKER, PublishedScore, rewrite_scores
from wiki.errors import PageEditError, PageError
from wiki.genepage import ParsedGenePage, parse_gene_page
from wiki.hypothesis_links import BADGE_MARKER

APOE = PublishedScore(
    hypothesis_id="h-51e7234f",
    title="APOE-Dependent Autophagy Restoration",
    score=0.7412,
    label="exchange rating",
    snapshot_version=3,
)
BADGE = "![MTOR exchange rating](/badges/gene/MTOR.svg)"
SEED_TEXT = page_text(SEED.name)
XSS_TITLES = ["<script>alert(1)</script>", '"><img src=x onerror=alert(1)>', "a](javascript:x) [b"]


def _shown(page: ParsedGenePage) -> dict[tuple[str, ScoreSource], float | None]:
    return {(link.hypothesis_id, link.source): link.score for link in page.links}


def _changed_lines(before: str, after: str) -> tuple[list[str], list[str]]:
    removed, added = [], []
    for line in difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=0):
        if line.startswith("-") and not line.startswith("---"):
            removed.append(line[1:])
        elif line.startswith("+") and not line.startswith("+++"):
            added.append(line[1:])
    return removed, added


def test_seed_rewrite_touches_only_score_bearing_lines() -> None:
    before = page_text(SEED.name)
    after = rewrite_scores(before, [APOE], gene_symbol="MTOR", badge_markdown=BADGE)
    removed, added = _changed_lines(before, after)
    old_lines = before.splitlines()
    score_lines = [old_lines[link.line - 1] for link in parse_gene_page(before).displayed_scores]
    assert removed == score_lines == [old_lines[211], old_lines[343]]
    badge_line = f"{BADGE} {BADGE_MARKER}"
    assert sorted(added) == sorted(
        [
            removed[0].replace("Score: 0.80", "Exchange rating: 0.74 (snapshot v3)"),
            badge_line,
            # the number and its colour, now its band's (0.74 is "good"), as on the badge
            removed[1].replace(">0.73<", ">0.74<").replace("#81c784", "#4c9a2a"),
        ]
    )
    # The badge sits right under the Exchange heading line.
    lines = after.splitlines()
    assert "[SciDEX Exchange](/exchange)" in lines[lines.index(badge_line) - 1]
    assert len(lines) == len(old_lines) + 1


def test_both_numbers_agree_after_a_rewrite() -> None:
    after = rewrite_scores(page_text(SEED.name), [APOE], gene_symbol="MTOR", badge_markdown=None)
    shown = _shown(parse_gene_page(after))
    assert shown["h-51e7234f", ScoreSource.INFOBOX] == shown["h-51e7234f", ScoreSource.EXCHANGE]
    assert shown["h-51e7234f", ScoreSource.INFOBOX] == 0.74
    assert 'title="Exchange rating: 0.74 (snapshot v3)"' in after
    assert "Score: 0.80" not in after


@pytest.mark.parametrize("badge", [BADGE, None])
def test_rewriting_twice_is_byte_identical(badge: str | None) -> None:
    new = PublishedScore(
        "h-aa000001", "Lysosomal Acidification via TFEB", 0.5, "exchange rating", 1
    )
    once = rewrite_scores(
        page_text(SEED.name), [APOE, new], gene_symbol="MTOR", badge_markdown=badge
    )
    twice = rewrite_scores(once, [APOE, new], gene_symbol="MTOR", badge_markdown=badge)
    assert twice == once


def test_a_new_snapshot_updates_numbers_and_badge_in_place() -> None:
    once = rewrite_scores(page_text(SEED.name), [APOE], gene_symbol="MTOR", badge_markdown=BADGE)
    newer = PublishedScore(APOE.hypothesis_id, APOE.title, 0.69, "exchange rating", 4)
    badge = "![MTOR exchange rating v4](/badges/gene/MTOR.svg?v=4)"
    twice = rewrite_scores(once, [newer], gene_symbol="MTOR", badge_markdown=badge)
    removed, added = _changed_lines(once, twice)
    assert len(removed) == len(added) == 3
    assert twice.count(BADGE_MARKER) == 1
    assert f"{badge} {BADGE_MARKER}" in twice
    shown = _shown(parse_gene_page(twice))
    assert shown["h-51e7234f", ScoreSource.INFOBOX] == shown["h-51e7234f", ScoreSource.EXCHANGE]
    assert shown["h-51e7234f", ScoreSource.EXCHANGE] == 0.69


def test_missing_hypotheses_are_added_in_both_places() -> None:
    before = page_text(SEED.name)
    new = PublishedScore(
        "h-aa000001", "Lysosomal Acidification via TFEB", 0.456, "exchange rating", 2
    )
    after = rewrite_scores(before, [APOE, new], gene_symbol="MTOR", badge_markdown=None)
    page = parse_gene_page(after)
    shown = _shown(page)
    assert shown["h-aa000001", ScoreSource.INFOBOX] == shown["h-aa000001", ScoreSource.EXCHANGE]
    assert shown["h-aa000001", ScoreSource.EXCHANGE] == 0.46
    exchange = [link for link in page.links if link.source is ScoreSource.EXCHANGE]
    assert [link.hypothesis_id for link in exchange] == ["h-51e7234f", "h-aa000001"]
    assert exchange[1].raw.endswith("· Target: MTOR")
    _removed, added = _changed_lines(before, after)
    assert len(added) == 3  # the infobox cell, the Exchange line, one new Exchange line


def test_anchor_attributes_and_text_are_kept() -> None:
    after = rewrite_scores(page_text(SEED.name), [APOE], gene_symbol="MTOR", badge_markdown=None)
    assert (
        '<a href="/hypothesis/h-51e7234f" style="color:#ce93d8" '
        'title="Exchange rating: 0.74 (snapshot v3)">APOE-Dependent Autophagy Restoration...</a>'
    ) in after
    # the number's colour is its band's, as on the badge: 0.74 is "good"
    assert '<span style="color:#4c9a2a;font-weight:600">0.74</span> · Target: MTOR' in after


@pytest.mark.parametrize("title", XSS_TITLES)
def test_hostile_titles_come_out_inert(title: str) -> None:
    row = PublishedScore('h-x"><b>', title, 0.5, 'rating"><script>', 1)
    after = rewrite_scores(page_text(SEED.name), [row], gene_symbol="MTOR", badge_markdown=None)
    _removed, added = _changed_lines(page_text(SEED.name), after)
    assert len(added) == 2  # the infobox cell with a new link, a new Exchange line
    for payload in ("<script", "<img", "<b>", '"><', "](javascript:"):
        assert not any(payload in line for line in added), payload
    page = parse_gene_page(after)
    hostile = [link for link in page.links if link.hypothesis_id == row.hypothesis_id]
    assert {link.source for link in hostile} == set(ScoreSource)
    assert all(link.title == title and link.score == 0.5 for link in hostile)


def test_pages_without_hypothesis_row_exchange_heading_or_list_get_them() -> None:
    before = page_text("ulk1_lowercase_header.txt")
    row = PublishedScore(
        "h-cc000003", "ULK1 Activation in Motor Neurons", 0.61, "exchange rating", 1
    )
    after = rewrite_scores(before, [row], gene_symbol="ULK1", badge_markdown=BADGE)
    assert after.startswith(before[: before.index("</table>")])
    assert '<td class="label">SciDEX Hypotheses</td>' in after
    assert after.endswith(
        "From the [SciDEX Exchange](/exchange) — scored by multi-agent debate\n"
        f"{BADGE} {BADGE_MARKER}\n"
        "- [ULK1 Activation in Motor Neurons](/hypothesis/h-cc000003) — "
        '<span style="color:#b58900;font-weight:600">0.61</span> · Target: ULK1\n'
    )
    assert rewrite_scores(after, [row], gene_symbol="ULK1", badge_markdown=BADGE) == after


def test_markdown_infobox_link_gets_its_title_rewritten() -> None:
    before = page_text("sqstm1_markdown_cells.txt")
    row = PublishedScore("h-5c1e0a77", "ignored for existing links", 0.7, "exchange rating", 2)
    after = rewrite_scores(before, [row], gene_symbol="SQSTM1", badge_markdown=None)
    assert '(/hypothesis/h-5c1e0a77 "Exchange rating: 0.70 (snapshot v2)")' in after
    other = next(s for s in parse_gene_page(after).links if s.hypothesis_id == "h-8a2b4c6d")
    assert other.score == 0.37  # not in the rows: left as it was


def test_link_without_title_gets_one() -> None:
    before = page_text("becn1_citation_keys.txt").replace(' title="Score: n/a"', "")
    row = PublishedScore("h-2d6e8f14", "Beclin 1", 0.52, "exchange rating", 1)
    after = rewrite_scores(before, [row], gene_symbol="BECN1", badge_markdown=None)
    shown = _shown(parse_gene_page(after))
    assert shown["h-2d6e8f14", ScoreSource.INFOBOX] == shown["h-2d6e8f14", ScoreSource.EXCHANGE]


def test_unparseable_page_raises() -> None:
    with pytest.raises(PageError, match="no infobox"):
        rewrite_scores(page_text("no_infobox.txt"), [APOE], gene_symbol="APOE", badge_markdown=None)


@pytest.mark.parametrize(
    ("rows", "symbol", "badge", "message"),
    [
        ([APOE], "TFEB", None, "page of MTOR, not of TFEB"),
        ([APOE, APOE], "MTOR", None, "given twice"),
        ([PublishedScore("h-1", "t", 1.2, "rating", 1)], "MTOR", None, "outside"),
        ([PublishedScore("h-1", "t", float("nan"), "rating", 1)], "MTOR", None, "outside"),
        ([PublishedScore("h-1", "t", 0.5, " ", 1)], "MTOR", None, "empty label"),
        ([PublishedScore("h-1", "t", 0.5, "rating", 0)], "MTOR", None, "snapshot_version"),
        ([APOE], "MTOR", "two\nlines", "single line"),
        ([dataclasses.replace(APOE, outcome="proven")], "MTOR", None, "outcome 'proven'"),
    ],
)
def test_bad_requests_are_refused(
    rows: list[PublishedScore], symbol: str, badge: str | None, message: str
) -> None:
    with pytest.raises(PageEditError, match=message):
        rewrite_scores(page_text(SEED.name), rows, gene_symbol=symbol, badge_markdown=badge)


def test_crlf_page_keeps_its_line_endings() -> None:
    before = page_text("tfeb_diagram_first.txt").replace("\n", "\r\n")
    row = PublishedScore("h-dd000004", "New", 0.3, "exchange rating", 1)
    after = rewrite_scores(before, [row], gene_symbol="TFEB", badge_markdown=BADGE)
    assert "\n" not in after.replace("\r\n", "")
    assert rewrite_scores(after, [row], gene_symbol="TFEB", badge_markdown=BADGE) == after


@settings(max_examples=60, deadline=None)
@given(
    # Any title the text policy lets in (docs/text-policy.md); the others are neutralised, below.
    title=st.text(min_size=1, max_size=60).filter(lambda text: first_refused(text) is None),
    hypothesis_id=st.text(min_size=1, max_size=20).filter(str.strip),
    score=st.floats(min_value=0.0, max_value=1.0),
)
def test_any_title_and_id_round_trip_and_agree(
    title: str, hypothesis_id: str, score: float
) -> None:
    row = PublishedScore(hypothesis_id, title, score, "exchange rating", 7)
    once = rewrite_scores(SEED_TEXT, [row], gene_symbol="MTOR", badge_markdown=BADGE)
    assert rewrite_scores(once, [row], gene_symbol="MTOR", badge_markdown=BADGE) == once
    links = [link for link in parse_gene_page(once).links if link.hypothesis_id == hypothesis_id]
    assert {link.source for link in links} == set(ScoreSource)
    assert {link.score for link in links} == {float(f"{score:.2f}")}
    assert all(link.title == " ".join(title.split()) for link in links)


@pytest.mark.parametrize("char", ["\x00", "\x01", "\x1b", "\x85", "\u202e", "\u2066", "\u200f"])
def test_refused_characters_in_a_title_are_neutralised_on_the_page(char: str) -> None:
    """Issue 11, defects 2-4: a title stored before the text policy cannot poison the page."""
    title = f"Evil{char}Title"
    row = PublishedScore("h-dd000009", title, 0.45, "exchange rating", 1)
    page = rewrite_scores(SEED_TEXT, [row], gene_symbol="MTOR", badge_markdown=BADGE)
    assert char not in page
    assert "Evil\ufffdTitle" in page
    assert rewrite_scores(page, [row], gene_symbol="MTOR", badge_markdown=BADGE) == page


def _exchange_line(text: str, hypothesis_id: str) -> str:
    (line,) = [ln for ln in text.splitlines() if ln.startswith("- [") and hypothesis_id in ln]
    return line


def test_a_resolved_hypothesis_shows_its_outcome_after_its_number_and_only_once() -> None:
    settled = dataclasses.replace(APOE, label="validated, exchange rating", outcome="validated")
    before = page_text(SEED.name)
    after = rewrite_scores(before, [settled], gene_symbol="MTOR", badge_markdown=None)
    line = _exchange_line(after, APOE.hypothesis_id)
    assert f">0.74</span> · validated{OUTCOME_MARKER} · Target: MTOR" in line
    assert 'title="Validated, exchange rating: 0.74 (snapshot v3)"' in after
    # the number is still what both places show, and the line still reads as one
    shown = _shown(parse_gene_page(after))
    assert shown[APOE.hypothesis_id, ScoreSource.EXCHANGE] == 0.74
    assert rewrite_scores(after, [settled], gene_symbol="MTOR", badge_markdown=None) == after
    # refuted after all: replaced, not added to; reopened: removed, the line as it was
    refuted = dataclasses.replace(settled, outcome="refuted")
    turned = rewrite_scores(after, [refuted], gene_symbol="MTOR", badge_markdown=None)
    assert _exchange_line(turned, APOE.hypothesis_id).count(OUTCOME_MARKER) == 1
    assert f"· refuted{OUTCOME_MARKER} · Target" in turned
    reopened = rewrite_scores(turned, [APOE], gene_symbol="MTOR", badge_markdown=None)
    assert OUTCOME_MARKER not in reopened
    assert reopened == rewrite_scores(before, [APOE], gene_symbol="MTOR", badge_markdown=None)


def test_an_outcome_follows_a_bare_number_and_a_new_line_too() -> None:
    bare = page_text(SEED.name).replace(
        '<span style="color:#81c784;font-weight:600">0.73</span>', "0.73"
    )
    settled = dataclasses.replace(APOE, outcome="refuted")
    new = PublishedScore("h-aa000001", "TFEB", 0.5, "refuted, exchange rating", 1, "refuted")
    after = rewrite_scores(bare, [settled, new], gene_symbol="MTOR", badge_markdown=None)
    assert f"— 0.74 · refuted{OUTCOME_MARKER} · Target" in _exchange_line(after, APOE.hypothesis_id)
    assert f">0.50</span> · refuted{OUTCOME_MARKER} · Target: MTOR" in _exchange_line(
        after, "h-aa000001"
    )
    twice = rewrite_scores(after, [settled, new], gene_symbol="MTOR", badge_markdown=None)
    assert twice == after
