"""Cases for the offline backend's tests: an MTOR case from the seed page, and generators.

The MTOR facts (functions, drugs, diseases, KG edges) are those of the seed gene page; the
evidence items are test data shaped like the hypothesis's real evidence, not quotations.
"""

from __future__ import annotations

from dataclasses import replace

from hypothesis import strategies as st

from debates.backends.evidence.rubric import HUMAN_STUDY_TYPES, STUDY_WEIGHTS
from debates.case import Case, DrugFact, Evidence, GeneFacts

MTOR = GeneFacts(
    symbol="MTOR",
    full_name="Mechanistic Target of Rapamycin",
    functions=(
        ("S6K1", "Protein synthesis"),
        ("4E-BP1", "Translation initiation"),
        ("ULK1", "Autophagy initiation"),
        ("TFEB", "Lysosomal biogenesis"),
        ("SREBP", "Lipid synthesis"),
    ),
    drugs=(
        DrugFact(
            "Rapamycin (Sirolimus)", "Allosteric mTORC1 inhibitor", "mTORC1", "approved", True
        ),
        DrugFact("Everolimus", "mTORC1/2 inhibitor", "mTORC1", "approved", None),
        DrugFact("Torin 1", None, "mTORC1/2", "preclinical", None),
    ),
    diseases=("AD", "ALS", "ALZHEIMER", "Alzheimer disease"),
    kg_edges=4198,
)

APOE_AUTOPHAGY = Case(
    hypothesis_id="h-51e7234f",
    title="APOE-Dependent Autophagy Restoration",
    statement="Restoring autophagy by mTORC1 inhibition protects APOE4 carriers",
    intervention_type="small molecule",
    diseases=("Alzheimer's disease",),
    genes=(MTOR,),
    evidence=(
        Evidence(
            "DOI:10.1074/jbc.m110.133488",
            "Rapamycin improves cognition in APP/PS1 mice (test data)",
            "supports",
            "animal-model",
            "mouse",
            2010,
            24,
            True,
        ),
        Evidence(
            "PMID:20460369",
            "Supporting mouse-model finding (test data)",
            "supports",
            "animal-model",
            "mouse",
            2010,
            30,
            None,
        ),
        Evidence(
            "PMID:90000001",
            "Supporting human-cohort finding (test data)",
            "supports",
            "human-cohort",
            "human",
            2019,
            300,
            None,
        ),
    ),
)


def contradicting_rct(citation: str = "PMID:90000099", sample_size: int | None = 40) -> Evidence:
    return Evidence(
        citation,
        "No cognitive benefit in a small trial",
        "contradicts",
        "rct",
        "human",
        2022,
        sample_size,
        False,
    )


def with_evidence(case: Case, evidence: tuple[Evidence, ...]) -> Case:
    return replace(case, evidence=evidence)


def without_human(case: Case) -> Case:
    return with_evidence(
        case, tuple(e for e in case.evidence if e.study_type not in HUMAN_STUDY_TYPES)
    )


evidence_items = st.builds(
    Evidence,
    citation=st.integers(1, 99_999_999).map(lambda n: f"PMID:{n}"),
    claim=st.text(min_size=1, max_size=60),
    direction=st.sampled_from(["supports", "contradicts"]),
    study_type=st.sampled_from(sorted(STUDY_WEIGHTS)),
    organism=st.none() | st.sampled_from(["human", "mouse", "rat", "zebrafish"]),
    year=st.none() | st.integers(1980, 2026),
    sample_size=st.none() | st.integers(0, 100_000),
    replicated=st.none() | st.booleans(),
)

drugs = st.builds(
    DrugFact,
    name=st.text(min_size=1, max_size=20),
    mechanism=st.none() | st.text(max_size=30),
    target_complex=st.none() | st.sampled_from(["mTORC1", "mTORC2"]),
    approval_status=st.none()
    | st.sampled_from(["approved", "phase 2", "Phase III", "preclinical", "withdrawn"]),
    brain_penetrant=st.none() | st.booleans(),
)

genes = st.builds(
    GeneFacts,
    symbol=st.sampled_from(["MTOR", "APOE", "TFEB", "ULK1"]),
    functions=st.lists(
        st.tuples(st.sampled_from(["ULK1", "TFEB", "S6K1"]), st.text(max_size=30)), max_size=4
    ).map(tuple),
    drugs=st.lists(drugs, max_size=4).map(tuple),
    diseases=st.lists(
        st.sampled_from(["AD", "Alzheimer disease", "ALS", "Parkinson"]), max_size=3
    ).map(tuple),
    kg_edges=st.none() | st.integers(0, 10_000),
)


@st.composite
def cases(draw: st.DrawFn, min_evidence: int = 0, max_evidence: int = 12) -> Case:
    """Cases with random evidence; citations are unique within a case, as the database ensures."""
    items = draw(
        st.lists(
            evidence_items,
            min_size=min_evidence,
            max_size=max_evidence,
            unique_by=lambda e: e.citation,
        )
    )
    return Case(
        hypothesis_id=draw(st.sampled_from(["h-51e7234f", "h-00000001", "h-abc"])),
        title=draw(st.text(min_size=1, max_size=80)),
        statement=draw(st.text(max_size=120)),
        intervention_type=draw(st.none() | st.sampled_from(["small molecule", "gene therapy"])),
        diseases=tuple(draw(st.lists(st.sampled_from(["Alzheimer's disease", "ALS"]), max_size=2))),
        genes=tuple(draw(st.lists(genes, max_size=2))),
        evidence=tuple(items),
    )
