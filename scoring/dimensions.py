"""The ten scoring dimensions and their default weights (they sum to 1)."""

from __future__ import annotations

from enum import StrEnum
from types import MappingProxyType


class Dimension(StrEnum):
    MECHANISTIC_PLAUSIBILITY = "mechanistic_plausibility"
    EVIDENCE_STRENGTH = "evidence_strength"
    NOVELTY = "novelty"
    FEASIBILITY = "feasibility"
    THERAPEUTIC_POTENTIAL = "therapeutic_potential"
    DRUGGABILITY = "druggability"
    SAFETY_PROFILE = "safety_profile"
    COMPETITIVE_LANDSCAPE = "competitive_landscape"
    DATA_AVAILABILITY = "data_availability"
    REPRODUCIBILITY = "reproducibility"


DEFAULT_WEIGHTS: MappingProxyType[Dimension, float] = MappingProxyType(
    {
        Dimension.MECHANISTIC_PLAUSIBILITY: 0.15,
        Dimension.EVIDENCE_STRENGTH: 0.15,
        Dimension.NOVELTY: 0.12,
        Dimension.FEASIBILITY: 0.12,
        Dimension.THERAPEUTIC_POTENTIAL: 0.12,
        Dimension.DRUGGABILITY: 0.10,
        Dimension.SAFETY_PROFILE: 0.08,
        Dimension.COMPETITIVE_LANDSCAPE: 0.06,
        Dimension.DATA_AVAILABILITY: 0.05,
        Dimension.REPRODUCIBILITY: 0.05,
    }
)

# What each dimension measures (1.0 is best), in one place: the prompts give models these
# definitions, and docs/scoring.md shows them. The offline rubric computes the same things.
MEANINGS: MappingProxyType[Dimension, str] = MappingProxyType(
    {
        Dimension.MECHANISTIC_PLAUSIBILITY: (
            "how well the genes' known functions and pathways explain the proposed mechanism, "
            "moved by the mechanistic studies for and against it"
        ),
        Dimension.EVIDENCE_STRENGTH: (
            "the balance of the cited evidence for the hypothesis against the evidence that "
            "contradicts it, human studies counting most"
        ),
        Dimension.NOVELTY: (
            "how open the question is: few and recent studies score high, many old ones low"
        ),
        Dimension.FEASIBILITY: (
            "how practical a test in patients would be (available drugs, brain reach, disease "
            "link, kind of intervention), moved by the human evidence"
        ),
        Dimension.THERAPEUTIC_POTENTIAL: (
            "how much patients could gain (disease link, drug readiness), moved by the human "
            "evidence"
        ),
        Dimension.DRUGGABILITY: (
            "how ready the target is for a drug: approved or advanced drugs, how many, and "
            "whether they reach the brain"
        ),
        Dimension.SAFETY_PROFILE: (
            "how safe intervening looks from known human exposure to the drugs, moved by the "
            "human evidence"
        ),
        Dimension.COMPETITIVE_LANDSCAPE: (
            "the room left to compete: fewer advanced drugs on the target and fewer studies "
            "score higher"
        ),
        Dimension.DATA_AVAILABILITY: (
            "how much has been studied, whichever way it came out: studies, human studies, "
            "and the genes' known links"
        ),
        Dimension.REPRODUCIBILITY: (
            "how much of the supporting evidence is replicated, against all the evidence that "
            "contradicts it"
        ),
    }
)
