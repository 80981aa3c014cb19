"""Importing valid hypothesis files: what is stored, updates in place, and re-imports."""

from __future__ import annotations

import copy
from datetime import date
from pathlib import Path

import yaml
from sqlalchemy import select

from common.dates import PartialDate
from common.drug_status import StatusChange
from debates.case import Case, GeneFacts
from storage.db import Database
from storage.importing import import_hypotheses
from storage.models import Disease, Drug, EvidenceItem, Gene, Hypothesis
from storage.queries.knowledge import get_gene, get_hypothesis, upsert_gene
from tests.conftest import REPO_ROOT
from tests.storage.importing.helpers import (
    BASE,
    EXAMPLE,
    base_document,
    dump_database,
    write_json,
    write_yaml,
)
from workers.cases import load_case

CURATED = REPO_ROOT / "hyposcore" / "data" / "hypotheses.yaml"


def test_base_file_is_stored_as_written(db: Database) -> None:
    report = import_hypotheses(db, BASE)

    assert (report.hypotheses.created, report.genes.created, report.drugs.created) == (2, 2, 1)
    assert report.evidence.added == 3 and report.diseases_created == 1
    with db.sessions() as session:
        hypothesis = get_hypothesis(session, hypothesis_id="h-51e7234f")
        assert hypothesis.title == "APOE-Dependent Autophagy Restoration"
        assert [g.symbol for g in hypothesis.genes] == ["APOE", "MTOR"]
        assert [d.name for d in hypothesis.diseases] == ["Alzheimer's disease"]
        assert (hypothesis.status, hypothesis.intervention_type) == ("open", "small-molecule")
        assert [(e.citation, e.pmid, e.doi) for e in hypothesis.evidence] == [
            ("PMID:20376313", "20376313", None),
            ("DOI:10.1523/jneurosci.0777-14.2014", None, "10.1523/jneurosci.0777-14.2014"),
        ]
        first = hypothesis.evidence[0]
        assert (first.direction, first.study_type, first.organism, first.year) == (
            "supports",
            "animal-model",
            "mouse",
            2010,
        )
        mtor = get_gene(session, symbol="mtor")
        assert (mtor.ncbi_gene_id, mtor.protein_length, mtor.location) == ("2475", 2549, "1p36.22")
        assert mtor.functions == [{"target": "ULK1", "function": "Autophagy initiation"}]
        assert [d.name for d in mtor.drugs] == ["Sirolimus (rapamycin)"]
        # "ALZHEIMER'S DISEASE" in the second hypothesis is the same disease, not a new one.
        assert session.scalar(select(Disease.name)) == "Alzheimer's disease"
        other = get_hypothesis(session, hypothesis_id="h-7f3e9a21")
        assert [d.name for d in other.diseases] == ["Alzheimer's disease"]
        assert other.evidence[0].replicated is True


def test_importing_the_same_file_twice_changes_nothing(db: Database) -> None:
    import_hypotheses(db, BASE)
    before = dump_database(db)

    again = import_hypotheses(db, BASE)

    assert dump_database(db) == before  # includes every updated_at
    assert (again.hypotheses.unchanged, again.genes.unchanged, again.drugs.unchanged) == (2, 2, 1)
    assert again.evidence.unchanged == 3 and not again.changed


def test_reimport_updates_in_place_and_replaces_evidence_by_citation(
    db: Database, tmp_path: Path
) -> None:
    import_hypotheses(db, BASE)
    with db.sessions() as session:
        stamps = dict(session.execute(select(Hypothesis.id, Hypothesis.updated_at)).all())
        kept_id = session.scalar(
            select(EvidenceItem.id).where(EvidenceItem.citation == "PMID:20376313")
        )
    doc = base_document()
    edited = doc["hypotheses"][0]
    edited["title"] = "APOE-Dependent Autophagy Restoration (revised)"
    edited["evidence"][0]["claim"] = "Rapamycin lowered amyloid-beta 42 in PDAPP mice."
    edited["evidence"][1] = {
        "citation": "pmid: 29365294",
        "claim": "Solanezumab did not slow decline in mild Alzheimer's dementia.",
        "direction": "contradicts",
        "study_type": "rct",
        "sample_size": 2129,
    }

    report = import_hypotheses(db, write_yaml(tmp_path, doc))

    assert (report.hypotheses.updated, report.hypotheses.unchanged) == (1, 1)
    assert (report.evidence.added, report.evidence.updated, report.evidence.removed) == (1, 1, 1)
    with db.sessions() as session:
        hypothesis = get_hypothesis(session, hypothesis_id="h-51e7234f")
        assert hypothesis.title.endswith("(revised)")
        assert [(e.id == kept_id, e.citation) for e in hypothesis.evidence] == [
            (True, "PMID:20376313"),
            (False, "PMID:29365294"),
        ]
        assert hypothesis.evidence[0].claim == "Rapamycin lowered amyloid-beta 42 in PDAPP mice."
        assert hypothesis.updated_at > stamps["h-51e7234f"]
        assert hypothesis.created_at < hypothesis.updated_at
        untouched = session.get(Hypothesis, "h-7f3e9a21")
        assert untouched is not None and untouched.updated_at == stamps["h-7f3e9a21"]


def test_a_changed_gene_list_alone_counts_as_an_update(db: Database, tmp_path: Path) -> None:
    import_hypotheses(db, BASE)
    doc = base_document()
    doc["hypotheses"][1]["genes"] = ["APOE", "MTOR"]

    report = import_hypotheses(db, write_yaml(tmp_path, doc))

    assert report.hypotheses.updated == 1
    with db.sessions() as session:
        genes = get_hypothesis(session, hypothesis_id="h-7f3e9a21").genes
        assert [g.symbol for g in genes] == ["APOE", "MTOR"]


def test_gene_records_fill_in_but_never_erase(db: Database, tmp_path: Path) -> None:
    with db.transaction() as session:
        upsert_gene(session, symbol="APOE", location="19q13.32", omim_id="107741")
    doc = base_document()
    doc["genes"][1]["omim_id"] = 107741  # a number in the file, text in the database

    report = import_hypotheses(db, write_yaml(tmp_path, doc))

    assert (report.genes.created, report.genes.updated) == (1, 1)
    with db.sessions() as session:
        apoe = get_gene(session, symbol="APOE")
        assert (apoe.location, apoe.omim_id, apoe.ncbi_gene_id) == ("19q13.32", "107741", "348")
        assert [d.name for d in apoe.diseases] == ["Alzheimer's disease"]


def test_genes_and_drugs_already_in_the_database_may_be_named(db: Database, tmp_path: Path) -> None:
    import_hypotheses(db, BASE)
    doc = base_document()
    for section in ("drugs", "genes"):
        del doc[section]
    doc["hypotheses"][0]["title"] = "Renamed without restating its genes"

    report = import_hypotheses(db, write_yaml(tmp_path, doc))

    assert report.hypotheses.updated == 1 and report.genes.total == 0


def test_json_and_yaml_import_the_same(db: Database, tmp_path: Path) -> None:
    import_hypotheses(db, write_json(tmp_path, base_document()))
    from_json = dump_database(db)
    import_hypotheses(db, BASE)
    assert dump_database(db) == from_json


def test_skip_invalid_writes_the_valid_records_and_reports_the_rest(
    db: Database, tmp_path: Path
) -> None:
    doc = base_document()
    doc["genes"][1]["protein_length"] = -1  # APOE is invalid ...
    doc["hypotheses"][1]["evidence"][0]["direction"] = "maybe"
    doc["hypotheses"].append({**copy.deepcopy(doc["hypotheses"][1]), "id": "h-00aa11bb"})
    doc["hypotheses"][2]["evidence"][0]["direction"] = "supports"
    doc["hypotheses"][2]["genes"] = ["APOE"]  # ... so this one, valid itself, cannot be written
    doc["hypotheses"][0]["genes"] = ["MTOR"]
    path = write_yaml(tmp_path, doc)

    report = import_hypotheses(db, path, skip_invalid=True)

    assert report.skipped_records == [
        "genes[1] (APOE)",
        "hypotheses[1] (h-7f3e9a21)",
        "hypotheses[2] (h-00aa11bb)",
    ]
    assert {(p.record, p.field) for p in report.problems} == {
        ("genes[1] (APOE)", "protein_length"),
        ("hypotheses[1] (h-7f3e9a21)", "evidence[0].direction"),
        ("hypotheses[2] (h-00aa11bb)", "genes[0]"),
    }
    with db.sessions() as session:
        assert list(session.scalars(select(Hypothesis.id))) == ["h-51e7234f"]
        assert list(session.scalars(select(Gene.symbol))) == ["MTOR"]
        assert list(session.scalars(select(Drug.name))) == ["Sirolimus (rapamycin)"]


def test_the_documented_example_imports(db: Database) -> None:
    report = import_hypotheses(db, EXAMPLE)

    assert report.problems == [] and report.hypotheses.created == 2
    with db.sessions() as session:
        refuted = get_hypothesis(session, hypothesis_id="h-9c3a51d0")
        assert refuted.status == "refuted" and refuted.resolved_on == date(2018, 1, 25)
        assert (
            refuted.resolution_source is not None and "PMID:29365294" in refuted.resolution_source
        )
        assert {e.direction for e in refuted.evidence} == {"supports", "contradicts"}


def test_the_curated_dataset_imports_cleanly_and_idempotently(db: Database) -> None:
    report = import_hypotheses(db, CURATED)
    assert report.problems == [] and report.hypotheses.created > 0
    before = dump_database(db)
    assert not import_hypotheses(db, CURATED).changed
    assert dump_database(db) == before


def test_hypotheses_missing_from_a_later_file_are_left_alone(db: Database, tmp_path: Path) -> None:
    import_hypotheses(db, BASE)
    doc = base_document()
    del doc["hypotheses"][1]

    report = import_hypotheses(db, write_yaml(tmp_path, doc))

    assert report.hypotheses.total == 1
    with db.sessions() as session:
        assert get_hypothesis(session, hypothesis_id="h-7f3e9a21").evidence != []


def test_a_file_without_a_known_suffix_is_sniffed(db: Database, tmp_path: Path) -> None:
    as_json = write_json(tmp_path, base_document(), name="hypotheses.txt")
    assert import_hypotheses(db, as_json).hypotheses.created == 2


def test_the_documented_example_has_ids_of_its_own() -> None:
    # Importing the example next to the bundled data must not overwrite a bundled hypothesis.
    def ids(path: Path) -> set[str]:
        return {h["id"] for h in yaml.safe_load(path.read_text(encoding="utf-8"))["hypotheses"]}

    bundled = Path(__file__).resolve().parents[3] / "hyposcore" / "data" / "hypotheses.yaml"
    assert ids(EXAMPLE) and not ids(EXAMPLE) & ids(bundled)


def test_publication_dates_and_the_resolving_citation_are_stored(
    db: Database, tmp_path: Path
) -> None:
    document = base_document()
    hypothesis = document["hypotheses"][0]
    hypothesis["evidence"][0].pop("year", None)
    hypothesis["evidence"][0]["published"] = "2010-04-07"
    hypothesis["evidence"][1].pop("year", None)
    hypothesis["evidence"][1]["published"] = "2014-06"
    hypothesis["status"] = "validated"
    hypothesis["resolution"] = {
        "source": "a trial (doi:10.1523/JNEUROSCI.0777-14.2014)",
        "date": date(2015, 1, 2),
        "citation": "doi:10.1523/JNEUROSCI.0777-14.2014",
    }
    import_hypotheses(db, write_yaml(tmp_path, document))
    with db.sessions() as session:
        stored = get_hypothesis(session, hypothesis_id=hypothesis["id"])
        dates = [(e.year, e.month, e.day) for e in stored.evidence]
        resolving = stored.resolution_citation
    assert dates == [(2010, 4, 7), (2014, 6, None)]
    assert resolving == "DOI:10.1523/jneurosci.0777-14.2014"


def _case(db: Database, hypothesis_id: str) -> Case:
    with db.sessions() as session:
        return load_case(session, hypothesis_id=hypothesis_id)


def _mtor(db: Database) -> GeneFacts:
    """MTOR as the case of the MTOR page's hypothesis carries it."""
    return next(gene for gene in _case(db, "h-51e7234f").genes if gene.symbol == "MTOR")


def _stored_drug(db: Database) -> tuple[str | None, tuple[StatusChange, ...]]:
    """Sirolimus's status as stored, and its history as the debate's case carries it."""
    with db.sessions() as session:
        drug = session.scalars(select(Drug).where(Drug.name == "Sirolimus (rapamycin)")).one()
        status = drug.approval_status
    return status, _mtor(db).drugs[0].status_history


def test_a_drugs_dated_status_history_reaches_its_case(db: Database, tmp_path: Path) -> None:
    document = base_document()
    drug = document["drugs"][0]
    del drug["approval_status"]  # the history alone says where the drug stands now
    drug["status_history"] = [
        {"status": "investigational", "since": 1995},
        {"status": "approved", "since": "1999-09-15"},
    ]
    path = write_yaml(tmp_path, document)
    import_hypotheses(db, path)
    assert _stored_drug(db) == (
        "approved",
        (
            StatusChange("investigational", PartialDate(1995)),
            StatusChange("approved", PartialDate(1999, 9, 15)),
        ),
    )
    assert import_hypotheses(db, path).drugs.unchanged == 1


def test_a_new_status_without_its_date_drops_the_stale_history(
    db: Database, tmp_path: Path
) -> None:
    document = base_document()
    document["drugs"][0]["status_history"] = [{"status": "approved", "since": 1999}]
    import_hypotheses(db, write_yaml(tmp_path, document, "dated.yaml"))
    # Withdrawn, but when? A history still ending in "approved" would show an as-of debate
    # after the withdrawal an approved drug, so the undated status is hidden from them all.
    document["drugs"][0] = {"name": "Sirolimus (rapamycin)", "approval_status": "withdrawn"}
    report = import_hypotheses(db, write_yaml(tmp_path, document, "undated.yaml"))
    assert report.drugs.updated == 1
    assert _stored_drug(db) == ("withdrawn", ())


def _replication(db: Database) -> tuple[bool | None, PartialDate | None]:
    """The APOE4 finding's replication as the debate's case carries it."""
    evidence = _case(db, "h-7f3e9a21").evidence
    found = next(item for item in evidence if item.citation == "DOI:10.1126/science.8346443")
    return found.replicated, found.replicated_since


def test_a_dated_replication_reaches_its_case_and_a_changed_date_updates_it(
    db: Database, tmp_path: Path
) -> None:
    document = base_document()
    apoe4 = document["hypotheses"][1]["evidence"][0]
    apoe4["replicated_since"] = "1993-11"
    path = write_yaml(tmp_path, document, "dated.yaml")
    import_hypotheses(db, path)
    assert _replication(db) == (True, PartialDate(1993, 11))
    assert import_hypotheses(db, path).evidence.updated == 0
    del apoe4["replicated_since"]  # the file is the evidence's source: undated is undated
    report = import_hypotheses(db, write_yaml(tmp_path, document, "undated.yaml"))
    assert report.evidence.updated == 1
    assert _replication(db) == (True, None)


def _links(db: Database) -> tuple[tuple[str, ...], tuple[tuple[str, PartialDate], ...]]:
    """MTOR's diseases and its dated links, as the debate's case carries them."""
    mtor = _mtor(db)
    return mtor.diseases, mtor.linked_since


def test_a_dated_disease_link_reaches_its_case_and_an_undated_one_keeps_it(
    db: Database, tmp_path: Path
) -> None:
    document = base_document()
    mtor = document["genes"][0]
    mtor["diseases"] = [
        {"name": "Alzheimer's disease", "since": "2010-04"},
        "Tuberous sclerosis complex",
    ]
    path = write_yaml(tmp_path, document, "dated.yaml")
    import_hypotheses(db, path)
    dated = (("Alzheimer's disease", "Tuberous sclerosis complex"),)
    assert _links(db) == (*dated, (("Alzheimer's disease", PartialDate(2010, 4)),))
    assert import_hypotheses(db, path).genes.updated == 0
    # A file that names the link undated adds to what is stored, as gene records do.
    mtor["diseases"] = ["Alzheimer's disease"]
    assert import_hypotheses(db, write_yaml(tmp_path, document, "undated.yaml")).genes.updated == 0
    assert _links(db)[1] == (("Alzheimer's disease", PartialDate(2010, 4)),)
    mtor["diseases"] = [{"name": "Alzheimer's disease", "since": 2009}]
    redated = import_hypotheses(db, write_yaml(tmp_path, document, "redated.yaml"))
    assert redated.genes.updated == 1
    assert _links(db)[1] == (("Alzheimer's disease", PartialDate(2009)),)


def test_a_drugs_dated_reach_into_the_brain_reaches_its_case(db: Database, tmp_path: Path) -> None:
    document = base_document()
    document["drugs"][0].update(brain_penetrant=True, brain_penetrant_since="2001-08")
    path = write_yaml(tmp_path, document)
    import_hypotheses(db, path)
    sirolimus = _mtor(db).drugs[0]
    assert (sirolimus.brain_penetrant, sirolimus.brain_penetrant_since) == (
        True,
        PartialDate(2001, 8),
    )
    assert import_hypotheses(db, path).drugs.unchanged == 1
