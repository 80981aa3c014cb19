"""What an agent must return, validated by pydantic whatever backend produced it."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from scoring.dimensions import Dimension

Score = Annotated[float, Field(ge=0.0, le=1.0)]


class Verdict(StrEnum):
    SUPPORT = "support"
    OPPOSE = "oppose"
    UNCERTAIN = "uncertain"


class Claim(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=4000)
    # Canonical keys ("PMID:123", "DOI:10.x/y") of the evidence the claim rests on.
    citations: list[str] = Field(default_factory=list, max_length=50)


class TurnOutput(BaseModel):
    """One persona's turn. Scores are in [0, 1], one per dimension the persona covers."""

    model_config = ConfigDict(extra="forbid")

    argument: str = Field(min_length=1, max_length=20000)
    claims: list[Claim] = Field(default_factory=list, max_length=50)
    scores: dict[Dimension, Score] = Field(default_factory=dict)
    confidence: float = Field(ge=0.0, le=1.0)
    probability: float = Field(ge=0.0, le=1.0, description="P(the hypothesis is validated)")
    verdict: Verdict


class JudgeChoice(StrEnum):
    FIRST = "first"
    SECOND = "second"


class JudgeOutput(BaseModel):
    """A tournament judge's verdict on two hypotheses shown as "first" and "second"."""

    model_config = ConfigDict(extra="forbid")

    winner: JudgeChoice
    rationale: str = Field(min_length=1, max_length=8000)
