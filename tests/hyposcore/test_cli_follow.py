"""Waiting never happens in silence: no worker, a timeout and the round bound are all said."""

from __future__ import annotations

import io
import time

import pytest
from rich.console import Console
from rich.progress import Progress
from typer.testing import CliRunner

from hyposcore.cli.common import open_database
from hyposcore.cli.follow import COUNT_ORDER, FEW, STATE_STYLE, Board, describe_progress, follow
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


def test_queued_batch_work_says_that_beat_moves_it_on() -> None:
    batch = Evaluation(state="queued", config={"max_rounds": 6, "delivery": "batch"}, progress={})
    assert describe_progress(batch) == (0.0, "queued · for beat's next provider batch")


def _running(eid: int, round_: int = 1) -> Evaluation:
    return Evaluation(
        id=eid,
        state="running",
        config={"max_rounds": 4},
        progress={"phase": "debate", "round": round_, "rounds": 4, "turns_done": 2},
    )


def test_a_few_evaluations_get_a_bar_each() -> None:
    progress = Progress(console=Console(file=io.StringIO()))
    board = Board(progress, [1, 2])
    board.show([_running(1), Evaluation(id=2, state="succeeded", config={}, progress={})])
    assert [task.description for task in progress.tasks] == ["evaluation 1", "evaluation 2"]
    assert [task.completed for task in progress.tasks] == [pytest.approx(0.225), 1.0]


def test_many_evaluations_share_one_bar_with_a_few_in_progress_beside_it() -> None:
    ids = list(range(1, FEW + 13))
    progress = Progress(console=Console(file=io.StringIO()))
    board = Board(progress, ids)
    running = [_running(eid, round_=2) for eid in ids[: FEW + 2]]
    done = [Evaluation(id=eid, state="succeeded", config={}, progress={}) for eid in ids[-3:]]
    queued = [
        Evaluation(id=eid, state="queued", config={}, progress={}) for eid in ids[FEW + 2 : -3]
    ]
    board.show(running + queued + done)
    overall, *bars = progress.tasks
    assert overall.description == f"{len(ids)} evaluations"
    assert overall.total == len(ids)
    # Each running one is 0.45 done (round 2 of at most 4), each succeeded one 1.
    assert overall.completed == pytest.approx(0.45 * (FEW + 2) + 3)
    assert overall.fields["detail"] == (
        f"[green]3 succeeded[/] · [cyan]{FEW + 2} running[/] · [yellow]7 queued[/]"
    )
    assert [bar.description for bar in bars] == [f"  evaluation {eid}" for eid in ids[:FEW]]

    # The first running one ends: its bar goes, and one still running takes the free place.
    running[0] = Evaluation(id=ids[0], state="failed", config={}, progress={})
    board.show(running + queued + done)
    assert [bar.description for bar in progress.tasks[1:]] == [
        f"  evaluation {eid}" for eid in ids[1 : FEW + 1]
    ]
    assert "[red]1 failed[/]" in progress.tasks[0].fields["detail"]


def test_waiting_on_many_sums_up_those_that_did_not_end(imported: None) -> None:
    many = ["h-51e7234f", "h-3f9a12c0", "h-8c41d7a2", "h-7a2e90b1", "h-c5d81e44"]
    many += ["h-e19b6a37", "h-2b6f0d95", "h-4d0c7e58", "h-9e3f6a21", "h-a6b3c9d2"]
    assert len(many) > FEW
    _pretend_a_worker_beats()
    result = CliRunner().invoke(
        app, ["queue", *many, "--wait", "--timeout", "1"], terminal_width=200
    )
    assert result.exit_code == 1
    said = " ".join(result.output.split())
    assert f"{len(many)} evaluations have not ended: {len(many)} queued" in said
    assert "hyposcore status --state STATE" in said
    assert "evaluation 1 (" not in said  # one line for them all, not one each


def test_every_state_is_counted() -> None:
    assert sorted(COUNT_ORDER) == sorted(STATE_STYLE)


def test_counts_read_as_english() -> None:
    one = Evaluation(state="paused", config={}, progress={"round": 1, "turns_done": 1})
    assert describe_progress(one)[1] == "paused · spend limit · 1 round, 1 turn kept"
    two = Evaluation(state="debated", config={}, progress={"round": 2, "turns_done": 0})
    assert describe_progress(two)[1] == "debated · waiting for scoring · 2 rounds, 0 turns"
