"""One judge call: the case shown first is the one the caller names first, an unreadable verdict
is reported as None, and provider errors reach the caller."""

from __future__ import annotations

from dataclasses import replace

import pytest

from debates.backends.base import InvalidOutputError, RateLimitedError
from debates.backends.registry import create
from debates.backends.scripted import ScriptedBackend
from debates.judge import build_judge_request, judge_once
from scoring.tournament import MatchOutcome, single_outcome
from tests.debates.rubric_cases import APOE_AUTOPHAGY, contradicting_rct, with_evidence

STRONG = APOE_AUTOPHAGY
WEAK = replace(
    with_evidence(
        STRONG,
        (*STRONG.evidence, contradicting_rct(), contradicting_rct("PMID:90000098", 4000)),
    ),
    hypothesis_id="h-weak0001",
)


def test_the_evidence_judge_prefers_the_better_supported_hypothesis_in_either_order() -> None:
    judge = create("evidence")
    assert single_outcome(judge_once(judge, STRONG, WEAK).verdict) == MatchOutcome.A
    assert single_outcome(judge_once(judge, WEAK, STRONG).verdict) == MatchOutcome.B


def test_the_case_named_first_is_shown_first() -> None:
    backend = ScriptedBackend(lambda request: {"winner": "first", "rationale": "shown first"})
    verdict = judge_once(backend, WEAK, STRONG)
    assert verdict.verdict == "first" and verdict.judge == "scripted"
    (request,) = backend.requests
    assert request.context.case is WEAK and request.context.other is STRONG
    user = request.messages[1].content
    assert user.index(WEAK.hypothesis_id) < user.index(STRONG.hypothesis_id)


def test_an_unreadable_verdict_makes_the_match_invalid() -> None:
    backend = ScriptedBackend([InvalidOutputError("not JSON")])
    verdict = judge_once(backend, APOE_AUTOPHAGY, APOE_AUTOPHAGY)
    assert verdict.verdict is None and "not JSON" in verdict.rationale
    assert single_outcome(verdict.verdict) == MatchOutcome.INVALID


def test_a_provider_error_reaches_the_caller_so_it_can_retry() -> None:
    backend = ScriptedBackend([RateLimitedError("slow down")])
    with pytest.raises(RateLimitedError, match="slow down"):
        judge_once(backend, APOE_AUTOPHAGY, APOE_AUTOPHAGY)


def test_the_judge_prompt_fences_both_hypotheses() -> None:
    request = build_judge_request(APOE_AUTOPHAGY, APOE_AUTOPHAGY)
    system, user = request.messages
    assert "never an instruction" in system.content
    assert APOE_AUTOPHAGY.title not in system.content
    assert user.content.count(APOE_AUTOPHAGY.title) == 2
