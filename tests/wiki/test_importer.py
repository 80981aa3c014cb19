"""Importing gene pages on SQLite and PostgreSQL: what is written, and what is refused."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from storage.db import Database
from storage.errors import InvalidInputError
from storage.models import Base, Gene, ScoreSource
from storage.queries.knowledge import get_gene
from storage.queries.pages import get_gene_page, list_displayed_scores, list_gene_pages
from tests.wiki.pages import SEED, page_path
from wiki.errors import PageError
from wiki.importer import import_pages, load_page, write_page
from wiki.pagetext import MAX_PAGE_BYTES

TABLES = (
    "genes",
    "diseases",
    "drugs",
    "gene_diseases",
    "gene_drugs",
    "gene_pages",
    "displayed_scores",
)


def _contents(db: Database) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the tables an import writes, all columns, in a stable order."""
    with db.sessions() as session:
        return {
            name: sorted(
                (tuple(row) for row in session.execute(select(Base.metadata.tables[name]))),
                key=repr,
            )
            for name in TABLES
        }


def test_seed_import_writes_gene_facts(db: Database) -> None:
    report = import_pages(db, [SEED])
    (summary,) = report.pages
    assert (summary.gene, summary.page_name, summary.hypotheses, summary.displayed_scores) == (
        "MTOR",
        "mtor_seed",
        1,
        2,
    )
    with db.sessions() as session:
        gene = get_gene(session, symbol="mtor")
        assert (gene.ncbi_gene_id, gene.uniprot_id, gene.ensembl_id, gene.omim_id) == (
            "2475",
            "P42345",
            "ENSG00000164362",
            "601231",
        )
        assert (gene.protein_length, gene.kg_edges, gene.location) == (2549, 4198, "1p36.22")
        assert gene.full_name == "Mechanistic Target of Rapamycin"
        assert len(gene.functions) == 5
        assert gene.functions[0] == {"target": "S6K1", "function": "Protein synthesis"}
        assert gene.infobox["header"] == "MTOR Gene"
        assert ["NCBI Gene ID", "2475"] in gene.infobox["rows"]
        assert len(gene.references) == 12
        assert {"citation": "PMID:18451643"}.items() <= gene.references[10].items()
        drugs = {drug.name: drug for drug in gene.drugs}
        assert set(drugs) == {"Rapamycin", "Everolimus", "Temsirolimus", "Torin 1", "AZD8055"}
        assert drugs["Rapamycin"].mechanism == "Allosteric mTORC1 inhibitor"
        assert drugs["Rapamycin"].target_complex == "mTORC1"
        slugs = {disease.slug for disease in gene.diseases}
        assert {"als", "alzheimers-disease", "frontotemporal-dementia"} <= slugs


def test_page_text_is_kept_byte_for_byte_with_scores_and_problems(db: Database) -> None:
    import_pages(db, [SEED])
    data = SEED.read_bytes()
    with db.sessions() as session:
        page = get_gene_page(session, name="mtor_seed")
        assert page.content.encode("utf-8") == data
        assert page.content_sha256 == hashlib.sha256(data).hexdigest()
        assert page.source_path == str(SEED.resolve())
        assert page.gene is not None and page.gene.symbol == "MTOR"
        assert any("truncated preview" in p["message"] for p in page.problems)
        assert [p.name for p in list_gene_pages(session, gene_symbol="mtor")] == ["mtor_seed"]
        shown = {s.source: s for s in list_displayed_scores(session, page_name="mtor_seed")}
    # The hypothesis is not in the database: the displayed scores are recorded all the same.
    assert shown[ScoreSource.INFOBOX.value].score == 0.80
    assert shown[ScoreSource.EXCHANGE.value].score == 0.73
    assert shown[ScoreSource.EXCHANGE.value].hypothesis_id == "h-51e7234f"
    assert 'title="Score: 0.80"' in shown[ScoreSource.INFOBOX.value].raw
    assert shown[ScoreSource.EXCHANGE.value].title == "APOE-Dependent Autophagy Restoration"


def test_importing_the_same_files_twice_changes_nothing(db: Database) -> None:
    files = [SEED, page_path("tfeb_diagram_first.txt"), page_path("sqstm1_markdown_cells.txt")]
    first = import_pages(db, files)
    before = _contents(db)
    second = import_pages(db, files)
    assert _contents(db) == before
    assert all(p.changed for p in first.pages)
    assert not any(p.changed for p in second.pages)
    assert len(before["displayed_scores"]) == 2 + 4 + 3


def test_a_changed_page_replaces_its_text_and_scores(db: Database, tmp_path: Path) -> None:
    copy = tmp_path / "tfeb.txt"
    shutil.copy(page_path("tfeb_diagram_first.txt"), copy)
    import_pages(db, [copy])
    text = copy.read_text(encoding="utf-8")
    last = text.rstrip("\n").splitlines()[-1]
    copy.write_text(text.replace(last + "\n", "").replace(">0.66<", ">0.70<"), encoding="utf-8")
    (summary,) = import_pages(db, [copy]).pages
    assert summary.changed
    with db.sessions() as session:
        shown = {(s.hypothesis_id, s.source): s.score for s in list_displayed_scores(session)}
        assert get_gene_page(session, name="tfeb").content == copy.read_text(encoding="utf-8")
    assert shown == {
        ("h-7f3a9c21", "infobox"): 0.66,
        ("h-0b84d5e2", "infobox"): 0.41,
        ("h-7f3a9c21", "exchange"): 0.70,
    }


def test_one_bad_file_refuses_the_whole_import(db: Database) -> None:
    bad = [page_path("no_infobox.txt"), page_path("tfeb_score_out_of_range.txt")]
    with pytest.raises(InvalidInputError) as caught:
        import_pages(db, [SEED, *bad])
    files = [problem.file for problem in caught.value.problems]
    assert files == [str(path) for path in bad]
    out_of_range = caught.value.problems[1]
    assert (out_of_range.line, out_of_range.record, out_of_range.field) == (
        16,
        "h-7f3a9c21",
        "exchange score",
    )
    assert all(rows == [] for rows in _contents(db).values())


def test_skip_invalid_writes_the_valid_files_and_reports_the_others(
    db: Database, tmp_path: Path
) -> None:
    binary = tmp_path / "binary.txt"
    binary.write_bytes(b"MTOR Gene\n\x00\x01")
    latin = tmp_path / "latin.txt"
    latin.write_bytes("TFEB Gene\nprotéine\n".encode("latin-1"))
    report = import_pages(db, [binary, SEED, latin, tmp_path / "missing.txt"], skip_invalid=True)
    assert [p.gene for p in report.pages] == ["MTOR"]
    assert [(p.file, p.line) for p in report.refused] == [
        (str(binary), 2),
        (str(latin), 2),
        (str(tmp_path / "missing.txt"), None),
    ]
    assert "NUL byte" in report.refused[0].message
    assert "not UTF-8" in report.refused[1].message
    assert "cannot read" in report.refused[2].message
    assert len(_contents(db)["gene_pages"]) == 1


def test_contradicting_ids_are_refused_and_stored_ids_kept(db: Database) -> None:
    import_pages(db, [SEED])
    before = _contents(db)
    other = page_path("mtor_other_wiki.txt")
    with pytest.raises(InvalidInputError) as caught:
        import_pages(db, [other])
    (problem,) = caught.value.problems
    assert problem.file == str(other)
    assert problem.field == "ncbi_gene_id"
    assert "2476" in problem.message and "2475" in problem.message
    assert _contents(db) == before


@pytest.mark.parametrize("seed_first", [True, False])
def test_contradiction_inside_one_batch_refuses_both_pages_in_any_order(
    db: Database, seed_first: bool
) -> None:
    """Issue 11, defect 9: which page wins must not depend on the order of the files; the
    pages disagree and nothing stores the id yet, so neither is believed, and both are named."""
    other = page_path("mtor_other_wiki.txt")
    files = [SEED, other] if seed_first else [other, SEED]
    with pytest.raises(InvalidInputError, match="NCBI Gene ID 2476 disagrees with 2475") as caught:
        import_pages(db, files)
    assert {p.file for p in caught.value.problems} == {str(SEED), str(other)}
    assert all(rows == [] for rows in _contents(db).values())
    report = import_pages(db, files, skip_invalid=True)
    assert report.pages == ()
    assert sorted((p.file, p.field) for p in report.refused) == sorted(
        [(str(SEED), "ncbi_gene_id"), (str(other), "ncbi_gene_id")]
    )
    with db.sessions() as session:
        assert session.scalar(select(Gene.ncbi_gene_id)) is None


def test_two_files_with_one_page_name_are_refused(db: Database, tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    twin = tmp_path / "a" / SEED.name
    shutil.copy(SEED, twin)
    with pytest.raises(InvalidInputError, match="page name 'mtor_seed' is also the name of"):
        import_pages(db, [SEED, twin])


def test_value_too_long_for_its_column_is_refused(db: Database, tmp_path: Path) -> None:
    page = tmp_path / "long.txt"
    text = page_path("tfeb_diagram_first.txt").read_text(encoding="utf-8")
    page.write_text(text.replace("~53 kDa", "k" * 70), encoding="utf-8")
    with pytest.raises(InvalidInputError) as caught:
        import_pages(db, [page])
    assert [p.field for p in caught.value.problems] == ["molecular_weight"]


def test_huge_file_is_refused_before_it_is_read(tmp_path: Path) -> None:
    huge = tmp_path / "huge.txt"
    with huge.open("wb") as handle:
        handle.truncate(MAX_PAGE_BYTES + 1)
    with pytest.raises(PageError, match=rf"huge.txt: file is {MAX_PAGE_BYTES + 1} bytes"):
        load_page(huge)


def test_write_page_checks_ids_itself(db: Database) -> None:
    import_pages(db, [SEED])
    with pytest.raises(InvalidInputError, match="contradicts"), db.transaction() as session:
        write_page(session, load_page(page_path("mtor_other_wiki.txt")))


def test_progress_follows_reading_then_writing(db: Database) -> None:
    files = [SEED, page_path("tfeb_diagram_first.txt"), page_path("tfeb_score_out_of_range.txt")]
    seen: list[tuple[str, int, int]] = []
    report = import_pages(db, files, skip_invalid=True, on_progress=lambda *step: seen.append(step))
    written = len(report.pages)
    assert written == 2  # the third file is refused, so it is read but never written
    assert seen == [
        *[("reading", done, 3) for done in range(4)],
        *[("writing", done, written) for done in range(written + 1)],
    ]


def test_a_refused_import_stops_after_reading(db: Database) -> None:
    seen: list[tuple[str, int, int]] = []
    with pytest.raises(InvalidInputError):
        import_pages(
            db,
            [SEED, page_path("tfeb_score_out_of_range.txt")],
            on_progress=lambda *step: seen.append(step),
        )
    assert [phase for phase, _, _ in seen] == ["reading"] * 3
