"""What providers billed, summed by hypothesis and day and by backend and model."""

from __future__ import annotations

from datetime import UTC, date, datetime

from storage.db import Database
from storage.models import DebateTurn, Evaluation, Hypothesis, UnansweredCall
from storage.queries.spending import DaySpend, ModelSpend, hypothesis_spend_by_day, spend_by_model

MONDAY = datetime(2026, 11, 30, 23, 59, tzinfo=UTC)
TUESDAY = datetime(2026, 12, 1, 0, 1, tzinfo=UTC)


def turn(
    evaluation: Evaluation, round_: int, when: datetime, model: str | None, **usage: float
) -> DebateTurn:
    return DebateTurn(
        evaluation_id=evaluation.id,
        round=round_,
        persona="theorist",
        backend="anthropic" if model else "evidence",
        model=model,
        argument="...",
        confidence=0.5,
        probability=0.5,
        verdict="uncertain",
        created_at=when,
        **usage,
    )


def test_spend_is_summed_by_utc_day_and_by_model(db: Database) -> None:
    with db.transaction() as session:
        session.add_all([Hypothesis(id="h-a", title="a"), Hypothesis(id="h-b", title="b")])
        session.flush()
        mine = Evaluation(hypothesis_id="h-a", config={}, config_hash="c")
        other = Evaluation(hypothesis_id="h-b", config={}, config_hash="c")
        session.add_all([mine, other])
        session.flush()
        usage = {"prompt_tokens": 1000, "completion_tokens": 50, "cost_usd": 0.01}
        session.add_all(
            [
                turn(mine, 1, MONDAY, "m", cached_read_tokens=800, cache_write_tokens=100, **usage),
                turn(mine, 2, TUESDAY, "m", cached_read_tokens=900, **usage),
                turn(mine, 3, TUESDAY, None),  # an offline turn: billed nothing
                turn(other, 1, TUESDAY, "m", **usage),
                UnansweredCall(
                    evaluation_id=mine.id,
                    round=2,
                    persona="skeptic",
                    error="UnrepairableReplyError",
                    prompt_tokens=300,
                    completion_tokens=20,
                    cost_usd=0.005,
                    created_at=TUESDAY,
                ),
            ]
        )
    with db.sessions() as session:
        days = hypothesis_spend_by_day(session, hypothesis_id="h-a")
        models = spend_by_model(session)
    assert days == [
        DaySpend(date(2026, 11, 30), 1000, 800, 100, 50, 0.01),
        DaySpend(date(2026, 12, 1), 1300, 900, 0, 70, 0.015),
    ]
    assert models == [
        ModelSpend("anthropic", "m", 3000, 1700, 100, 150, 0.03),
        ModelSpend("evidence", "", 0, 0, 0, 0, 0.0),
    ]
