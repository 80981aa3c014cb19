"""Response and request bodies of the HTTP API, and their construction from stored rows.

Every number a response carries is read from a stored row as is (snapshots, trades, ratings);
nothing is recomputed here, so the API, the badges and the pages agree.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from datetime import date, datetime
from typing import Annotated, Any, Generic, TypeVar
from urllib.parse import quote

from pydantic import BaseModel, ConfigDict, Field, JsonValue

from api.ratings import exchange_rating
from common.citations import citation_url
from common.limits import MAX_CLAIM, MAX_RESOLUTION_SOURCE, MAX_STATEMENT, MAX_TITLE
from common.text import POLICY
from debates.backends.registry import available
from debates.config import MAX_ROUNDS, MIN_ROUNDS
from debates.consistency import flag_reasons
from debates.personas import all_personas
from storage.models import (
    DebateTurn,
    Evaluation,
    EvidenceItem,
    Gene,
    Hypothesis,
    MarketTrade,
    ScoreSnapshot,
)
from storage.queries.spending import BilledUsage
from storage.queries.tournament import LeaderboardRow
from storage.queries.views import LatestScores
from wiki.badges import score_band

T = TypeVar("T")


class Paginated(BaseModel, Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int


class ScoreSummary(BaseModel):
    """What a badge and a published page show for a hypothesis, from its newest snapshot.

    ``exchange_rating`` is the market price when the snapshot has one, else the composite
    (``exchange_rating_label`` says which) - the publisher's rule, so pages and API agree.
    """

    version: int
    exchange_rating: float
    exchange_rating_label: str
    previous_exchange_rating: float | None
    composite: float
    composite_low: float
    composite_high: float
    market_price: float | None
    previous_composite: float | None
    band: str
    snapshot_at: datetime


class HypothesisLinks(BaseModel):
    self: str
    page: str
    badge_svg: str
    badge_json: str
    history: str


def _at_most(limit: int) -> Any:
    # Documented, not enforced on the way out: a row stored before the limits existed must
    # still be readable; imports and prompts enforce them (common.limits).
    return Field(json_schema_extra={"maxLength": limit})


class HypothesisSummary(BaseModel):
    id: str
    title: str = _at_most(MAX_TITLE)
    status: str
    genes: list[str]
    diseases: list[str]
    score: ScoreSummary | None
    links: HypothesisLinks


class Citation(BaseModel):
    key: str
    url: str | None


class EvidenceOut(BaseModel):
    citation: Citation
    claim: str = _at_most(MAX_CLAIM)
    direction: str
    study_type: str
    organism: str | None
    year: int | None
    sample_size: int | None
    replicated: bool | None


class SnapshotOut(BaseModel):
    version: int
    evaluation_id: int | None
    composite: float
    composite_low: float
    composite_high: float
    coverage: float
    market_price: float | None
    rating: float | None
    rating_low: float | None
    rating_high: float | None
    quality: float | None
    config_hash: str
    dimensions: dict[str, Any]
    created_at: datetime


class HypothesisDetail(HypothesisSummary):
    statement: str = _at_most(MAX_STATEMENT)
    intervention_type: str | None
    resolution_source: str | None = _at_most(MAX_RESOLUTION_SOURCE)
    resolved_on: date | None
    evidence: list[EvidenceOut]
    latest_snapshot: SnapshotOut | None
    latest_evaluation_id: int | None


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


class DaySpendOut(BaseModel):
    day: date
    prompt_tokens: int = Field(description="Every input token, cached or not.")
    cached_read_tokens: int
    cache_write_tokens: int
    completion_tokens: int
    cost_usd: float


class HypothesisSpend(BaseModel):
    """What model providers billed for a hypothesis's evaluations, by UTC day, and in all."""

    hypothesis_id: str
    days: list[DaySpendOut]
    cost_usd: float
    prompt_tokens: int
    cached_read_tokens: int
    completion_tokens: int


class ForecastOut(BaseModel):
    as_of: date
    composite: float
    composite_low: float
    composite_high: float
    level: float
    exchange_rating: float = Field(
        description="The price a fresh market reaches on this debate alone (0.5 if untraded)."
    )


class EvaluationOut(BaseModel):
    id: int
    hypothesis_id: str
    state: str
    progress: dict[str, Any]
    config: dict[str, Any]
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
        "before it. Null: now.",
    )
    forecast: ForecastOut | None = Field(
        None,
        description="An as-of evaluation's blind forecast. It never enters the hypothesis's "
        "score history or its market.",
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
ROUNDS_RANGE = f"{MIN_ROUNDS} to {MAX_ROUNDS}"
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
        "published before it, never the publication that resolved the hypothesis. The "
        "result is a blind forecast, kept off the score history and the market. Default: now.",
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


class TradeOut(BaseModel):
    seq: int
    persona: str
    evaluation_id: int | None
    target_probability: float
    price_before: float
    price_after: float
    created_at: datetime


class LeaderboardEntry(BaseModel):
    """A tournament rating. ``rank`` and ``strength`` hold only within ``component``; both are
    null for an unrated hypothesis (too few decided matches)."""

    rank: int | None
    hypothesis_id: str
    title: str
    rated: bool
    strength: float | None
    strength_low: float | None
    strength_high: float | None
    elo: float
    matches: int
    decided: int
    component: int | None
    component_size: int | None
    fitted_at: datetime | None


class CalibrationEntry(BaseModel):
    """A persona's believability, from its Brier score on resolved hypotheses."""

    persona: str
    believability: float
    brier: float | None
    resolved_count: int
    updated_at: datetime


class GenePageInfo(BaseModel):
    name: str
    imported_at: datetime
    latest_revision: int | None
    published_at: datetime | None


class GeneOut(BaseModel):
    symbol: str
    full_name: str | None
    location: str | None
    ncbi_gene_id: str | None
    uniprot_id: str | None
    diseases: list[str]
    hypotheses: list[HypothesisSummary]
    page: GenePageInfo | None
    links: dict[str, str]


# --- construction from rows ------------------------------------------------------------------


def hypothesis_links(hypothesis_id: str) -> HypothesisLinks:
    hypothesis_id = quote(hypothesis_id, safe="")
    return HypothesisLinks(
        self=f"/hypotheses/{hypothesis_id}",
        page=f"/web/hypotheses/{hypothesis_id}",
        badge_svg=f"/badges/hypotheses/{hypothesis_id}.svg",
        badge_json=f"/badges/hypotheses/{hypothesis_id}.json",
        history=f"/hypotheses/{hypothesis_id}/history",
    )


def score_summary(scores: LatestScores | None) -> ScoreSummary | None:
    if scores is None:
        return None
    latest = scores.latest
    shown = exchange_rating(latest)
    return ScoreSummary(
        version=latest.version,
        exchange_rating=shown.score,
        exchange_rating_label=shown.label,
        previous_exchange_rating=exchange_rating(scores.previous).score
        if scores.previous
        else None,
        composite=latest.composite,
        composite_low=latest.composite_low,
        composite_high=latest.composite_high,
        market_price=latest.market_price,
        previous_composite=scores.previous.composite if scores.previous else None,
        band=score_band(shown.score).name,
        snapshot_at=latest.created_at,
    )


def hypothesis_summary(hypothesis: Hypothesis, scores: LatestScores | None) -> HypothesisSummary:
    return HypothesisSummary(
        id=hypothesis.id,
        title=hypothesis.title,
        status=hypothesis.status,
        genes=[gene.symbol for gene in hypothesis.genes],
        diseases=[disease.name for disease in hypothesis.diseases],
        score=score_summary(scores),
        links=hypothesis_links(hypothesis.id),
    )


def citation(key: str) -> Citation:
    return Citation(key=key, url=citation_url(key))


def evidence_out(item: EvidenceItem) -> EvidenceOut:
    return EvidenceOut(
        citation=citation(item.citation),
        claim=item.claim,
        direction=item.direction,
        study_type=item.study_type,
        organism=item.organism,
        year=item.year,
        sample_size=item.sample_size,
        replicated=item.replicated,
    )


def snapshot_out(snapshot: ScoreSnapshot) -> SnapshotOut:
    return SnapshotOut.model_validate(snapshot, from_attributes=True)


def hypothesis_detail(
    hypothesis: Hypothesis, scores: LatestScores | None, latest_evaluation_id: int | None
) -> HypothesisDetail:
    summary = hypothesis_summary(hypothesis, scores)
    return HypothesisDetail(
        **summary.model_dump(),
        statement=hypothesis.statement,
        intervention_type=hypothesis.intervention_type,
        resolution_source=hypothesis.resolution_source,
        resolved_on=hypothesis.resolved_on,
        evidence=[evidence_out(item) for item in hypothesis.evidence],
        latest_snapshot=snapshot_out(scores.latest) if scores else None,
        latest_evaluation_id=latest_evaluation_id,
    )


def evaluation_out(evaluation: Evaluation, billed: BilledUsage | None = None) -> EvaluationOut:
    return EvaluationOut(
        billed=BilledOut(**dataclasses.asdict(billed)) if billed is not None else None,
        id=evaluation.id,
        hypothesis_id=evaluation.hypothesis_id,
        state=evaluation.state,
        progress=dict(evaluation.progress or {}),
        config=dict(evaluation.config or {}),
        attempts=evaluation.attempts,
        max_attempts=evaluation.max_attempts,
        decisions=list(evaluation.decisions or []),
        quality=evaluation.quality,
        error=evaluation.error,
        paused_reason=evaluation.paused_reason,
        as_of=evaluation.as_of,
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


def trade_out(trade: MarketTrade) -> TradeOut:
    return TradeOut.model_validate(trade, from_attributes=True)


def leaderboard_entry(row: LeaderboardRow) -> LeaderboardEntry:
    return LeaderboardEntry.model_validate(row, from_attributes=True)


def gene_links(symbol: str) -> dict[str, str]:
    symbol = quote(symbol, safe="")
    return {
        "self": f"/genes/{symbol}",
        "page": f"/web/genes/{symbol}",
        "badge_svg": f"/badges/genes/{symbol}.svg",
        "badge_json": f"/badges/genes/{symbol}.json",
    }


def gene_out(gene: Gene, hypotheses: list[HypothesisSummary], page: GenePageInfo | None) -> GeneOut:
    return GeneOut(
        symbol=gene.symbol,
        full_name=gene.full_name,
        location=gene.location,
        ncbi_gene_id=gene.ncbi_gene_id,
        uniprot_id=gene.uniprot_id,
        diseases=[disease.name for disease in gene.diseases],
        hypotheses=hypotheses,
        page=page,
        links=gene_links(gene.symbol),
    )
