"""Spend limits: a model debate stops at a turn boundary, pauses, and resumes without repeats."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from common.settings import Settings, get_settings
from debates.backends.base import AgentBackend, InvalidOutputError, RetryableError
from debates.backends.llm_prices import DEFAULT_PRICES
from debates.backends.registry import create
from debates.types import DebateConfig
from storage.db import Database
from storage.importing import import_hypotheses
from storage.models import DebateTurn, Evaluation
from storage.queries.spending import billed_usage, evaluation_spend
from tests.fakes.openai_server import FakeOpenAIServer
from tests.workers.pipeline_helpers import dataset_path, queue_evaluation
from workers import offline_batch
from workers.evaluation import run_debate_phase
from workers.spending import (
    SpendLimitError,
    SpendLimits,
    pause,
    resumable,
    start_of_day,
    stop_reason,
)

MODEL = "gpt-4o-mini"
# What one turn of the fake costs: 100 prompt and 50 completion tokens at the list price.
TURN_COST = (100 * DEFAULT_PRICES[MODEL][0] + 50 * DEFAULT_PRICES[MODEL][1]) / 1_000_000


def test_stop_reason_names_the_limit_the_next_turn_would_pass() -> None:
    limits = SpendLimits(max_per_evaluation=1.0, daily_budget=10.0)
    assert stop_reason(limits, spent=0.5, next_turn=0.4, spent_today=5.0) is None
    per_evaluation = stop_reason(limits, spent=0.7, next_turn=0.4, spent_today=5.0)
    assert per_evaluation is not None and "HYPOSCORE_MAX_COST_PER_EVALUATION" in per_evaluation
    daily = stop_reason(limits, spent=0.1, next_turn=0.4, spent_today=9.7)
    assert daily is not None and "HYPOSCORE_DAILY_BUDGET" in daily
    # Reached exactly: nothing more, even with no estimate of the next turn.
    assert stop_reason(limits, spent=1.0, next_turn=0.0, spent_today=0.0) is not None
    assert stop_reason(SpendLimits(None, None), spent=9e9, next_turn=9e9, spent_today=9e9) is None


def test_a_cheap_models_costs_are_not_shown_as_nothing() -> None:
    # gpt-4o-mini's turns cost tens of millionths: "$0.0000" told the reader nothing.
    limits = SpendLimits(max_per_evaluation=0.0001, daily_budget=0.0001)
    said = stop_reason(limits, spent=0.00008, next_turn=0.00005, spent_today=0.0)
    assert said is not None and "has cost $0.000080; its next turn (about $0.000050)" in said
    daily = stop_reason(SpendLimits(None, 0.0001), spent=0.0, next_turn=0.00004, spent_today=7e-5)
    assert daily is not None and "daily budget: $0.000070 of" in daily
    assert "(about $0.000040) would pass it" in daily


def test_the_day_starts_at_midnight_utc_whatever_the_zone() -> None:
    late = datetime(2026, 12, 3, 23, 30, tzinfo=UTC)
    assert start_of_day(late) == datetime(2026, 12, 3, tzinfo=UTC)
    tokyo = late.astimezone(__import__("zoneinfo").ZoneInfo("Asia/Tokyo"))
    assert start_of_day(tokyo) == datetime(2026, 12, 3, tzinfo=UTC)


@pytest.fixture
def server() -> Iterator[FakeOpenAIServer]:
    with FakeOpenAIServer(model=MODEL) as fake:
        yield fake


@pytest.fixture
def loaded(db: Database) -> Database:
    import_hypotheses(db, dataset_path())
    return db


def _settings(**overrides: object) -> Settings:
    return get_settings().model_copy(update={"backend": "openai", **overrides})


def _debate(
    database: Database, settings: Settings, server: FakeOpenAIServer, evaluation_id: int
) -> None:
    """One delivery of the debate phase, ended the way the evaluate task ends a spend stop."""

    def backend_for(config: DebateConfig) -> AgentBackend:
        return create("openai", base_url=server.base_url, model=MODEL)

    [claimed] = offline_batch.claim(database, settings, evaluation_ids=[evaluation_id], owner="w")
    try:
        run_debate_phase(database, settings, claimed, owner="w", backend_for=backend_for)
    except SpendLimitError as stop:
        paused = pause(database, evaluation_id=evaluation_id, owner="w", stop=stop)
        assert paused, "the worker held the lease, so the pause must take"


def _row(database: Database, evaluation_id: int) -> tuple[Evaluation, list[DebateTurn]]:
    with database.sessions() as session:
        row = session.get(Evaluation, evaluation_id)
        assert row is not None
        turns = list(session.scalars(select(DebateTurn).where(DebateTurn.evaluation_id == row.id)))
        session.expunge_all()
    return row, turns


def test_a_per_evaluation_limit_pauses_at_a_turn_boundary_and_a_raised_limit_resumes_it(
    loaded: Database, server: FakeOpenAIServer
) -> None:
    limited = _settings(max_cost_per_evaluation=TURN_COST * 3.5)
    evaluation_id = queue_evaluation(loaded, limited, "h-51e7234f")
    _debate(loaded, limited, server, evaluation_id)

    paused, turns = _row(loaded, evaluation_id)
    # Three turns cost 3 x TURN_COST; a fourth like them would pass 3.5 x, so it never started.
    assert paused.state == "paused" and len(turns) == 3 == len(server.requests)
    assert paused.paused_reason is not None
    assert "HYPOSCORE_MAX_COST_PER_EVALUATION" in paused.paused_reason
    assert sum(t.cost_usd for t in turns) == pytest.approx(3 * TURN_COST)
    assert paused.attempts == 0  # a pause is no failed attempt
    assert paused.lease_owner is None

    # Under the same limit the reaper leaves it paused; with the limit lifted it resumes.
    now = datetime.now(UTC)
    assert resumable(loaded, limited, now=now) == []
    assert resumable(loaded, _settings(), now=now) == [evaluation_id]
    _debate(loaded, _settings(), server, evaluation_id)
    debated, turns = _row(loaded, evaluation_id)
    assert debated.state == "debated" and debated.paused_reason is None
    # Every turn was asked of the provider exactly once, across the pause.
    assert len(turns) == len(server.requests) > 3
    assert len({(t.round, t.persona) for t in turns}) == len(turns)


def test_a_daily_budget_is_shared_by_evaluations_and_frees_up_the_next_utc_day(
    loaded: Database, server: FakeOpenAIServer
) -> None:
    budget = _settings(daily_budget=TURN_COST * 4.5)
    first = queue_evaluation(loaded, budget, "h-51e7234f")
    second = queue_evaluation(loaded, budget, "h-94d3a6e8")
    _debate(loaded, budget, server, first)
    row, turns = _row(loaded, first)
    assert row.state == "paused" and len(turns) == 4
    assert row.paused_reason is not None and "HYPOSCORE_DAILY_BUDGET" in row.paused_reason

    # The second evaluation has paid for nothing, but today's dearest turn says it cannot
    # afford even one: it pauses before asking the provider anything.
    _debate(loaded, budget, server, second)
    row, turns = _row(loaded, second)
    assert row.state == "paused" and turns == [] and len(server.requests) == 4

    today = datetime.now(UTC)
    assert resumable(loaded, budget, now=today) == []
    tomorrow = start_of_day(today) + timedelta(days=1, minutes=1)
    assert resumable(loaded, budget, now=tomorrow) == [first, second]
    with loaded.sessions() as session:
        states = {e.id: e.state for e in session.scalars(select(Evaluation))}
    assert states[first] == states[second] == "queued"


def test_offline_debates_ignore_spend_limits(loaded: Database) -> None:
    settings = get_settings().model_copy(update={"max_cost_per_evaluation": 1e-12})
    evaluation_id = queue_evaluation(loaded, settings, "h-51e7234f")
    [claimed] = offline_batch.claim(loaded, settings, evaluation_ids=[evaluation_id], owner="w")
    phase = run_debate_phase(
        loaded, settings, claimed, owner="w", backend_for=lambda c: create("evidence")
    )
    assert phase.outcome.turns


def test_every_billed_token_is_recorded_when_a_reply_stays_invalid_after_its_repair(
    loaded: Database, server: FakeOpenAIServer
) -> None:
    """Defect 14 of issue 11: an unrepairable reply's usage was never stored."""
    server.script(
        server.success(server.default_content),  # turn one, stored
        server.success("this is not the JSON asked for"),
        server.success("still not JSON"),  # the repair fails too: no turn is stored
    )
    settings = _settings()
    evaluation_id = queue_evaluation(loaded, settings, "h-51e7234f")
    with pytest.raises(InvalidOutputError):
        _debate(loaded, settings, server, evaluation_id)
    with loaded.sessions() as session:
        billed = billed_usage(session, evaluation_id=evaluation_id)
    _, turns = _row(loaded, evaluation_id)
    assert len(turns) == 1 and len(server.requests) == 3
    # The fake billed 100 prompt and 50 completion tokens for each of its three answers.
    assert (billed.prompt_tokens, billed.completion_tokens) == (300, 150)
    assert billed.unanswered_calls == 1
    assert billed.unanswered_cost_usd == pytest.approx(2 * TURN_COST)
    assert billed.cost_usd == pytest.approx(3 * TURN_COST)


def test_the_first_call_is_recorded_when_the_repair_call_itself_fails(
    loaded: Database, server: FakeOpenAIServer
) -> None:
    server.script(server.success("not JSON"), server.error(500, "the repair call broke"))
    settings = _settings()
    evaluation_id = queue_evaluation(loaded, settings, "h-51e7234f")
    with pytest.raises(RetryableError):
        _debate(loaded, settings, server, evaluation_id)
    with loaded.sessions() as session:
        billed = billed_usage(session, evaluation_id=evaluation_id)
        spent = evaluation_spend(session, evaluation_id=evaluation_id)
    assert (billed.prompt_tokens, billed.completion_tokens, billed.unanswered_calls) == (100, 50, 1)
    # What failed calls cost counts against the spend limits too.
    assert spent.total == pytest.approx(TURN_COST)
