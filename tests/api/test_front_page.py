"""The front page: its gene rows say why a gene has no best (its hypotheses were settled), and
its top list ranks ratings as they are shown."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from api.front_page import GeneEntry
from storage.db import Database
from storage.models import Hypothesis
from tests.api.seed import Seeded
from tests.wiki.publishing import add_snapshot


@pytest.mark.parametrize(
    ("validated", "refuted", "said"),
    [(0, 0, ""), (3, 0, "3 validated"), (0, 12, "12 refuted"), (3, 12, "3 validated, 12 refuted")],
)
def test_settled_names_only_the_outcomes_that_occurred(
    validated: int, refuted: int, said: str
) -> None:
    entry = GeneEntry("APP", None, validated + refuted, None, validated=validated, refuted=refuted)
    assert entry.settled == said


def test_top_hypotheses_whose_ratings_print_alike_share_a_rank(
    client: TestClient, db: Database, seeded: Seeded
) -> None:
    # The seeded hypothesis trades at 0.71; another at 0.7149 prints the same.
    with db.transaction() as session:
        session.add(Hypothesis(id="h-tie00001", title="A Tied Hypothesis"))
    add_snapshot(db, "h-tie00001", composite=0.5, market_price=0.7149)
    page = client.get("/").text
    top = page[page.index('<table class="top">') : page.index("</table>")]
    assert re.findall(r"<tr>\s*<td>(\d+)</td>", top) == ["1", "1"]
    assert "ratings that read alike share a rank" in page
