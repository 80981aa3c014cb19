"""Helpers shared by the gene-page tests."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import FIXTURES
from wiki.errors import PageError
from wiki.genepage import ScorePlaces, parse_gene_page, parse_score_places

PAGES = FIXTURES / "pages"
SEED = PAGES / "mtor_seed.txt"


def page_path(name: str) -> Path:
    return PAGES / name


def page_text(name: str) -> str:
    return (PAGES / name).read_bytes().decode("utf-8")


def assert_score_places_agree_with_the_full_parse(text: str, name: str) -> None:
    """The editor's cheaper reading of a page raises exactly when the full parse does, and
    otherwise finds the same score places."""
    full_error = places_error = None
    try:
        page = parse_gene_page(text, source=name)
    except PageError as exc:
        full_error = str(exc)
    try:
        places = parse_score_places(text, source=name)
    except PageError as exc:
        places_error = str(exc)
    assert places_error == full_error
    if full_error is not None:
        return
    assert places == ScorePlaces(
        symbol=page.symbol,
        links=page.links,
        content_end=page.content_end,
        infobox_close_at=page.infobox_close_at,
        hypotheses_row=page.hypotheses_row,
        exchange_heading=page.exchange_heading,
        badge_line=page.badge_line,
    )
