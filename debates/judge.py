"""The tournament judge: one pair of hypotheses, asked once through any backend, with the order
the caller's seeded coin chose (``judge_once``).

The judge itself is whatever backend the tournament uses (the offline ``evidence`` backend
decides by its rubric); this module builds the fenced request and reads the verdicts. A verdict
that cannot be read is reported as ``None`` so the tournament records the match as invalid.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache, partial

from debates.backends.base import (
    AgentBackend,
    BackendRequest,
    BackendResult,
    DeferredMessages,
    InvalidOutputError,
    Message,
    RequestContext,
)
from debates.backends.batching import BatchingBackend
from debates.backends.replies import RawReply
from debates.case import Case
from debates.fencing import fence_for
from debates.prompts import check_prompt_size, environment, render_case
from debates.schema import JudgeOutput


@lru_cache(maxsize=1)
def _schema_text() -> str:
    return json.dumps(JudgeOutput.model_json_schema(), indent=2, sort_keys=True)


def build_judge_request(first: Case, second: Case) -> BackendRequest[JudgeOutput]:
    """The request for one order of a pair; its messages are rendered when first read."""
    return BackendRequest(
        messages=DeferredMessages(partial(judge_messages, first, second)),
        output_schema=JudgeOutput,
        context=RequestContext(task="judge", case=first, other=second),
    )


def judge_messages(first: Case, second: Case) -> tuple[Message, Message]:
    """The system and user messages of a judge request, both cases fenced as data."""
    first_text, second_text = render_case(first), render_case(second)
    fence = fence_for(first_text, second_text)
    system = (
        environment()
        .get_template("judge_system.j2")
        .render(fence=fence, output_schema=_schema_text())
    )
    user = (
        environment()
        .get_template("judge_user.j2")
        .render(first_block=fence.wrap(first_text), second_block=fence.wrap(second_text))
    )
    messages = (Message("system", system.strip()), Message("user", user.strip()))
    check_prompt_size(
        messages,
        parts={
            f"case {first.hypothesis_id}": first_text,
            f"case {second.hypothesis_id}": second_text,
        },
    )
    return messages


@dataclass(frozen=True)
class Verdict:
    """The judge's choice ("first"/"second", None if unreadable) with ``first`` shown first."""

    verdict: str | None
    rationale: str
    judge: str


def judge_once(backend: AgentBackend, first: Case, second: Case) -> Verdict:
    """One judge call with ``first`` shown first.

    Provider errors other than an unreadable reply propagate, so the caller can retry.
    """
    return _read(backend.name, lambda: backend.complete(build_judge_request(first, second)))


def judge_batch_answer(
    backend: BatchingBackend, request: BackendRequest[JudgeOutput], reply: RawReply
) -> Verdict:
    """A provider batch's reply to a judge request, read as ``judge_once`` reads a live one
    (an invalid reply is repaired by one live call first: ``complete_from``)."""
    return _read(backend.name, lambda: backend.complete_from(request, reply))


def _read(judge: str, call: Callable[[], BackendResult[JudgeOutput]]) -> Verdict:
    try:
        result = call()
    except InvalidOutputError as exc:
        return Verdict(verdict=None, rationale=f"unreadable verdict: {exc}", judge=judge)
    return Verdict(
        verdict=result.output.winner.value, rationale=result.output.rationale, judge=judge
    )
