"""The fixed vocabularies of the schema."""

from __future__ import annotations

import enum

# The page parser shares this vocabulary, so it lives in common; the schema re-exports it.
from common.page_scores import ScoreSource as ScoreSource


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
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"


ACTIVE_STATES = (EvaluationState.QUEUED, EvaluationState.RUNNING)
TERMINAL_STATES = (EvaluationState.SUCCEEDED, EvaluationState.FAILED, EvaluationState.CANCELLED)


class MatchOutcome(enum.StrEnum):
    A = "a"
    B = "b"
    TIE = "tie"
    INVALID = "invalid"
