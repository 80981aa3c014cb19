"""The offline tournament judge: the hypothesis with the higher rubric composite wins.

Both hypotheses are seen through the neutral lens and summed with the default dimension
weights. A true tie (equal composites at the rubric's rounding) goes to the hypothesis shown
first. The tournament asks each pair once, a seeded coin deciding who is shown first, so such
ties land on either side equally often and the Bradley–Terry fit counts them in the judge's
position bias rather than in either hypothesis's strength.
"""

from __future__ import annotations

from typing import Any

from debates.backends.evidence import rubric
from debates.backends.evidence.text import plain, render
from debates.case import Case
from debates.schema import JudgeChoice, JudgeOutput
from scoring.dimensions import DEFAULT_WEIGHTS, Dimension

JUDGE_CITATIONS = 3


def judge(first: Case, second: Case) -> JudgeOutput:
    """Which of two hypotheses the rubric prefers, with a rationale citing the decisive evidence."""
    first_value, second_value = rubric.composite(first), rubric.composite(second)
    tie = first_value == second_value
    first_wins = first_value >= second_value
    winner, loser = (first, second) if first_wins else (second, first)
    decisive = decisive_dimension(winner, loser)
    view = {
        "tie": tie,
        "first": _side(first, "first", decisive),
        "second": _side(second, "second", decisive),
        "winner": _side(winner, "first" if first_wins else "second", decisive),
        "loser": _side(loser, "second" if first_wins else "first", decisive),
        "decisive": _decisive_view(decisive, winner, loser),
    }
    choice = JudgeChoice.FIRST if first_wins else JudgeChoice.SECOND
    return JudgeOutput(winner=choice, rationale=render("judge.j2", view))


def decisive_dimension(winner: Case, loser: Case) -> Dimension:
    """The dimension whose weighted difference favours the winner most (enum order breaks ties)."""
    ahead, behind = rubric.profile(winner), rubric.profile(loser)
    return max(Dimension, key=lambda d: DEFAULT_WEIGHTS[d] * (ahead[d] - behind[d]))


def decisive_citations(case: Case, dimension: Dimension) -> list[str]:
    """The evidence behind ``case``'s score on ``dimension``, else its weightiest evidence."""
    chosen = rubric.basis(case, dimension, rubric.NEUTRAL, JUDGE_CITATIONS)
    if not chosen:
        chosen = rubric.basis(case, Dimension.EVIDENCE_STRENGTH, rubric.NEUTRAL, JUDGE_CITATIONS)
    return list(dict.fromkeys(w.item.citation for w in chosen))


def _side(case: Case, position: str, decisive: Dimension) -> dict[str, Any]:
    return {
        "position": position,
        "id": plain(case.hypothesis_id, 80),
        "title": plain(case.title, 200),
        "composite": f"{rubric.composite(case):.4f}",
        "citations": decisive_citations(case, decisive),
    }


def _decisive_view(dimension: Dimension, winner: Case, loser: Case) -> dict[str, str]:
    return {
        "label": dimension.value.replace("_", " "),
        "winner_score": f"{rubric.score(winner, dimension, rubric.NEUTRAL):.2f}",
        "loser_score": f"{rubric.score(loser, dimension, rubric.NEUTRAL):.2f}",
        "weight": f"{DEFAULT_WEIGHTS[dimension]:.2f}",
    }
