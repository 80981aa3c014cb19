"""``hyposcore backtest``: the bundled resolved set graded blind, as JSON and as a table;
reports stored by name and compared side by side."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from common.numbers import signed
from common.settings import get_settings
from debates.types import DebateConfig
from hyposcore.cli.backtest import batch_wait
from hyposcore.cli.backtest_judge import judge_in_process
from hyposcore.cli.common import open_database
from hyposcore.cli.main import app
from hyposcore.data import hypothesis_files
from scoring.forecasts import auc, brier_score
from storage.importing import import_hypotheses
from storage.models import BacktestReport, Evaluation, ScoreSnapshot
from storage.queries.backtests import get_report
from tests.fakes.openai_server import FakeOpenAIServer
from tests.workers.harness import WorkerProcess, hyposcore_env
from workers.backtest_judge import JudgedPair

runner = CliRunner()
BUNDLED = Path(__file__).resolve().parents[2] / "hyposcore" / "data" / "hypotheses.yaml"
FAST = ["--resamples", "200"]


@pytest.fixture
def bundled(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    database = open_database()
    import_hypotheses(database, BUNDLED)
    database.dispose()


@pytest.fixture
def resolved_set(monkeypatch: pytest.MonkeyPatch) -> None:
    """What the demo imports: the whole resolved set, enough hypotheses for intervals (the
    seven resolved in BUNDLED alone get none)."""
    monkeypatch.setenv("COLUMNS", "200")
    database = open_database()
    with hypothesis_files() as paths:
        for path in paths:
            import_hypotheses(database, path)
    database.dispose()


def _json(args: list[str]) -> dict:  # type: ignore[type-arg]
    result = runner.invoke(app, ["backtest", *args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def test_json_grades_the_resolved_set_from_its_own_rows(bundled: None) -> None:
    report = _json(FAST)
    rows = report["hypotheses"]
    assert report["n"] == len(rows) >= 7
    assert 0 < report["validated"] < report["n"]
    graded = {f["name"]: f for f in report["forecasters"]}
    y = [row["validated"] for row in rows]
    price = [row["exchange_rating"] for row in rows]
    assert graded["exchange rating"]["brier"] == pytest.approx(brier_score(price, y))
    assert graded["exchange rating"]["auc"] == pytest.approx(auc(price, y))
    assert graded["always 0.5"]["brier"] == pytest.approx(0.25)
    assert {"composite", "base rate (training folds)", "theorist", "skeptic"} <= set(graded)
    for row in rows:
        assert row["as_of"] < row["resolved_on"]
        assert row["evidence_kept"] <= row["evidence_total"]
    assert any(row["evidence_kept"] < row["evidence_total"] for row in rows)
    assert report["settings"]["horizon_days"] == 1


def test_after_importing_what_the_demo_imports_it_grades_the_whole_resolved_set(
    resolved_set: None,
) -> None:
    report = _json(FAST)
    assert report["n"] >= 40
    assert min(report["validated"], report["refuted"]) >= 5
    assert all(row["evidence_kept"] >= 1 for row in report["hypotheses"])


def test_the_same_seed_gives_the_same_report(resolved_set: None) -> None:
    first, second = _json(FAST), _json(FAST)
    assert first["forecasters"] == second["forecasters"]
    other = _json([*FAST, "--seed", "5"])
    assert other["forecasters"][0]["brier"] == first["forecasters"][0]["brier"]
    assert other["forecasters"][0]["brier_low"] != first["forecasters"][0]["brier_low"]


def test_the_table_shows_every_forecaster_with_intervals(resolved_set: None) -> None:
    result = runner.invoke(app, ["backtest", *FAST])
    assert result.exit_code == 0, result.output
    for label in ("exchange rating", "composite", "always 0.5", "base rate", "theorist"):
        assert label in result.stdout
    assert "Brier [90%]" in result.stdout
    assert "[low, high]: bootstrap 90% interval" in result.stdout
    assert "Brier against the baselines" in result.stdout
    report = _json(FAST)
    difference = report["comparisons"][0]
    low = signed(difference["brier_difference_low"], 3)
    assert f"{signed(difference['brier_difference'], 3)} [{low}" in result.stdout
    said = " ".join(result.stdout.split())
    assert "No interval under 20 hypotheses, nor for an AUC with under 8 of either" in said
    grades = result.stdout.split("Brier against the baselines")[0].splitlines()
    rows = {line.split("│")[1].strip(): line for line in grades if "│" in line}
    for row in report["forecasters"]:
        shown = rows[row["name"]]
        assert f"{row['brier']:.3f}" in shown
        assert ("[" in shown) is (row["n"] >= 20), shown  # a few forecasts get no interval
    assert any(row["n"] < 20 for row in report["forecasters"])


def test_the_table_tells_each_band_in_counts(resolved_set: None) -> None:
    result = runner.invoke(app, ["backtest", *FAST])
    assert result.exit_code == 0, result.output
    report = _json(FAST)
    table = result.stdout.split("What the blind numbers have meant")[1]
    cells = {
        line.split("│")[1].strip(): [cell.strip() for cell in line.split("│")[2:4]]
        for line in table.splitlines()
        if line.count("│") == 4
    }
    assert len(cells) == report["settings"]["bins"] == 5
    for i in range(5):
        low, high = i / 5, (i + 1) / 5
        for column, key in enumerate(("exchange_rating", "composite")):
            # Counted from the report's rows, not from the bins the table is drawn from.
            inside = [
                h["validated"]
                for h in report["hypotheses"]
                if low <= h[key] < high or (i == 4 and h[key] == 1.0)
            ]
            cell = cells[f"{low:.2f}–{high:.2f}"][column]
            if inside:
                assert cell.startswith(f"{sum(inside)} of {len(inside)} ("), (i, key, cell)
            else:
                assert cell == "none", (i, key, cell)
    assert "Jeffreys 90% interval of the share validated" in " ".join(table.split())


def test_the_tournament_judge_is_graded_on_every_pair_unless_skipped(
    resolved_set: None,
) -> None:
    report = _json(FAST)
    judge = report["judge"]
    validated, refuted = report["validated"], report["refuted"]
    assert judge["pairs"] == validated * refuted
    assert judge["backend"] == "evidence" and judge["unreadable"] == 0
    assert judge["share"] == pytest.approx(judge["validated_preferred"] / judge["pairs"])
    assert judge["share_low"] < judge["share"] < judge["share_high"]
    said = " ".join(runner.invoke(app, ["backtest", *FAST]).stdout.split())
    assert (
        f"Tournament judge (evidence), blind: it preferred the validated hypothesis in "
        f"{judge['validated_preferred']} of {judge['pairs']} validated-refuted pairs"
    ) in said
    n = report["n"]
    assert f"Debated by evidence, which reads only the blind case: all {n} outcomes" in said
    skipped = _json([*FAST, "--no-judge"])
    assert skipped["judge"] is None
    assert skipped["forecasters"] == report["forecasters"]  # the rest is the same report


def test_a_sample_of_the_pairs_is_graded_with_a_conservative_interval(
    resolved_set: None,
) -> None:
    sampled = _json([*FAST, "--judge-pairs", "300"])
    judge = sampled["judge"]
    assert (judge["pairs"], judge["of_pairs"]) == (300, sampled["validated"] * sampled["refuted"])
    assert judge["share"] == pytest.approx(judge["validated_preferred"] / 300)
    assert judge["share_low"] < judge["share"] < judge["share_high"]
    assert sampled["settings"]["judge_pairs"] == 300
    said = " ".join(runner.invoke(app, ["backtest", *FAST, "--judge-pairs", "300"]).stdout.split())
    assert (
        f"{judge['validated_preferred']} of 300 validated-refuted pairs (a random 300 of "
        f"{judge['of_pairs']}); share right {judge['share']:.3f} [at least 90%: "
    ) in said
    refused = runner.invoke(app, ["backtest", *FAST, "--judge-pairs", "0"])
    assert refused.exit_code == 2 and "--judge-pairs" in refused.output


def test_batch_work_sends_the_judges_sample_as_one_provider_batch(
    resolved_set: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    verdict = '{"winner": "second", "rationale": "the second case is stronger"}'
    with FakeOpenAIServer(default_content=verdict) as server:
        monkeypatch.setenv("HYPOSCORE_OPENAI_BASE_URL", server.base_url)
        monkeypatch.setenv("HYPOSCORE_OPENAI_API_KEY", "sk-test")
        get_settings.cache_clear()
        settings = get_settings()
        wait = batch_wait(settings, timeout=60.0)
        assert (wait.poll_seconds, wait.max_items) == (
            settings.provider_batch_poll_seconds,
            settings.provider_batch_max_items,
        )

        def judge() -> list[JudgedPair]:
            return judge_in_process(
                settings,
                DebateConfig(backend="openai", model="gpt-4o-mini"),
                horizon_days=1,
                sample=25,
                seed=3,
                quiet=True,
                batches=dataclasses.replace(wait, sleep=lambda seconds: None),
            )

        judged = judge()
        assert [len(batch.items) for batch in server.batches] == [25]
        assert not [r for r in server.requests if r.path.endswith("/chat/completions")]
        # The batch is in the ledger: the same judge step run again reads it, sends nothing.
        assert judge() == judged and len(server.batches) == 1
    assert len(judged) == 25
    assert all(p.preferred not in (None, p.shown_first) for p in judged)


def test_saved_reports_are_stored_and_compared(bundled: None) -> None:
    saved = runner.invoke(app, ["backtest", *FAST, "--save", "day-before"])
    assert saved.exit_code == 0, saved.output
    assert "saved as 'day-before'" in saved.stdout
    far = runner.invoke(app, ["backtest", *FAST, "--horizon-days", "1500", "--save", "far"])
    assert far.exit_code == 0, far.output
    database = open_database()
    with database.sessions() as session:
        near_report = get_report(session, name="day-before").report
        far_report = get_report(session, name="far").report
    database.dispose()
    assert far_report["settings"]["horizon_days"] == 1500

    compared = _json(["--compare", "day-before", "far"])
    assert compared["a"] == "day-before" and compared["b"] == "far"
    rows = {row["name"]: row for row in compared["forecasters"]}
    near_price = near_report["forecasters"][0]
    far_price = far_report["forecasters"][0]
    assert rows["exchange rating"]["a"]["brier"] == near_price["brier"]
    assert rows["exchange rating"]["brier_difference"] == pytest.approx(
        far_price["brier"] - near_price["brier"]
    )
    # What the difference may come from: here the horizon, and nothing else.
    assert compared["settings_differ"] == [{"setting": "horizon_days", "a": 1, "b": 1500}]
    table = runner.invoke(app, ["backtest", "--compare", "day-before", "far"])
    assert table.exit_code == 0, table.output
    assert "'day-before' (A) against 'far' (B)" in table.stdout
    assert f"{far_price['brier'] - near_price['brier']:+.3f}" in table.stdout
    assert "horizon_days: A 1; B 1500" in " ".join(table.stdout.split())


def test_a_comparison_names_an_as_of_rule_that_changed(bundled: None) -> None:
    assert runner.invoke(app, ["backtest", *FAST, "--save", "now"]).exit_code == 0
    assert runner.invoke(app, ["backtest", *FAST, "--save", "older"]).exit_code == 0
    database = open_database()
    with database.transaction() as session:
        older = session.scalars(select(BacktestReport).where(BacktestReport.name == "older")).one()
        # As a report stored before blind debates read drug statuses as dated would read.
        older.report = {
            **older.report,
            "settings": {**older.report["settings"], "as_of_rule": "v1"},
        }
    database.dispose()
    same = runner.invoke(app, ["backtest", "--compare", "now", "now"])
    assert "Both reports were made with the same settings." in same.stdout
    compared = _json(["--compare", "older", "now"])
    assert [row["setting"] for row in compared["settings_differ"]] == ["as_of_rule"]
    assert compared["settings_differ"][0]["a"] == "v1"


def test_a_taken_or_bad_name_is_refused_before_anything_runs(bundled: None) -> None:
    assert runner.invoke(app, ["backtest", *FAST, "--save", "once"]).exit_code == 0
    again = runner.invoke(app, ["backtest", *FAST, "--save", "once"])
    assert again.exit_code == 2
    assert "--save: a backtest report named 'once' exists" in again.output
    assert runner.invoke(app, ["backtest", *FAST, "--save", "once", "--replace"]).exit_code == 0
    bad = runner.invoke(app, ["backtest", "--save", "no spaces"])
    assert bad.exit_code == 2
    assert "--save: 'no spaces' is not a report name" in bad.output
    missing = runner.invoke(app, ["backtest", "--compare", "once", "nowhere"])
    assert missing.exit_code == 2
    assert "backtest report 'nowhere' does not exist" in missing.output


def test_without_resolved_hypotheses_it_says_so() -> None:
    result = runner.invoke(app, ["backtest"])
    assert result.exit_code == 2
    assert "a backtest needs validated and refuted hypotheses" in result.output


def test_the_pipeline_without_a_worker_says_so_and_leaves_the_evaluations_queued(
    bundled: None,
) -> None:
    result = runner.invoke(app, ["backtest", "--pipeline", "--timeout", "1"])
    assert result.exit_code == 1
    said = " ".join(result.output.split())
    assert "0 of 7 as-of evaluations ended within 1s" in said and "hyposcore worker" in said
    database = open_database()
    with database.sessions() as session:
        queued = session.query(Evaluation).all()
    database.dispose()
    assert len(queued) == 7 and {e.state for e in queued} == {"queued"}
    assert all(e.as_of is not None and e.config["as_of"] == e.as_of.isoformat() for e in queued)


def test_the_pipeline_on_provider_batches_says_they_may_take_a_day_and_a_rerun_picks_them_up(
    bundled: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    with FakeOpenAIServer() as server:
        monkeypatch.setenv("HYPOSCORE_BACKEND", "openai")
        monkeypatch.setenv("HYPOSCORE_OPENAI_BASE_URL", server.base_url)
        monkeypatch.setenv("HYPOSCORE_OPENAI_API_KEY", "sk-test")
        monkeypatch.setenv("HYPOSCORE_OPENAI_BATCHES", "true")
        get_settings.cache_clear()
        result = runner.invoke(app, ["backtest", "--pipeline", "--timeout", "1", "--no-judge"])
        assert not server.requests  # nothing is asked before beat's batch pass sends it
    assert result.exit_code == 1
    said = " ".join(result.output.split())
    assert "0 of 7 as-of evaluations ended within 1s" in said
    assert "batch API, which may take up to 24 hours" in said and "hyposcore beat" in said
    assert "the same backtest run again picks them up" in said


@pytest.mark.slow
def test_the_pipeline_gives_the_report_the_in_process_backtest_gives(
    bundled: None, tmp_path: Path
) -> None:
    local = _json(FAST)
    env = hyposcore_env(data_dir=str(get_settings().data_dir))
    with WorkerProcess(env, tmp_path / "worker.log"):
        done = subprocess.run(
            [sys.executable, "-m", "hyposcore", "backtest", "--pipeline", "--json", *FAST],
            env={**env, "COLUMNS": "150"},
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    pipeline = json.loads(done.stdout)
    assert (local["settings"]["mode"], pipeline["settings"]["mode"]) == ("local", "pipeline")
    assert pipeline["hypotheses"] == local["hypotheses"]
    assert pipeline["forecasters"] == local["forecasters"]
    database = open_database()
    with database.sessions() as session:
        blind = session.query(Evaluation).filter(Evaluation.as_of.is_not(None)).all()
        snapshots = session.query(ScoreSnapshot).count()
    database.dispose()
    assert len(blind) == local["n"] and all(e.state == "succeeded" and e.forecast for e in blind)
    assert snapshots == 0  # blind forecasts never enter the live score history
    # Run again with no worker: every blind debate is reused, none queued, the same report.
    again = runner.invoke(app, ["backtest", "--pipeline", "--timeout", "1", *FAST])
    assert again.exit_code == 0, again.output
    n = local["n"]
    assert f"reusing {n} of {n} blind debates" in " ".join(again.output.split())
    rerun = _json(["--pipeline", "--timeout", "1", *FAST])
    assert (rerun["hypotheses"], rerun["forecasters"]) == (
        local["hypotheses"],
        local["forecasters"],
    )
    database = open_database()
    with database.sessions() as session:
        assert session.query(Evaluation).filter(Evaluation.as_of.is_not(None)).count() == n
    database.dispose()
