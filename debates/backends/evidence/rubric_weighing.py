"""Weighing evidence: how much one study moves one persona's belief, and the sums of a case.

Part of the offline backend's rubric (``debates.backends.evidence.rubric`` scores the
dimensions from these
weights). Pure functions, no I/O. Items are always visited in one canonical order, so sums,
and therefore scores, do not depend on the order the evidence arrived in.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from debates.backends.evidence.rubric_lenses import Lens
from debates.case import Case, Evidence
from debates.derived import per_case_and
from scoring.dimensions import Dimension

# How much one study of each design can move belief, before any discount.
STUDY_WEIGHTS: Mapping[str, float] = MappingProxyType(
    {
        "meta-analysis": 1.0,
        "rct": 0.9,
        "human-genetics": 0.7,
        "human-cohort": 0.6,
        "animal-model": 0.35,
        "in-vitro": 0.2,
        "computational": 0.15,
        "review": 0.1,
    }
)
DIRECTIONS = ("supports", "contradicts")
HUMAN_STUDY_TYPES = frozenset({"meta-analysis", "rct", "human-cohort", "human-genetics"})
TRIAL_STUDY_TYPES = frozenset({"meta-analysis", "rct"})
# Designs that speak to how the mechanism works rather than to whether patients benefit.
MECHANISTIC_STUDY_TYPES = frozenset({"in-vitro", "animal-model", "human-genetics", "computational"})


def canonical_order(items: Iterable[Evidence]) -> list[Evidence]:
    """Items in an order fixed by their content alone, so float sums never depend on input order."""
    return sorted(
        items,
        key=lambda e: (
            e.citation,
            e.direction,
            e.study_type,
            e.claim,
            e.organism or "",
            -1 if e.year is None else e.year,
            -1 if e.sample_size is None else e.sample_size,
            {None: 0, False: 1, True: 2}[e.replicated],
        ),
    )


def is_human(item: Evidence) -> bool:
    return item.study_type in HUMAN_STUDY_TYPES


def sample_factor(sample_size: int | None, lens: Lens) -> float:
    if sample_size is None:
        return lens.unknown_sample
    size = max(sample_size, 0)
    return size / (size + lens.sample_half)


def replication_factor(replicated: bool | None, lens: Lens) -> float:
    if replicated is None:
        return lens.unknown_replication
    return 1.0 if replicated else lens.unreplicated


def item_weight(item: Evidence, lens: Lens) -> float:
    """How much ``item`` moves this persona's belief, for or against; always >= 0."""
    weight = STUDY_WEIGHTS.get(item.study_type, 0.0) * lens.type_factors.get(item.study_type, 1.0)
    contradicts = item.direction == "contradicts"
    if not contradicts or lens.discount_contradictions:
        weight *= sample_factor(item.sample_size, lens)
        weight *= replication_factor(item.replicated, lens)
    if contradicts:
        weight *= lens.contradiction
        if item.study_type in TRIAL_STUDY_TYPES:
            weight *= lens.contradicting_trial
    elif not is_human(item):
        weight *= lens.nonhuman_support
    return weight


@dataclass(frozen=True)
class Weighed:
    item: Evidence
    weight: float


def weighed(items: Iterable[Evidence], lens: Lens) -> list[Weighed]:
    """Items with their weights, strongest first; the citation breaks ties."""
    return _strongest_first(_pairs(items, lens))


def _pairs(items: Iterable[Evidence], lens: Lens) -> list[Weighed]:
    return [Weighed(item, item_weight(item, lens)) for item in canonical_order(items)]


def _strongest_first(pairs: Iterable[Weighed]) -> list[Weighed]:
    return sorted(pairs, key=lambda w: (-w.weight, w.item.citation))


@dataclass(frozen=True)
class Tally:
    """Summed weights of support and contradiction, split into human and other evidence."""

    human_support: float = 0.0
    human_against: float = 0.0
    other_support: float = 0.0
    other_against: float = 0.0

    @property
    def support(self) -> float:
        return self.human_support + self.other_support

    @property
    def against(self) -> float:
        return self.human_against + self.other_against

    @property
    def total(self) -> float:
        return self.support + self.against


def tally(items: Iterable[Evidence], lens: Lens) -> Tally:
    return _tally(_pairs(items, lens))


def _tally(pairs: Iterable[Weighed]) -> Tally:
    """The sums of ``pairs``' weights, added in the order given (canonical, for stable floats)."""
    sums = {"hs": 0.0, "ha": 0.0, "os": 0.0, "oa": 0.0}
    for pair in pairs:
        item = pair.item
        key = ("h" if is_human(item) else "o") + ("a" if item.direction == "contradicts" else "s")
        sums[key] += pair.weight
    return Tally(sums["hs"], sums["ha"], sums["os"], sums["oa"])


@dataclass(frozen=True)
class Reading:
    """A case's evidence as one lens weighs it, worked out once per case and lens.

    ``weighed`` is ``weighed(case.evidence, lens)``; any subset of it, filtered in order, is
    what ``weighed`` gives for that subset, and likewise the tallies, because both sorts are
    stable over the one canonical order. ``scores`` and ``bases`` fill in as they are asked for.
    """

    weighed: tuple[Weighed, ...]
    tally: Tally
    mechanistic: Tally  # the tally of the MECHANISTIC_STUDY_TYPES items alone
    scores: dict[Dimension, float] = field(default_factory=dict, compare=False, repr=False)
    bases: dict[Dimension, tuple[Weighed, ...]] = field(
        default_factory=dict, compare=False, repr=False
    )


@per_case_and
def reading(case: Case, lens: Lens) -> Reading:
    pairs = _pairs(case.evidence, lens)
    return Reading(
        weighed=tuple(_strongest_first(pairs)),
        tally=_tally(pairs),
        mechanistic=_tally(p for p in pairs if p.item.study_type in MECHANISTIC_STUDY_TYPES),
    )


def share(support: float, against: float, prior: float = 1.0) -> float:
    """Support's share of all weight plus a prior mass: in [0, 1), rising with support alone."""
    return support / (support + against + prior)


def saturation(amount: float, half: float) -> float:
    return amount / (amount + half)
