"""``hyposcore history``: the same versions and numbers as the API's history, JSON and CSV."""

from __future__ import annotations

import json
from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from api.app import create_app
from common.settings import get_settings
from hyposcore.cli.common import open_database
from hyposcore.cli.history import sparkline
from hyposcore.cli.main import app
from storage.db import Database
from storage.models import ScoreSnapshot
from tests.api.seed import (
    COMPOSITES,
    HYPOTHESIS,
    MARKET_PRICES,
    UNSCORED,
    Seeded,
    resolve,
    seed,
)
from tests.wiki.publishing import CONFIG_HASH, add_snapshot
from tests.workers.backtest_items import seed_report


@pytest.fixture
def seeded() -> Seeded:
    return seed(open_database())


@pytest.fixture
def database(seeded: Seeded) -> Database:
    return open_database()


def _run(*args: str) -> str:
    result = CliRunner().invoke(app, ["history", *args], terminal_width=200)
    assert result.exit_code == 0, result.output
    return result.output


def _rows(said: str) -> dict[str, str]:
    """The table's lines by version number."""
    rows = {}
    for line in said.splitlines():
        first = line.split()[:1]
        if first and first[0].isdigit():
            rows[first[0]] = line
    return rows


def test_json_and_csv_are_the_apis_own(database: Database) -> None:
    with TestClient(create_app(get_settings(), database)) as client:
        api_items = client.get(f"/hypotheses/{HYPOTHESIS}/history").json()["items"]
        api_csv = client.get(f"/hypotheses/{HYPOTHESIS}/history.csv").text
    assert json.loads(_run(HYPOTHESIS, "--json")) == api_items
    assert _run(HYPOTHESIS, "--csv") == api_csv
    assert [item["exchange_rating"] for item in api_items] == list(MARKET_PRICES)


def test_the_table_lists_every_version_and_draws_the_rating(database: Database) -> None:
    said = _run(HYPOTHESIS)
    rows = _rows(said)
    for version, (composite, price) in enumerate(zip(COMPOSITES, MARKET_PRICES, strict=True), 1):
        low, high = composite - 0.08, composite + 0.07
        # exchange (the market price), composite with its interval, strength: one line each
        shown = f"{price:.2f} {composite:.2f} ({low:.2f}–{high:.2f}) unrated"
        assert " ".join(rows[str(version)].split()).endswith(shown), rows
    assert "rule" not in said.split("\n", 3)[2]  # one rule throughout: no column for it
    assert "All 3 versions were scored under the rule with config hash cccccccc." in said
    assert f"exchange rating  {sparkline(list(MARKET_PRICES))}  0.55 → 0.71 over 3 versions" in (
        said
    )
    assert "Exchange rating = the market's probability" in said  # the legend
    assert "reads as" not in said  # open: nothing was a forecast of an outcome yet
    assert "*: no market trades yet" not in said and "scoring rule changed" not in said


def test_each_version_names_its_evaluation_where_the_terminal_has_room(
    database: Database, seeded: Seeded
) -> None:
    # Seeded v1 and v2 came from no stored evaluation; v3 from the seeded one.
    made_by = {v: row.split()[1] for v, row in _rows(_run(HYPOTHESIS)).items()}
    assert made_by == {"1": "—", "2": "—", "3": str(seeded.evaluation_id)}
    open_80 = CliRunner().invoke(app, ["history", HYPOTHESIS], env={"COLUMNS": "80"}).output
    assert "evaluation" in open_80.splitlines()[2] and all(
        len(row) <= 80 for row in _rows(open_80).values()
    )
    # Resolved, the "reads as" column leaves no room at 80: it says where to find them.
    resolve(database, HYPOTHESIS, "validated", date(2026, 3, 3))
    resolved_80 = CliRunner().invoke(app, ["history", HYPOTHESIS], env={"COLUMNS": "80"}).output
    assert "evaluation" not in resolved_80.split("Which evaluation")[0]
    assert "Which evaluation made each version: --json, or a terminal 86 columns wide." in (
        " ".join(resolved_80.split())
    )
    wide = CliRunner().invoke(app, ["history", HYPOTHESIS], env={"COLUMNS": "86"}).output
    assert _rows(wide)["3"].split()[1] == str(seeded.evaluation_id)
    assert "Which evaluation" not in wide


def test_a_resolved_hypothesis_says_which_versions_were_forecasts(database: Database) -> None:
    # The seeded versions were computed on 2, 3 and 4 March 2026.
    resolve(database, HYPOTHESIS, "validated", date(2026, 3, 3))
    said = _run(HYPOTHESIS)
    assert "Validated on 2026-03-03" in said.splitlines()[1]  # before the numbers
    assert [row.split()[-1] for row in _rows(said).values()] == [
        "forecast",
        "hindsight",
        "hindsight",
    ]
    # On an 80-column terminal each version is still one whole line.
    narrow = CliRunner().invoke(app, ["history", HYPOTHESIS], terminal_width=80).output
    rows = _rows(narrow)
    assert len(rows) == 3 and all(len(row) <= 80 for row in rows.values())
    assert all(row.split()[1:3] == [f"2026-03-0{int(v) + 1}", "00:00"] for v, row in rows.items())


def test_a_stand_in_and_a_new_scoring_rule_are_each_said(database: Database) -> None:
    # The seeded versions used config hash "c" * 64; the next one another rule, and no market.
    version = add_snapshot(database, UNSCORED, composite=0.5, market_price=None)
    add_snapshot(database, HYPOTHESIS, composite=0.6, market_price=None)
    said = _run(HYPOTHESIS)
    v4 = _rows(said)["4"]
    assert "0.60*" in v4 and v4.split()[-1] == CONFIG_HASH[:8]  # a rule column, as it changed
    assert "*: no market trades yet, so the composite stands in" in said
    assert f"The scoring rule changed at v4 (config hash cccccccc → {CONFIG_HASH[:8]})" in said
    assert version == 1 and "0.50* " in _run(UNSCORED)


def test_the_strength_column_signs_as_the_leaderboard_does(database: Database) -> None:
    """The tournament strength at each version: a true minus, and no sign on what rounds to 0."""
    for rating in (-1.5249, -0.001):
        version = add_snapshot(database, HYPOTHESIS, composite=0.6, market_price=0.6)
        with database.transaction() as session:
            snapshot = session.scalar(
                select(ScoreSnapshot).where(
                    ScoreSnapshot.hypothesis_id == HYPOTHESIS, ScoreSnapshot.version == version
                )
            )
            assert snapshot is not None
            snapshot.rating = rating
    rows = _rows(_run(HYPOTHESIS))
    assert rows["4"].split()[-2:] == ["−1.52", CONFIG_HASH[:8]]
    assert rows["5"].split()[-2:] == ["0.00", CONFIG_HASH[:8]]


def test_an_unscored_hypothesis_says_how_to_score_it(database: Database) -> None:
    said = _run(UNSCORED)
    assert f"Not scored yet. Queue an evaluation with: hyposcore queue {UNSCORED}" in said
    assert json.loads(_run(UNSCORED, "--json")) == []


def test_an_unknown_hypothesis_or_two_formats_is_a_clear_error(database: Database) -> None:
    unknown = CliRunner().invoke(app, ["history", "h-nope"])
    assert unknown.exit_code == 2 and "hypothesis 'h-nope' does not exist" in unknown.output
    both = CliRunner().invoke(app, ["history", HYPOTHESIS, "--json", "--csv"])
    assert both.exit_code == 2 and "choose one of --json and --csv" in both.output


@pytest.mark.parametrize(
    ("values", "line"), [([0.0, 0.5, 1.0], "▁▅█"), ([-0.2, 1.4], "▁█"), ([0.32], "▃")]
)
def test_the_sparkline_reads_on_a_fixed_zero_to_one_scale(values: list[float], line: str) -> None:
    assert sparkline(values) == line


def test_an_open_hypothesis_states_what_its_bands_have_meant(database: Database) -> None:
    assert "track record" not in _run(HYPOTHESIS)  # no backtest stored yet
    seed_report(database, "baseline")
    said = " ".join(_run(HYPOTHESIS).split())
    with TestClient(create_app(get_settings(), database)) as client:
        records = client.get(f"/hypotheses/{HYPOTHESIS}").json()["track_record"]
    assert [r["number"] for r in records] == ["exchange rating", "composite"]
    for record in records:  # the API's records, one line each, before the legend
        band = f"{record['band_low']:.2f}–{record['band_high']:.2f}"
        assert f"blind {record['number']} of {band}" in said or (
            f"whose blind {record['number']} was {band}" in said
        )
    assert said.count("track record (backtest baseline, 1 day(s) before each resolution)") == 2
    assert said.index("track record") < said.index("Exchange rating = the market's")
    resolve(database, HYPOTHESIS, "validated", date(2026, 6, 1))
    assert "track record" not in _run(HYPOTHESIS)  # hindsight has no track record
