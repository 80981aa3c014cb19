"""``hyposcore leaderboard``: the web view's groups and picture in the terminal, the API's JSON."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.app import create_app
from api.strength_chart import StrengthBar
from common.settings import get_settings
from hyposcore.cli.common import open_database
from hyposcore.cli.leaderboard import AVERAGE, INTERVAL, STRENGTH, interval_picture
from hyposcore.cli.main import app
from storage.db import Database
from storage.queries.backtests import save_report
from tests.api.seed import HYPOTHESIS, UNSCORED, seed
from tests.workers.backtest_items import seed_judged_report, seed_report


@pytest.fixture
def database() -> Database:
    database = open_database()
    seed(database)  # HYPOTHESIS rated +1.40 (+0.90 to +1.90); UNSCORED refuted after 3 matches
    return database


def _run(*args: str) -> str:
    result = CliRunner().invoke(app, ["leaderboard", *args], env={"COLUMNS": "160"})
    assert result.exit_code == 0, result.output
    return result.output


def test_json_is_the_apis_own(database: Database) -> None:
    with TestClient(create_app(get_settings(), database)) as client:
        items = client.get("/leaderboard").json()["items"]
    assert json.loads(_run("--json")) == items


def test_each_group_has_its_numbers_and_picture_and_the_rest_say_why_not(
    database: Database,
) -> None:
    said = _run()
    rated = next(line for line in said.splitlines() if HYPOTHESIS in line)
    assert " ".join(rated.split()[:8]) == f"1 {HYPOTHESIS} +1.40 +0.90 to +1.90 6 (0)"
    assert STRENGTH in rated and INTERVAL in rated
    assert "APOE-Dependent Autophagy Restoration" in rated  # room for the title at 160 columns
    settled = next(line for line in said.splitlines() if UNSCORED in line)
    assert "refuted, no longer entered" in settled and "3 (0)" in settled
    assert said.index("Group 1") < said.index("Resolved, not entered")
    assert "no order is claimed between groups" in " ".join(said.split())  # the legend


def test_a_narrow_terminal_keeps_the_numbers_whole_and_drops_the_titles(
    database: Database,
) -> None:
    result = CliRunner().invoke(app, ["leaderboard"], env={"COLUMNS": "80"})
    rated = next(line for line in result.output.splitlines() if HYPOTHESIS in line)
    assert "+0.90 to +1.90" in rated and "APOE" not in rated


def test_the_picture_puts_the_interval_the_strength_and_zero_where_they_are() -> None:
    # on [-2, 2] in 9 cells, each cell is half a unit: -2 at 0, 0 at 4, +2 at 8
    drawn = interval_picture(StrengthBar(1, "t", 1.0, 0.5, 1.5), -2.0, 2.0, width=9)
    assert drawn == f"    {AVERAGE}{INTERVAL}{STRENGTH}{INTERVAL} "
    # an interval over 0 hides the 0 mark; a bar without an interval is a dot alone
    assert AVERAGE not in interval_picture(StrengthBar(1, "t", 0.2, -1.0, 1.0), -2, 2, width=9)
    alone = interval_picture(StrengthBar(1, "t", -2.0), -2.0, 2.0, width=9)
    assert alone == f"{STRENGTH}   {AVERAGE}    "


def test_before_any_hypothesis_it_says_there_is_no_fit() -> None:
    open_database()
    said = " ".join(_run().split())
    assert "No fit yet: all 0 hypotheses are unrated." in said
    assert json.loads(_run("--json")) == []


def test_a_limit_says_how_many_more_there_are(database: Database) -> None:
    said = _run("--limit", "1")
    assert HYPOTHESIS in said and UNSCORED not in said
    assert "1 more; show them with --limit 2" in said


def test_the_newest_backtest_says_what_the_judges_preferences_have_meant(
    database: Database,
) -> None:
    assert "Tournament judge" not in _run()  # no backtest stored
    report = seed_judged_report(database, "judged")
    judge = report["judge"]
    said = " ".join(_run().split())
    assert (
        f"Tournament judge ({judge['backend']}), blind: it preferred the validated hypothesis "
        f"in {judge['validated_preferred']} of {judge['pairs']} validated-refuted pairs"
    ) in said
    assert "(backtest judged)." in said
    with TestClient(create_app(get_settings(), database)) as client:
        page = " ".join(client.get("/web/leaderboard").text.split())
    assert f"in {judge['validated_preferred']} of {judge['pairs']} validated-refuted" in page
    assert "(backtest judged).</p>" in page
    seed_report(database, "unjudged")  # the newest report did not grade the judge
    assert "Tournament judge" not in _run()
    # A report whose judge section has another shape costs the line, not the leaderboard.
    odd = {**report, "judge": {"backend": "evidence", "pairs": "many"}}
    with database.transaction() as session:
        save_report(session, name="odd", report=odd, horizon_days=1)
    assert "Tournament judge" not in _run()
    with TestClient(create_app(get_settings(), database)) as client:
        assert client.get("/web/leaderboard").status_code == 200
