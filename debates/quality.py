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
from functools import lru_cache

from debates.case import Case
from debates.citations import case_keys, supported_keys
from debates.derived import per_case
from debates.personas import get_persona
from debates.types import TurnRecord

WEIGHTS = {"density": 0.30, "supported": 0.30, "engagement": 0.20, "specificity": 0.20}
CITATIONS_FOR_FULL_DENSITY = 2
SPECIFICS_FOR_FULL_SPECIFICITY = 3

# Citation keys in running text: (?i:PMID\s*:?\s*\d+|DOI\s*:?\s*10\.\S+|10\.\d{4,9}/\S+).
# Spelled to start with a plain character class (under IGNORECASE only P/p, D/d and 1 can
# open a match), so that the regex engine skips ahead to candidates instead of trying all three
# branches at every position. tests/debates/test_quality.py checks it against the plain form.
_CITATION_TEXT = re.compile(
    r"[PpDd1](?:(?<=[Pp])(?i:MID\s*:?\s*\d+)|(?<=[Dd])(?i:OI\s*:?\s*10\.\S+)|(?<=1)0\.\d{4,9}/\S+)"
)
# Numbers not glued to a word or a dot: (?<![\w.])\d+(?:\.\d+)?%?, with the first digit taken
# before the look-behind for the same reason.
_NUMBER = re.compile(r"\d(?<![\w.]\d)\d*(?:\.\d+)?%?")


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
    # Each claim's supported keys, and each turn's text, worked out once for all four parts.
    claim_keys = [[supported_keys(claim, known) for claim in turn.output.claims] for turn in turns]
    turn_keys = [{key for keys in claims for key in keys} for claims in claim_keys]
    texts = [_turn_text(turn) for turn in turns]
    density = _mean(min(1.0, len(keys) / CITATIONS_FOR_FULL_DENSITY) for keys in turn_keys)
    claims = [keys for turn in claim_keys for keys in turn]
    supported = sum(1 for keys in claims if keys) / len(claims) if claims else 0.0
    engagement = _engagement(turns, turn_keys, texts)
    names = _case_names(case)
    specificity = _mean(
        min(1.0, _specifics(text, names) / SPECIFICS_FOR_FULL_SPECIFICITY) for text in texts
    )
    return QualityReport(density, supported, engagement, specificity)


def _engagement(
    turns: Sequence[TurnRecord], turn_keys: Sequence[set[str]], texts: Sequence[str]
) -> float:
    if len(turns) < 2:
        return 0.0
    engaged = 0
    earlier_keys: set[str] = set()
    earlier_speakers: dict[str, None] = {}
    for index in range(1, len(turns)):
        earlier_keys |= turn_keys[index - 1]
        earlier_speakers.setdefault(turns[index - 1].persona, None)
        if turn_keys[index] & earlier_keys:
            engaged += 1
            continue
        persona, text = turns[index].persona, texts[index].lower()
        engaged += any(_mentions(text, p) for p in earlier_speakers if p != persona)
    return engaged / (len(turns) - 1)


def _mentions(text: str, persona_key: str) -> bool:
    if persona_key in text:
        return True
    try:
        title = get_persona(persona_key).title.lower()
    except ValueError:
        title = persona_key.replace("_", " ")
    start = text.find(title)  # no match can begin before the title's first occurrence
    return start >= 0 and _whole_word(title).search(text, start) is not None


@lru_cache(maxsize=256)
def _whole_word(title: str) -> re.Pattern[str]:
    return re.compile(rf"\b{re.escape(title)}\b")


@per_case
def _case_names(case: Case) -> tuple[tuple[str, str, re.Pattern[str]], ...]:
    """The case's gene, drug and disease names, each lowercased and as a whole-word pattern."""
    names = {gene.symbol for gene in case.genes}
    names.update(drug.name for gene in case.genes for drug in gene.drugs)
    names.update(case.diseases)
    return tuple(
        (name, name.lower(), re.compile(rf"(?<!\w){re.escape(name.lower())}(?!\w)"))
        for name in sorted(name for name in names if name)
    )


def _specifics(text: str, names: Sequence[tuple[str, str, re.Pattern[str]]]) -> int:
    without_citations = _CITATION_TEXT.sub(" ", text)
    numbers = set(_NUMBER.findall(without_citations))
    lowered = text.lower()
    named = {name for name, low, word in names if _occurs(word, low, lowered)}
    return len(numbers) + len(named)


def _occurs(word: re.Pattern[str], low: str, lowered: str) -> bool:
    """Whether ``word`` (``low`` as a whole word) matches: searched from ``low``'s first place.

    The look-behind still sees the character before the start position, so this is the
    same as searching from the beginning.
    """
    start = lowered.find(low)
    return start >= 0 and word.search(lowered, start) is not None


def _turn_text(turn: TurnRecord) -> str:
    return "\n".join([turn.output.argument, *(claim.text for claim in turn.output.claims)])


def _mean(values: Iterable[float]) -> float:
    items = list(values)
    return sum(items) / len(items) if items else 0.0
