"""Waiting never happens in silence: no worker, a timeout and the round bound are all said."""

from __future__ import annotations

import time

import pytest
from typer.testing import CliRunner

from hyposcore.cli.common import open_database
from hyposcore.cli.follow import describe_progress, follow
from hyposcore.cli.main import app
from storage.importing import import_hypotheses
from storage.models import Evaluation
from storage.queries.workers import record_beat
from tests.workers.pipeline_helpers import dataset_path


@pytest.fixture
def imported() -> None:
    import_hypotheses(open_database(), dataset_path())


def _queue(hypothesis_id: str = "h-51e7234f") -> int:
    result = CliRunner().invoke(app, ["queue", hypothesis_id, "--max-rounds", "4"])
    assert result.exit_code == 0, result.output
    with open_database().sessions() as session:
        return max(row.id for row in session.query(Evaluation))


def _pretend_a_worker_beats(queues: tuple[str, ...] = ("debates", "scoring", "publish")) -> None:
    with open_database().transaction() as session:
        record_beat(
            session,
            name="w@test",
            host="test",
            pid=1,
            queues=queues,
            backend="evidence",
            broker="embedded sqlite",
        )


@pytest.mark.slow
def test_queue_wait_without_a_worker_says_so_within_15_seconds(imported: None) -> None:
    started = time.monotonic()
    result = CliRunner().invoke(app, ["queue", "h-51e7234f", "--wait"], terminal_width=200)
    elapsed = time.monotonic() - started
    assert result.exit_code == 1
    # The issue bounds the whole command at 20 s; the notice itself comes after 12 s.
    assert elapsed < 20, elapsed
    said = " ".join(result.output.split())
    assert "no worker is consuming the debates, scoring queue(s)" in said
    assert "hyposcore worker" in said
    assert "is queued · up to 8 rounds" in said


def test_follow_stops_once_no_worker_consumes_a_needed_queue(imported: None) -> None:
    evaluation_id = _queue()
    _pretend_a_worker_beats(queues=("publish",))  # a worker, but not one that debates
    followed = follow(open_database(), [evaluation_id], timeout=60, no_worker_seconds=1)
    assert followed.ending == "no worker"
    assert followed.missing_queues == ("debates", "scoring")


def test_a_timeout_says_it_timed_out_and_where_the_evaluation_stands(imported: None) -> None:
    evaluation_id = _queue()
    _pretend_a_worker_beats()
    result = CliRunner().invoke(
        app,
        ["queue", "h-51e7234f", "--max-rounds", "4", "--wait", "--timeout", "1"],
        terminal_width=200,
    )
    assert result.exit_code == 1
    said = " ".join(result.output.split())
    assert "timed out after 1 s" in said
    assert f"evaluation {evaluation_id} (h-51e7234f) is queued · up to 4 rounds" in said
    assert f"hyposcore status {evaluation_id}" in said
    assert "no worker" not in said


def test_progress_shows_the_configured_round_bound() -> None:
    queued = Evaluation(state="queued", config={"max_rounds": 6}, progress={})
    running = Evaluation(
        state="running",
        config={"max_rounds": 6},
        progress={"phase": "debate", "round": 2, "rounds": 6, "turns_done": 5},
    )
    assert describe_progress(queued) == (0.0, "queued · up to 6 rounds")
    fraction, text = describe_progress(running)
    assert text == "debate · round 2 of at most 6 · 5 turns"
    assert fraction == pytest.approx(0.3)
    assert (
        "at most 1" not in describe_progress(Evaluation(state="running", config={}, progress={}))[1]
    )
