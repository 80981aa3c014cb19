"""How each persona weighs a study: the lenses of the written rubric.

A lens holds only numbers; :mod:`debates.backends.evidence.rubric` applies them. Personas
without a lens of their
own (Domain Expert, Synthesizer, Ethicist, Medicinal Chemist) see evidence through ``NEUTRAL``;
their differences lie in the dimensions they score, not in how they weigh a study.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType


@dataclass(frozen=True)
class Lens:
    """How one persona weighs a study; see the persona table in docs/debate-rubric.md."""

    name: str
    sample_half: float = 50.0  # sample size at which a study counts half
    unknown_sample: float = 0.5  # factor when the sample size is not reported
    unreplicated: float = 0.7  # factor when replicated is False
    unknown_replication: float = 0.85  # factor when replication is not reported
    nonhuman_support: float = 0.6  # factor for support from animal, cell or computer studies
    contradiction: float = 1.0  # factor for contradicting evidence
    contradicting_trial: float = 1.5  # further factor for a contradicting RCT or meta-analysis
    discount_contradictions: bool = True  # apply size and replication discounts to them too
    human_share: float = 0.6  # evidence_strength: part earned by the human evidence balance
    other_share: float = 0.3  # evidence_strength: part earned by non-human evidence balance
    type_factors: Mapping[str, float] = field(default_factory=lambda: MappingProxyType({}))


NEUTRAL = Lens("neutral")
LENSES: Mapping[str, Lens] = MappingProxyType(
    {
        "theorist": Lens(
            "theorist",
            sample_half=30.0,
            unreplicated=0.8,
            unknown_replication=0.9,
            nonhuman_support=0.9,
            contradicting_trial=1.25,
            human_share=0.45,
            other_share=0.45,
            type_factors=MappingProxyType({"in-vitro": 1.25, "computational": 1.2}),
        ),
        "skeptic": Lens(
            "skeptic",
            sample_half=100.0,
            unknown_sample=0.35,
            unreplicated=0.4,
            unknown_replication=0.7,
            nonhuman_support=0.35,
            contradiction=1.5,
            contradicting_trial=2.0,
            discount_contradictions=False,
            human_share=0.6,
            other_share=0.15,
        ),
        "epidemiologist": Lens(
            "epidemiologist",
            nonhuman_support=0.5,
            contradiction=1.25,
            human_share=0.65,
            other_share=0.25,
            type_factors=MappingProxyType({"human-cohort": 1.2, "human-genetics": 1.1}),
        ),
        "computational_biologist": Lens(
            "computational_biologist",
            sample_half=40.0,
            nonhuman_support=0.7,
            human_share=0.5,
            other_share=0.4,
            type_factors=MappingProxyType({"computational": 1.5, "human-genetics": 1.2}),
        ),
        "clinical_trialist": Lens(
            "clinical_trialist",
            sample_half=80.0,
            unreplicated=0.5,
            unknown_replication=0.75,
            nonhuman_support=0.4,
            contradiction=1.25,
            contradicting_trial=2.0,
            human_share=0.65,
            other_share=0.15,
            type_factors=MappingProxyType({"rct": 1.2}),
        ),
    }
)


def lens_for(persona: str) -> Lens:
    """The persona's lens; personas without their own (Domain Expert, ...) use the neutral one."""
    return LENSES.get(persona, NEUTRAL)
