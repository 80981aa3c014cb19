"""The pipeline commands as a user runs them: queue, status, queue --wait, and the demo."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from common.numbers import shared_ranks
from common.settings import get_settings
from hyposcore.cli.common import open_database
from hyposcore.cli.main import app
from hyposcore.data import hypothesis_files
from storage.db import Database
from storage.importing import import_hypotheses
from storage.queries.backtests import get_report
from storage.queries.revisions import list_revisions
from tests.conftest import REPO_ROOT
from tests.workers.harness import WorkerProcess, hyposcore_env
from tests.workers.pipeline_helpers import dataset_path


def bundled_hypothesis_count() -> int:
    with hypothesis_files() as paths:
        return sum(len(yaml.safe_load(path.read_text("utf-8"))["hypotheses"]) for path in paths)


@pytest.fixture
def imported() -> None:
    import_hypotheses(open_database(), dataset_path())


def test_queue_dedups_and_status_lists_the_evaluation(imported: None) -> None:
    runner = CliRunner()
    first = runner.invoke(app, ["queue", "h-51e7234f"])
    again = runner.invoke(app, ["queue", "h-51e7234f"])
    forced = runner.invoke(app, ["queue", "h-51e7234f", "--force"])
    assert first.exit_code == again.exit_code == forced.exit_code == 0, first.output
    assert "queued evaluation 1" in first.output
    assert "already live as evaluation 1" in again.output
    assert "queued evaluation 2" in forced.output
    status = runner.invoke(app, ["status"], terminal_width=200)
    assert status.exit_code == 0
    assert "h-51e7234f" in status.output and "queued 2" in status.output


def test_queue_refuses_unknown_hypotheses_and_bad_rounds(imported: None) -> None:
    runner = CliRunner()
    unknown = runner.invoke(app, ["queue", "h-doesnotexist"])
    assert unknown.exit_code == 2
    assert "hypothesis 'h-doesnotexist' does not exist" in unknown.output
    rounds = runner.invoke(app, ["queue", "h-51e7234f", "--max-rounds", "9"])
    assert rounds.exit_code == 2 and "max-rounds" in rounds.output


@pytest.mark.slow
def test_queue_wait_follows_a_real_worker_to_the_end(imported: None, tmp_path: Path) -> None:
    env = hyposcore_env(data_dir=str(get_settings().data_dir))
    with WorkerProcess(env, tmp_path / "worker.log"):
        done = subprocess.run(
            [sys.executable, "-m", "hyposcore", "queue", "h-51e7234f", "--wait"],
            env={**env, "COLUMNS": "150"},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "evaluation 1" in done.stdout and "succeeded" in done.stdout


@pytest.mark.slow
def test_the_demo_runs_the_whole_job_and_publishes_agreeing_numbers(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HYPOSCORE_")}
    done = subprocess.run(
        [sys.executable, "-m", "hyposcore", "demo"],
        env={**env, "HYPOSCORE_DATA_DIR": str(tmp_path / "var"), "COLUMNS": "160"},
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    bundled = bundled_hypothesis_count()
    assert f"queued {bundled} evaluations" in done.stdout
    assert "exchange ratings and tournament" in done.stdout
    assert "one judge call a match" in done.stdout
    # what the matches say of the judge, as the leaderboard gives it
    assert "the judge names the stronger of two random hypotheses" in " ".join(done.stdout.split())
    # Open hypotheses are ranked, each tournament cell stating its match count, rated or
    # not; the resolved are listed apart, under their outcome, never ranked with them.
    # At 160 columns each hypothesis is one line: rank or outcome, id, exchange, composite...
    lines = done.stdout.splitlines()
    split = [line.split() for line in lines]
    hypothesis_rows = [cells for cells in split if len(cells) > 2 and cells[1].startswith("h-")]
    rows = [cells for cells in hypothesis_rows if cells[0].isdigit()]
    resolved = [cells for cells in hypothesis_rows if not cells[0].isdigit()]
    assert {cells[0] for cells in resolved} == {"validated", "refuted"}
    assert len(rows) + len(resolved) == bundled and rows
    # Competition ranks of the printed rating: ratings that print alike share one.
    assert [int(cells[0]) for cells in rows] == shared_ranks(
        [cells[2].rstrip("*") for cells in rows]
    )
    assert int(rows[0][0]) == 1 and [float(cells[2].rstrip("*")) for cells in rows] == sorted(
        (float(cells[2].rstrip("*")) for cells in rows), reverse=True
    )
    assert all("match" in " ".join(cells) for cells in rows), rows
    assert "no order is claimed between groups" in " ".join(done.stdout.split())  # wrapped
    page = (tmp_path / "var" / "pages" / "mtor.txt").read_text()
    assert "Score: 0.80" not in page  # the seed's stale, disagreeing numbers are gone
    from wiki.genepage import parse_gene_page

    shown: dict[str, set[float | None]] = {}
    for link in parse_gene_page(page).links:
        shown.setdefault(link.hypothesis_id, set()).add(link.score)
    assert "h-51e7234f" in shown
    assert all(len(numbers) == 1 for numbers in shown.values()), shown
    # Both tables are ordered by, and show, the very number the page shows.
    exchange: dict[str, float] = {}
    for table in (rows, resolved):
        ratings = [float(cells[2].rstrip("*")) for cells in table]
        assert ratings == sorted(ratings, reverse=True)
        exchange |= {cells[1]: rating for cells, rating in zip(table, ratings, strict=True)}
    assert "are hindsight, not forecasts" in " ".join(done.stdout.split())
    assert "graded on 0 resolved hypotheses (only blind forecasts" in " ".join(done.stdout.split())
    for hypothesis_id, numbers in shown.items():
        assert {exchange[hypothesis_id]} == numbers, hypothesis_id
    assert (tmp_path / "var" / "pages" / "badges" / "mtor.svg").exists()
    # The counts are the ledger's, whoever published: here the worker, before the demo did.
    database = Database(f"sqlite:///{tmp_path / 'var' / 'hyposcore.db'}")
    with database.sessions() as session:
        published = sum(1 for r in list_revisions(session, page_name="mtor") if r.revision > 0)
        stored = get_report(session, name="demo")
    database.dispose()
    assert published >= 1
    assert stored.n == len(resolved)  # every bundled resolution is dated, so each is graded
    said = " ".join(done.stdout.split())
    assert f"1 gene page(s) in {published} revision(s), 1 badge(s)" in said
    assert "hyposcore serve" in said
    assert "http://127.0.0.1:8000/web/genes/MTOR" in said
    assert "http://127.0.0.1:8000/web/hypotheses/h-51e7234f" in said
    # The blind backtest is stored, so the open hypotheses' pages state their bands' records.
    assert "resolved hypotheses debated blind" in said and "saved as backtest 'demo'" in said
    assert "What the blind numbers have meant" in said
    assert "the tournament judge preferred the validated one in" in said
    assert "http://127.0.0.1:8000/web/backtests/demo" in said
    assert "…" in said and "Alzhei…" not in said  # titles cut at word boundaries


def test_queue_takes_several_hypotheses_or_all_of_them(imported: None) -> None:
    runner = CliRunner()
    several = runner.invoke(app, ["queue", "h-51e7234f", "h-8c41d7a2"])
    assert several.exit_code == 0, several.output
    assert "h-51e7234f: queued evaluation 1" in several.output
    assert "h-8c41d7a2: queued evaluation 2" in several.output
    everything = runner.invoke(app, ["queue", "--all"])
    assert everything.exit_code == 0, everything.output
    assert "h-51e7234f: already live as evaluation 1" in everything.output
    assert everything.output.count(": queued evaluation") == 19  # the other bundled ones
    neither = runner.invoke(app, ["queue"])
    both = runner.invoke(app, ["queue", "h-51e7234f", "--all"])
    assert neither.exit_code == both.exit_code == 2
    assert "name one or more hypotheses, or pass --all" in neither.output
