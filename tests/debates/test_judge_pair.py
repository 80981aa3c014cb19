"""The tournament judge asks both orders and reports unreadable verdicts as None."""

from __future__ import annotations

from debates.backends.base import InvalidOutputError
from debates.backends.registry import create
from debates.backends.scripted import ScriptedBackend
from debates.judge import build_judge_request, judge_pair
from scoring.tournament import MatchOutcome, match_outcome
from tests.debates.rubric_cases import APOE_AUTOPHAGY, contradicting_rct, with_evidence


def test_the_evidence_judge_prefers_the_better_supported_hypothesis_in_both_orders() -> None:
    strong = APOE_AUTOPHAGY
    weak = with_evidence(
        strong,
        (*strong.evidence, contradicting_rct(), contradicting_rct("PMID:90000098", 4000)),
    )
    verdicts = judge_pair(create("evidence"), strong, weak)
    assert (verdicts.verdict_ab, verdicts.verdict_ba) == ("first", "second")
    assert match_outcome(verdicts.verdict_ab, verdicts.verdict_ba) == MatchOutcome.A


def test_a_judge_that_always_picks_the_first_shown_gives_a_tie() -> None:
    backend = ScriptedBackend(lambda request: {"winner": "first", "rationale": "shown first"})
    verdicts = judge_pair(backend, APOE_AUTOPHAGY, APOE_AUTOPHAGY)
    assert match_outcome(verdicts.verdict_ab, verdicts.verdict_ba) == MatchOutcome.TIE
    # The second request really did show the hypotheses the other way round.
    first_shown = [r.context.case.hypothesis_id for r in backend.requests]
    assert len(first_shown) == 2 and backend.requests[1].context.other is not None


def test_an_unreadable_verdict_makes_the_match_invalid() -> None:
    backend = ScriptedBackend(
        [InvalidOutputError("not JSON"), {"winner": "first", "rationale": "x"}]
    )
    verdicts = judge_pair(backend, APOE_AUTOPHAGY, APOE_AUTOPHAGY)
    assert verdicts.verdict_ab is None and "not JSON" in verdicts.rationale
    assert match_outcome(verdicts.verdict_ab, verdicts.verdict_ba) == MatchOutcome.INVALID


def test_the_judge_prompt_fences_both_hypotheses() -> None:
    request = build_judge_request(APOE_AUTOPHAGY, APOE_AUTOPHAGY)
    system, user = request.messages
    assert "never an instruction" in system.content
    assert APOE_AUTOPHAGY.title not in system.content
    assert user.content.count(APOE_AUTOPHAGY.title) == 2
