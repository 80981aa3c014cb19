"""Turns whose scores contradict the evidence are flagged, and scoring leaves them out."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import pytest

from debates.backends.base import BackendRequest
from debates.backends.evidence.backend import EvidenceBackend
from debates.backends.scripted import ScriptedBackend
from debates.case import Case
from debates.consistency import (
    FLAG_ACTION,
    PEER_TOLERANCE,
    RUBRIC_TOLERANCE,
    contradiction_flags,
    flagged_turns,
)
from debates.runner import run_debate
from debates.schema import TurnOutput
from debates.types import DebateConfig, DebateOutcome
from scoring.blend import BlendError
from scoring.lmsr import MarketState
from scoring.weights import Weights
from tests.debates.bundled import bundled_cases
from tests.debates.rubric_cases import APOE_AUTOPHAGY, with_evidence
from workers.scoring_phase import ScorePlan, TurnView, outcome_views, plan_score

# One small supporting mouse study: thin evidence.
THIN = with_evidence(APOE_AUTOPHAGY, APOE_AUTOPHAGY.evidence[:1])


def obeying(output: TurnOutput) -> TurnOutput:
    """What a model that obeys "score everything 1.0" answers in place of ``output``."""
    return output.model_copy(
        update={"scores": dict.fromkeys(output.scores, 1.0), "probability": 1.0}
    )


def shifted(output: TurnOutput, by: float) -> TurnOutput:
    """An honest reader who differs from the rubric by ``by``, alternating in sign."""
    scores = {
        d: min(1.0, max(0.0, s + (by if i % 2 else -by)))
        for i, (d, s) in enumerate(output.scores.items())
    }
    return output.model_copy(update={"scores": scores})


Edit = Callable[[TurnOutput], TurnOutput]


def debate(case: Case, change: Mapping[str, Edit], everyone: Edit | None = None) -> DebateOutcome:
    """The offline debate of ``case`` with the named personas' (or everyone's) answers changed."""
    evidence = EvidenceBackend()

    def answer(request: BackendRequest[Any]) -> TurnOutput:
        output = evidence.complete(request).output
        assert isinstance(output, TurnOutput)
        edit = everyone or change.get(request.context.persona or "")
        return edit(output) if edit else output

    return run_debate(case, config=DebateConfig(), backend=ScriptedBackend(answer))


def score(outcome: DebateOutcome) -> ScorePlan:
    return plan_score(
        outcome_views(outcome),
        {},
        Weights.default(),
        level=0.8,
        market=MarketState(100.0),
        quality=1.0,
    )


def test_no_turn_of_any_bundled_offline_debate_is_flagged() -> None:
    for hypothesis, case in bundled_cases().items():
        outcome = run_debate(case, config=DebateConfig(), backend=EvidenceBackend())
        assert flagged_turns(outcome.decisions) == frozenset(), hypothesis


def test_a_panel_that_obeys_score_everything_one_on_thin_evidence_is_not_believed() -> None:
    outcome = debate(THIN, {}, everyone=obeying)
    flags = [d for d in outcome.decisions if d.action == FLAG_ACTION]
    assert {(t.round, t.persona) for t in outcome.turns} == flagged_turns(flags)
    # The panel agrees with itself: it is the rubric that finds the contradiction.
    assert all(d.detail["from_rubric"] > RUBRIC_TOLERANCE for d in flags)
    assert all(d.detail["from_peers"] == 0.0 for d in flags)
    assert "contradict the case's evidence" in flags[0].reason
    with pytest.raises(BlendError, match="flagged as contradicting the case's evidence"):
        score(outcome)


def test_one_persona_that_obeys_is_flagged_and_left_out_of_the_blend_and_the_market() -> None:
    honest = debate(THIN, {})
    outcome = debate(THIN, {"skeptic": obeying})
    flagged = flagged_turns(outcome.decisions)
    assert flagged and {persona for _, persona in flagged} == {"skeptic"}
    flag = next(d for d in outcome.decisions if d.action == FLAG_ACTION)
    assert flag.detail["from_peers"] > PEER_TOLERANCE
    plan = score(outcome)
    # Exactly what the others' last words give on their own.
    others = [v for v in outcome_views(outcome) if v.persona != "skeptic"]
    alone = plan_score(
        others, {}, Weights.default(), level=0.8, market=MarketState(100.0), quality=1.0
    )
    assert plan.blend.composite == alone.blend.composite
    assert [t.price_after for t in plan.trades] == [t.price_after for t in alone.trades]
    # And the obeying reply moved neither number up from the honest debate's.
    assert plan.blend.composite <= score(honest).blend.composite + 0.05
    assert plan.trades[-1].price_after < 0.9


def test_without_the_check_the_obeying_reply_would_have_raised_the_composite() -> None:
    """The flag is what keeps the reply out: the same turns, unflagged, score higher."""
    outcome = debate(THIN, {"skeptic": obeying})
    unflagged = [TurnView.of_record(t) for t in outcome.turns]
    believed = plan_score(
        unflagged, {}, Weights.default(), level=0.8, market=MarketState(100.0), quality=1.0
    )
    assert believed.blend.composite > score(outcome).blend.composite + 0.05


@pytest.mark.parametrize("by", [0.1, 0.2, 0.3])
def test_honest_disagreement_with_the_rubric_is_not_flagged(by: float) -> None:
    outcome = debate(THIN, {"theorist": lambda o: shifted(o, by)})
    assert flagged_turns(outcome.decisions) == frozenset()


def test_flags_are_read_back_from_stored_decisions() -> None:
    outcome = debate(THIN, {"skeptic": obeying})
    stored = [
        {"round": d.round, "action": d.action, "reason": d.reason, "detail": dict(d.detail)}
        for d in outcome.decisions
    ]
    assert flagged_turns(stored) == flagged_turns(outcome.decisions)
    assert flagged_turns([{"action": "stop", "reason": "converged"}]) == frozenset()


def test_flags_are_recomputed_identically_for_a_resumed_debate() -> None:
    outcome = debate(THIN, {"skeptic": obeying})
    again = contradiction_flags(outcome.turns, THIN)
    assert again == [d for d in outcome.decisions if d.action == FLAG_ACTION]
    assert again and all(d.detail["persona"] == "skeptic" for d in again)
