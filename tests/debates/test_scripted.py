"""The scripted model: replies in order or by persona, validated like a real backend's."""

from __future__ import annotations

import pytest

from debates.backends.base import (
    AgentBackend,
    BackendRequest,
    FatalError,
    InvalidOutputError,
    RetryableError,
)
from debates.backends.registry import available, create
from debates.backends.scripted import ScriptedBackend
from debates.prompts import build_turn_request
from debates.schema import TurnOutput
from tests.debates.protocol_helpers import SUPPORTING, make_case, reply


def _request(persona: str = "theorist", round_number: int = 1) -> BackendRequest[TurnOutput]:
    return build_turn_request(
        make_case(), persona, round=round_number, phase="opening", transcript=(), panel=[persona]
    )


def test_registered_as_scripted() -> None:
    assert "scripted" in available()
    backend = create("scripted", script=[reply(verdict="support")])
    assert isinstance(backend, AgentBackend) and backend.name == "scripted"
    assert backend.complete(_request()).output.verdict == "support"


def test_sequence_replies_in_order_then_falls_back_to_automatic() -> None:
    backend = ScriptedBackend([reply(verdict="support"), reply(verdict="oppose")])
    verdicts = [backend.complete(_request()).output.verdict for _ in range(3)]
    assert verdicts[:2] == ["support", "oppose"]
    assert len(backend.requests) == 3


def test_mapping_keys_by_persona_and_round_before_persona() -> None:
    backend = ScriptedBackend(
        {("skeptic", 5): reply(verdict="support"), "skeptic": reply(verdict="oppose")}
    )
    assert backend.complete(_request("skeptic", 5)).output.verdict == "support"
    assert backend.complete(_request("skeptic", 2)).output.verdict == "oppose"


def test_json_text_and_models_are_accepted_and_usage_is_counted() -> None:
    text = TurnOutput.model_validate(reply(verdict="oppose")).model_dump_json()
    result = ScriptedBackend([text]).complete(_request())
    assert result.output.verdict == "oppose" and result.raw == text
    assert result.usage.prompt_tokens > 0 and result.usage.completion_tokens > 0


def test_a_reply_that_breaks_the_schema_is_invalid_output() -> None:
    bad = {**reply(), "confidence": 3.0}
    with pytest.raises(InvalidOutputError, match="confidence"):
        ScriptedBackend([bad]).complete(_request())


def test_scripted_errors_are_raised() -> None:
    with pytest.raises(RetryableError, match="timeout"):
        ScriptedBackend([RetryableError("timeout")]).complete(_request())


def test_strict_refuses_unscripted_requests() -> None:
    with pytest.raises(FatalError, match="no reply for persona 'skeptic' in round 2"):
        ScriptedBackend({}, strict=True).complete(_request("skeptic", 2))


def test_automatic_reply_scores_the_personas_dimensions_and_cites_the_case() -> None:
    output = ScriptedBackend().complete(_request("skeptic", 2)).output
    assert set(output.scores) == {"evidence_strength", "reproducibility", "data_availability"}
    assert output.verdict == "oppose"
    assert output.claims and output.claims[0].citations == ["DOI:10.1000/contra.2"]
    theorist = ScriptedBackend().complete(_request("theorist", 1)).output
    assert theorist.claims[0].citations == [SUPPORTING]
