"""Reading a provider's reply: the JSON object in it, validated, or what is wrong with it."""

from __future__ import annotations

import pytest

from debates.backends.replies import RawReply, UnusableReplyError, parse_json_object, validate_reply
from debates.schema import JudgeOutput, TurnOutput
from tests.fakes.replies import VALID_JUDGE_JSON, VALID_TURN


@pytest.mark.parametrize(
    "text",
    [
        '{"a": 1}',
        '  \n{"a": 1}\n',
        '```json\n{"a": 1}\n```',
        '```\n{"a": 1}\n```',
        'Sure! Here is my answer:\n```json\n{"a": 1}\n```\nHope that helps.',
        'My answer: {"a": 1} -- done',
    ],
)
def test_json_is_found_bare_fenced_or_amid_prose(text: str) -> None:
    assert parse_json_object(text) == {"a": 1}


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "the reply was empty"),
        ("I cannot score this.", "not valid JSON"),
        ('{"a": 1', "not valid JSON: Expecting"),
        ("[1, 2]", "not an object (it is a list)"),
    ],
)
def test_unreadable_replies_say_what_is_wrong(text: str, problem: str) -> None:
    with pytest.raises(UnusableReplyError, match=problem.replace("(", r"\(").replace(")", r"\)")):
        parse_json_object(text)


def test_validation_names_each_bad_field_and_value() -> None:
    bad = VALID_TURN | {"scores": {"novelty": 1.5, "charisma": 0.5}, "verdict": "maybe"}
    del bad["argument"]
    with pytest.raises(UnusableReplyError) as caught:
        validate_reply(RawReply(text=str(bad).replace("'", '"')), TurnOutput)
    problem = str(caught.value)
    assert "argument: Field required" in problem
    assert "scores.novelty: Input should be less than or equal to 1 (got 1.5)" in problem
    assert "scores.charisma.[key]" in problem and "verdict" in problem and "'maybe'" in problem


def test_validation_accepts_any_output_schema() -> None:
    judged = validate_reply(RawReply(text=VALID_JUDGE_JSON), JudgeOutput)
    assert judged.winner == "first"
    with pytest.raises(UnusableReplyError, match="winner"):
        validate_reply(RawReply(text='{"winner": "both", "rationale": "tie"}'), JudgeOutput)
