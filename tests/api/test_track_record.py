"""Beside an open hypothesis's numbers: how the newest stored blind backtest's resolved
hypotheses fared in the same band, over the API and on the hypothesis's page."""

from __future__ import annotations

import dataclasses
import json
from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.track_record import latest_blind_grades
from debates.types import DebateConfig
from storage.db import Database
from storage.queries.backtests import latest_grades, save_report
from tests.api.seed import HYPOTHESIS, UNSCORED, Seeded, resolve
from tests.workers.backtest_items import (
    OPTIONS,
    forecasted_items,
    in_band,
    seed_judged_report,
    seed_report,
)
from workers.backtest_report import build_report

# The report's name for each number of a snapshot, and the snapshot's own.
NUMBERS = {"exchange rating": ("exchange_rating", "market_price"), "composite": ("composite",) * 2}


def records_of(client: TestClient, hypothesis_id: str) -> dict[str, dict[str, Any]]:
    body = client.get(f"/hypotheses/{hypothesis_id}").json()
    return {record["number"]: record for record in body["track_record"]}


def test_an_open_hypothesis_states_the_record_of_its_band(
    client: TestClient, db: Database, seeded: Seeded
) -> None:
    seed_report(db, "five-bands")
    # The newest report is the one stated: here one band holds every resolved hypothesis.
    report = seed_report(db, "one-band", dataclasses.replace(OPTIONS, bins=1))
    body = client.get(f"/hypotheses/{HYPOTHESIS}").json()
    snapshot = body["latest_snapshot"]
    records = {record["number"]: record for record in body["track_record"]}
    assert set(records) == set(NUMBERS)
    for number, (report_key, snapshot_key) in NUMBERS.items():
        record = records[number]
        assert record["value"] == snapshot[snapshot_key]
        assert (record["band_low"], record["band_high"]) == (0.0, 1.0)
        inside = in_band(report, report_key, record)
        assert record["count"] == len(inside) == report["n"]
        assert record["validated"] == sum(h["validated"] for h in inside) == report["validated"]
        assert record["share"] == record["validated"] / record["count"]
        assert record["share_low"] < record["share"] < record["share_high"]
        assert record["level"] == report["settings"]["level"]
        assert record["backtest"] == "one-band" and record["horizon_days"] == 1
        assert record["backend"] == report["settings"]["debate"]["backend"]
        assert record["links"] == {
            "report": "/backtests/one-band",
            "page": "/web/backtests/one-band",
        }
        same = report["settings"]["weights_hash"] == snapshot["config_hash"]
        assert record["same_weights"] is same


def test_the_band_and_its_counts_follow_the_reports_rows(
    client: TestClient, db: Database, seeded: Seeded
) -> None:
    report = seed_report(db, "five-bands")
    records = records_of(client, HYPOTHESIS)
    for number, (report_key, _) in NUMBERS.items():
        record = records[number]
        assert record["band_high"] - record["band_low"] == pytest.approx(0.2)
        assert record["band_low"] <= record["value"] < record["band_high"]
        inside = in_band(report, report_key, record)
        assert record["count"] == len(inside)
        assert record["validated"] == sum(h["validated"] for h in inside)
        if not inside:  # an empty band states no share rather than 0 of 0
            assert record["share"] is record["share_low"] is record["share_high"] is None


def test_none_without_a_backtest_for_a_resolved_or_an_unscored_hypothesis(
    client: TestClient, db: Database, seeded: Seeded
) -> None:
    assert records_of(client, HYPOTHESIS) == {}  # no backtest stored yet
    seed_report(db)
    assert records_of(client, UNSCORED) == {}  # nothing to look up
    assert set(records_of(client, HYPOTHESIS)) == set(NUMBERS)
    # Settled, its live numbers are hindsight: the backtest grades forecasts.
    resolve(db, HYPOTHESIS, "validated", date(2026, 6, 1))
    assert records_of(client, HYPOTHESIS) == {}


def test_a_report_without_readable_bins_costs_a_line_not_the_page(
    client: TestClient, db: Database, seeded: Seeded
) -> None:
    report = seed_report(db)
    # The first forecaster's bins miss their counts; the others have no bins at all.
    broken = {
        **report,
        "forecasters": [
            {**report["forecasters"][0], "reliability": [{"low": 0.0, "high": 0.5}]},
            *(
                {k: v for k, v in f.items() if k != "reliability"}
                for f in report["forecasters"][1:]
            ),
        ],
    }
    with db.transaction() as session:
        save_report(session, name="broken", report=broken, horizon_days=1)
    assert records_of(client, HYPOTHESIS) == {}
    page = client.get(f"/web/hypotheses/{HYPOTHESIS}")
    assert page.status_code == 200
    assert "Track record" not in page.text


def test_latest_grades_reads_only_the_newest_reports_grades(db: Database, seeded: Seeded) -> None:
    with db.sessions() as session:
        assert latest_grades(session) is None
    seed_report(db, "first")
    newest = seed_report(db, "second")
    with db.sessions() as session:
        grades = latest_grades(session)
    assert grades is not None
    assert grades.name == "second" and grades.horizon_days == 1
    assert grades.settings == newest["settings"]
    assert grades.forecasters == newest["forecasters"]
    assert grades.judge is None  # this backtest did not judge
    judged = seed_judged_report(db, "third")
    with db.sessions() as session:
        graded = latest_grades(session)
    assert graded is not None and graded.judge == judged["judge"]


def test_the_page_says_it_and_links_the_backtest(
    client: TestClient, db: Database, seeded: Seeded
) -> None:
    seed_report(db, "one-band", dataclasses.replace(OPTIONS, bins=1))
    records = records_of(client, HYPOTHESIS)
    page = client.get(f"/web/hypotheses/{HYPOTHESIS}").text
    assert "<h3>Track record</h3>" in page
    for record in records.values():
        count, validated = record["count"], record["validated"]
        said = (
            f"Of the {count} resolved hypotheses whose blind {record['number']} was 0.00–1.00, "
            f"{validated} were validated ({record['share']:.0%}; 90% interval "
            f"{record['share_low']:.0%}–{record['share_high']:.0%})"
        )
        assert said in page
    assert '<a href="/web/backtests/one-band">Backtest one-band</a>' in page
    # The seed's snapshots were scored under made-up weights, not the backtest's: said so.
    assert {record["same_weights"] for record in records.values()} == {False}
    assert "scored under other dimension weights than this snapshot" in page
    assert "a resolved one&#39;s numbers are hindsight" in page
    band_page = client.get("/web/backtests/one-band").text
    assert "What the blind numbers have meant" in band_page
    exchange = records["exchange rating"]
    cell = (
        f"{exchange['validated']} of {exchange['count']} ({exchange['share']:.0%}) "
        f"[{exchange['share_low']:.0%}–{exchange['share_high']:.0%}]"
    )
    assert f'<td class="num">{cell}</td>' in band_page


def _save_model_report(
    db: Database, name: str, monkeypatch: pytest.MonkeyPatch, *, cutoff: str | None
) -> dict[str, Any]:
    """A report debated by the model ``m``, trained to ``cutoff`` (None: not configured)."""
    if cutoff is None:
        monkeypatch.delenv("HYPOSCORE_OPENAI_KNOWLEDGE_CUTOFFS", raising=False)
    else:
        monkeypatch.setenv("HYPOSCORE_OPENAI_KNOWLEDGE_CUTOFFS", json.dumps({"m": cutoff}))
    config = DebateConfig(backend="openai", model="m")
    report = build_report(forecasted_items(), config, dataclasses.replace(OPTIONS, bins=1))
    with db.transaction() as session:
        save_report(session, name=name, report=report, horizon_days=1)
    return report


def test_a_backtest_its_model_may_have_read_is_no_track_record(
    client: TestClient, db: Database, seeded: Seeded, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed_report(db, "offline")
    # Newer, but by a model with no cutoff, or trained after some outcomes (all settled on
    # 1-5 June 2020): the offline backtest stays the record.
    _save_model_report(db, "unknown-cutoff", monkeypatch, cutoff=None)
    _save_model_report(db, "trained-after-some", monkeypatch, cutoff="2020-06-03")
    assert {r["backtest"] for r in records_of(client, HYPOTHESIS).values()} == {"offline"}
    # A model trained before every outcome is as blind as the offline backend.
    _save_model_report(db, "trained-before", monkeypatch, cutoff="2020-05")
    records = records_of(client, HYPOTHESIS)
    assert {r["backtest"] for r in records.values()} == {"trained-before"}
    assert {r["backend"] for r in records.values()} == {"openai"}


def test_a_report_from_before_knowledge_was_kept_counts_only_from_an_offline_backend(
    client: TestClient, db: Database, seeded: Seeded, monkeypatch: pytest.MonkeyPatch
) -> None:
    offline = {k: v for k, v in seed_report(db, "x").items() if k != "knowledge"}
    model = _save_model_report(db, "y", monkeypatch, cutoff="2020-05")
    model = {k: v for k, v in model.items() if k != "knowledge"}
    with db.transaction() as session:
        save_report(session, name="old-offline", report=offline, horizon_days=1)
        save_report(session, name="old-model", report=model, horizon_days=1)
    with db.sessions() as session:
        chosen = latest_blind_grades(session)
    assert chosen is not None and chosen.name == "old-offline"
