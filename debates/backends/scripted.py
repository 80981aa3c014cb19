"""A scripted model: answers written in advance, for tests and offline demos.

In the spirit of simonw/llm's mock model: the script says what the "model" replies, and the
backend records every request it was asked, so a test can check both what a debate did with
the answers and what it asked. A reply may be a ``TurnOutput``, a dict or a JSON string
(validated against the request's schema, as a real backend's reply is), a ``BackendError`` to
raise, or a callable that receives the request and returns any of these.

The script is a sequence (replies in order), a mapping keyed by ``(persona, round)`` or by
``persona``, or a callable. A request the script does not cover gets a plain automatic answer
built from the case (see :func:`automatic_reply`), unless ``strict`` is set, when it is an
error: that is how tests prove a resumed debate does not re-ask old turns.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, ClassVar, Union

from pydantic import BaseModel, ValidationError
from pydantic_settings import SettingsConfigDict

from debates.backends.base import (
    BackendError,
    BackendRequest,
    BackendResult,
    BackendSettings,
    Capabilities,
    FatalError,
    InvalidOutputError,
    OutputT,
    Usage,
)
from debates.case import Case

Reply = Union[BaseModel, Mapping[str, Any], str, BackendError, Callable[..., Any]]  # noqa: UP007
Script = Union[Sequence[Reply], Mapping[Any, Reply], Callable[..., Any], None]  # noqa: UP007


class ScriptedSettings(BackendSettings):
    """``HYPOSCORE_SCRIPTED_MODEL``: the model name its results report."""

    model_config = SettingsConfigDict(env_prefix="HYPOSCORE_SCRIPTED_")

    model: str = "scripted"


class ScriptedBackend:
    """An :class:`~debates.backends.base.AgentBackend` that replies from a script."""

    name = "scripted"
    capabilities: ClassVar[Capabilities] = Capabilities(
        rate_limited=False, reads_only_the_request=True
    )
    settings_model: ClassVar[type[BackendSettings]] = ScriptedSettings

    @classmethod
    def create(
        cls, *, script: Script = None, strict: bool = False, model: str = "scripted"
    ) -> ScriptedBackend:
        return cls(script, strict=strict, model=model)

    def __init__(self, script: Script = None, *, strict: bool = False, model: str = "scripted"):
        self.script = script
        self.strict = strict
        self.model = model
        self.requests: list[BackendRequest[Any]] = []
        self._next = 0

    def complete(self, request: BackendRequest[OutputT]) -> BackendResult[OutputT]:
        started = time.perf_counter()
        self.requests.append(request)
        reply = self._reply_for(request)
        while callable(reply) and not isinstance(reply, (BaseModel, BackendError)):
            reply = reply(request)
        if isinstance(reply, BackendError):
            raise reply
        output, raw = _validate(reply, request.output_schema)
        prompt_words = sum(len(m.content.split()) for m in request.messages)
        return BackendResult(
            output=output,
            usage=Usage(prompt_tokens=prompt_words, completion_tokens=len(raw.split())),
            model=self.model,
            raw=raw,
            latency_ms=(time.perf_counter() - started) * 1000,
        )

    def _reply_for(self, request: BackendRequest[Any]) -> Any:
        context = request.context
        script = self.script
        if callable(script) and not isinstance(script, Mapping):
            return script
        if isinstance(script, Mapping):
            for key in ((context.persona, context.round), context.persona):
                if key in script:
                    return script[key]
        elif isinstance(script, Sequence) and self._next < len(script):
            self._next += 1
            return script[self._next - 1]
        if self.strict:
            raise FatalError(
                f"scripted backend has no reply for persona {context.persona!r} "
                f"in round {context.round}"
            )
        return automatic_reply


def _validate(reply: Any, schema: type[OutputT]) -> tuple[OutputT, str]:
    try:
        if isinstance(reply, schema):
            return reply, reply.model_dump_json()
        if isinstance(reply, BaseModel):
            reply = reply.model_dump(mode="json")
        if isinstance(reply, str):
            return schema.model_validate_json(reply), reply
        if isinstance(reply, Mapping):
            return schema.model_validate(dict(reply)), json.dumps(reply, default=str)
    except ValidationError as exc:
        raise InvalidOutputError(f"scripted reply does not fit {schema.__name__}: {exc}") from exc
    raise FatalError(f"scripted reply of type {type(reply).__name__} is not a valid reply")


_STANCE = {
    "theorist": ("support", 0.7, "supports"),
    "skeptic": ("oppose", 0.35, "contradicts"),
}


def automatic_reply(request: BackendRequest[Any]) -> dict[str, Any]:
    """A plain, deterministic turn: the Theorist supports, the Skeptic opposes, others doubt.

    The Synthesizer averages the panel's latest scores, so a debate of automatic replies
    converges as soon as the Synthesizer has spoken.
    """
    context = request.context
    persona = context.persona or "panelist"
    verdict, level, direction = _STANCE.get(persona, ("uncertain", 0.5, "supports"))
    dimensions: list[str] = list(context.extra.get("dimensions", []))
    if persona == "synthesizer":
        scores = _panel_means(context.transcript, dimensions)
    else:
        scores = dict.fromkeys(dimensions, level)
    evidence = _pick_evidence(context.case, direction)
    previous = context.transcript[-1].persona if context.transcript else None
    opener = f"Answering the {previous.replace('_', ' ')}: " if previous else ""
    argument = f"{opener}the {persona.replace('_', ' ')} judges {context.case.title}."
    claims = [{"text": item.claim, "citations": [item.citation]} for item in evidence]
    probability = round(sum(scores.values()) / len(scores), 4) if scores else level
    return {
        "argument": argument,
        "claims": claims,
        "scores": scores,
        "confidence": 0.6,
        "probability": probability,
        "verdict": verdict,
    }


def _pick_evidence(case: Case, direction: str) -> list[Any]:
    matching = [item for item in case.evidence if item.direction == direction]
    return (matching or list(case.evidence))[:2]


def _panel_means(transcript: Sequence[Any], dimensions: Sequence[str]) -> dict[str, float]:
    latest: dict[str, Mapping[Any, float]] = {}
    for turn in transcript:
        if turn.persona != "synthesizer":
            latest[turn.persona] = turn.output.scores
    means: dict[str, float] = {}
    for dimension in dimensions:
        values = [s[dimension] for s in latest.values() if dimension in s]
        means[dimension] = round(sum(values) / len(values), 4) if values else 0.5
    return means
