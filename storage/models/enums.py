"""The fixed vocabularies of the schema."""

from __future__ import annotations

import enum

# The page parser and the tournament maths own these vocabularies; the schema re-exports them.
from common.page_scores import ScoreSource as ScoreSource
from scoring.tournament import MatchOutcome as MatchOutcome


class HypothesisStatus(enum.StrEnum):
    OPEN = "open"
    VALIDATED = "validated"
    REFUTED = "refuted"


class Direction(enum.StrEnum):
    SUPPORTS = "supports"
    CONTRADICTS = "contradicts"


class StudyType(enum.StrEnum):
    META_ANALYSIS = "meta-analysis"
    RCT = "rct"
    HUMAN_COHORT = "human-cohort"
    HUMAN_GENETICS = "human-genetics"
    ANIMAL_MODEL = "animal-model"
    IN_VITRO = "in-vitro"
    COMPUTATIONAL = "computational"
    REVIEW = "review"


class EvaluationState(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    # The debate is stored and the evaluation waits for the scoring queue; it holds no lease,
    # so a backlog of score messages can never expire it (the reaper re-sends its message).
    DEBATED = "debated"
    # Stopped at a turn boundary by a spend limit, its turns stored and no lease held; the
    # reaper resumes it (back to queued) once the limits allow its next turn.
    PAUSED = "paused"
    # Its next turn is in a provider batch (work that can wait, at half price); it holds no
    # lease: the ledger's batch row says what it waits for, and beat collects the answer.
    BATCHED = "batched"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"


ACTIVE_STATES = (
    EvaluationState.QUEUED,
    EvaluationState.RUNNING,
    EvaluationState.DEBATED,
    EvaluationState.PAUSED,
    EvaluationState.BATCHED,
)
TERMINAL_STATES = (EvaluationState.SUCCEEDED, EvaluationState.FAILED, EvaluationState.CANCELLED)


class ProviderBatchState(enum.StrEnum):
    # Recorded with its items before it is sent, so a crash mid-send leaves a trace to clear.
    SUBMITTING = "submitting"
    SUBMITTED = "submitted"
    # Its answers are stored on its items and its evaluations are queued again.
    COLLECTED = "collected"
    FAILED = "failed"


class BatchItemState(enum.StrEnum):
    WAITING = "waiting"
    ANSWERED = "answered"
    ERRORED = "errored"
    EXPIRED = "expired"
    CANCELED = "canceled"
