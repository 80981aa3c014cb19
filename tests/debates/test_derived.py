"""What a case remembers of its derived values stays out of its identity and its copies."""

from __future__ import annotations

import copy
import pickle
from dataclasses import replace

from debates.backends.evidence import rubric
from debates.case import Case
from debates.derived import per_case, per_case_and
from tests.debates.protocol_helpers import make_case


def test_remembered_values_stay_out_of_equality_repr_and_copies() -> None:
    case = make_case()
    shown = repr(case)
    rubric.profile(case)
    assert case.derived
    assert repr(case) == shown
    assert case == make_case() and hash(case) == hash(make_case())
    copies = (
        copy.copy(case),
        copy.deepcopy(case),
        pickle.loads(pickle.dumps(case)),  # noqa: S301 - bytes made right here
        replace(case),
    )
    for other in copies:
        assert other == case and not other.derived


def test_answers_are_kept_per_case_object() -> None:
    seen: list[str] = []

    @per_case
    def title(case: Case) -> str:
        seen.append(case.title)
        return case.title.upper()

    case = make_case()
    assert title(case) == title(case) == "APOE-DEPENDENT AUTOPHAGY RESTORATION"
    assert len(seen) == 1
    title(make_case())  # equal, but another object: it computes its own
    assert len(seen) == 2


def test_arguments_are_told_apart_by_identity() -> None:
    seen: list[list[int]] = []

    @per_case_and
    def size(case: Case, argument: list[int]) -> int:
        seen.append(argument)
        return len(argument)

    case, one, two = make_case(), [1], [1, 2]
    assert (size(case, one), size(case, two), size(case, one)) == (1, 2, 1)
    assert seen == [one, two]
