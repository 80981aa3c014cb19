"""Facts about a hypothesis's genes that the rubric reads: drugs, diseases, pathways, links.

Pure functions of a :class:`~debates.case.Case`; every listing is sorted so that the same case
always yields the same facts in the same order.
"""

from __future__ import annotations

import math
import re

from debates.case import Case, DrugFact
from debates.derived import per_case

# --- facts about the genes -------------------------------------------------------------------

_APPROVAL_LEVELS = (
    ("not approved", 0.15),
    ("withdrawn", 0.2),
    ("approved", 1.0),
    ("phase 3", 0.7),
    ("phase iii", 0.7),
    ("phase 2", 0.5),
    ("phase ii", 0.5),
    ("phase 1", 0.35),
    ("phase i", 0.35),
    ("preclinical", 0.15),  # before "clinical", which it contains
    ("clinical", 0.4),
    ("tool", 0.1),
)
_WORD = re.compile(r"[a-z0-9][a-z0-9-]{3,}")
_NON_ALNUM = re.compile(r"[^a-z0-9]+")


def readiness(drug: DrugFact) -> float:
    """How far a drug has come towards patients, from its approval status text (0.1 if unknown)."""
    status = (drug.approval_status or "").lower()
    for marker, level in _APPROVAL_LEVELS:
        if marker in status:
            return level
    return 0.1


def drugs_of(case: Case) -> list[DrugFact]:
    """Every drug of every gene: most advanced first, brain-penetrant first, then by name."""
    return list(_drugs(case))


@per_case
def _drugs(case: Case) -> tuple[DrugFact, ...]:
    unique = {
        (d.name, d.approval_status, d.brain_penetrant, d.mechanism): d
        for g in case.genes
        for d in g.drugs
    }
    return tuple(
        sorted(
            unique.values(),
            key=lambda d: (-readiness(d), not d.brain_penetrant, d.name, d.approval_status or ""),
        )
    )


@per_case
def best_readiness(case: Case) -> float:
    drugs = _drugs(case)
    return readiness(drugs[0]) if drugs else 0.0


@per_case
def brain_reach(case: Case) -> float:
    """Readiness of the most advanced drug known to cross the blood-brain barrier."""
    return max((readiness(d) for d in _drugs(case) if d.brain_penetrant), default=0.0)


def _fold(text: str) -> str:
    return _NON_ALNUM.sub("", text.lower())


@per_case
def disease_link(case: Case) -> float:
    """Share of the hypothesis's diseases that its genes are known to be linked with."""
    gene_diseases = sorted({_fold(d) for g in case.genes for d in g.diseases} - {""})
    wanted = sorted({_fold(d) for d in case.diseases} - {""})
    if not wanted:
        return 0.3
    linked = sum(1 for w in wanted if any(w in g or g in w for g in gene_diseases))
    return linked / len(wanted)


def matched_functions(case: Case) -> list[tuple[str, str]]:
    """Target/function rows whose words occur in the hypothesis's title or statement."""
    return list(_matched_functions(case))


@per_case
def _matched_functions(case: Case) -> tuple[tuple[str, str], ...]:
    words = set(_WORD.findall(f"{case.title} {case.statement}".lower()))
    rows = sorted({row for g in case.genes for row in g.functions})
    return tuple(
        (target, function)
        for target, function in rows
        if words & set(_WORD.findall(f"{target} {function}".lower())) or target.lower() in words
    )


@per_case
def connectivity(case: Case) -> float:
    """Knowledge-graph connectivity of the best-connected gene, 0 to 1 on a log scale."""
    edges = max((g.kg_edges or 0 for g in case.genes), default=0)
    return min(1.0, math.log10(1 + max(edges, 0)) / 4)


@per_case
def intervention_fit(case: Case) -> float:
    """How directly the intervention type can be tried with existing tools."""
    kind = (case.intervention_type or "").lower()
    if any(t in kind for t in ("small molecule", "small-molecule", "drug", "repurpos", "pharmac")):
        return 1.0
    if any(t in kind for t in ("lifestyle", "diet", "exercise")):
        return 0.8
    if any(t in kind for t in ("gene", "cell", "antisense", "crispr", "viral", "rna")):
        return 0.35
    return 0.5
