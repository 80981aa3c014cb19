"""The ``evidence`` backend, the default: offline, deterministic, free.

It ignores the messages and reads the request's structured context. A turn is scored by the
written rubric (:mod:`debates.backends.evidence.rubric`, docs/debate-rubric.md) through the
persona's lens and
argued from the templates in ``debates/backends/evidence/templates/``; a judge request compares two
hypotheses' rubric composites. The same context gives the same output and the same ``raw``
JSON, byte for byte: nothing here reads the clock, draws random numbers or iterates an
unordered set.
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import replace
from typing import Any, ClassVar

from pydantic import BaseModel, Field, ValidationError
from pydantic_settings import SettingsConfigDict

from debates.backends.base import (
    BackendRequest,
    BackendResult,
    BackendSettings,
    Capabilities,
    FatalError,
    InvalidOutputError,
    OutputT,
    RequestContext,
    Usage,
)
from debates.backends.evidence import rubric
from debates.backends.evidence.judge import judge
from debates.backends.evidence.turn import build_turn

# The rubric's version: every stored turn records it, so a change of rules shows in the ledger.
MODEL_NAME = "evidence-rubric-v2"


class EvidenceSettings(BackendSettings):
    """``HYPOSCORE_EVIDENCE_DELAY_SECONDS``: simulated latency per request, for drills."""

    model_config = SettingsConfigDict(env_prefix="HYPOSCORE_EVIDENCE_")

    delay_seconds: float = Field(
        0.0, ge=0, description="Simulated latency per offline turn, for drills and benchmarks."
    )

    def capabilities(self, declared: Capabilities) -> Capabilities:
        # Slowed down to stand in for a provider, it is run like one: evaluations one by one.
        # Its answers stay the same, so it stays recomputable.
        if self.delay_seconds > 0:
            return replace(declared, batchable=False)
        return declared


class EvidenceBackend:
    """Answers "turn" and "judge" requests from the rubric; see the module docstring."""

    name = "evidence"
    capabilities: ClassVar[Capabilities] = Capabilities(
        batchable=True, recomputable=True, rate_limited=False, reads_only_the_request=True
    )
    settings_model: ClassVar[type[BackendSettings]] = EvidenceSettings

    @classmethod
    def create(cls, **options: Any) -> EvidenceBackend:
        return create_evidence_backend(**options)

    def __init__(self, *, delay_seconds: float = 0.0) -> None:
        # Simulated latency only: fault tests and worker benchmarks use it to stand in for a slow
        # model. It is reported as latency_ms as given, never measured, so records stay identical.
        self.delay_seconds = delay_seconds

    def complete(self, request: BackendRequest[OutputT]) -> BackendResult[OutputT]:
        context = request.context
        output = self._answer(context)
        if request.output_schema is not type(output):
            raise FatalError(
                f"evidence backend: task {context.task!r} answers with "
                f"{type(output).__name__}, but the request asks for "
                f"{request.output_schema.__name__}"
            )
        raw = to_raw(output)
        try:
            parsed = request.output_schema.model_validate_json(raw)
        except ValidationError as exc:  # pragma: no cover - the rubric builds valid output
            raise InvalidOutputError(
                f"evidence backend: output does not round-trip: {exc}"
            ) from exc
        if self.delay_seconds > 0:
            time.sleep(self.delay_seconds)
        return BackendResult(
            output=parsed,
            usage=Usage(0, 0, 0.0),
            model=MODEL_NAME,
            raw=raw,
            latency_ms=self.delay_seconds * 1000,
        )

    def _answer(self, context: RequestContext) -> BaseModel:
        problems = rubric.case_problems(context.case)
        if context.other is not None:
            problems += [f"other: {p}" for p in rubric.case_problems(context.other)]
        if problems:
            raise FatalError(
                f"evidence backend: hypothesis {context.case.hypothesis_id!r} cannot be scored: "
                + "; ".join(problems)
            )
        if context.task == "turn":
            return build_turn(context)
        if context.task == "judge":
            if context.other is None:
                raise FatalError("evidence backend: a judge request needs context.other")
            return judge(context.case, context.other)
        raise FatalError(f"evidence backend: unknown task {context.task!r}; expected turn or judge")


def to_raw(output: BaseModel) -> str:
    """The output as JSON with sorted keys: what ``BackendResult.raw`` holds."""
    return json.dumps(output.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)


def create_evidence_backend(**options: Any) -> EvidenceBackend:
    """Build the backend; the only option is ``delay_seconds`` (simulated latency, default 0).

    ``model`` is accepted when it is None or this backend's own model name, since callers may
    pass the debate's configured model to whichever backend they create.
    """
    unknown = sorted(set(options) - {"delay_seconds", "model"})
    if unknown:
        raise ValueError(
            f"evidence backend: unknown option(s) {', '.join(unknown)}; "
            "accepted: delay_seconds (float >= 0), model"
        )
    model = options.get("model")
    if model not in (None, MODEL_NAME):
        raise ValueError(
            f"evidence backend: model {model!r} is not available; this backend is {MODEL_NAME!r}"
        )
    delay = options.get("delay_seconds", 0.0)
    if isinstance(delay, bool) or not isinstance(delay, int | float) or not math.isfinite(delay):
        raise ValueError(f"evidence backend: delay_seconds must be a number, not {delay!r}")
    if delay < 0:
        raise ValueError(f"evidence backend: delay_seconds must be >= 0, not {delay}")
    return EvidenceBackend(delay_seconds=float(delay))
