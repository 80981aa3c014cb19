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
