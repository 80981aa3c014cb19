"""Messy pages: tolerated where possible, with what could not be read reported by line."""

from __future__ import annotations

import pytest

from storage.models import ScoreSource
from tests.wiki.pages import PAGES, assert_score_places_agree_with_the_full_parse, page_text
from wiki.errors import PageError
from wiki.genepage import ParsedGenePage, parse_gene_page


def _parse(name: str) -> ParsedGenePage:
    return parse_gene_page(page_text(name), source=name)


def _messages(page: ParsedGenePage) -> list[str]:
    return [str(p) for p in page.problems]


def test_diagram_before_the_infobox() -> None:
    page = _parse("tfeb_diagram_first.txt")
    assert page.symbol == "TFEB"
    assert page.ids()["ncbi_gene_id"] == "7942"
    assert page.kg_edges == 1207  # "1,207 edges"
    assert [f.target for f in page.functions] == ["LAMP1", "CTSD"]
    assert page.diseases == ("PARKINSON", "HUNTINGTON")
    assert {(link.hypothesis_id, link.source, link.score) for link in page.displayed_scores} == {
        ("h-7f3a9c21", ScoreSource.INFOBOX, 0.66),
        ("h-0b84d5e2", ScoreSource.INFOBOX, 0.41),
        ("h-7f3a9c21", ScoreSource.EXCHANGE, 0.66),
        ("h-0b84d5e2", ScoreSource.EXCHANGE, 0.41),
    }
    assert page.problems == ()


def test_a_table_inside_a_diagram_is_not_the_infobox() -> None:
    decoy = (
        "X Gene\n<div class=\"mermaid\">\nA[\"<table class='infobox'><tr><td class='label'>"
        'Symbol</td><td>DECOY</td></tr></table>"]\n</div>\n'
    )
    page = parse_gene_page(decoy + page_text("tfeb_diagram_first.txt"))
    assert page.symbol == "TFEB"
    with pytest.raises(PageError, match="no infobox"):
        parse_gene_page(decoy)


def test_lowercase_header_without_symbol_row() -> None:
    page = _parse("ulk1_lowercase_header.txt")
    assert page.header == "ulk1 gene"
    assert page.symbol == "ULK1"
    assert page.full_name == "Unc-51 Like Autophagy Activating Kinase 1"
    assert page.ids()["uniprot_id"] == "O75385"  # label "UNIPROT ID" in capitals
    assert page.protein_length == 1050
    assert page.kg_edges == 812
    assert [r.citation for r in page.references] == ["DOI:10.1038/ncb2152"]


def test_header_naming_another_gene_is_reported() -> None:
    text = page_text("ulk1_lowercase_header.txt").replace(
        '<td class="label">full name</td>',
        '<td class="label">Symbol</td>\n<td>ULK2</td>\n</tr>\n<tr>\n'
        '<td class="label">full name</td>',
    )
    page = parse_gene_page(text)
    assert page.symbol == "ULK2"
    assert any("names another gene" in m for m in _messages(page))


def test_citation_keys_and_broken_rows_are_reported_by_line() -> None:
    page = _parse("becn1_citation_keys.txt")
    assert page.symbol == "BECN1"
    assert page.full_name == "Beclin 1"  # "[@liang1999]" inside the cell is not shown
    assert page.ncbi_gene_id == "8678"
    assert page.protein_length is None
    messages = _messages(page)
    expected = [
        "line 7: citation key <sup>[@liang1999]</sup> between table cells ignored",
        "line 10: citation key [@pickford2008] between table rows ignored",
        "line 23: Protein Length: no number",
        "line 31: infobox row with 3 cells ignored",
        "line 42: infobox score of h-2d6e8f14 is not a number: 'n/a'",
        "line 49: reference link is neither a DOI nor a PMID: '/notes/becn1'",
        "line 52: hypothesis list line not understood",
    ]
    for start in expected:
        assert any(m.startswith(start) for m in messages), (start, messages)
    assert [d.name for d in page.drugs] == ["Trehalose"]
    # The link without a readable score is still known; only the Exchange shows a number.
    assert page.hypothesis_ids == ("h-2d6e8f14",)
    assert [(s.source, s.score) for s in page.displayed_scores] == [(ScoreSource.EXCHANGE, 0.58)]


def test_markdown_links_inside_html_cells() -> None:
    page = _parse("sqstm1_markdown_cells.txt")
    assert page.symbol == "SQSTM1"
    assert page.full_name == "Sequestosome 1 (p62)"
    assert page.location == "5q35.3"
    assert page.ncbi_gene_id == "8878"
    assert page.diseases == (
        "Amyotrophic Lateral Sclerosis",
        "Frontotemporal Dementia",
        "Paget Disease of Bone",
    )
    assert [r.citation for r in page.references] == ["PMID:17580304"]
    shown = {(s.hypothesis_id, s.source): s for s in page.displayed_scores}
    markdown_link = shown["h-5c1e0a77", ScoreSource.INFOBOX]
    assert (markdown_link.markup, markdown_link.score) == ("markdown", 0.64)
    assert markdown_link.title == "p62 Body Clearance & Autophagic Flux"
    single_quoted = shown["h-8a2b4c6d", ScoreSource.INFOBOX]
    assert (single_quoted.markup, single_quoted.score) == ("html", 0.37)
    assert shown["h-5c1e0a77", ScoreSource.EXCHANGE].title == "p62 Body Clearance & Autophagic Flux"


def test_invalid_identifier_is_reported_and_not_kept() -> None:
    text = page_text("tfeb_diagram_first.txt").replace("<td>P19484</td>", "<td>not-an-id</td>")
    page = parse_gene_page(text)
    assert page.uniprot_id is None
    assert any("UniProt ID 'not-an-id' is not a valid identifier" in m for m in _messages(page))


def test_score_outside_unit_interval_names_file_line_hypothesis_and_field() -> None:
    with pytest.raises(PageError) as caught:
        _parse("tfeb_score_out_of_range.txt")
    (problem,) = caught.value.problems
    assert problem.file == "tfeb_score_out_of_range.txt"
    assert problem.line == 16
    assert problem.record == "h-7f3a9c21"
    assert problem.field == "exchange score"
    assert "1.30 is outside [0, 1]" in problem.message


def test_negative_infobox_score_is_an_error() -> None:
    text = page_text("tfeb_diagram_first.txt").replace("Score: 0.41", "Score: -0.2")
    with pytest.raises(PageError) as caught:
        parse_gene_page(text, source="tfeb.txt")
    (problem,) = caught.value.problems
    assert (problem.field, problem.record, problem.line) == ("infobox score", "h-0b84d5e2", 67)


def test_page_without_infobox_is_an_error_naming_the_file() -> None:
    with pytest.raises(PageError, match=r"^no_infobox.txt: no infobox"):
        _parse("no_infobox.txt")


def test_unclosed_infobox_names_its_line() -> None:
    text = page_text("tfeb_diagram_first.txt").replace("</table>", "")
    with pytest.raises(PageError, match=r"tfeb.txt:9: the infobox table is never closed"):
        parse_gene_page(text, source="tfeb.txt")


def test_same_hypothesis_twice_in_a_list_keeps_the_first() -> None:
    text = page_text("tfeb_diagram_first.txt")
    line = text.splitlines()[-1]
    page = parse_gene_page(text + line.replace("0.41", "0.99") + "\n")
    exchange = [s for s in page.displayed_scores if s.hypothesis_id == "h-0b84d5e2"]
    assert [s.score for s in exchange] == [0.41, 0.41]
    assert any("listed twice in the exchange" in m for m in _messages(page))


def test_crlf_page_reads_like_lf() -> None:
    text = page_text("tfeb_diagram_first.txt")
    lf, crlf = parse_gene_page(text), parse_gene_page(text.replace("\n", "\r\n"))
    assert crlf.symbol == lf.symbol and crlf.functions == lf.functions
    assert [(s.source, s.score) for s in crlf.displayed_scores] == [
        (s.source, s.score) for s in lf.displayed_scores
    ]


@pytest.mark.parametrize("name", sorted(path.name for path in PAGES.glob("*.txt")))
def test_score_places_agree_with_the_full_parse(name: str) -> None:
    """The editor's cheaper reading raises exactly when the full parse does, and agrees."""
    text = page_text(name)
    assert_score_places_agree_with_the_full_parse(text, name)
