"""Debate quality: a worked example, bounds, and that each better habit scores higher."""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from debates import quality
from debates.quality import debate_quality
from debates.schema import TurnOutput
from debates.types import TurnRecord
from tests.debates.protocol_helpers import CONTRADICTING, SUPPORTING, make_case


def _turn(persona: str, argument: str, *claims: tuple[str, list[str]]) -> TurnRecord:
    output: dict[str, Any] = {
        "argument": argument,
        "claims": [{"text": text, "citations": cites} for text, cites in claims],
        "confidence": 0.5,
        "probability": 0.5,
        "verdict": "uncertain",
    }
    return TurnRecord(round=1, persona=persona, output=TurnOutput.model_validate(output))


def _debate(
    *, theorist_cites: str = "PMID:999", skeptic_argument: str = "The Theorist overstates it."
) -> list[TurnRecord]:
    return [
        _turn(
            "theorist",
            "MTOR inhibition by Rapamycin cut amyloid 40% in 24 mice.",
            ("Autophagy recovers.", [SUPPORTING]),
            ("It lasts.", [theorist_cites]),
        ),
        _turn("skeptic", skeptic_argument, ("Weak.", [SUPPORTING, CONTRADICTING])),
        _turn("synthesizer", "Overall unclear."),
    ]


def test_worked_example() -> None:
    report = debate_quality(_debate(), make_case())
    # density: theorist 1 of 2 supported keys, skeptic 2 of 2, synthesizer none.
    assert report.density == pytest.approx((0.5 + 1.0 + 0.0) / 3)
    # supported: 2 of the 3 claims cite the case's evidence.
    assert report.supported == pytest.approx(2 / 3)
    # engagement: the skeptic re-cites PMID:11111 and names the Theorist; the synthesizer neither.
    assert report.engagement == pytest.approx(0.5)
    # specificity: theorist names 40%, 24, MTOR and Rapamycin (capped at 3); the others nothing.
    assert report.specificity == pytest.approx(1 / 3)
    assert report.score == 0.5167


def test_no_turns_score_zero() -> None:
    assert debate_quality([], make_case()).score == 0.0


def test_a_supported_citation_scores_higher_than_an_unsupported_one() -> None:
    worse = debate_quality(_debate(theorist_cites="PMID:999"), make_case())
    better = debate_quality(_debate(theorist_cites=CONTRADICTING), make_case())
    assert better.density > worse.density and better.supported > worse.supported
    assert better.score > worse.score


def test_naming_an_earlier_speaker_counts_as_engagement() -> None:
    case = make_case()
    silent = [_turn("theorist", "A claim."), _turn("skeptic", "I disagree.")]
    engaged = [_turn("theorist", "A claim."), _turn("skeptic", "I disagree with the theorist.")]
    assert debate_quality(silent, case).engagement == 0.0
    assert debate_quality(engaged, case).engagement == 1.0


def test_numbers_and_named_entities_raise_specificity_up_to_the_cap() -> None:
    case = make_case()
    texts = [
        "It may work.",
        "MTOR may work.",
        "MTOR and Rapamycin may work.",
        "MTOR and Rapamycin worked in 12 mice.",
        "MTOR and Rapamycin worked in 12 mice at 3 mg.",
    ]
    values = [debate_quality([_turn("theorist", t)], case).specificity for t in texts]
    assert values == [0.0, pytest.approx(1 / 3), pytest.approx(2 / 3), 1.0, 1.0]


def test_citation_keys_are_not_counted_as_numbers() -> None:
    report = debate_quality(
        [_turn("theorist", "See PMID:11111 and 10.1000/contra.2.")], make_case()
    )
    assert report.specificity == 0.0


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["theorist", "skeptic", "synthesizer"]),
            st.text(min_size=1, max_size=60),
            st.lists(st.sampled_from([SUPPORTING, CONTRADICTING, "PMID:5", "junk"]), max_size=3),
        ),
        max_size=6,
    )
)
def test_quality_is_always_within_bounds(turns: list[tuple[str, str, list[str]]]) -> None:
    records = [_turn(p, text, ("c", cites)) for p, text, cites in turns]
    assert 0.0 <= debate_quality(records, make_case()).score <= 1.0


def test_a_name_counts_where_it_stands_as_a_whole_word() -> None:
    case = make_case()
    glued = debate_quality([_turn("theorist", "MTORC and xMTOR only.")], case)
    later = debate_quality([_turn("theorist", "MTORC first, then MTOR itself.")], case)
    assert glued.specificity == 0.0
    assert later.specificity == pytest.approx(1 / 3)


# The plain spellings of the patterns quality.py spells for speed.
PLAIN_CITATION = re.compile(r"(?:PMID\s*:?\s*\d+|DOI\s*:?\s*10\.\S+|10\.\d{4,9}/\S+)", re.I)
PLAIN_NUMBER = re.compile(r"(?<![\w.])\d+(?:\.\d+)?%?")
# Pieces of citation keys and numbers, letters with unusual case mappings (dotless i, dotted I,
# long s, Kelvin) and digits of another script, strung together at random.
PIECES = (
    *("PMID", "PMıD", "pmİd", "PMID:", "PMID 7", "DOI", "doı", "Doi", "doi: 10."),
    *("10.", "10.123/", "10.1234/", "10.1234567890/", "1234", "12", "3", "٣", "x.5"),
    *(":", " ", "\n", "/", "%", ".", "a", "_", "ſ", "K"),
)
TEXTS = st.lists(st.sampled_from(PIECES), max_size=12).map("".join) | st.text(max_size=40)


@given(TEXTS)
def test_the_fast_patterns_match_their_plain_spellings(text: str) -> None:
    without = quality._CITATION_TEXT.sub(" ", text)
    assert without == PLAIN_CITATION.sub(" ", text)
    assert quality._NUMBER.findall(text) == PLAIN_NUMBER.findall(text)
    assert quality._NUMBER.findall(without) == PLAIN_NUMBER.findall(without)
