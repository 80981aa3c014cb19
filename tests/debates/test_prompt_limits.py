"""A prompt's size is bounded before it is sent, with an error naming the field (issue 16)."""

from __future__ import annotations

import dataclasses

import pytest

from common.limits import MAX_CLAIM, MAX_PROMPT_CHARS, MAX_STATEMENT
from debates.backends.base import FatalError, Message
from debates.case import Case
from debates.judge import build_judge_request
from debates.prompts import PromptTooLargeError, build_turn_request
from debates.schema import TurnOutput
from debates.types import TurnRecord
from tests.debates.protocol_helpers import make_case, reply


def _messages(case: Case, transcript: tuple[TurnRecord, ...] = ()) -> Message:
    request = build_turn_request(
        case,
        "skeptic",
        round=2,
        phase="opening",
        transcript=transcript,
        panel=["skeptic"],
    )
    return request.messages[1]


def test_a_nine_megabyte_statement_is_refused_naming_the_statement() -> None:
    case = make_case(statement="autophagy " * 940_000)
    with pytest.raises(PromptTooLargeError) as raised:
        _messages(case)
    message = str(raised.value)
    assert "h-test0001: statement" in message
    assert f"{MAX_STATEMENT:,}" in message and "9,400,000" in message
    # Fatal: a worker fails the evaluation with this reason instead of retrying.
    assert isinstance(raised.value, FatalError)


def test_an_overlong_evidence_claim_is_refused_naming_its_citation() -> None:
    case = make_case(claim="x" * (MAX_CLAIM + 1))
    with pytest.raises(PromptTooLargeError, match=r"claim of evidence PMID:11111"):
        _messages(case)


def test_a_case_at_the_limits_is_sent() -> None:
    case = make_case(statement="s" * MAX_STATEMENT, claim="c" * MAX_CLAIM)
    message = _messages(case)
    assert "s" * MAX_STATEMENT in message.content


def test_a_transcript_past_the_prompt_limit_is_refused_naming_the_transcript() -> None:
    argument = "a" * 20_000
    turns = tuple(
        TurnRecord(
            round=1 + index // 4,
            persona=("theorist", "skeptic", "domain_expert", "synthesizer")[index % 4],
            output=TurnOutput.model_validate(reply({}, argument=argument)),
        )
        for index in range(MAX_PROMPT_CHARS // len(argument) + 1)
    )
    with pytest.raises(PromptTooLargeError, match=r"largest part: transcript"):
        _messages(make_case(), turns)


def test_the_judge_prompt_is_bounded_too() -> None:
    huge = dataclasses.replace(make_case(), title="t" * 1_000)
    request = build_judge_request(make_case(), huge)
    with pytest.raises(PromptTooLargeError, match=r"title"):
        list(request.messages)
