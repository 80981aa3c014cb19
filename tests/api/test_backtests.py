"""Stored backtests over the API and as a web view: the same numbers the report holds."""

from __future__ import annotations

import dataclasses
import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from scoring.forecasts import MIN_AUC_INTERVAL_EACH, MIN_INTERVAL_N
from storage.db import Database
from tests.api.svg import SVG_NS as SVG
from tests.api.svg import parse_svg
from tests.workers.backtest_items import OPTIONS, seed_judged_report, seed_report


def report_of(client: TestClient, name: str) -> dict[str, Any]:
    response = client.get(f"/backtests/{name}")
    assert response.status_code == 200
    return response.json()  # type: ignore[no-any-return]


@pytest.fixture
def db(sqlite_db: Database) -> Database:
    return sqlite_db


def test_the_list_and_a_report_serve_the_stored_numbers(client: TestClient, db: Database) -> None:
    first = seed_report(db, "baseline")
    seed_report(db, "second")
    listed = client.get("/backtests").json()
    assert listed["total"] == 2
    assert [item["name"] for item in listed["items"]] == ["second", "baseline"]
    summary = listed["items"][1]
    assert summary["exchange_rating_brier"] == first["forecasters"][0]["brier"]
    assert summary["links"] == {"self": "/backtests/baseline", "page": "/web/backtests/baseline"}

    body = client.get("/backtests/baseline").json()
    assert body["name"] == "baseline"
    assert body["n"] == first["n"] == 5
    assert body["forecasters"] == first["forecasters"]
    assert body["comparisons"] == first["comparisons"]
    assert [h["hypothesis_id"] for h in body["hypotheses"]] == [
        h["hypothesis_id"] for h in first["hypotheses"]
    ]
    assert body["hypotheses"][0]["believability"] == first["hypotheses"][0]["believability"]
    assert body["settings"]["level"] == 0.9


def test_unknown_and_malformed_names(client: TestClient, db: Database) -> None:
    missing = client.get("/backtests/nowhere")
    assert missing.status_code == 404
    assert missing.json()["error"]["message"] == "backtest report 'nowhere' does not exist"
    bad = client.get("/backtests/-dash-first")
    assert bad.status_code == 422
    assert bad.json()["error"]["details"][0]["location"] == ["path", "name"]
    assert client.get("/web/backtests/nowhere").status_code == 404


def test_the_schema_documents_both_operations(client: TestClient, db: Database) -> None:
    document = client.get("/openapi.json").json()
    one = document["paths"]["/backtests/{name}"]["get"]
    assert one["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/BacktestReportOut"
    }
    assert {"404", "422"} <= set(one["responses"])
    assert "/backtests" in document["paths"]
    forecaster = document["components"]["schemas"]["ForecasterOut"]
    assert {"brier", "brier_low", "brier_high", "auc", "reliability"} <= set(forecaster["required"])


def test_the_view_shows_the_grades_and_an_accessible_diagram(
    client: TestClient, db: Database
) -> None:
    report = seed_report(db, "baseline")
    page = client.get("/web/backtests/baseline")
    assert page.status_code == 200
    html = page.text
    for forecaster in report["forecasters"]:
        assert f"{forecaster['brier']:.3f} [{forecaster['brier_low']:.3f}" in html
    for c in report["comparisons"]:
        assert f"{c['brier_difference']:+.3f} [{c['brier_difference_low']:+.3f}" in html
    # Titles are escaped like any stored text.
    assert "Hypothesis &lt;h-bt000001&gt;" in html
    assert "which reads only the blind case: all 5 outcomes are unseen" in html
    svg_text = re.search(r"<svg[^>]*reliability-chart.*?</svg>", html, re.S)
    assert svg_text is not None
    svg = parse_svg(svg_text.group(0))
    assert svg.get("role") == "img"
    assert svg.get("aria-labelledby") == "rel-title rel-desc"
    assert svg.find(f"{SVG}title").text == "Reliability of backtest baseline"  # type: ignore[union-attr]
    desc = svg.find(f"{SVG}desc").text or ""  # type: ignore[union-attr]
    assert "exchange rating:" in desc and "composite:" in desc
    labels = {t.text for t in svg.iter(f"{SVG}text")}
    assert {"forecast probability", "share validated", "exchange rating", "composite"} <= labels
    dots = {
        series.get("data-name"): len(series.findall(f"{SVG}circle"))
        for series in svg.iter(f"{SVG}g")
    }
    recalibrated = "exchange rating, recalibrated (training folds)"
    composite_recalibrated = "composite, recalibrated (training folds)"
    for name in ("exchange rating", "composite", recalibrated, composite_recalibrated):
        row = next(f for f in report["forecasters"] if f["name"] == name)
        assert dots[name] == sum(1 for b in row["reliability"] if b["count"])
    # The longest legend label still fits inside the figure (about 7 px a character at 12 px).
    width = float(svg.get("width") or 0)
    legend = next(t for t in svg.iter(f"{SVG}text") if t.text == recalibrated)
    assert float(legend.get("x") or 0) + 7 * len(recalibrated) <= width


def test_the_view_gives_few_hypotheses_no_interval_and_says_why(
    client: TestClient, db: Database
) -> None:
    floors = {"min_interval_n": MIN_INTERVAL_N, "min_auc_interval_each": MIN_AUC_INTERVAL_EACH}
    report = seed_report(db, "few", dataclasses.replace(OPTIONS, **floors))
    html = client.get("/web/backtests/few").text
    said = " ".join(re.sub(r"<[^>]+>", " ", html).split())
    assert (
        "No interval under 20 hypotheses, nor for an AUC with under 8 of either outcome: there "
        "the bootstrap covers far less than it claims." in said
    )
    for forecaster in report["forecasters"]:
        assert f'<td class="num">{forecaster["brier"]:.3f}</td>' in html
    settings = report_of(client, "few")["settings"]  # the API says which floors applied
    assert {key: settings[key] for key in floors} == floors


def test_the_list_view_links_every_stored_report(client: TestClient, db: Database) -> None:
    empty = client.get("/web/backtests")
    assert empty.status_code == 200
    assert "No backtest has been saved yet" in empty.text
    report = seed_report(db, "baseline")
    html = client.get("/web/backtests").text
    assert 'href="/web/backtests/baseline"' in html
    assert f"{report['forecasters'][0]['brier']:.3f}" in html
    assert 'href="/web/backtests"' in client.get("/").text  # the site's navigation


def test_the_judges_blind_pairs_are_served_and_said(client: TestClient, db: Database) -> None:
    report = seed_judged_report(db, "judged")  # right on 5 pairs, the 6th unreadable
    served = report_of(client, "judged")["judge"]
    assert served == report["judge"]
    assert served["validated_preferred"] == 5 and served["unreadable"] == 1
    page = " ".join(client.get("/web/backtests/judged").text.split())
    assert (
        "Tournament judge (evidence), blind: it preferred the validated hypothesis in 5 of 6 "
        "validated-refuted pairs, 1 unreadable (counted as ties); share right 0.917"
    ) in page
    seed_report(db, "unjudged")  # a report without the judge's step says nothing of it
    assert report_of(client, "unjudged")["judge"] is None
    assert "Tournament judge" not in client.get("/web/backtests/unjudged").text
