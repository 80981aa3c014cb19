"""The real MTOR page: every fact the infobox, the references and the Exchange list carry."""

from __future__ import annotations

import pytest

from storage.models import ScoreSource
from tests.wiki.pages import SEED, page_text
from wiki.genepage import ParsedGenePage, parse_gene_page


@pytest.fixture(scope="module")
def seed() -> ParsedGenePage:
    return parse_gene_page(page_text(SEED.name), source=str(SEED))


def test_gene_facts(seed: ParsedGenePage) -> None:
    assert seed.title == "MTOR Gene"
    assert seed.symbol == "MTOR"
    assert seed.full_name == "Mechanistic Target of Rapamycin"
    assert seed.location == "1p36.22"
    assert seed.ids() == {
        "ncbi_gene_id": "2475",
        "ensembl_id": "ENSG00000164362",
        "uniprot_id": "P42345",
        "omim_id": "601231",
    }
    assert seed.protein_length == 2549
    assert seed.molecular_weight == "~289 kDa"
    assert seed.kg_edges == 4198


def test_the_complete_copy_after_the_preview_is_read(seed: ParsedGenePage) -> None:
    text = page_text(SEED.name)
    assert text.count("MTOR Gene\n<table") == 2
    assert seed.body_start == text.index("\n...\n") + len("\n...\n")
    assert seed.infobox_span[0] > seed.body_start
    # The preview breaks off inside Everolimus's row; the full copy has its mechanism.
    everolimus = next(d for d in seed.drugs if d.name == "Everolimus")
    assert everolimus.mechanism == "mTORC1/2 inhibitor"
    assert any("truncated preview" in p.message and p.line == 1 for p in seed.problems)


def test_target_function_rows(seed: ParsedGenePage) -> None:
    assert [(f.target, f.function) for f in seed.functions] == [
        ("S6K1", "Protein synthesis"),
        ("4E-BP1", "Translation initiation"),
        ("ULK1", "Autophagy initiation"),
        ("TFEB", "Lysosomal biogenesis"),
        ("SREBP", "Lipid synthesis"),
    ]


def test_drug_tables_merge_by_name_and_alias(seed: ParsedGenePage) -> None:
    drugs = {d.name: d for d in seed.drugs}
    assert list(drugs) == ["Rapamycin", "Everolimus", "Temsirolimus", "Torin 1", "AZD8055"]
    assert drugs["Rapamycin"].mechanism == "Allosteric mTORC1 inhibitor"
    assert drugs["Rapamycin"].target_complex == "mTORC1"
    assert "Sirolimus" in drugs["Rapamycin"].aliases
    # "RAD001 (Everolimus)" in the Drug/Target table is the Everolimus of Drug/Mechanism.
    assert drugs["Everolimus"].target_complex == "mTORC1"
    assert "RAD001" in drugs["Everolimus"].aliases
    assert drugs["Temsirolimus"].target_complex is None
    assert drugs["Torin 1"].mechanism is None
    assert drugs["AZD8055"].target_complex == "mTORC1/2"


def test_diseases_from_infobox_and_disease_section(seed: ParsedGenePage) -> None:
    assert seed.diseases[:5] == ("AD", "ADH", "ALS", "ALZHEIMER", "ALZHEIMER DISEASE")
    assert "Frontotemporal dementia" in seed.diseases
    folded = [d.casefold() for d in seed.diseases]
    assert len(folded) == len(set(folded))


def test_references_are_canonical_and_unique(seed: ParsedGenePage) -> None:
    keys = [r.citation for r in seed.references]
    assert len(keys) == len(set(keys)) == 12
    assert keys[0] == "DOI:10.1016/j.neuron.2021.07.025"
    assert "DOI:10.3233/jad-200137" in keys  # DOIs are lowercased
    assert "PMID:18451643" in keys
    takei = next(r for r in seed.references if r.citation == "PMID:18451643")
    assert takei.title.startswith("Takei N")


def test_both_displayed_scores_are_recorded_with_source_raw_and_span(seed: ParsedGenePage) -> None:
    text = page_text(SEED.name)
    by_source = {link.source: link for link in seed.displayed_scores}
    assert set(by_source) == {ScoreSource.INFOBOX, ScoreSource.EXCHANGE}
    infobox, exchange = by_source[ScoreSource.INFOBOX], by_source[ScoreSource.EXCHANGE]
    assert infobox.hypothesis_id == exchange.hypothesis_id == "h-51e7234f"
    assert (infobox.score, exchange.score) == (0.80, 0.73)
    assert infobox.line == 212 and exchange.line == 344
    assert text[slice(*infobox.span)] == infobox.raw
    assert 'title="Score: 0.80"' in infobox.raw
    assert text[slice(*infobox.value_span or (0, 0))] == "Score: 0.80"
    assert text[slice(*exchange.span)] == exchange.raw
    assert exchange.raw.startswith("- [APOE-Dependent Autophagy Restoration](/hypothesis/")
    assert text[slice(*exchange.value_span or (0, 0))] == "0.73"
    assert exchange.title == "APOE-Dependent Autophagy Restoration"


def test_the_disagreement_is_reported_not_reconciled(seed: ParsedGenePage) -> None:
    messages = [p.message for p in seed.problems]
    assert any("h-51e7234f shows 0.80 in the infobox but 0.73" in m for m in messages)


def test_infobox_rows_are_kept_as_shown(seed: ParsedGenePage) -> None:
    rows = [(row.label, row.value) for row in seed.infobox_rows]
    assert rows[0] == ("Symbol", "MTOR")
    assert ("Target", "Function") in rows
    assert rows.count(("Drug", "Target")) == 1
    assert rows[-1] == ("KG Connections", "4198 edges")
