"""Looking hypotheses up: an unknown id is an error that names the id a user most likely meant."""

from __future__ import annotations

import pytest

from storage.db import Database
from storage.errors import NotFoundError
from storage.models import Hypothesis
from storage.queries.evaluations import enqueue_evaluation
from storage.queries.exchange import get_or_create_market
from storage.queries.knowledge import get_hypothesis


@pytest.fixture
def stored(db: Database) -> Database:
    with db.transaction() as session:
        session.add(Hypothesis(id="h-51e7234f", title="APOE-Dependent Autophagy Restoration"))
    return db


@pytest.mark.parametrize("typed", ["H-51E7234F", " h-51e7234f", "h-51e7234f\n"])
def test_an_id_that_differs_only_in_case_or_spaces_names_the_stored_one(
    stored: Database, typed: str
) -> None:
    with stored.sessions() as session, pytest.raises(NotFoundError) as raised:
        get_hypothesis(session, hypothesis_id=typed)
    assert str(raised.value) == f"hypothesis {typed!r} does not exist; did you mean 'h-51e7234f'?"


def test_an_id_nothing_is_near_is_only_said_not_to_exist(stored: Database) -> None:
    with stored.sessions() as session, pytest.raises(NotFoundError) as raised:
        get_hypothesis(session, hypothesis_id="h-00000000")
    assert str(raised.value) == "hypothesis 'h-00000000' does not exist"


def test_writes_that_name_a_hypothesis_say_the_same(stored: Database) -> None:
    with stored.transaction() as session:
        with pytest.raises(NotFoundError, match="did you mean 'h-51e7234f'"):
            enqueue_evaluation(
                session, hypothesis_id="H-51E7234F", config={"backend": "evidence"}, max_attempts=3
            )
        with pytest.raises(NotFoundError, match="did you mean 'h-51e7234f'"):
            get_or_create_market(session, hypothesis_id="H-51E7234F", liquidity=100.0)
