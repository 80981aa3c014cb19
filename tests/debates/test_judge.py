"""The offline tournament judge: the higher rubric composite wins; a true tie goes to "first"."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest
from hypothesis import assume, given, settings

from debates.backends.base import BackendRequest, FatalError, RequestContext
from debates.backends.evidence import rubric
from debates.backends.evidence.backend import EvidenceBackend
from debates.case import Case, Evidence
from debates.schema import JudgeChoice, JudgeOutput, TurnOutput
from tests.debates.rubric_cases import APOE_AUTOPHAGY, cases, contradicting_rct, with_evidence

CITATION = re.compile(r"\b(?:PMID:\d+|DOI:10\.\S+?)(?=[,.;)]?(?:\s|$))")


def judge(first: Case, second: Case | None) -> JudgeOutput:
    request = BackendRequest(
        messages=(),
        output_schema=JudgeOutput,
        context=RequestContext(task="judge", case=first, other=second),
    )
    return EvidenceBackend().complete(request).output


def winner_id(first: Case, second: Case) -> str:
    verdict = judge(first, second)
    return first.hypothesis_id if verdict.winner is JudgeChoice.FIRST else second.hypothesis_id


STRONG = replace(
    APOE_AUTOPHAGY,
    evidence=(
        *APOE_AUTOPHAGY.evidence,
        Evidence(
            "PMID:90000010",
            "Supporting trial (test data)",
            "supports",
            "rct",
            "human",
            2021,
            800,
            True,
        ),
    ),
)
WEAK = replace(
    APOE_AUTOPHAGY,
    hypothesis_id="h-weak0001",
    title="A weakly supported rival",
    evidence=(*APOE_AUTOPHAGY.evidence[:1], contradicting_rct()),
)


def test_stronger_evidence_wins_whichever_side_it_is_shown_on() -> None:
    assert judge(STRONG, WEAK).winner is JudgeChoice.FIRST
    assert judge(WEAK, STRONG).winner is JudgeChoice.SECOND


def test_rationale_names_the_composites_and_the_decisive_evidence() -> None:
    verdict = judge(WEAK, STRONG)
    assert f"{rubric.composite(STRONG):.4f}" in verdict.rationale
    assert f"{rubric.composite(WEAK):.4f}" in verdict.rationale
    assert "The decisive dimension is evidence strength" in verdict.rationale
    assert "PMID:90000010" in verdict.rationale


def test_rationale_cites_only_evidence_of_the_two_cases() -> None:
    verdict = judge(STRONG, WEAK)
    cited = set(CITATION.findall(verdict.rationale))
    assert cited and cited <= STRONG.citations | WEAK.citations


def test_a_true_tie_prefers_first_so_swapped_verdicts_disagree() -> None:
    twin = replace(STRONG, hypothesis_id="h-twin0001")
    assert rubric.composite(twin) == rubric.composite(STRONG)
    forward, backward = judge(STRONG, twin), judge(twin, STRONG)
    assert forward.winner is JudgeChoice.FIRST and backward.winner is JudgeChoice.FIRST
    assert winner_id(STRONG, twin) != winner_id(twin, STRONG)
    assert "Tie in rubric value" in forward.rationale
    # One call a match: the rationale must not promise a second, order-swapped call.
    assert "seeded coin decides who is shown first" in forward.rationale
    assert "lean towards the first-shown" in forward.rationale


def test_judge_needs_a_second_hypothesis_and_a_judge_schema() -> None:
    with pytest.raises(FatalError, match=r"needs context\.other"):
        judge(STRONG, None)
    request = BackendRequest(
        messages=(),
        output_schema=TurnOutput,
        context=RequestContext(task="judge", case=STRONG, other=WEAK),
    )
    with pytest.raises(FatalError, match="answers with JudgeOutput"):
        EvidenceBackend().complete(request)


def test_a_bad_second_case_is_named() -> None:
    broken = with_evidence(WEAK, (Evidence("PMID:9", "c", "proves", "rct"),))
    with pytest.raises(FatalError, match=r"other: evidence\[0\] \(PMID:9\): field 'direction'"):
        judge(STRONG, broken)


@settings(max_examples=40, deadline=None)
@given(cases(), cases())
def test_verdicts_follow_the_composite_and_are_order_consistent(a: Case, b: Case) -> None:
    assume(a.hypothesis_id != b.hypothesis_id)
    composite_a, composite_b = rubric.composite(a), rubric.composite(b)
    assume(composite_a != composite_b)
    better = a if composite_a > composite_b else b
    assert winner_id(a, b) == better.hypothesis_id == winner_id(b, a)
    rationale = judge(a, b).rationale
    assert set(CITATION.findall(rationale)) <= a.citations | b.citations
