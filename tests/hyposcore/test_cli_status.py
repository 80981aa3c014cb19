"""`hyposcore status`: mistakes are errors, and one evaluation is shown in detail."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

import pytest
from typer.testing import CliRunner

from hyposcore.cli.common import open_database
from hyposcore.cli.main import app
from storage.models import DebateTurn, Evaluation, ScoreSnapshot, utcnow
from storage.queries.workers import (
    hold_pass,
    mark_stopped,
    record_beat,
    record_pass,
    release_pass,
)
from tests.api.seed import HYPOTHESIS, add_evaluation, debated_by, resolve, seed


@pytest.fixture(autouse=True)
def _wide(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "200")


def test_an_unknown_state_is_an_error_naming_the_states() -> None:
    result = CliRunner().invoke(app, ["status", "--state", "bogus"])
    assert result.exit_code == 2
    said = " ".join(result.output.split())
    assert "'bogus' is not a state" in said
    assert "queued, running, debated, paused, batched, succeeded" in said


def test_one_hypothesis_s_list_counts_its_own_and_an_unknown_one_is_an_error() -> None:
    database = open_database()
    seed(database)  # one evaluation of HYPOTHESIS
    add_evaluation(database, "h-00000002", "queued")  # and one of another hypothesis
    said = " ".join(CliRunner().invoke(app, ["status", "--hypothesis", HYPOTHESIS]).output.split())
    assert f"1 evaluation of {HYPOTHESIS}: succeeded 1" in said
    everything = " ".join(CliRunner().invoke(app, ["status"]).output.split())
    assert "2 evaluations: queued 1 · succeeded 1" in everything
    unknown = CliRunner().invoke(app, ["status", "--hypothesis", "h-nope"])
    assert unknown.exit_code == 2 and "hypothesis 'h-nope' does not exist" in unknown.output


def test_an_unknown_evaluation_is_an_error() -> None:
    open_database()
    result = CliRunner().invoke(app, ["status", "9999"])
    assert result.exit_code == 2
    assert "9999" in result.output


def test_status_id_shows_rounds_turns_scores_and_the_error() -> None:
    database = open_database()
    seeded = seed(database)
    with database.transaction() as session:
        session.get(Evaluation, seeded.evaluation_id).error = "provider said: rate limited"  # type: ignore[union-attr]
    result = CliRunner().invoke(app, ["status", str(seeded.evaluation_id)])
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())
    assert f"evaluation {seeded.evaluation_id} of {HYPOTHESIS}" in said
    assert "rounds: 1 debated of at most 2" in said
    assert "error: provider said: rate limited" in said
    assert (
        "scores: exchange rating 0.71 (good), composite 0.73 (80% interval 0.65–0.80), "
        "market price 0.71; snapshot v3"
    ) in said
    # The seed's snapshot blends three of the ten dimensions.
    assert "composite: stands on 3 of 10 dimensions, 42% of the weight; not scored: feas" in said
    for persona, verdict in (("theorist", "support"), ("skeptic", "oppose")):
        assert persona in said and verdict in said
    assert "2400 ms" in said
    assert "no trade" not in said  # the seed's evaluation has no quality to judge by


def test_status_id_shows_what_a_cheap_model_billed_to_two_significant_digits() -> None:
    database = open_database()
    seeded = seed(database)
    with database.transaction() as session:
        for turn in session.query(DebateTurn).filter_by(evaluation_id=seeded.evaluation_id):
            turn.prompt_tokens, turn.completion_tokens, turn.cost_usd = 100, 50, 0.0000225
    said = " ".join(CliRunner().invoke(app, ["status", str(seeded.evaluation_id)]).output.split())
    assert "billed: 200 prompt + 100 completion tokens, $0.000045" in said


def test_status_id_says_why_a_debate_did_not_trade() -> None:
    database = open_database()
    seeded = seed(database)
    with database.transaction() as session:
        session.get(Evaluation, seeded.evaluation_id).quality = 0.05  # type: ignore[union-attr]
    said = " ".join(CliRunner().invoke(app, ["status", str(seeded.evaluation_id)]).output.split())
    assert "debate quality: 0.05" in said
    assert "no trade: the debate's quality 0.05 is below the 0.30 it needs to trade" in said


def test_a_resolved_hypothesis_has_its_outcome_before_its_scores() -> None:
    database = open_database()
    seeded = seed(database)
    before = " ".join(CliRunner().invoke(app, ["status", str(seeded.evaluation_id)]).output.split())
    assert "resolved:" not in before
    resolve(database, HYPOTHESIS, "refuted", date(2026, 1, 15))
    result = CliRunner().invoke(app, ["status", str(seeded.evaluation_id)])
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())
    # the seeded snapshot was computed in March 2026, after the resolution: hindsight
    outcome = "resolved: Refuted on 2026-01-15. This exchange rating reflects the evidence of"
    assert outcome in said and "not a forecast of the outcome" in said
    assert said.index(outcome) < said.index("scores: exchange rating 0.71")


def test_status_id_leads_with_the_exchange_rating_a_blind_forecast_priced() -> None:
    database = open_database()
    seeded = seed(database)
    with database.transaction() as session:
        session.query(ScoreSnapshot).filter_by(evaluation_id=seeded.evaluation_id).delete()
        session.get(Evaluation, seeded.evaluation_id).forecast = {  # type: ignore[union-attr]
            "as_of": "2020-01-31",
            "composite": 0.61,
            "composite_low": 0.52,
            "composite_high": 0.7,
            "level": 0.8,
            "exchange_rating": 0.44,
        }
    said = " ".join(CliRunner().invoke(app, ["status", str(seeded.evaluation_id)]).output.split())
    assert (
        "forecast: exchange rating 0.44 on a fresh market, composite 0.61 "
        "(80% interval 0.52–0.70); as of 2020-01-31"
    ) in said
    assert "scores:" not in said


def test_before_its_market_trades_the_composite_stands_in_labelled() -> None:
    database = open_database()
    seeded = seed(database)
    with database.transaction() as session:
        snapshot = session.query(ScoreSnapshot).filter_by(evaluation_id=seeded.evaluation_id).one()
        snapshot.market_price = None
    said = " ".join(CliRunner().invoke(app, ["status", str(seeded.evaluation_id)]).output.split())
    assert (
        "scores: exchange rating 0.73 (good; the composite, no market price yet), "
        "composite 0.73 (80% interval 0.65–0.80); snapshot v3"
    ) in said


def test_the_evaluation_list_offers_the_worker_command_when_none_beat() -> None:
    open_database()
    result = CliRunner().invoke(app, ["status"])
    assert result.exit_code == 0
    assert "none has ever sent a heartbeat; start one with: hyposcore worker" in " ".join(
        result.output.split()
    )


def test_the_list_says_what_an_ended_evaluation_debated_and_where_a_live_one_stands() -> None:
    database = open_database()
    seeded = seed(database)  # a succeeded evaluation: round 2 of 2, 4 turns
    live_id = add_evaluation(
        database,
        HYPOTHESIS,
        "running",
        config={"max_rounds": 4},
        progress={"phase": "debate", "round": 1, "rounds": 4, "turns_done": 1},
    )
    result = CliRunner().invoke(app, ["status"])
    assert result.exit_code == 0, result.output
    split = [line.split() for line in result.output.splitlines()]
    rows = {cells[0]: " ".join(cells) for cells in split if cells[1:2] == [HYPOTHESIS]}
    assert "2 rounds, 4 turns" in rows[str(seeded.evaluation_id)]
    assert "debate · round 1 of at most 4 · 1 turn" in rows[str(live_id)]


def test_the_list_fits_80_columns_and_each_error_follows_it_whole(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    database = open_database()
    seeded = seed(database)
    lines = CliRunner().invoke(app, ["status"]).output.splitlines()
    row = next(line for line in lines if line.split()[:1] == [str(seeded.evaluation_id)])
    assert all(len(line) <= 80 for line in lines)
    assert row.split()[1:4] == [HYPOTHESIS, "succeeded", "2"]  # one line: id to progress
    assert f"evaluation {seeded.evaluation_id}:" not in " ".join(lines)
    assert "1 evaluation: succeeded 1" in " ".join(" ".join(lines).split())
    error = "provider said: rate limited; " + "retry after the window closes " * 3
    with database.transaction() as session:
        session.get(Evaluation, seeded.evaluation_id).error = error  # type: ignore[union-attr]
    said = " ".join(CliRunner().invoke(app, ["status"]).output.split())
    assert f"evaluation {seeded.evaluation_id}: {' '.join(error.split())}" in said


def test_at_80_columns_only_the_progress_is_cut_and_no_state_is_said_twice(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    database = open_database()
    seeded = seed(database)
    queued_id = add_evaluation(
        database, HYPOTHESIS, "queued", config={"max_rounds": 8, "panel": ["theorist", "skeptic"]}
    )
    running_id = add_evaluation(
        database,
        HYPOTHESIS,
        "running",
        config={"max_rounds": 8},
        progress={"phase": "debate", "round": 7, "rounds": 8, "turns_done": 31},
    )
    lines = CliRunner().invoke(app, ["status"]).output.splitlines()
    assert all(len(line) <= 80 for line in lines)
    rows = {line.split()[0]: line for line in lines if HYPOTHESIS in line}
    for number in (queued_id, running_id, seeded.evaluation_id):
        cells = rows[str(number)].split()
        assert cells[1] == HYPOTHESIS  # whole, as is the time at the end of the row
        assert re.fullmatch(r"\d{4}-\d\d-\d\d", cells[-2]) and re.fullmatch(r"\d\d:\d\d", cells[-1])
    assert "queued up to 8 rounds 0/3" in " ".join(rows[str(queued_id)].split())
    assert "running debate · round 7 of" in " ".join(rows[str(running_id)].split())
    assert "…" in rows[str(running_id)]  # its progress is what gave way

    detail = " ".join(CliRunner().invoke(app, ["status", str(queued_id)]).output.split())
    assert "state: queued · up to 8 rounds backend:" in detail
    assert "panel: theorist, skeptic rounds:" in detail
    ended = " ".join(CliRunner().invoke(app, ["status", str(seeded.evaluation_id)]).output.split())
    assert "state: succeeded backend:" in ended
    assert "panel: the configured panel" in ended


def _beat(name: str, host: str, pid: int, queues: list[str], at: datetime | None = None) -> None:
    with open_database().transaction() as session:
        record_beat(
            session,
            name=name,
            host=host,
            pid=pid,
            queues=queues,
            backend="evidence",
            broker="embedded sqlite",
            now=at,
        )


def test_workers_are_listed_at_80_columns_with_their_last_beat_in_minutes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    queues = ["debates", "publish", "scoring"]
    _beat("worker@host-a", "host-a", 11529, queues, at=utcnow() - timedelta(minutes=48, seconds=3))
    with open_database().transaction() as session:
        mark_stopped(session, name="worker@host-a", pid=11529)
    lines = CliRunner().invoke(app, ["status"]).output.splitlines()
    assert all(len(line) <= 80 for line in lines)
    row = next(line for line in lines if line.startswith("worker@host-a"))
    # the host is in the worker's name (name@host), so it has no column of its own
    assert row.split()[:4] == ["worker@host-a", "11529", "debates,", "evidence"]
    assert "48 min ago" in row and "stopped" in row


def test_a_worker_named_apart_from_its_host_keeps_the_host_column() -> None:
    _beat("scorer-1", "host-b", 7, ["scoring"])
    lines = CliRunner().invoke(app, ["status"]).output.splitlines()
    header = next(line for line in lines if line.startswith("worker "))
    assert header.split()[:3] == ["worker", "host", "pid"]
    row = next(line for line in lines if line.startswith("scorer-1"))
    assert row.split()[:3] == ["scorer-1", "host-b", "7"] and "idle" in row
    assert re.search(r"\b\d+ s ago\b", row)  # a beat just now, in seconds


def test_status_says_which_scheduled_pass_is_running_and_when_each_last_ran() -> None:
    _beat("scorer-1", "host-b", 7, ["scoring"])
    now = utcnow()
    with open_database().transaction() as session:
        hold_pass(session, task="tournament_round", seconds=1800, now=now - timedelta(minutes=3))
        record_pass(session, task="refit_ratings", now=now - timedelta(minutes=12, seconds=5))
        # a round that died holding its pass an hour ago no longer holds it
        hold_pass(session, task="provider_batches", seconds=60, now=now - timedelta(hours=1))
    lines = CliRunner().invoke(app, ["status"]).output.splitlines()
    said = next(line for line in lines if line.startswith("scheduled passes: "))
    assert said == (
        "scheduled passes: provider batches: last ran 60 min ago"
        " · refit ratings: last ran 12 min ago"
        " · tournament round: running, started 3 min ago"
    )


def test_status_says_why_a_scheduled_pass_refused() -> None:
    _beat("scorer-1", "host-b", 7, ["scoring"])
    why = "the refit of 31,200 hypotheses would need about 14.5 GB"
    with open_database().transaction() as session:
        until = hold_pass(
            session, task="refit_ratings", seconds=900, now=utcnow() - timedelta(minutes=5)
        )
        assert until is not None
        release_pass(session, task="refit_ratings", until=until, error=why)
    lines = CliRunner().invoke(app, ["status"]).output.splitlines()
    said = next(line for line in lines if line.startswith("scheduled passes: "))
    assert said == f"scheduled passes: refit ratings: last ran 5 min ago; it refused: {why}"


def test_status_id_names_the_model_its_worker_recorded() -> None:
    database = open_database()
    seeded = seed(database)
    debated_by(database, seeded.evaluation_id, recorded="model-w", asked=None)
    result = CliRunner().invoke(app, ["status", str(seeded.evaluation_id)])
    assert result.exit_code == 0, result.output
    assert "backend: openai (model-w)" in " ".join(result.output.split())
