"""Debate quality in [0, 1]: did the panel argue from the evidence, with each other, concretely?

    quality = 0.30 * density + 0.30 * supported + 0.20 * engagement + 0.20 * specificity

* density: per turn, min(1, distinct supported citations / 2), averaged over turns;
* supported: the share of all claims that cite at least one piece of the case's evidence
  (0 when there are no claims);
* engagement: the share of turns after the first that cite evidence an earlier turn already
  cited, or name an earlier speaker (e.g. "the Skeptic"); 0 for a one-turn debate;
* specificity: per turn, min(1, specifics / 3), averaged over turns, where specifics counts
  distinct numbers (citation keys removed first) and distinct case genes, drugs and diseases
  named in the argument and claims.

The result is rounded to four decimals so that it compares equal across runs and databases.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from debates.case import Case
from debates.citations import case_keys, supported_keys
from debates.personas import get_persona
from debates.types import TurnRecord

WEIGHTS = {"density": 0.30, "supported": 0.30, "engagement": 0.20, "specificity": 0.20}
CITATIONS_FOR_FULL_DENSITY = 2
SPECIFICS_FOR_FULL_SPECIFICITY = 3

_CITATION_TEXT = re.compile(r"(?:PMID\s*:?\s*\d+|DOI\s*:?\s*10\.\S+|10\.\d{4,9}/\S+)", re.I)
_NUMBER = re.compile(r"(?<![\w.])\d+(?:\.\d+)?%?")


@dataclass(frozen=True)
class QualityReport:
    density: float
    supported: float
    engagement: float
    specificity: float

    @property
    def score(self) -> float:
        total = (
            WEIGHTS["density"] * self.density
            + WEIGHTS["supported"] * self.supported
            + WEIGHTS["engagement"] * self.engagement
            + WEIGHTS["specificity"] * self.specificity
        )
        return round(min(1.0, max(0.0, total)), 4)


def debate_quality(turns: Sequence[TurnRecord], case: Case) -> QualityReport:
    if not turns:
        return QualityReport(0.0, 0.0, 0.0, 0.0)
    known = case_keys(case)
    density = _mean(
        min(1.0, len(_turn_supported(turn, known)) / CITATIONS_FOR_FULL_DENSITY) for turn in turns
    )
    claims = [claim for turn in turns for claim in turn.output.claims]
    supported = (
        sum(1 for claim in claims if supported_keys(claim, known)) / len(claims) if claims else 0.0
    )
    engagement = _engagement(turns, known)
    names = _case_names(case)
    specificity = _mean(
        min(1.0, _specifics(_turn_text(turn), names) / SPECIFICS_FOR_FULL_SPECIFICITY)
        for turn in turns
    )
    return QualityReport(density, supported, engagement, specificity)


def _turn_supported(turn: TurnRecord, known: frozenset[str]) -> set[str]:
    return {key for claim in turn.output.claims for key in supported_keys(claim, known)}


def _engagement(turns: Sequence[TurnRecord], known: frozenset[str]) -> float:
    if len(turns) < 2:
        return 0.0
    engaged = 0
    for index in range(1, len(turns)):
        turn, earlier = turns[index], turns[:index]
        earlier_keys = set().union(*(_turn_supported(t, known) for t in earlier))
        cites_earlier = bool(_turn_supported(turn, known) & earlier_keys)
        text = _turn_text(turn).lower()
        names_earlier = any(
            _mentions(text, t.persona) for t in earlier if t.persona != turn.persona
        )
        engaged += cites_earlier or names_earlier
    return engaged / (len(turns) - 1)


def _mentions(text: str, persona_key: str) -> bool:
    try:
        title = get_persona(persona_key).title.lower()
    except ValueError:
        title = persona_key.replace("_", " ")
    return bool(re.search(rf"\b{re.escape(title)}\b", text)) or persona_key in text


def _case_names(case: Case) -> tuple[str, ...]:
    names = {gene.symbol for gene in case.genes}
    names.update(drug.name for gene in case.genes for drug in gene.drugs)
    names.update(case.diseases)
    return tuple(sorted(name for name in names if name))


def _specifics(text: str, names: Sequence[str]) -> int:
    without_citations = _CITATION_TEXT.sub(" ", text)
    numbers = set(_NUMBER.findall(without_citations))
    lowered = text.lower()
    named = {
        name for name in names if re.search(rf"(?<!\w){re.escape(name.lower())}(?!\w)", lowered)
    }
    return len(numbers) + len(named)


def _turn_text(turn: TurnRecord) -> str:
    return "\n".join([turn.output.argument, *(claim.text for claim in turn.output.claims)])


def _mean(values: Iterable[float]) -> float:
    items = list(values)
    return sum(items) / len(items) if items else 0.0
