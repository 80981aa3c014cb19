"""Response and request bodies of the HTTP API, and their construction from stored rows.

Every number a response carries is read from a stored row as is (snapshots, trades, ratings);
nothing is recomputed here, so the API, the badges and the pages agree.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Generic, TypeVar
from urllib.parse import quote

from pydantic import BaseModel, Field

from api.legends import explain
from api.ratings import exchange_rating
from api.track_record import TrackRecordOut
from common.citations import citation_url
from common.limits import MAX_CLAIM, MAX_RESOLUTION_SOURCE, MAX_STATEMENT, MAX_TITLE
from scoring.legends import coverage_note, is_forecast_of, resolution_note
from storage.models import (
    EvidenceItem,
    Hypothesis,
    HypothesisStatus,
    MarketTrade,
    ScoreSnapshot,
)
from storage.queries.leaderboard import LeaderboardRow
from storage.queries.views import LatestScores
from wiki.badges import score_band

T = TypeVar("T")

# Field descriptions the score models share; the numbers' own legends come from api.legends.
RATING_LABEL = (
    "Which number the exchange rating is: the market price, or the composite standing in "
    "before the market has traded."
)
COMPOSITE_LOW = "The composite's 80% interval, low end."
COMPOSITE_HIGH = "The composite's 80% interval, high end."


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
    exchange_rating: float = Field(description=explain("exchange_rating"))
    exchange_rating_label: str = Field(description=RATING_LABEL)
    previous_exchange_rating: float | None
    composite: float = Field(description=explain("composite"))
    composite_low: float = Field(description=COMPOSITE_LOW)
    composite_high: float = Field(description=COMPOSITE_HIGH)
    market_price: float | None = Field(description=explain("market_price"))
    previous_composite: float | None
    band: str = Field(
        description="The exchange rating's colour band, as the badge paints it (wiki.badges)."
    )
    coverage_note: str | None = Field(
        default=None,
        description="Set when the panel scored fewer than all ten dimensions: how many, the "
        "share of the weight they carry, and which are missing. None when all ten were scored.",
    )
    snapshot_at: datetime
    resolution_note: str | None = Field(
        default=None,
        description="Set once the hypothesis is resolved: its outcome and date, and whether "
        "this exchange rating was computed before the resolution (a forecast of it) or after "
        "(with hindsight, not a forecast). None while the hypothesis is open.",
    )


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
    replicated_since: str | None = Field(
        description="When an independent study had first reproduced it (YYYY, YYYY-MM or "
        "YYYY-MM-DD), where known; an as-of debate sees it as replicated only from then on"
    )


class SnapshotOut(BaseModel):
    """One version of a hypothesis's scores. ``exchange_rating`` is what the badges and pages
    showed for it, by their rule; the rest is stored as computed."""

    version: int
    evaluation_id: int | None
    exchange_rating: float = Field(description=explain("exchange_rating"))
    exchange_rating_label: str = Field(description=RATING_LABEL)
    composite: float = Field(description=explain("composite"))
    composite_low: float = Field(description=COMPOSITE_LOW)
    composite_high: float = Field(description=COMPOSITE_HIGH)
    coverage: float = Field(
        description="The share of the dimension weights carried by the dimensions the panel "
        "scored (1: all ten), not the interval's coverage."
    )
    market_price: float | None = Field(description=explain("market_price"))
    rating: float | None = Field(
        description="The tournament's Bradley–Terry strength when the snapshot was taken, "
        "comparable only within its group (null: unrated); not the exchange rating."
    )
    rating_low: float | None = Field(description="The strength's 80% interval, low end.")
    rating_high: float | None = Field(description="The strength's 80% interval, high end.")
    quality: float | None
    config_hash: str
    dimensions: dict[str, Any]
    created_at: datetime
    before_resolution: bool | None = Field(
        default=None,
        description="Null while the hypothesis is open. Once it is validated or refuted: true "
        "when this version was computed before the day of the resolution (its exchange rating "
        "was a forecast of the outcome), false when on or after it (hindsight).",
    )


class LeaderboardEntry(BaseModel):
    """A tournament rating. ``rank`` and ``strength`` hold only within ``component``; both are
    null for an unrated hypothesis (too few decided matches). ``elo`` is the live number between
    fits, updated match by match in the order played and across groups; it can disagree with
    ``strength``, the rating of record."""

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
    status: str = Field(
        description="The hypothesis's status. Pairing takes open hypotheses only: a validated "
        "or refuted one is never entered (it keeps a rating it had)."
    )


class HypothesisDetail(HypothesisSummary):
    statement: str = _at_most(MAX_STATEMENT)
    intervention_type: str | None
    resolution_source: str | None = _at_most(MAX_RESOLUTION_SOURCE)
    resolved_on: date | None
    evidence: list[EvidenceOut]
    latest_snapshot: SnapshotOut | None
    latest_evaluation_id: int | None
    tournament: LeaderboardEntry = Field(
        description="The hypothesis's row of /leaderboard: its strength, interval, group and "
        "rank in the group, or unrated, with its match count."
    )
    track_record: list[TrackRecordOut] = Field(
        default_factory=list,
        description="For an open hypothesis, how the resolved hypotheses of the newest stored "
        "blind backtest fared in the band of its exchange rating (once its market has traded) "
        "and of its composite; empty when resolved, unscored, or no backtest is stored.",
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


class TradeOut(BaseModel):
    seq: int
    persona: str
    evaluation_id: int | None
    target_probability: float
    price_before: float
    price_after: float
    created_at: datetime


class CalibrationEntry(BaseModel):
    """A persona's believability, from its Brier score on resolved hypotheses."""

    persona: str
    believability: float
    brier: float | None
    resolved_count: int
    updated_at: datetime


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


def score_summary(
    scores: LatestScores | None, *, status: str = "open", resolved_on: date | None = None
) -> ScoreSummary | None:
    """The newest snapshot's numbers, headline first; a resolved hypothesis's outcome (its
    ``status`` and ``resolved_on``) decides what its exchange rating is read as."""
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
        coverage_note=coverage_note(scored=latest.dimensions or {}, coverage=latest.coverage),
        snapshot_at=latest.created_at,
        resolution_note=resolution_note(status, resolved_on, latest.created_at.date()),
    )


def hypothesis_summary(hypothesis: Hypothesis, scores: LatestScores | None) -> HypothesisSummary:
    return HypothesisSummary(
        id=hypothesis.id,
        title=hypothesis.title,
        status=hypothesis.status,
        genes=[gene.symbol for gene in hypothesis.genes],
        diseases=[disease.name for disease in hypothesis.diseases],
        score=score_summary(scores, status=hypothesis.status, resolved_on=hypothesis.resolved_on),
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
        replicated_since=item.replicated_since,
    )


def settled_on(hypothesis: Hypothesis) -> date | None:
    """The day a validated or refuted hypothesis was resolved; None while it is open."""
    return None if hypothesis.status == HypothesisStatus.OPEN else hypothesis.resolved_on


def snapshot_out(snapshot: ScoreSnapshot, *, resolved_on: date | None) -> SnapshotOut:
    """One version as stored, its shown number by the badges' rule, and, once the hypothesis
    is resolved (``resolved_on``, from ``settled_on``), whether it was a forecast of that."""
    shown = exchange_rating(snapshot)
    derived = ("exchange_rating", "exchange_rating_label", "before_resolution")
    stored = {
        name: getattr(snapshot, name) for name in SnapshotOut.model_fields if name not in derived
    }
    before = (
        None if resolved_on is None else is_forecast_of(resolved_on, snapshot.created_at.date())
    )
    return SnapshotOut(
        **stored,
        exchange_rating=shown.score,
        exchange_rating_label=shown.label,
        before_resolution=before,
    )


def hypothesis_detail(
    hypothesis: Hypothesis,
    scores: LatestScores | None,
    latest_evaluation_id: int | None,
    tournament: LeaderboardRow,
    track_record: list[TrackRecordOut],
) -> HypothesisDetail:
    summary = hypothesis_summary(hypothesis, scores)
    return HypothesisDetail(
        **summary.model_dump(),
        statement=hypothesis.statement,
        intervention_type=hypothesis.intervention_type,
        resolution_source=hypothesis.resolution_source,
        resolved_on=hypothesis.resolved_on,
        evidence=[evidence_out(item) for item in hypothesis.evidence],
        latest_snapshot=snapshot_out(scores.latest, resolved_on=settled_on(hypothesis))
        if scores
        else None,
        latest_evaluation_id=latest_evaluation_id,
        tournament=leaderboard_entry(tournament),
        track_record=track_record,
    )


def trade_out(trade: MarketTrade) -> TradeOut:
    return TradeOut.model_validate(trade, from_attributes=True)


def leaderboard_entry(row: LeaderboardRow) -> LeaderboardEntry:
    return LeaderboardEntry.model_validate(row, from_attributes=True)
