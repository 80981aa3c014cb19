"""``load_case``: ledger rows become the plain case a debate reads, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, select, update

from common.dates import PartialDate
from common.drug_status import StatusChange
from debates.case import Case, DrugFact, Evidence, GeneFacts
from storage.db import Database
from storage.errors import NotFoundError
from storage.models import Disease, Drug, EvidenceItem, Gene, Hypothesis
from storage.models.knowledge import gene_diseases
from workers.cases import load_case, load_cases


@pytest.fixture
def stored(db: Database) -> Database:
    with db.transaction() as session:
        alzheimers = Disease(slug="alzheimers-disease", name="Alzheimer's disease")
        cancer = Disease(slug="cancer", name="Cancer")
        mtor = Gene(
            symbol="MTOR",
            full_name="mechanistic target of rapamycin kinase",
            kg_edges=412,
            infobox={},
            functions=[{"target": "mTORC1", "function": "growth signalling"}, ["mTORC2", "AKT"]],
            references=[],
        )
        mtor.diseases = [cancer, alzheimers]
        mtor.drugs = [
            Drug(
                name="Rapamycin",
                mechanism="allosteric inhibitor",
                brain_penetrant=True,
                brain_penetrant_since="2001",
            ),
            Drug(
                name="Everolimus",
                approval_status="approved",
                target_complex="mTORC1",
                status_history='[["investigational","2002"],["approved","2009-03-30"]]',
            ),
        ]
        apoe = Gene(symbol="APOE", infobox={}, functions=[], references=[])
        hypothesis = Hypothesis(
            id="h-51e7234f",
            title="APOE-Dependent Autophagy Restoration",
            statement="Restoring autophagy rescues APOE4 neurons.",
            intervention_type="small-molecule",
            genes=[mtor, apoe],
            diseases=[alzheimers],
        )
        hypothesis.evidence = [
            EvidenceItem(
                citation="PMID:2",
                pmid="2",
                claim="Rapamycin restores autophagy",
                direction="supports",
                study_type="animal-model",
                organism="mouse",
                year=2019,
                sample_size=24,
                replicated=True,
                replicated_since="2020-02",
            ),
            EvidenceItem(
                citation="DOI:10.1000/x.1",
                doi="10.1000/x.1",
                claim="No benefit at 12 months",
                direction="contradicts",
                study_type="in-vitro",
            ),
        ]
        session.add(hypothesis)
        session.add(Hypothesis(id="h-bare", title="Bare", statement=""))
        session.flush()
        cancer_link = (gene_diseases.c.gene_id == mtor.id) & (
            gene_diseases.c.disease_id == cancer.id
        )
        session.execute(update(gene_diseases).where(cancer_link).values(linked_since="1994-06"))
    return db


def test_load_case_builds_the_whole_case(stored: Database) -> None:
    with stored.sessions() as session:
        case = load_case(session, hypothesis_id="h-51e7234f")
    assert case == Case(
        hypothesis_id="h-51e7234f",
        title="APOE-Dependent Autophagy Restoration",
        statement="Restoring autophagy rescues APOE4 neurons.",
        intervention_type="small-molecule",
        diseases=("Alzheimer's disease",),
        genes=(
            GeneFacts(symbol="APOE"),
            GeneFacts(
                symbol="MTOR",
                full_name="mechanistic target of rapamycin kinase",
                functions=(("mTORC1", "growth signalling"), ("mTORC2", "AKT")),
                drugs=(
                    DrugFact(
                        name="Everolimus",
                        target_complex="mTORC1",
                        approval_status="approved",
                        status_history=(
                            StatusChange("investigational", PartialDate(2002)),
                            StatusChange("approved", PartialDate(2009, 3, 30)),
                        ),
                    ),
                    DrugFact(
                        name="Rapamycin",
                        mechanism="allosteric inhibitor",
                        brain_penetrant=True,
                        brain_penetrant_since=PartialDate(2001),
                    ),
                ),
                diseases=("Alzheimer's disease", "Cancer"),
                kg_edges=412,
                linked_since=(("Cancer", PartialDate(1994, 6)),),
            ),
        ),
        evidence=(
            Evidence(
                "PMID:2",
                "Rapamycin restores autophagy",
                "supports",
                "animal-model",
                "mouse",
                2019,
                24,
                True,
                replicated_since=PartialDate(2020, 2),
            ),
            Evidence("DOI:10.1000/x.1", "No benefit at 12 months", "contradicts", "in-vitro"),
        ),
    )
    assert case.citations == {"PMID:2", "DOI:10.1000/x.1"}


def test_a_hypothesis_without_genes_or_evidence_gives_an_empty_case(stored: Database) -> None:
    with stored.sessions() as session:
        case = load_case(session, hypothesis_id="h-bare")
    assert (case.genes, case.evidence, case.diseases, case.intervention_type) == ((), (), (), None)


def test_unknown_hypothesis_is_not_found(stored: Database) -> None:
    with stored.sessions() as session, pytest.raises(NotFoundError, match="h-nope"):
        load_case(session, hypothesis_id="h-nope")


def test_many_cases_sharing_a_gene_are_read_in_one_query_or_six(stored: Database) -> None:
    with stored.transaction() as session:
        mtor = session.scalars(select(Gene).where(Gene.symbol == "MTOR")).one()
        session.add(Hypothesis(id="h-second", title="Second", statement="", genes=[mtor]))
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(str(args[2]))

    with stored.sessions() as session:
        event.listen(stored.engine, "before_cursor_execute", count)
        try:
            cases = load_cases(session, hypothesis_ids=["h-second", "h-51e7234f", "h-bare"])
        finally:
            event.remove(stored.engine, "before_cursor_execute", count)
    # PostgreSQL builds the case's lists as JSON in one query; SQLite takes six.
    expected = 1 if stored.dialect == "postgresql" else 6
    assert len([s for s in statements if s.startswith("SELECT")]) == expected
    assert set(cases) == {"h-51e7234f", "h-bare", "h-second"}
    [shared] = cases["h-second"].genes
    assert shared == cases["h-51e7234f"].genes[1]
    assert [d.name for d in shared.drugs] == ["Everolimus", "Rapamycin"]


@pytest.mark.postgres
def test_postgresql_s_one_query_reads_the_same_cases_as_the_six(tmp_path: Path) -> None:
    from common.settings import Settings
    from storage.queries.case_rows import read_in_one_query, read_in_six_queries
    from storage.queries.knowledge import list_hypotheses
    from tests.servers import fresh_postgres_database
    from tests.workers.pipeline_helpers import prepared_database
    from workers.cases import cases_of

    with fresh_postgres_database() as url:
        database = prepared_database(Settings(data_dir=tmp_path, database_url=url))
        with database.sessions() as session:
            ids = [h.id for h in list_hypotheses(session, limit=1000)]
            connection = session.connection()
            one, six = (
                cases_of(read(connection, ids)) for read in (read_in_one_query, read_in_six_queries)
            )
        database.dispose()
    # The bundled dataset: genes shared between hypotheses, genes without drugs, evidence with
    # and without dates, so every list and every empty list is compared.
    assert len(ids) > 10 and any(case.genes for case in six.values())
    assert any(d.status_history for c in six.values() for g in c.genes for d in g.drugs)
    assert any(item.replicated_since for c in six.values() for item in c.evidence)
    assert any(gene.linked_since for c in six.values() for gene in c.genes)
    assert any(d.brain_penetrant_since for c in six.values() for g in c.genes for d in g.drugs)
    assert one == six
