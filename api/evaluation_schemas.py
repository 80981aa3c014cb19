"""The API's evaluation shapes: queue requests and their options, evaluations with what they
were billed and (as of a date) forecast, and debate transcripts with flagged turns marked."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from datetime import date, datetime
from typing import Annotated, Any
from urllib.parse import quote

from pydantic import BaseModel, ConfigDict, Field, JsonValue

from api.schemas import Citation, citation
from common.text import POLICY
from debates.backends.knowledge import cutoffs_variable
from debates.backends.registry import available
from debates.config import MAX_ROUNDS, MIN_ROUNDS
from debates.consistency import flag_reasons
from debates.personas import all_personas
from storage.models import DebateTurn, Evaluation
from storage.queries.calibration import grades_personas, why_not_graded
from storage.queries.provider_batches import BatchOfEvaluation
from storage.queries.spending import BilledUsage


class BilledOut(BaseModel):
    """Everything the provider billed for an evaluation, including calls that stored no turn."""

    prompt_tokens: int
    completion_tokens: int
    cost_usd: float
    unanswered_calls: int = Field(
        description="Billed calls that produced no stored turn (an unrepairable reply, say)."
    )
    unanswered_cost_usd: float
    cached_read_tokens: int = Field(
        0, description="Of prompt_tokens: read from the provider's prompt cache (cheaper)."
    )
    cache_write_tokens: int = Field(
        0, description="Of prompt_tokens: written to the provider's prompt cache."
    )


class ForecastOut(BaseModel):
    as_of: date
    composite: float
    composite_low: float
    composite_high: float
    level: float
    exchange_rating: float = Field(
        description="The price a fresh market reaches on this debate alone (0.5 if untraded)."
    )


class ProviderBatchOut(BaseModel):
    """The latest provider batch that held one of the evaluation's turns."""

    id: int
    backend: str
    provider_batch_id: str | None = Field(description="The provider's id; null until sent.")
    state: str = Field(description="submitting, submitted, collected or failed.")
    status: str | None = Field(description="The provider's own word at the last poll.")
    created_at: datetime
    polled_at: datetime | None
    round: int
    persona: str
    item_state: str = Field(description="waiting, answered, errored, expired or canceled.")
    error: str | None


class EvaluationOut(BaseModel):
    id: int
    hypothesis_id: str
    state: str
    progress: dict[str, Any]
    config: dict[str, Any]
    model: str | None = Field(
        None,
        description="The model its backend asked for: the one its worker recorded when the "
        "debate started (the worker's default when the config names none), else the config's. "
        "Null for a backend without models, or a debate not yet started on the default.",
    )
    attempts: int
    max_attempts: int
    decisions: list[Any]
    quality: float | None
    error: str | None
    paused_reason: str | None = Field(
        None,
        description=(
            "Why a spend limit paused the evaluation (state paused); it resumes by itself "
            "once the limits allow its next turn."
        ),
    )
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    links: dict[str, str]
    billed: BilledOut | None = Field(
        None, description="What the provider billed; given by GET /evaluations/{id}."
    )
    as_of: date | None = Field(
        None,
        description="The date the debate was run as of: it saw only evidence published "
        "before it, and the facts dated by then (drug statuses and brain reach, replications, "
        "gene-disease links). Null: now.",
    )
    as_of_rule_version: int | None = Field(
        None,
        description="The version of the as-of rule its blind debate followed: what it could see "
        "(docs/scoring.md, section 6). Only the current version's blind forecasts grade the "
        "personas. Null: now, or a blind forecast made before the rule had versions.",
    )
    grades_personas: bool | None = Field(
        None,
        description="Whether this blind forecast counts toward persona calibration: made under "
        "the current as-of rule by a backend that cannot have known the outcome (one that "
        "reads only the case, or a model whose configured training cutoff came before the "
        "resolution). Null for an evaluation run as of now.",
    )
    grading_note: str | None = Field(
        None, description="Why it does or does not grade the personas, in words; null: now."
    )
    forecast: ForecastOut | None = Field(
        None,
        description="An as-of evaluation's blind forecast. It never enters the hypothesis's "
        "score history or its market.",
    )
    provider_batch: ProviderBatchOut | None = Field(
        None,
        description='For work delivered through provider batches (config delivery "batch"), '
        "the latest batch that held one of its turns; given by GET /evaluations/{id}.",
    )


_HYPOTHESIS_ID = r"^[A-Za-z0-9][A-Za-z0-9_.:-]*$"
MAX_BATCH = 1000
# The registries' names and the round bounds are published in the schema (as with the backend
# names below) but checked only by debates.config.validate_config, the one place that decides.
PERSONA_NAMES: list[JsonValue] = [persona.key for persona in all_personas()]
PersonaName = Annotated[
    str,
    Field(
        min_length=1,
        max_length=64,
        pattern=r"^[a-z][a-z0-9_]*$",
        json_schema_extra={"enum": PERSONA_NAMES},
    ),
]
RoundCount = Annotated[int, Field(json_schema_extra={"minimum": MIN_ROUNDS, "maximum": MAX_ROUNDS})]


BACKEND_NAMES: list[JsonValue] = list(available())
# Listed from the registry for the OpenAPI document; whether a name is known is checked with
# the rest of the configuration, so the message and the status are the same as for a persona.
BackendName = Annotated[
    str, Field(min_length=1, max_length=64, json_schema_extra={"enum": BACKEND_NAMES})
]

# Rules between fields, which JSON Schema cannot state: published in the schema under
# "x-constraints" so that clients and the API fuzzing know a request breaking one gets 422.
ROUNDS_CONSTRAINT: dict[str, JsonValue] = {
    "rule": "min_rounds <= max_rounds",
    "description": (
        "min_rounds may not exceed max_rounds; an omitted bound takes the server's default "
        "(HYPOSCORE_MIN_ROUNDS, HYPOSCORE_MAX_ROUNDS). Broken: 422 naming both."
    ),
}

AS_OF_CONSTRAINT: dict[str, JsonValue] = {
    "rule": "as_of <= today",
    "description": "as_of may not be in the future (UTC); omitted, it is now. Broken: 422.",
}


class DebateOptions(BaseModel):
    """How to debate; omitted options take the server's defaults.

    Cross-field rule: min_rounds <= max_rounds (see x-constraints); a request breaking it is
    answered 422."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"x-constraints": [ROUNDS_CONSTRAINT, AS_OF_CONSTRAINT]}
    )

    backend: BackendName | None = Field(
        None, description="An agent backend; the server's default when omitted."
    )
    panel: list[PersonaName] | None = Field(
        None,
        min_length=1,
        max_length=12,
        json_schema_extra={"uniqueItems": True},
        description="Persona names, e.g. theorist, skeptic, domain_expert, synthesizer.",
    )
    min_rounds: RoundCount | None = Field(
        None,
        description=f"At least N rounds ({MIN_ROUNDS}-{MAX_ROUNDS}).",
    )
    max_rounds: RoundCount | None = Field(
        None,
        description=f"At most N rounds ({MIN_ROUNDS}-{MAX_ROUNDS}).",
    )
    force: bool = Field(False, description="Queue even when an equal evaluation is live.")
    as_of: date | None = Field(
        None,
        description="Debate as of this date (YYYY-MM-DD, not in the future): only evidence "
        "published before it and the facts dated by then (drug statuses and brain reach, "
        "replications, gene-disease links), never the publication that resolved the hypothesis. "
        "The result is a blind forecast, kept off the score history and the market. "
        "Default: now.",
    )
    now: bool = Field(
        False,
        description="Ask every turn live. Without it, a backend with a provider batch API "
        "(when the server enables them) debates through batches at half the price, with "
        "answers within 24 hours.",
    )


class EvaluationRequest(DebateOptions):
    """A request to evaluate a hypothesis."""

    hypothesis_id: Annotated[str, POLICY] = Field(
        min_length=1, max_length=64, pattern=_HYPOTHESIS_ID
    )


class EvaluationBatchRequest(DebateOptions):
    """A request to evaluate several hypotheses with the same options, queued together."""

    hypothesis_ids: list[
        # POLICY after Field: the id pattern, the stricter of the two, is the one published.
        Annotated[str, Field(min_length=1, max_length=64, pattern=_HYPOTHESIS_ID), POLICY]
    ] = Field(min_length=1, max_length=MAX_BATCH, description="Each id once or more; up to 1,000.")


class EvaluationQueued(BaseModel):
    evaluation: EvaluationOut
    created: bool
    deduplicated: bool
    message: str


class EvaluationsQueued(BaseModel):
    evaluations: list[EvaluationQueued]
    created: int
    deduplicated: int


class ClaimOut(BaseModel):
    text: str
    citations: list[Citation]


class TurnOut(BaseModel):
    round: int
    persona: str
    backend: str
    model: str | None
    argument: str
    claims: list[ClaimOut]
    scores: dict[str, Any]
    confidence: float
    probability: float
    verdict: str
    unsupported_citations: list[Any]
    latency_ms: float
    created_at: datetime
    flagged: str | None = Field(
        None,
        description="Why this turn's scores were left out of the composite and the market: "
        "they contradict the case's evidence (docs/scoring.md). Null when they count.",
    )


class Transcript(BaseModel):
    evaluation: EvaluationOut
    turns: list[TurnOut]


def debated_model(evaluation: Evaluation) -> str | None:
    """The model that debates: the one its worker recorded asking for, else the config's."""
    return evaluation.model or (evaluation.config or {}).get("model")


def grading_note(evaluation: Evaluation) -> str | None:
    """Whether a blind forecast grades the personas, and why, for every view; None: now."""
    version, cutoff = evaluation.as_of_rule_version, evaluation.knowledge_cutoff
    if evaluation.as_of is None:
        return None
    why = why_not_graded(evaluation)
    if why == "older rule":
        under = f" ({version})" if version else ""
        return f"made under an older, looser as-of rule{under}, so it no longer grades the personas"
    if why == "no cutoff":
        model = debated_model(evaluation)
        backend = str((evaluation.config or {}).get("backend", ""))
        fix = (
            f" (configure its cutoff in {cutoffs_variable(backend)}: the workers give "
            "it to this debate when they restart)"
            if model and evaluation.model
            else ""
        )
        return (
            f"as-of rule {version}, but debated by {model or 'a model'}, which has no configured "
            f"training cutoff and may have read the outcome: it does not grade the personas{fix}"
        )
    if evaluation.reads_only_request or cutoff is None:
        return f"as-of rule {version}, the current one: it grades the personas"
    return (
        f"as-of rule {version}, debated by a model trained to {cutoff.isoformat()}: it grades "
        "the personas on an outcome settled after that"
    )


def evaluation_out(
    evaluation: Evaluation,
    billed: BilledUsage | None = None,
    batch: BatchOfEvaluation | None = None,
) -> EvaluationOut:
    return EvaluationOut(
        provider_batch=ProviderBatchOut(**dataclasses.asdict(batch)) if batch else None,
        billed=BilledOut(**dataclasses.asdict(billed)) if billed is not None else None,
        id=evaluation.id,
        hypothesis_id=evaluation.hypothesis_id,
        state=evaluation.state,
        progress=dict(evaluation.progress or {}),
        config=dict(evaluation.config or {}),
        model=debated_model(evaluation),
        attempts=evaluation.attempts,
        max_attempts=evaluation.max_attempts,
        decisions=list(evaluation.decisions or []),
        quality=evaluation.quality,
        error=evaluation.error,
        paused_reason=evaluation.paused_reason,
        as_of=evaluation.as_of,
        as_of_rule_version=evaluation.as_of_rule_version,
        grades_personas=grades_personas(evaluation),
        grading_note=grading_note(evaluation),
        forecast=ForecastOut.model_validate(evaluation.forecast) if evaluation.forecast else None,
        created_at=evaluation.created_at,
        started_at=evaluation.started_at,
        finished_at=evaluation.finished_at,
        links={
            "self": f"/evaluations/{evaluation.id}",
            "transcript": f"/evaluations/{evaluation.id}/transcript",
            "hypothesis": f"/hypotheses/{quote(evaluation.hypothesis_id, safe='')}",
        },
    )


def _claim_out(raw: Any) -> ClaimOut:
    # Claims are JSON written by the debates; tolerate a bare string from older rows.
    if isinstance(raw, dict):
        keys = [str(key) for key in raw.get("citations", []) or []]
        return ClaimOut(text=str(raw.get("text", "")), citations=[citation(k) for k in keys])
    return ClaimOut(text=str(raw), citations=[])


def turn_outs(evaluation: Evaluation, turns: Iterable[DebateTurn]) -> list[TurnOut]:
    """An evaluation's turns, each marked with why it was flagged, if it was."""
    flags = flag_reasons(evaluation.decisions or [])
    return [turn_out(turn, flags.get((turn.round, turn.persona))) for turn in turns]


def turn_out(turn: DebateTurn, flagged: str | None = None) -> TurnOut:
    return TurnOut(
        round=turn.round,
        persona=turn.persona,
        backend=turn.backend,
        model=turn.model,
        argument=turn.argument,
        claims=[_claim_out(claim) for claim in turn.claims or []],
        scores=dict(turn.scores or {}),
        confidence=turn.confidence,
        probability=turn.probability,
        verdict=turn.verdict,
        unsupported_citations=list(turn.unsupported_citations or []),
        latency_ms=turn.latency_ms,
        created_at=turn.created_at,
        flagged=flagged,
    )
