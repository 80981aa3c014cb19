"""The curated dataset shipped in the package: its own invariants, read straight from the YAML.

The dataset is two files imported in order (``hyposcore.data.HYPOTHESIS_FILES``): the curated
hypotheses, and the resolved set the backtest grades. Whether the importer accepts them is
tested with the importer; these tests pin down what the curation promises (docs/dataset.md):
coverage, canonical citations, consistent names, resolved hypotheses with their sources and
earlier evidence, and a documented source for every citation.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from importlib import resources
from typing import Any

import pytest
import yaml

from common.citations import normalize_citation
from hyposcore.data import HYPOTHESIS_FILES
from tests.conftest import FIXTURES, REPO_ROOT

SEED_ID = "h-51e7234f"
REQUIRED_GENES = {"MTOR", "TREM2", "APOE", "SNCA", "GBA1", "LRRK2"}
DISEASES = {
    "Alzheimer's disease",
    "Parkinson's disease",
    "Dementia with Lewy bodies",
    "Amyotrophic lateral sclerosis",
    "Frontotemporal dementia",
    "Tuberous sclerosis complex",
    "Huntington's disease",
    "Spinal muscular atrophy",
    "Progressive supranuclear palsy",
}
# The values of the format (docs/hypotheses-format.md), spelled out so a typo fails here.
DIRECTIONS = {"supports", "contradicts"}
STUDY_TYPES = {
    "meta-analysis",
    "rct",
    "human-cohort",
    "human-genetics",
    "animal-model",
    "in-vitro",
    "computational",
    "review",
}
INTERVENTIONS = {
    "small-molecule",
    "antibody",
    "gene-therapy",
    "antisense",
    "cell-therapy",
    "lifestyle",
    "other",
}
APPROVAL = {"approved", "investigational", "withdrawn", "discontinued", "preclinical"}
STRONG_HUMAN = {"meta-analysis", "rct", "human-genetics"}

SECTION_FIELDS = {
    "drugs": {
        "name",
        "mechanism",
        "target_complex",
        "approval_status",
        "brain_penetrant",
        "brain_penetrant_since",
        "status_history",
    },
    "genes": {
        "symbol",
        "full_name",
        "location",
        "ncbi_gene_id",
        "ensembl_id",
        "uniprot_id",
        "omim_id",
        "protein_length",
        "functions",
        "drugs",
        "diseases",
    },
    "hypotheses": {
        "id",
        "title",
        "statement",
        "genes",
        "diseases",
        "intervention_type",
        "status",
        "resolution",
        "evidence",
    },
}
EVIDENCE_FIELDS = {
    "citation",
    "claim",
    "direction",
    "study_type",
    "organism",
    "year",
    "sample_size",
    "replicated",
    "replicated_since",
}
SECTIONS = ("drugs", "genes", "hypotheses")
RESOLVED_AT_LEAST = 40
GENES_OF_RESOLVED_AT_LEAST = 10
CITATION_IN_TEXT = re.compile(r"(PMID:\d+|DOI:10\.\d{4,9}/[^\s,;]+)", re.IGNORECASE)
SENTENCE_END = re.compile(r"[.!?](?:\s|$)")


def _load(name: str) -> dict[str, Any]:
    text = resources.files("hyposcore.data").joinpath(name).read_text("utf-8")
    data = yaml.safe_load(text)
    assert isinstance(data, dict)
    return data


@pytest.fixture(scope="module")
def files() -> dict[str, dict[str, Any]]:
    return {name: _load(name) for name in HYPOTHESIS_FILES}


@pytest.fixture(scope="module")
def dataset(files: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The first file: the curated hypotheses the demo's pages and examples are built on."""
    return files[HYPOTHESIS_FILES[0]]


@pytest.fixture(scope="module")
def resolved_set(files: dict[str, dict[str, Any]]) -> dict[str, Any]:
    return files["resolved.yaml"]


@pytest.fixture(scope="module")
def combined(files: dict[str, dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Every file's sections joined, as the database holds them after importing both."""
    return {section: [r for data in files.values() for r in data[section]] for section in SECTIONS}


@pytest.fixture(scope="module")
def hypotheses(combined: dict[str, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    return combined["hypotheses"]


def _by_id(hypotheses: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {h["id"]: h for h in hypotheses}


def _sentences(text: str) -> int:
    return len(SENTENCE_END.findall(text.strip()))


def _keys_in(text: str) -> set[str]:
    keys = set()
    for token in CITATION_IN_TEXT.findall(text):
        # A closing bracket after a key belongs to the prose, unless the DOI opened one itself.
        while token.endswith(")") and token.count(")") > token.count("("):
            token = token[:-1]
        key = normalize_citation(token)
        assert key is not None, token
        keys.add(key)
    return keys


def test_the_files_ship_as_package_data_in_format_version_1(
    files: dict[str, dict[str, Any]],
) -> None:
    for data in files.values():
        assert data["version"] == 1
        assert set(data) == {"version", *SECTIONS}


def test_records_use_only_the_fields_of_the_format(
    combined: dict[str, list[dict[str, Any]]],
) -> None:
    for section, allowed in SECTION_FIELDS.items():
        for record in combined[section]:
            assert set(record) <= allowed, (section, record.get("name") or record.get("symbol"))
    for hypothesis in combined["hypotheses"]:
        for item in hypothesis["evidence"]:
            assert set(item) <= EVIDENCE_FIELDS, (hypothesis["id"], item["citation"])
            assert {"citation", "claim", "direction", "study_type"} <= set(item)


def test_counts_and_gene_coverage(
    dataset: dict[str, Any], hypotheses: list[dict[str, Any]]
) -> None:
    curated = dataset["hypotheses"]
    assert SEED_ID in _by_id(curated)
    assert len(curated) >= 16
    covered = {symbol for h in curated for symbol in h["genes"]}
    assert covered >= REQUIRED_GENES
    for hypothesis in hypotheses:
        assert 3 <= len(hypothesis["evidence"]) <= 10, hypothesis["id"]


def test_the_resolved_set_is_large_and_mixed_enough_to_grade(
    resolved_set: dict[str, Any], hypotheses: list[dict[str, Any]]
) -> None:
    assert all(h["status"] != "open" for h in resolved_set["hypotheses"])
    resolved = [h for h in hypotheses if h["status"] != "open"]
    outcomes = Counter(h["status"] for h in resolved)
    genes = {symbol for h in resolved for symbol in h["genes"]}
    assert len(resolved) >= RESOLVED_AT_LEAST, outcomes
    assert len(genes) >= GENES_OF_RESOLVED_AT_LEAST, sorted(genes)
    assert min(outcomes["validated"], outcomes["refuted"]) >= 5, outcomes


def test_ids_are_unique_and_well_formed(hypotheses: list[dict[str, Any]]) -> None:
    ids = [h["id"] for h in hypotheses]
    assert len(ids) == len(set(ids))
    for hypothesis_id in ids:
        assert re.fullmatch(r"h-[0-9a-z]{4,32}", hypothesis_id), hypothesis_id


def test_every_citation_is_canonical_and_listed_once_per_hypothesis(
    hypotheses: list[dict[str, Any]],
) -> None:
    for hypothesis in hypotheses:
        citations = [item["citation"] for item in hypothesis["evidence"]]
        assert len(citations) == len(set(citations)), hypothesis["id"]
        for citation in citations:
            assert normalize_citation(citation) == citation, (hypothesis["id"], citation)


def test_evidence_values_are_in_the_format_vocabulary(hypotheses: list[dict[str, Any]]) -> None:
    this_year = dt.datetime.now(dt.UTC).year
    for hypothesis in hypotheses:
        assert hypothesis["intervention_type"] in INTERVENTIONS, hypothesis["id"]
        for item in hypothesis["evidence"]:
            where = (hypothesis["id"], item["citation"])
            assert item["direction"] in DIRECTIONS, where
            assert item["study_type"] in STUDY_TYPES, where
            assert isinstance(item["year"], int) and 1950 <= item["year"] <= this_year, where
            assert isinstance(item.get("sample_size", 1), int) and item.get("sample_size", 1) > 0
            assert isinstance(item.get("replicated", True), bool), where


def test_a_citation_has_the_same_year_wherever_it_is_used(
    hypotheses: list[dict[str, Any]],
) -> None:
    years: dict[str, set[int]] = {}
    for hypothesis in hypotheses:
        for item in hypothesis["evidence"]:
            years.setdefault(item["citation"], set()).add(item["year"])
    assert {key: found for key, found in years.items() if len(found) > 1} == {}


def test_claims_are_single_sentences_and_statements_two_to_four(
    hypotheses: list[dict[str, Any]],
) -> None:
    for hypothesis in hypotheses:
        assert 2 <= _sentences(hypothesis["statement"]) <= 4, hypothesis["id"]
        for item in hypothesis["evidence"]:
            assert _sentences(item["claim"]) == 1, (hypothesis["id"], item["citation"])


def test_resolved_hypotheses_carry_a_source_date_and_citation_and_open_ones_none(
    hypotheses: list[dict[str, Any]],
) -> None:
    statuses = Counter(h["status"] for h in hypotheses)
    assert set(statuses) <= {"open", "validated", "refuted"}
    assert statuses["refuted"] >= 2 and statuses["validated"] >= 2
    for hypothesis in hypotheses:
        resolution = hypothesis.get("resolution")
        if hypothesis["status"] == "open":
            assert resolution is None, hypothesis["id"]
            continue
        assert resolution is not None, f"{hypothesis['id']} is resolved but has no source"
        assert set(resolution) == {"source", "date", "citation"}, hypothesis["id"]
        # The resolving publication's key is the one its source text names.
        assert resolution["citation"].lower() in resolution["source"].lower(), hypothesis["id"]
        assert isinstance(resolution["date"], dt.date), hypothesis["id"]
        assert resolution["date"] <= dt.datetime.now(dt.UTC).date()


def test_a_resolution_cites_evidence_of_its_own_hypothesis_from_that_year(
    hypotheses: list[dict[str, Any]],
) -> None:
    for hypothesis in (h for h in hypotheses if h["status"] != "open"):
        resolution = hypothesis["resolution"]
        keys = _keys_in(resolution["source"])
        evidence = {item["citation"]: item for item in hypothesis["evidence"]}
        assert keys and keys <= set(evidence), hypothesis["id"]
        assert {evidence[key]["year"] for key in keys} == {resolution["date"].year}
        # A blind forecast needs something published before the answer was known.
        earlier = [i for i in hypothesis["evidence"] if i["year"] < resolution["date"].year]
        assert earlier, hypothesis["id"]


# A four-digit year, not a count ("in 2052 people").
_YEAR = re.compile(
    r"\b(1[89]\d\d|20\d\d)\b(?! (?:people|participants|patients|children|adults|subjects|cases))"
)


def test_no_text_a_blind_debate_reads_names_a_later_year(
    hypotheses: list[dict[str, Any]],
) -> None:
    # A blind debate reads each kept item's claim and the hypothesis's title and statement:
    # curated today, they must not carry what was learnt after the item (or the as-of date).
    for hypothesis in hypotheses:
        heading = f"{hypothesis['title']} {hypothesis['statement']}"
        assert not _YEAR.findall(heading), hypothesis["id"]
        for item in hypothesis["evidence"]:
            later = [int(y) for y in _YEAR.findall(item["claim"]) if int(y) > item["year"]]
            assert not later, (hypothesis["id"], item["citation"], later)


def test_refuted_hypotheses_rest_on_contradicting_trials(
    hypotheses: list[dict[str, Any]],
) -> None:
    for hypothesis in hypotheses:
        trials = {i["direction"] for i in hypothesis["evidence"] if i["study_type"] == "rct"}
        if hypothesis["status"] == "refuted":
            assert "contradicts" in trials, hypothesis["id"]
        if hypothesis["status"] == "validated":
            assert "supports" in trials, hypothesis["id"]


def test_the_mix_of_evidence_strength(hypotheses: list[dict[str, Any]]) -> None:
    strong = [
        h
        for h in hypotheses
        if sum(
            i["study_type"] in STRONG_HUMAN and i["direction"] == "supports" for i in h["evidence"]
        )
        >= 2
    ]
    preclinical_interventions = [
        h
        for h in hypotheses
        if h["intervention_type"] != "other"
        and not any(
            i["study_type"] in {"rct", "meta-analysis"} and i["direction"] == "supports"
            for i in h["evidence"]
        )
    ]
    contradicted_by_trials = [
        h
        for h in hypotheses
        if any(i["study_type"] == "rct" and i["direction"] == "contradicts" for i in h["evidence"])
    ]
    assert len(strong) >= 5
    assert len(preclinical_interventions) >= 3
    assert len(contradicted_by_trials) >= 4


def test_the_seed_hypothesis_matches_the_mtor_page(hypotheses: list[dict[str, Any]]) -> None:
    seed = _by_id(hypotheses)[SEED_ID]
    assert seed["title"] == "APOE-Dependent Autophagy Restoration"
    assert seed["genes"][0] == "MTOR" and "APOE" in seed["genes"]
    assert seed["diseases"] == ["Alzheimer's disease"]
    assert seed["status"] == "open"
    citations = {item["citation"] for item in seed["evidence"]}
    # Caccamo et al. 2010 (J Biol Chem) and Spilman et al. 2010 (PLoS One), both rapamycin.
    assert {"DOI:10.1074/jbc.m110.100420", "DOI:10.1371/journal.pone.0009979"} <= citations
    assert any(item["direction"] == "contradicts" for item in seed["evidence"])
    page = (FIXTURES / "pages" / "mtor_seed.txt").read_text("utf-8")
    assert SEED_ID in page and seed["title"] in page


def test_mtor_facts_match_the_values_on_its_page(dataset: dict[str, Any]) -> None:
    mtor = next(g for g in dataset["genes"] if g["symbol"] == "MTOR")
    assert (
        mtor["ncbi_gene_id"],
        mtor["ensembl_id"],
        mtor["uniprot_id"],
        mtor["omim_id"],
        mtor["location"],
        mtor["protein_length"],
    ) == ("2475", "ENSG00000164362", "P42345", "601231", "1p36.22", 2549)
    page = (FIXTURES / "pages" / "mtor_seed.txt").read_text("utf-8")
    for value in ("2475", "ENSG00000164362", "P42345", "601231", "1p36.22", "2549"):
        assert value in page
    for row in mtor["functions"]:
        assert row["target"] in page and row["function"] in page


def test_genes_and_drugs_are_defined_once_and_every_reference_resolves(
    dataset: dict[str, Any], combined: dict[str, list[dict[str, Any]]]
) -> None:
    drugs = [d["name"] for d in combined["drugs"]]
    symbols = [g["symbol"] for g in combined["genes"]]
    assert len({d.lower() for d in drugs}) == len(drugs)
    assert len({s.upper() for s in symbols}) == len(symbols)
    for drug in combined["drugs"]:
        assert drug["approval_status"] in APPROVAL, drug["name"]
        assert isinstance(drug.get("brain_penetrant", False), bool), drug["name"]
    # The curated file's genes carry every identifier; a later file's only those it could verify.
    assert all({"ncbi_gene_id", "omim_id", "ensembl_id"} <= set(g) for g in dataset["genes"])
    for gene in combined["genes"]:
        assert set(gene.get("drugs", [])) <= set(drugs), gene["symbol"]
        # Quoted in the file so that YAML keeps them as text, like the other identifiers.
        for field in ("ncbi_gene_id", "omim_id"):
            assert isinstance(gene.get(field, "1"), str) and gene.get(field, "1").isdigit()
        assert re.fullmatch(r"ENSG\d{11}", gene.get("ensembl_id", "ENSG" + "0" * 11))
    used = {symbol for h in combined["hypotheses"] for symbol in h["genes"]}
    assert used <= set(symbols)
    assert set(symbols) <= used, "a gene no hypothesis uses"
    assert {d for g in combined["genes"] for d in g.get("drugs", [])} == set(drugs)


def test_diseases_are_named_from_one_vocabulary(
    combined: dict[str, list[dict[str, Any]]],
) -> None:
    # A gene's disease is its name, or {name, since} to date the link.
    named = {
        d if isinstance(d, str) else d["name"]
        for g in combined["genes"]
        for d in g.get("diseases", [])
    }
    named |= {d for h in combined["hypotheses"] for d in h["diseases"]}
    assert named <= DISEASES
    assert all(h["diseases"] for h in combined["hypotheses"])


def test_docs_list_every_citation(hypotheses: list[dict[str, Any]]) -> None:
    docs = (REPO_ROOT / "docs" / "dataset.md").read_text("utf-8")
    listed = _keys_in(docs)
    used = {item["citation"] for h in hypotheses for item in h["evidence"]}
    assert used - listed == set()
    assert listed - used == set(), "docs list a citation the dataset no longer uses"
