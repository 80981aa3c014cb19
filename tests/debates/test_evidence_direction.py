"""Scores follow the evidence: checked on every bundled item through the real offline debate.

Each bundled evidence item is changed one way at a time (direction flipped, sample size x10,
marked replicated) and the hypothesis is debated and blended again as the workers do it
(tests/debates/bundled.py). Strengthening a supporting item may only raise a score, and
strengthening a contradicting one may only lower it; flipping an item moves the other way. No
dimension, nor the composite, nor the exchange rating may move against that. Gene and drug facts
set a prior, but evidence must be able to outweigh them: an idea whose only evidence contradicts
it scores below itself with no evidence, and a strongly supported idea beats a weakly supported
one whatever the two genes are.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest

from debates.case import Case, Evidence
from scoring.dimensions import Dimension
from tests.debates.bundled import Scored, bundled_cases, debate_score
from tests.debates.rubric_cases import contradicting_rct

# Scores are rounded to 4 decimals by the rubric; anything smaller is no move at all.
NO_MOVE = 1e-9


def perturbations(item: Evidence) -> Iterator[tuple[str, Evidence, int]]:
    """(what was done, the changed item, +1 if the scores may only rise, -1 if only fall)."""
    sign = 1 if item.direction == "supports" else -1
    flipped = "contradicts" if item.direction == "supports" else "supports"
    yield "flipped", replace(item, direction=flipped), -sign
    size = item.sample_size
    yield "x10 sample", replace(item, sample_size=size * 10 if size else 1000), sign
    if item.replicated is not True:
        yield "replicated", replace(item, replicated=True), sign


# The market trades among the personas asked. A change that also changes who is asked (the
# verdicts split, a specialist joins: debates.runner) brings a new stance, which can move the
# rating either way; docs/scoring.md says so. Of the changes that add a specialist, these move
# it the wrong way, and only these; the blend holds for them too.
NEWCOMER_MOVES_PRICE = {("h-642bc482", "DOI:10.1124/jpet.107.130526", "x10 sample")}


def wrong_way_moves(before: Scored, after: Scored, allowed: int, *, price: bool) -> list[str]:
    moves = {"composite": after.blend.composite - before.blend.composite}
    if price:
        moves["exchange rating"] = after.price - before.price
    for dimension, estimate in after.blend.dimensions.items():
        moves[dimension.value] = estimate.mean - before.blend.dimensions[dimension].mean
    return [f"{name} {delta:+.4f}" for name, delta in moves.items() if delta * allowed < -NO_MOVE]


def test_no_change_of_a_bundled_item_moves_any_score_the_wrong_way() -> None:
    wrong: list[str] = []
    checked = 0
    excepted: set[tuple[str, str, str]] = set()
    for hypothesis_id, case in bundled_cases().items():
        before = debate_score(case)
        for index, item in enumerate(case.evidence):
            for change, changed, allowed in perturbations(item):
                evidence = list(case.evidence)
                evidence[index] = changed
                after = debate_score(replace(case, evidence=tuple(evidence)))
                checked += 1
                what = (hypothesis_id, item.citation, change)
                newcomer = what in NEWCOMER_MOVES_PRICE and after.panel != before.panel
                if newcomer:
                    excepted.add(what)
                for move in wrong_way_moves(before, after, allowed, price=not newcomer):
                    wrong.append(f"{hypothesis_id} {item.citation} {change}: {move}")
    assert checked >= 1000  # 353 items, two or three changes each
    assert wrong == []
    assert excepted == NEWCOMER_MOVES_PRICE  # each exception is still one, panel change and all


def test_contradicting_evidence_alone_scores_below_no_evidence() -> None:
    for hypothesis_id, case in bundled_cases().items():
        bare = debate_score(replace(case, evidence=()))
        refuted = debate_score(replace(case, evidence=(contradicting_rct(),)))
        assert refuted.blend.composite < bare.blend.composite, hypothesis_id
        assert refuted.price < bare.price, hypothesis_id
        for item in case.evidence:
            if item.direction == "contradicts":
                alone = debate_score(replace(case, evidence=(item,)))
                assert alone.blend.composite < bare.blend.composite, (hypothesis_id, item)


def trial(number: int, study_type: str = "rct") -> Evidence:
    # Test data, not a quotation: the 9000xxxx PMIDs are the rubric tests' placeholders.
    return Evidence(
        f"PMID:900001{number:02d}",
        "Clear benefit on the primary outcome (test data)",
        "supports",
        study_type,
        "human",
        2021,
        400,
        True,
    )


STRONG = (*(trial(n) for n in range(4)), trial(4, "meta-analysis"))
WEAK = (
    Evidence(
        "PMID:90000150",
        "A small, unreplicated cell-culture finding in favour (test data)",
        "supports",
        "in-vitro",
        None,
        2021,
        12,
        False,
    ),
)


def on_gene(case: Case, evidence: tuple[Evidence, ...]) -> Case:
    """``case``'s first gene alone, with its own disease and a neutral title, and ``evidence``."""
    gene = case.genes[0]
    return Case(
        hypothesis_id=f"h-{gene.symbol.lower()}",
        title=f"Targeting {gene.symbol}",
        statement=f"Modulating {gene.symbol} slows the disease.",
        intervention_type=case.intervention_type,
        diseases=case.diseases,
        genes=(gene,),
        evidence=evidence,
    )


@pytest.fixture(scope="module")
def one_case_per_gene() -> dict[str, Case]:
    chosen: dict[str, Case] = {}
    for case in bundled_cases().values():
        for gene in case.genes:
            chosen.setdefault(gene.symbol, replace(case, genes=(gene,)))
    return chosen


def test_a_strong_hypothesis_beats_a_weak_one_whatever_the_genes(
    one_case_per_gene: dict[str, Case],
) -> None:
    strong = {g: debate_score(on_gene(c, STRONG)).blend for g, c in one_case_per_gene.items()}
    weak = {g: debate_score(on_gene(c, WEAK)).blend for g, c in one_case_per_gene.items()}
    assert len(strong) >= 10
    weakest_strong = min(strong, key=lambda g: strong[g].composite)
    strongest_weak = max(weak, key=lambda g: weak[g].composite)
    assert strong[weakest_strong].composite > weak[strongest_weak].composite, (
        f"strong on {weakest_strong} {strong[weakest_strong].composite:.4f}, "
        f"weak on {strongest_weak} {weak[strongest_weak].composite:.4f}"
    )
    for gene in strong:
        assert (
            strong[gene].dimensions[Dimension.EVIDENCE_STRENGTH].mean
            > weak[gene].dimensions[Dimension.EVIDENCE_STRENGTH].mean
        )
