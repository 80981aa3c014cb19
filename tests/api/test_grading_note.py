"""Every view says whether a blind forecast grades the personas, by the calibration's rule."""

from __future__ import annotations

from datetime import date

import pytest

from api.evaluation_schemas import grading_note
from common.as_of_rule import AS_OF_RULE_VERSION
from storage.models import Evaluation
from storage.queries.calibration import grades_personas

AS_OF, RESOLVED = date(2016, 10, 28), date(2016, 10, 29)


def _blind(**fields: object) -> Evaluation:
    return Evaluation(**{"as_of": AS_OF, "as_of_rule_version": AS_OF_RULE_VERSION, **fields})


@pytest.mark.parametrize(
    ("evaluation", "grades", "said"),
    [
        (Evaluation(), None, None),
        (_blind(reads_only_request=True), True, "the current one: it grades the personas"),
        (
            _blind(reads_only_request=True, as_of_rule_version=AS_OF_RULE_VERSION - 1),
            False,
            "older, looser as-of rule",
        ),
        (_blind(reads_only_request=False), False, "no configured training cutoff"),
        (
            _blind(reads_only_request=False, model="model-w", config={"backend": "openai"}),
            False,
            "debated by model-w, which has no configured training cutoff and may have read the "
            "outcome: it does not grade the personas (configure its cutoff in "
            "HYPOSCORE_OPENAI_KNOWLEDGE_CUTOFFS: the workers give it to this debate when they "
            "restart)",
        ),
        (
            _blind(reads_only_request=False, knowledge_cutoff=date(2016, 6, 30)),
            True,
            "trained to 2016-06-30: it grades the personas on an outcome settled after that",
        ),
    ],
    ids=[
        "live",
        "offline",
        "older-rule",
        "model-no-cutoff",
        "recorded-model-no-cutoff",
        "model-with-cutoff",
    ],
)
def test_the_note_follows_the_rule(
    evaluation: Evaluation, grades: bool | None, said: str | None
) -> None:
    assert grades_personas(evaluation) is grades
    note = grading_note(evaluation)
    assert note is None if said is None else said in (note or "")


def test_a_model_trained_past_the_resolution_does_not_grade_it() -> None:
    trained_after = _blind(reads_only_request=False, knowledge_cutoff=RESOLVED)
    assert grades_personas(trained_after, RESOLVED) is False
    assert grades_personas(trained_after, date(2017, 1, 1)) is True
    assert grades_personas(_blind(reads_only_request=True), AS_OF) is False  # debated on the day
