"""The tournament judge: one pair of hypotheses, asked in both orders through any backend.

The judge itself is whatever backend the tournament uses (the offline ``evidence`` backend
decides by its rubric); this module builds the fenced request and reads the verdicts. A verdict
that cannot be read is reported as ``None`` so the tournament records the match as invalid.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache, partial

from debates.backends.base import (
    AgentBackend,
    BackendRequest,
    DeferredMessages,
    InvalidOutputError,
    Message,
    RequestContext,
)
from debates.case import Case
from debates.fencing import fence_for
from debates.prompts import check_prompt_size, environment, render_case
from debates.schema import JudgeOutput


@dataclass(frozen=True)
class PairVerdicts:
    """The judge's choice with ``a`` shown first and with ``b`` shown first ("first"/"second")."""

    verdict_ab: str | None
    verdict_ba: str | None
    rationale: str
    judge: str


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


def judge_pair(backend: AgentBackend, a: Case, b: Case) -> PairVerdicts:
    """Ask the judge with ``a`` first, then with ``b`` first.

    Provider errors other than an unreadable reply propagate, so the caller can retry.
    """
    verdicts: list[str | None] = []
    rationales: list[str] = []
    for first, second in ((a, b), (b, a)):
        try:
            result = backend.complete(build_judge_request(first, second))
        except InvalidOutputError as exc:
            verdicts.append(None)
            rationales.append(f"unreadable verdict: {exc}")
            continue
        verdicts.append(result.output.winner.value)
        rationales.append(result.output.rationale)
    return PairVerdicts(
        verdict_ab=verdicts[0],
        verdict_ba=verdicts[1],
        rationale=" | ".join(rationales),
        judge=backend.name,
    )
