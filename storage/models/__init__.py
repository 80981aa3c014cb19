"""SQLAlchemy models: the ledger and the single source of truth for every number hyposcore shows.

One module per part of the schema; everything is re-exported here, so callers import from
``storage.models``.
"""

from storage.models.backtests import BacktestReport, JudgeBatch
from storage.models.base import NAMING_CONVENTION, Base, UTCDateTime, utcnow
from storage.models.batches import ProviderBatch, ProviderBatchItem
from storage.models.enums import (
    ACTIVE_STATES,
    TERMINAL_STATES,
    BatchItemState,
    Direction,
    EvaluationState,
    HypothesisStatus,
    MatchOutcome,
    ProviderBatchState,
    ScoreSource,
    StudyType,
)
from storage.models.idempotency import IdempotencyKey
from storage.models.knowledge import (
    Disease,
    Drug,
    EvidenceItem,
    Gene,
    Hypothesis,
    gene_diseases,
    gene_drugs,
    hypothesis_diseases,
    hypothesis_genes,
)
from storage.models.ledger import DebateTurn, Evaluation, UnansweredCall
from storage.models.pages import DisplayedScore, GenePage, PageRevision
from storage.models.scores import (
    Market,
    MarketTrade,
    PersonaCalibration,
    Rating,
    ScoreSnapshot,
    ScoringConfig,
    TournamentMatch,
)
from storage.models.tokens import ApiToken
from storage.models.workers import SchedulerPass, WorkerHeartbeat

__all__ = [
    "ACTIVE_STATES",
    "NAMING_CONVENTION",
    "TERMINAL_STATES",
    "ApiToken",
    "BacktestReport",
    "Base",
    "BatchItemState",
    "DebateTurn",
    "Direction",
    "Disease",
    "DisplayedScore",
    "Drug",
    "Evaluation",
    "EvaluationState",
    "EvidenceItem",
    "Gene",
    "GenePage",
    "Hypothesis",
    "HypothesisStatus",
    "IdempotencyKey",
    "JudgeBatch",
    "Market",
    "MarketTrade",
    "MatchOutcome",
    "PageRevision",
    "PersonaCalibration",
    "ProviderBatch",
    "ProviderBatchItem",
    "ProviderBatchState",
    "Rating",
    "SchedulerPass",
    "ScoreSnapshot",
    "ScoreSource",
    "ScoringConfig",
    "StudyType",
    "TournamentMatch",
    "UTCDateTime",
    "UnansweredCall",
    "WorkerHeartbeat",
    "gene_diseases",
    "gene_drugs",
    "hypothesis_diseases",
    "hypothesis_genes",
    "utcnow",
]
