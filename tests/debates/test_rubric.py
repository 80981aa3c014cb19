"""The written rubric: known answers for single studies and cases, and its promised properties."""

from __future__ import annotations

import copy
import math
import random
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from debates.backends.evidence import rubric
from debates.backends.evidence.rubric_facts import disease_link, matched_functions, readiness
from debates.case import Case, DrugFact, Evidence, GeneFacts
from scoring.dimensions import Dimension
from tests.debates.rubric_cases import (
    APOE_AUTOPHAGY,
    cases,
    contradicting_rct,
    with_evidence,
    without_human,
)

SKEPTIC = rubric.lens_for("skeptic")
EPIDEMIOLOGIST = rubric.lens_for("epidemiologist")
ALL_LENSES = [rubric.NEUTRAL, *rubric.LENSES.values()]
EMPTY = Case("h-empty", "Nothing known", "")


# --- known answers ---------------------------------------------------------------------------


def test_skeptic_takes_a_contradicting_trial_at_face_value_and_twice() -> None:
    # 0.9 (rct) x 1.5 (contradiction) x 2.0 (contradicting trial); no size or replication discount.
    assert rubric.item_weight(contradicting_rct(sample_size=40), SKEPTIC) == pytest.approx(2.7)


def test_skeptic_discounts_animal_support_by_size_and_species() -> None:
    mouse = Evidence("PMID:1", "c", "supports", "animal-model", "mouse", 2020, 100, True)
    # 0.35 (animal) x 100/(100+100) (size) x 1.0 (replicated) x 0.35 (non-human support)
    assert rubric.item_weight(mouse, SKEPTIC) == pytest.approx(0.06125)
    assert rubric.item_weight(replace(mouse, replicated=False), SKEPTIC) == pytest.approx(0.0245)


def test_neutral_evidence_strength_of_one_meta_analysis() -> None:
    meta = Evidence("PMID:2", "c", "supports", "meta-analysis", None, 2021, None, True)
    # weight 1.0 x 0.5 (size unknown) = 0.5; human share 0.5 / (0.5 + 0 + 1) = 1/3.
    value = rubric.score(with_evidence(EMPTY, (meta,)), Dimension.EVIDENCE_STRENGTH, rubric.NEUTRAL)
    assert value == round(0.05 + 0.6 / 3, 4)


def test_an_empty_case_scores_the_floor_and_leans_slightly_against() -> None:
    for lens in ALL_LENSES:
        assert rubric.score(EMPTY, Dimension.EVIDENCE_STRENGTH, lens) == rubric.FLOOR
    belief = rubric.belief(EMPTY, rubric.NEUTRAL)
    assert belief.confidence == 0.1
    assert belief.probability == round(1 / (1 + math.exp(0.3)), 4)
    assert belief.verdict == "uncertain"


def test_verdict_has_a_dead_band_around_one_half() -> None:
    assert rubric.verdict_for(0.6) == "support"
    assert rubric.verdict_for(0.59) == "uncertain"
    assert rubric.verdict_for(0.41) == "uncertain"
    assert rubric.verdict_for(0.4) == "oppose"


@pytest.mark.parametrize(
    ("status", "level"),
    [
        ("approved", 1.0),
        ("FDA-approved (TSC)", 1.0),
        ("not approved", 0.15),
        ("Phase III", 0.7),
        ("phase 2", 0.5),
        ("Phase I", 0.35),
        ("preclinical", 0.15),
        ("in clinical trials", 0.4),
        (None, 0.1),
    ],
)
def test_readiness_reads_the_approval_status(status: str | None, level: float) -> None:
    assert readiness(DrugFact("x", approval_status=status)) == level


def test_disease_link_folds_spellings() -> None:
    case = replace(APOE_AUTOPHAGY, diseases=("ALZHEIMER'S DISEASE", "Huntington disease"))
    assert disease_link(case) == 0.5


def test_the_theorist_finds_the_autophagy_pathway_on_the_mtor_page() -> None:
    assert matched_functions(APOE_AUTOPHAGY) == [("ULK1", "Autophagy initiation")]


def test_mtor_case_druggability_comes_from_approved_brain_penetrant_drugs() -> None:
    druggable = rubric.score(APOE_AUTOPHAGY, Dimension.DRUGGABILITY, rubric.NEUTRAL)
    no_drugs = replace(APOE_AUTOPHAGY, genes=(replace(APOE_AUTOPHAGY.genes[0], drugs=()),))
    assert druggable == round(0.1 + 0.45 + 0.2 * 3 / 5 + 0.25, 4)
    assert rubric.score(no_drugs, Dimension.DRUGGABILITY, rubric.NEUTRAL) == 0.1


def test_the_skeptic_scores_the_mtor_evidence_below_the_theorist() -> None:
    skeptic = rubric.score(APOE_AUTOPHAGY, Dimension.EVIDENCE_STRENGTH, SKEPTIC)
    theorist = rubric.score(
        APOE_AUTOPHAGY, Dimension.EVIDENCE_STRENGTH, rubric.lens_for("theorist")
    )
    assert skeptic < theorist


def test_case_problems_name_the_item_and_the_field() -> None:
    bad = with_evidence(
        EMPTY,
        (
            Evidence("PMID:5", "c", "supports", "anecdote"),
            Evidence("PMID:6", "c", "maybe", "rct", sample_size=-3),
        ),
    )
    problems = rubric.case_problems(bad)
    assert any("evidence[0] (PMID:5)" in p and "'study_type'" in p for p in problems)
    assert any("evidence[1] (PMID:6)" in p and "'direction'" in p for p in problems)
    assert any("evidence[1] (PMID:6)" in p and "'sample_size'" in p for p in problems)
    assert rubric.case_problems(APOE_AUTOPHAGY) == []


# --- properties ------------------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(cases())
def test_every_score_and_belief_is_in_the_unit_interval(case: Case) -> None:
    for lens in ALL_LENSES:
        for value in rubric.scores(case, tuple(Dimension), lens).values():
            assert 0.0 <= value <= 1.0
        belief = rubric.belief(case, lens)
        assert 0.0 <= belief.confidence <= 1.0
        assert 0.0 <= belief.probability <= 1.0
        assert belief.verdict == rubric.verdict_for(belief.probability)


@settings(max_examples=40, deadline=None)
@given(cases(min_evidence=2), st.integers(0, 2**32 - 1))
def test_scores_do_not_depend_on_the_order_of_the_evidence(case: Case, seed: int) -> None:
    shuffled = list(case.evidence)
    random.Random(seed).shuffle(shuffled)
    other = with_evidence(case, tuple(shuffled))
    for lens in (rubric.NEUTRAL, SKEPTIC):
        assert rubric.scores(case, tuple(Dimension), lens) == rubric.scores(
            other, tuple(Dimension), lens
        )
        assert rubric.belief(case, lens) == rubric.belief(other, lens)


@settings(max_examples=80, deadline=None)
@given(cases(), st.none() | st.integers(0, 100_000))
def test_a_contradicting_rct_never_raises_the_skeptics_evidence_strength(
    case: Case, sample_size: int | None
) -> None:
    before = rubric.score(case, Dimension.EVIDENCE_STRENGTH, SKEPTIC)
    trial = contradicting_rct("DOI:10.9999/added-trial", sample_size)
    after = rubric.score(
        with_evidence(case, (*case.evidence, trial)), Dimension.EVIDENCE_STRENGTH, SKEPTIC
    )
    assert after <= before


@settings(max_examples=80, deadline=None)
@given(cases())
def test_removing_human_evidence_never_raises_the_skeptics_evidence_strength(case: Case) -> None:
    before = rubric.score(case, Dimension.EVIDENCE_STRENGTH, SKEPTIC)
    assert rubric.score(without_human(case), Dimension.EVIDENCE_STRENGTH, SKEPTIC) <= before


@settings(max_examples=60, deadline=None)
@given(cases())
def test_the_skeptic_discounts_more_than_the_epidemiologist(case: Case) -> None:
    skeptic = rubric.score(case, Dimension.EVIDENCE_STRENGTH, SKEPTIC)
    assert skeptic <= rubric.score(case, Dimension.EVIDENCE_STRENGTH, EPIDEMIOLOGIST)


@settings(max_examples=60, deadline=None)
@given(cases(), st.none() | st.integers(0, 100_000))
def test_more_support_never_lowers_the_probability(case: Case, sample_size: int | None) -> None:
    extra = Evidence(
        "DOI:10.9999/support", "c", "supports", "rct", "human", 2020, sample_size, True
    )
    for lens in ALL_LENSES:
        more = with_evidence(case, (*case.evidence, extra))
        assert rubric.belief(more, lens).probability >= rubric.belief(case, lens).probability


@settings(max_examples=60, deadline=None)
@given(cases())
def test_a_reading_gives_what_weighing_each_subset_afresh_gives(case: Case) -> None:
    # Duplicated items too: the database forbids them, but the reading must not rely on that.
    case = with_evidence(case, (*case.evidence, *case.evidence[:2]))
    mechanistic = [e for e in case.evidence if e.study_type in rubric.MECHANISTIC_STUDY_TYPES]
    for lens in ALL_LENSES:
        reading = rubric.reading(case, lens)
        assert list(reading.weighed) == rubric.weighed(case.evidence, lens)
        ranked = [(-w.weight, w.item.citation) for w in reading.weighed]
        assert ranked == sorted(ranked)  # strongest first, then by citation
        assert reading.tally == rubric.tally(case.evidence, lens)
        assert reading.mechanistic == rubric.tally(mechanistic, lens)
        for dimension in Dimension:
            kinds = rubric.DIMENSION_EVIDENCE[dimension]
            items = [e for e in case.evidence if kinds is None or e.study_type in kinds]
            fresh = [w for w in rubric.weighed(items, lens) if w.weight > 0]
            assert rubric.basis(case, dimension, lens, limit=len(fresh) + 1) == fresh
            assert rubric.basis(case, dimension, lens) == fresh[:3]


@settings(max_examples=40, deadline=None)
@given(cases())
def test_remembered_scores_are_those_a_fresh_case_computes(case: Case) -> None:
    dimensions = tuple(Dimension)
    for lens in ALL_LENSES:
        first = rubric.scores(case, dimensions, lens)
        fresh = copy.copy(case)  # an equal case with nothing remembered yet
        assert rubric.scores(fresh, dimensions[::-1], lens) == first
        assert rubric.scores(case, dimensions[::-1], lens) == first
        assert rubric.belief(fresh, lens) == rubric.belief(case, lens)


def test_gene_facts_order_does_not_change_the_profile() -> None:
    gene = APOE_AUTOPHAGY.genes[0]
    reordered = replace(
        gene, functions=tuple(reversed(gene.functions)), drugs=tuple(reversed(gene.drugs))
    )
    other = replace(APOE_AUTOPHAGY, genes=(reordered,), diseases=("Alzheimer's disease",))
    assert rubric.profile(other) == rubric.profile(APOE_AUTOPHAGY)
    assert rubric.profile(replace(APOE_AUTOPHAGY, genes=(GeneFacts("APOE"),))) != rubric.profile(
        APOE_AUTOPHAGY
    )
