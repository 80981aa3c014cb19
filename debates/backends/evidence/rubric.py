"""The written rubric of the offline ``evidence`` backend: scores from a Case alone.

Pure functions, no I/O. Every number a persona gives comes from here, and docs/debate-rubric.md
states the same rules in prose. A :class:`Lens` says how one persona weighs evidence (the
Skeptic discounts small, unreplicated and animal-only support and takes contradictions at face
value); the dimension scorers turn the weighed evidence and the genes' facts into scores in
[0, 1]. Items are always visited in one canonical order, so sums, and therefore scores, do not
depend on the order the evidence arrived in.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from debates.backends.evidence.rubric_facts import (
    best_readiness,
    brain_reach,
    connectivity,
    disease_link,
    drugs_of,
    intervention_fit,
    matched_functions,
    readiness,
)
from debates.backends.evidence.rubric_lenses import LENSES as LENSES
from debates.backends.evidence.rubric_lenses import NEUTRAL as NEUTRAL
from debates.backends.evidence.rubric_lenses import Lens as Lens
from debates.backends.evidence.rubric_lenses import lens_for as lens_for
from debates.backends.evidence.rubric_weighing import DIRECTIONS as DIRECTIONS
from debates.backends.evidence.rubric_weighing import HUMAN_STUDY_TYPES as HUMAN_STUDY_TYPES
from debates.backends.evidence.rubric_weighing import (
    MECHANISTIC_STUDY_TYPES as MECHANISTIC_STUDY_TYPES,
)
from debates.backends.evidence.rubric_weighing import STUDY_WEIGHTS as STUDY_WEIGHTS
from debates.backends.evidence.rubric_weighing import TRIAL_STUDY_TYPES as TRIAL_STUDY_TYPES
from debates.backends.evidence.rubric_weighing import Reading as Reading
from debates.backends.evidence.rubric_weighing import Tally as Tally
from debates.backends.evidence.rubric_weighing import Weighed as Weighed
from debates.backends.evidence.rubric_weighing import canonical_order as canonical_order
from debates.backends.evidence.rubric_weighing import is_human as is_human
from debates.backends.evidence.rubric_weighing import item_weight as item_weight
from debates.backends.evidence.rubric_weighing import reading as reading
from debates.backends.evidence.rubric_weighing import replication_factor as replication_factor
from debates.backends.evidence.rubric_weighing import sample_factor as sample_factor
from debates.backends.evidence.rubric_weighing import saturation as saturation
from debates.backends.evidence.rubric_weighing import share as share
from debates.backends.evidence.rubric_weighing import tally as tally
from debates.backends.evidence.rubric_weighing import weighed as weighed
from debates.case import Case
from debates.derived import per_case, per_case_and
from scoring.dimensions import DEFAULT_WEIGHTS, Dimension

D = Dimension

FLOOR = 0.05  # no rubric score is exactly zero: absence of evidence is not proof of absence
RECENT_YEAR = 2015  # a fixed year, never "now": the same case must score the same next year
PRIOR_LOG_ODDS = -0.3  # most hypotheses are not validated; an empty case leans slightly against
BALANCE_SLOPE = 1.0
SUPPORT_BAND = 0.6  # probability at or above: support; at or below 1 - this: oppose
DIGITS = 4  # scores are rounded to this many decimals so the JSON is short and stable
# A dimension that reads evidence starts from a prior set by the genes' and drugs' facts and is
# moved by the evidence: score = LOW + SPAN * (PRIOR_MASS * prior + for) / (PRIOR_MASS + for +
# against), with prior = PRIOR_LOW + PRIOR_SPAN * facts. Facts alone never reach the score that
# strong evidence does, so a well-supported idea on a poorly drugged gene beats a weakly
# supported one on a well-drugged gene; and the score rises with support and falls with
# contradiction whatever the facts are.
DIRECTED_LOW = 0.1
DIRECTED_SPAN = 0.85
PRIOR_LOW = 0.15
PRIOR_SPAN = 0.4
PRIOR_MASS = 1.0
# How much of a supporting study's weight counts as replicated support.
REPLICATION_CREDIT: Mapping[bool | None, float] = MappingProxyType(
    {True: 1.0, None: 0.5, False: 0.0}
)


def directed(facts: float, support: float, against: float) -> float:
    """A score with a prior from ``facts`` (in [0, 1]) that evidence for and against moves.

    Rises with ``support``, falls with ``against`` (both >= 0), and equals the prior when
    there is no evidence; see the constants above.
    """
    prior = PRIOR_LOW + PRIOR_SPAN * clamp(facts)
    moved = (PRIOR_MASS * prior + support) / (PRIOR_MASS + support + against)
    return DIRECTED_LOW + DIRECTED_SPAN * moved


def case_problems(case: Case) -> list[str]:
    """What in ``case`` the rubric cannot read, each naming the evidence item and field."""
    return list(_case_problems(case))


@per_case
def _case_problems(case: Case) -> tuple[str, ...]:
    problems: list[str] = []
    for index, item in enumerate(case.evidence):
        where = f"evidence[{index}] ({item.citation or 'no citation'})"
        if not item.citation.strip():
            problems.append(f"{where}: field 'citation' is empty")
        if item.study_type not in STUDY_WEIGHTS:
            problems.append(
                f"{where}: field 'study_type' is {item.study_type!r}; "
                f"expected one of {', '.join(STUDY_WEIGHTS)}"
            )
        if item.direction not in DIRECTIONS:
            problems.append(
                f"{where}: field 'direction' is {item.direction!r}; "
                "expected supports or contradicts"
            )
        if item.sample_size is not None and item.sample_size < 0:
            problems.append(f"{where}: field 'sample_size' is negative ({item.sample_size})")
    return tuple(problems)


# --- the ten dimensions ----------------------------------------------------------------------


def evidence_strength(case: Case, lens: Lens) -> float:
    """The human evidence balance earns most of the score; animal-only support is capped low.

    Human and other evidence are scored apart so that a contradicting human trial can only
    lower the human part; dropping all human evidence therefore never raises the score.
    """
    t = reading(case, lens).tally
    human = share(t.human_support, t.human_against)
    other = share(t.other_support, t.other_against)
    return FLOOR + lens.human_share * human + lens.other_share * other


def mechanistic_plausibility(case: Case, lens: Lens) -> float:
    """The genes' pathways set the prior; the mechanistic studies for and against move it."""
    pathway = min(1.0, len(matched_functions(case)) / 2)
    facts = min(1.0, 0.7 * pathway + 0.3 * connectivity(case))
    t = reading(case, lens).mechanistic
    return directed(facts, t.support, t.against)


def novelty(case: Case, lens: Lens) -> float:
    """Few and recent studies mean an open question; many old ones mean a well-trodden one.

    With no dated study the question counts as entirely recent, so that no study can make an
    idea look newer than having none at all.
    """
    years = [e.year for e in case.evidence if e.year is not None]  # counted: order is moot
    recency = sum(1 for y in years if y >= RECENT_YEAR) / len(years) if years else 1.0
    crowded = saturation(len(case.evidence), 8)
    return 0.2 + 0.45 * (1 - crowded) + 0.35 * recency


def therapeutic_potential(case: Case, lens: Lens) -> float:
    """Disease link and drug readiness set the prior; the human evidence balance moves it."""
    t = reading(case, lens).tally
    facts = 0.5 * disease_link(case) + 0.5 * best_readiness(case)
    return directed(facts, t.human_support, t.human_against)


def reproducibility(case: Case, lens: Lens) -> float:
    """How much of the support is replicated, against everything that contradicts it.

    Only replicated support counts in full (not reported: half; not replicated: nothing), so
    replicating a supporting study raises the score and replicating, enlarging or adding a
    contradicting one lowers it. No study at all leaves the prior.
    """
    t = reading(case, lens).tally
    replicated = sum(
        p.weight * REPLICATION_CREDIT[p.item.replicated]
        for p in reading(case, lens).weighed
        if p.item.direction == "supports"
    )
    return directed(0.0, replicated, t.against)


def data_availability(case: Case, lens: Lens) -> float:
    """How much has been studied, not which way it came out: counts of studies, not weights.

    Counting items keeps this dimension unmoved when a study is flipped, enlarged or
    replicated; the genes' knowledge-graph links add what is known beyond the case.
    """
    human_count = sum(1 for e in case.evidence if is_human(e))
    return (
        FLOOR
        + 0.4 * saturation(len(case.evidence), 3.0)
        + 0.25 * connectivity(case)
        + 0.3 * saturation(human_count, 3.0)
    )


def feasibility(case: Case, lens: Lens) -> float:
    """Drugs, brain reach, disease link and intervention type set the prior; human data move it."""
    t = reading(case, lens).tally
    facts = (
        0.4 * best_readiness(case)
        + 0.2 * brain_reach(case)
        + 0.2 * disease_link(case)
        + 0.2 * intervention_fit(case)
    )
    return directed(facts, t.human_support, t.human_against)


def druggability(case: Case, lens: Lens) -> float:
    drugs = drugs_of(case)
    return (
        0.1
        + 0.45 * best_readiness(case)
        + 0.2 * saturation(len(drugs), 2.0)
        + 0.25 * brain_reach(case)
    )


def safety_profile(case: Case, lens: Lens) -> float:
    """Known human exposure (approved, brain-reaching drugs) sets the prior; human data move it."""
    t = reading(case, lens).tally
    facts = 0.75 * best_readiness(case) + 0.25 * brain_reach(case)
    return directed(facts, t.human_support, t.human_against)


def competitive_landscape(case: Case, lens: Lens) -> float:
    """Room left to compete: fewer advanced drugs on the target and fewer studies score higher."""
    advanced = sum(1 for d in drugs_of(case) if readiness(d) >= 0.7)
    return (
        0.3
        + 0.5 * (1 - saturation(advanced, 2.0))
        + 0.2 * (1 - saturation(len(case.evidence), 8.0))
    )


Scorer = Callable[[Case, Lens], float]
SCORERS: Mapping[Dimension, Scorer] = MappingProxyType(
    {
        D.MECHANISTIC_PLAUSIBILITY: mechanistic_plausibility,
        D.EVIDENCE_STRENGTH: evidence_strength,
        D.NOVELTY: novelty,
        D.FEASIBILITY: feasibility,
        D.THERAPEUTIC_POTENTIAL: therapeutic_potential,
        D.DRUGGABILITY: druggability,
        D.SAFETY_PROFILE: safety_profile,
        D.COMPETITIVE_LANDSCAPE: competitive_landscape,
        D.DATA_AVAILABILITY: data_availability,
        D.REPRODUCIBILITY: reproducibility,
    }
)

# The evidence each dimension rests on, for choosing what an argument cites (None: all of it).
DIMENSION_EVIDENCE: Mapping[Dimension, frozenset[str] | None] = MappingProxyType(
    {
        D.MECHANISTIC_PLAUSIBILITY: MECHANISTIC_STUDY_TYPES,
        D.EVIDENCE_STRENGTH: None,
        D.NOVELTY: None,
        D.FEASIBILITY: HUMAN_STUDY_TYPES,
        D.THERAPEUTIC_POTENTIAL: HUMAN_STUDY_TYPES,
        D.DRUGGABILITY: TRIAL_STUDY_TYPES,
        D.SAFETY_PROFILE: HUMAN_STUDY_TYPES,
        D.COMPETITIVE_LANDSCAPE: TRIAL_STUDY_TYPES,
        D.DATA_AVAILABILITY: None,
        D.REPRODUCIBILITY: None,
    }
)


def clamp(value: float, low: float = 0.0, high: float = 1.0) -> float:
    return min(high, max(low, value))


def score(case: Case, dimension: Dimension, lens: Lens) -> float:
    """One dimension's rubric score, clamped to [0, 1] and rounded to ``DIGITS`` decimals."""
    known = reading(case, lens).scores
    value = known.get(dimension)
    if value is None:
        value = known[dimension] = round(clamp(SCORERS[dimension](case, lens)), DIGITS)
    return value


def scores(case: Case, dimensions: Iterable[Dimension], lens: Lens) -> dict[Dimension, float]:
    return {d: score(case, d, lens) for d in dimensions}


def basis(case: Case, dimension: Dimension, lens: Lens, limit: int = 3) -> list[Weighed]:
    """The evidence a dimension's score rests on most, strongest first, then by citation."""
    known = reading(case, lens)
    chosen = known.bases.get(dimension)
    if chosen is None:
        kinds = DIMENSION_EVIDENCE[dimension]
        chosen = known.bases[dimension] = tuple(
            w
            for w in known.weighed
            if w.weight > 0 and (kinds is None or w.item.study_type in kinds)
        )
    return list(chosen[:limit])


# --- belief: confidence, probability and verdict ---------------------------------------------


@dataclass(frozen=True)
class Belief:
    confidence: float
    probability: float
    verdict: str  # "support" | "oppose" | "uncertain"


def verdict_for(probability: float) -> str:
    if probability >= SUPPORT_BAND:
        return "support"
    if probability <= 1 - SUPPORT_BAND:
        return "oppose"
    return "uncertain"


def logistic(x: float) -> float:
    return 1 / (1 + math.exp(-clamp(x, -30.0, 30.0)))


@per_case_and
def belief(case: Case, lens: Lens) -> Belief:
    """Confidence grows with the amount and agreement of evidence; probability with its balance.

    Confidence is read through the neutral lens, the same for every persona: it weighs the
    personas in the blend, and weights that shifted with each lens's reading could move the
    blended mean of scores that each fall with a contradiction the other way.
    """
    t = reading(case, lens).tally
    seen = reading(case, NEUTRAL).tally
    amount = saturation(seen.total, 2.0)
    consistency = abs(seen.support - seen.against) / seen.total if seen.total > 0 else 0.0
    confidence = 0.1 + 0.8 * amount * (0.4 + 0.6 * consistency)
    probability = logistic(PRIOR_LOG_ODDS + BALANCE_SLOPE * (t.support - t.against))
    probability = round(probability, DIGITS)
    return Belief(round(confidence, DIGITS), probability, verdict_for(probability))


# --- the judge's yardstick -------------------------------------------------------------------


def profile(case: Case) -> dict[Dimension, float]:
    """All ten dimensions through the neutral lens: how the judge sees a hypothesis."""
    return scores(case, tuple(Dimension), NEUTRAL)


def composite(case: Case) -> float:
    """Weighted sum of the neutral profile with the default dimension weights."""
    values = profile(case)
    return round(sum(DEFAULT_WEIGHTS[d] * values[d] for d in Dimension), DIGITS)
