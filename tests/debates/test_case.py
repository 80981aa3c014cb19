"""A case's digest: the same for the same debate inputs, different for any field's change."""

from __future__ import annotations

import dataclasses
from datetime import date

from common.dates import PartialDate
from debates.case import Case, DrugFact, Evidence, GeneFacts, case_digest


def _case(**changes: object) -> Case:
    case = Case(
        "h-1",
        "A title",
        "A statement",
        genes=(
            GeneFacts(
                "MTOR",
                drugs=(DrugFact("Rapamycin", brain_penetrant_since=PartialDate(2001, 5)),),
            ),
        ),
        evidence=(Evidence("PMID:1", "a claim", "supports", "rct", year=2010),),
        as_of=date(2015, 1, 1),
    )
    return dataclasses.replace(case, **changes)  # type: ignore[arg-type]


def test_equal_cases_share_a_digest_whatever_was_cached_on_them() -> None:
    first, second = _case(), _case()
    first.derived["anything"] = object()
    assert case_digest(first) == case_digest(second)
    assert len(case_digest(first)) == 64


def test_any_change_a_debate_could_read_changes_the_digest() -> None:
    base = case_digest(_case())
    later = Evidence("PMID:1", "a claim", "supports", "rct", year=2011)
    drug = DrugFact("Rapamycin", brain_penetrant_since=PartialDate(2001, 6))
    changed = [
        _case(statement="A statement, revised"),
        _case(evidence=(later,)),
        _case(genes=(GeneFacts("MTOR", drugs=(drug,)),)),
        _case(as_of=date(2015, 1, 2)),
    ]
    digests = {case_digest(case) for case in changed}
    assert base not in digests and len(digests) == len(changed)
