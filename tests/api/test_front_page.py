"""The front page's gene rows say why a gene has no best: its hypotheses were settled."""

from __future__ import annotations

import pytest

from api.front_page import GeneEntry


@pytest.mark.parametrize(
    ("validated", "refuted", "said"),
    [(0, 0, ""), (3, 0, "3 validated"), (0, 12, "12 refuted"), (3, 12, "3 validated, 12 refuted")],
)
def test_settled_names_only_the_outcomes_that_occurred(
    validated: int, refuted: int, said: str
) -> None:
    entry = GeneEntry("APP", None, validated + refuted, None, validated=validated, refuted=refuted)
    assert entry.settled == said
