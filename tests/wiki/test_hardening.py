"""Issue 11: odd gene pages (protein infoboxes, unknown rows, export markers, refused pages,
conflicting ids) and hostile text on the page path."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import select

from storage.db import Database
from storage.errors import InvalidInputError
from storage.models import Gene, Hypothesis
from tests.wiki.pages import SEED, page_path, page_text
from tests.wiki.publishing import (
    HYPOTHESIS,
    SEED_NAME,
    T0,
    TITLE,
    add_hypothesis,
    add_snapshot,
    import_seed,
)
from wiki.editor import PublishedScore, rewrite_scores
from wiki.errors import PageError
from wiki.genepage import parse_gene_page, parse_score_places
from wiki.importer import import_pages
from wiki.pagetext import decode_page
from wiki.publish import publish_pages
from wiki.store import FolderPageStore

ULK1 = page_text("ulk1_lowercase_header.txt")


def _protein_page() -> str:
    """The seed page as a protein page: its header names the protein, a Gene row the gene."""
    text = page_text(SEED.name)
    text = text.replace('class="infobox infobox-gene"', 'class="infobox infobox-protein"')
    text = text.replace(">MTOR Gene</th>", ">[Kinase](/proteins/mtor)</th>")
    return text.replace("Symbol</td>\n<td>MTOR</td>", "Gene</td>\n<td>[MTOR](/genes/mtor)</td>")


def _with_rows(text: str, rows: list[tuple[str, str]]) -> str:
    markup = "".join(f'<tr>\n<td class="label">{a}</td>\n<td>{b}</td>\n</tr>\n' for a, b in rows)
    at = text.index("<tr>", text.rindex('class="infobox'))  # the complete copy, not a preview
    return text[:at] + markup + text[at:]


@pytest.fixture
def store(tmp_path: Path) -> FolderPageStore:
    return FolderPageStore(tmp_path / "pages")


# --- defect 6: protein pages name their gene in the Gene row ----------------------------------


def test_protein_page_takes_its_symbol_from_the_gene_row() -> None:
    text = _protein_page()
    assert "Symbol</td>" not in text
    page = parse_gene_page(text)
    assert page.symbol == "MTOR"
    assert parse_score_places(text).symbol == "MTOR"
    assert not [p for p in page.problems if "another gene" in p.message]


def test_protein_page_without_a_gene_row_is_refused_not_named_after_the_protein() -> None:
    text = _protein_page().replace("Gene</td>\n<td>[MTOR](/genes/mtor)</td>", "")
    with pytest.raises(PageError, match="no Symbol or Gene row"):
        parse_gene_page(text)


def test_protein_page_publishes_its_genes_hypotheses(
    db: Database, store: FolderPageStore, tmp_path: Path
) -> None:
    path = tmp_path / "mtor_protein.txt"
    path.write_text(_protein_page(), encoding="utf-8")
    report = import_pages(db, [path])
    assert [p.gene for p in report.pages] == ["MTOR"]
    add_hypothesis(db, "h-feed0001", "A new mTOR hypothesis", ["MTOR"])
    add_snapshot(db, "h-feed0001", composite=0.5, market_price=0.45)
    published = publish_pages(db, store, now=T0)
    (result,) = published.pages
    assert "h-feed0001" in result.hypotheses and not result.failed
    assert ">0.45</span> · Target: MTOR" in store.read("mtor_protein")


# --- defect 7: every infobox row is read or reported ------------------------------------------


def test_chromosome_length_and_aliases_rows_are_read() -> None:
    text = _with_rows(
        _protein_page().replace("Chromosomal Location</td>\n<td>1p36.22</td>", ""),
        [("Chromosome", "1"), ("Length", "2,549 aa"), ("Aliases", "FRAP, FRAP1; RAFT1")],
    )
    text = text.replace("Protein Length</td>", "Protein Size</td>")
    page = parse_gene_page(text)
    assert page.location == "1"
    assert page.protein_length == 2549
    assert page.aliases == ("FRAP", "FRAP1", "RAFT1")
    assert "unrecognised row: Protein Size" in [p.message for p in page.problems]


def test_unknown_rows_are_reported_never_dropped_silently() -> None:
    page = parse_gene_page(_with_rows(ULK1, [("Gene type", "protein coding")]))
    assert "unrecognised row: Gene type" in [p.message for p in page.problems]
    assert ["Gene type", "protein coding"] in [[r.label, r.value] for r in page.infobox_rows]


def test_a_chromosome_that_contradicts_the_location_is_reported() -> None:
    page = parse_gene_page(_with_rows(ULK1, [("Chromosome", "11")]))
    assert page.location == "12q24.33"
    assert any("Chromosome '11' disagrees" in p.message for p in page.problems)


def test_a_gene_length_in_base_pairs_is_not_the_protein_length() -> None:
    page = parse_gene_page(ULK1.replace("1050 amino acids", "52 kb"))
    assert page.protein_length is None
    assert any("base pairs" in p.message for p in page.problems)


@pytest.mark.parametrize("value", ["99999999999999 amino acids", "9" * 5000])
def test_numbers_past_what_the_database_stores_are_reported(value: str) -> None:
    text = ULK1.replace("1050 amino acids", value).replace("812 edges", f"{value} edges")
    page = parse_gene_page(text)
    assert (page.protein_length, page.kg_edges) == (None, None)
    assert sum("out of range" in p.message for p in page.problems) == 2


def test_aliases_are_stored_with_the_gene(db: Database, tmp_path: Path) -> None:
    path = tmp_path / "ulk1.txt"
    path.write_text(_with_rows(ULK1, [("Also known as", "ATG1, hATG1")]), encoding="utf-8")
    import_pages(db, [path])
    with db.sessions() as session:
        assert session.scalar(select(Gene.aliases)) == ["ATG1", "hATG1"]


# --- defect 10: the export's trailing "..." line ----------------------------------------------


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_a_trailing_export_marker_is_reported_and_stays_last(newline: str) -> None:
    text = (ULK1.rstrip("\n") + "\n...\n").replace("\n", newline)
    page = parse_gene_page(text)
    assert any("export's marker" in p.message for p in page.problems)
    row = PublishedScore("h-feed0002", "ULK1 hypothesis", 0.4, "exchange rating", 1)
    new = rewrite_scores(text, [row], gene_symbol="ULK1", badge_markdown=None)
    assert new.endswith(f"{newline}...{newline}")
    assert new.index("SciDEX Exchange") < new.rindex("...")
    assert rewrite_scores(new, [row], gene_symbol="ULK1", badge_markdown=None) == new


def test_a_page_without_a_marker_reports_none() -> None:
    page = parse_gene_page(ULK1)
    assert not any("export's marker" in p.message for p in page.problems)
    assert page.content_end == len(ULK1)


# --- defect 8: a page import refuses is never edited by publish --------------------------------


def test_publish_reports_a_refused_page_and_leaves_it_alone(
    db: Database, store: FolderPageStore
) -> None:
    import_seed(db)
    add_hypothesis(db, HYPOTHESIS, TITLE, ["MTOR"])
    add_snapshot(db, HYPOTHESIS, composite=0.66, market_price=0.61)
    other = page_path("mtor_other_wiki.txt")
    with pytest.raises(InvalidInputError):
        import_pages(db, [other])
    store.root.mkdir(parents=True, exist_ok=True)
    shutil.copy(other, store.root / other.name)
    before = (store.root / other.name).read_bytes()

    report = publish_pages(db, store, now=T0)

    results = {page.name: page for page in report.pages}
    refused = results[other.stem]
    assert refused.failed and refused.refused
    assert any("NCBI Gene ID 2476 contradicts 2475" in p for p in refused.problems)
    assert (store.root / other.name).read_bytes() == before
    assert store.read_badge(other.stem) is None
    assert not results[SEED_NAME].failed
    assert "refused: 1" in report.summary()


# --- defects 2-4 on the page path ---------------------------------------------------------------


@pytest.mark.parametrize("char", ["\x01", "\x1b", "\x85", "\u202e", "\u2066", "\u200f"])
def test_a_page_with_a_refused_character_is_refused_naming_line_and_column(char: str) -> None:
    text = ULK1.replace("Unc-51 Like", f"Unc-51{char} Like")
    with pytest.raises(PageError) as caught:
        decode_page(text.encode(), source="ulk1.txt")
    (problem,) = caught.value.problems
    assert problem.line == 8
    assert f"U+{ord(char):04X}" in problem.message
    assert "column 11" in problem.message


def test_a_title_stored_before_the_policy_cannot_poison_its_page(
    db: Database, store: FolderPageStore
) -> None:
    """Defect 2: a NUL in a title made every later publish of the page fail."""
    import_seed(db)
    # PostgreSQL cannot store a NUL at all; SQLite could, and did.
    nul = "\x00" if db.engine.dialect.name == "sqlite" else "\x01"
    add_hypothesis(db, "h-feed0003", f"Poisoned{nul}\x1b[2J\u202eTitle", ["MTOR"])
    add_snapshot(db, "h-feed0003", composite=0.5, market_price=0.45)
    first = publish_pages(db, store, now=T0)
    assert first.failed == 0
    text = store.read(SEED_NAME)
    assert "Poisoned\ufffd\ufffd&#91;2J\ufffdTitle" in text
    add_snapshot(db, "h-feed0003", composite=0.6, market_price=0.55)
    second = publish_pages(db, store, now=T0)
    assert second.failed == 0 and second.changed == 1
    assert ">0.55</span> · Target: MTOR" in store.read(SEED_NAME)
    with db.sessions() as session:
        assert session.get(Hypothesis, "h-feed0003") is not None


def test_a_page_symbol_that_is_not_a_safe_segment_is_refused(db: Database, tmp_path: Path) -> None:
    """Defect 1 on the page path: the Symbol row is the gene's symbol in every link."""
    path = tmp_path / "odd.txt"
    path.write_text(ULK1.replace("ulk1 gene", "A/B gene"), encoding="utf-8")
    with pytest.raises(InvalidInputError) as caught:
        import_pages(db, [path])
    assert [p.field for p in caught.value.problems] == ["symbol"]


def test_a_displayed_score_whose_link_is_not_a_hypothesis_id_is_not_stored(
    db: Database, tmp_path: Path
) -> None:
    text = page_text("sqstm1_markdown_cells.txt").replace(
        "/hypothesis/h-5c1e0a77", "/hypothesis/x%2Fy"
    )
    path = tmp_path / "sqstm1.txt"
    path.write_text(text, encoding="utf-8")
    (summary,) = import_pages(db, [path]).pages
    assert any("'x/y' is not a hypothesis id" in p.message for p in summary.problems)
