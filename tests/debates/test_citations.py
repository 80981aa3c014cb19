"""Citation checks: canonical keys, and citations the evidence does not hold flagged."""

from __future__ import annotations

from debates.citations import canonical, check_citations
from debates.schema import TurnOutput
from tests.debates.protocol_helpers import CONTRADICTING, SUPPORTING, make_case, reply


def _output(*citations: str) -> TurnOutput:
    return TurnOutput.model_validate(reply({}, citations=citations))


def test_spellings_of_the_same_paper_compare_equal() -> None:
    assert canonical("pmid: 011111") == SUPPORTING
    assert canonical("https://pubmed.ncbi.nlm.nih.gov/11111/") == SUPPORTING
    assert canonical("doi:10.1000/CONTRA.2") == CONTRADICTING
    assert canonical("  Smith et al. 2020 ") == "Smith et al. 2020"


def test_citations_in_the_evidence_pass_and_are_canonicalised() -> None:
    check = check_citations(_output("PMID 11111", "https://doi.org/10.1000/Contra.2"), make_case())
    assert check.unsupported == ()
    assert check.output.claims[0].citations == [SUPPORTING, CONTRADICTING]


def test_unknown_and_malformed_citations_are_unsupported_once_each_in_order() -> None:
    check = check_citations(
        _output("PMID:424242", "Smith et al. 2020", "pmid:424242", SUPPORTING), make_case()
    )
    assert check.unsupported == ("PMID:424242", "Smith et al. 2020")
    assert check.output.claims[0].citations == ["PMID:424242", "Smith et al. 2020", SUPPORTING]


def test_the_checked_output_is_a_new_one_and_the_given_one_is_left_alone() -> None:
    given = _output("pmid: 011111", SUPPORTING)
    check = check_citations(given, make_case())
    assert check.output.claims[0].citations == [SUPPORTING]
    assert given.claims[0].citations == ["pmid: 011111", SUPPORTING]


def test_canonical_citations_come_back_unchanged() -> None:
    given = _output(SUPPORTING, CONTRADICTING)
    check = check_citations(given, make_case())
    assert check.output == given and check.unsupported == ()
    assert check.output.model_dump_json() == given.model_dump_json()
    assert check.output.claims[0].model_fields_set == given.claims[0].model_fields_set
