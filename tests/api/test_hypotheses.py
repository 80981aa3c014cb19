"""Hypotheses, score history (JSON and CSV), market prices and the leaderboard."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from fastapi.testclient import TestClient

from storage.db import Database
from storage.models import ScoreSnapshot
from tests.api.seed import COMPOSITES, HYPOTHESIS, MARKET_PRICES, UNSCORED, Seeded, resolve


def test_list_filters_by_gene_disease_and_status(client: TestClient, seeded: Seeded) -> None:
    everything = client.get("/hypotheses").json()
    assert everything["total"] == 2
    assert [h["id"] for h in everything["items"]] == [UNSCORED, HYPOTHESIS]

    by_disease = client.get("/hypotheses", params={"disease": "ALZHEIMER'S DISEASE"}).json()
    assert [h["id"] for h in by_disease["items"]] == [HYPOTHESIS]
    by_status = client.get("/hypotheses", params={"status": "refuted", "gene": "mtor"}).json()
    assert [h["id"] for h in by_status["items"]] == [UNSCORED]
    assert by_status["total"] == 1
    assert client.get("/hypotheses", params={"gene": "APOE"}).json()["total"] == 1
    assert client.get("/hypotheses", params={"gene": "TP53"}).json() == {
        "items": [],
        "total": 0,
        "limit": 50,
        "offset": 0,
    }


def test_list_pages_with_limit_and_offset(client: TestClient, seeded: Seeded) -> None:
    page = client.get("/hypotheses", params={"limit": 1, "offset": 1}).json()
    assert page["total"] == 2 and page["limit"] == 1 and page["offset"] == 1
    assert [h["id"] for h in page["items"]] == [HYPOTHESIS]


@pytest.mark.parametrize(
    "params",
    [{"status": "maybe"}, {"limit": 0}, {"limit": 501}, {"offset": -1}, {"gene": ""}],
)
def test_bad_filters_are_422_in_the_error_format(
    client: TestClient, seeded: Seeded, params: dict[str, str | int]
) -> None:
    response = client.get("/hypotheses", params=params)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid_input"
    assert error["details"][0]["location"][0] == "query"
    assert next(iter(params)) in error["message"]


def test_get_hypothesis_carries_the_latest_score_and_evidence(
    client: TestClient, seeded: Seeded
) -> None:
    body = client.get(f"/hypotheses/{HYPOTHESIS}").json()
    assert body["title"] == "APOE-Dependent Autophagy Restoration"
    assert body["genes"] == ["APOE", "MTOR"]
    assert body["score"]["composite"] == COMPOSITES[-1]
    assert body["score"]["previous_composite"] == COMPOSITES[-2]
    # The number shown is the market price, the rule the page publisher writes with.
    assert body["score"]["exchange_rating"] == MARKET_PRICES[-1]
    assert body["score"]["previous_exchange_rating"] == MARKET_PRICES[-2]
    assert body["score"]["exchange_rating_label"].startswith("exchange rating")
    assert body["score"]["market_price"] == MARKET_PRICES[-1]
    assert body["score"]["band"] == "good"  # 0.71
    assert body["latest_snapshot"]["version"] == 3
    assert body["latest_evaluation_id"] == seeded.evaluation_id
    urls = {e["citation"]["key"]: e["citation"]["url"] for e in body["evidence"]}
    assert urls == {
        "PMID:29103802": "https://pubmed.ncbi.nlm.nih.gov/29103802/",
        "DOI:10.1002/mds.27334": "https://doi.org/10.1002/mds.27334",
    }
    replication = [(e["replicated"], e["replicated_since"]) for e in body["evidence"]]
    assert replication == [(True, "2019-05"), (None, None)]
    unscored = client.get(f"/hypotheses/{UNSCORED}").json()
    assert unscored["score"] is None and unscored["latest_snapshot"] is None


def test_without_a_market_price_the_composite_is_shown(
    client: TestClient, db: Database, seeded: Seeded
) -> None:
    with db.transaction() as session:
        session.add(
            ScoreSnapshot(
                hypothesis_id=UNSCORED,
                version=1,
                composite=0.41,
                composite_low=0.3,
                composite_high=0.5,
                coverage=0.8,
                market_price=None,
                config_hash="c" * 64,
            )
        )
    score = client.get(f"/hypotheses/{UNSCORED}").json()["score"]
    assert (score["exchange_rating"], score["band"]) == (0.41, "weak")
    (version,) = client.get(f"/hypotheses/{UNSCORED}/history").json()["items"]
    assert version["exchange_rating"] == 0.41
    assert version["exchange_rating_label"].startswith("composite")
    assert score["exchange_rating_label"].startswith("composite")
    # the seeded hypothesis is refuted, so its badge says so beside the number
    assert client.get(f"/badges/hypotheses/{UNSCORED}.json").json()["message"] == "0.41 · refuted"


def test_unknown_hypothesis_is_404_everywhere(client: TestClient, seeded: Seeded) -> None:
    for path in ("", "/history", "/history.csv", "/market", "/evaluations"):
        response = client.get(f"/hypotheses/h-missing{path}")
        assert response.status_code == 404, path
        assert response.json()["error"]["code"] == "not_found"
        assert "h-missing" in response.json()["error"]["message"]


def test_score_history_as_json_and_csv_agree(client: TestClient, seeded: Seeded) -> None:
    history = client.get(f"/hypotheses/{HYPOTHESIS}/history").json()
    assert history["total"] == 3
    assert [s["composite"] for s in history["items"]] == list(COMPOSITES)
    assert [s["market_price"] for s in history["items"]] == list(MARKET_PRICES)
    # Each version's headline, by the publisher's rule: here every version had a price.
    assert [s["exchange_rating"] for s in history["items"]] == list(MARKET_PRICES)

    response = client.get(f"/hypotheses/{HYPOTHESIS}/history.csv")
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [int(r["version"]) for r in rows] == [1, 2, 3]
    assert [float(r["composite"]) for r in rows] == list(COMPOSITES)
    assert [float(r["market_price"]) for r in rows] == list(MARKET_PRICES)
    assert [float(r["exchange_rating"]) for r in rows] == list(MARKET_PRICES)
    assert list(rows[0])[:4] == ["version", "created_at", "evaluation_id", "exchange_rating"]
    assert rows[0]["evaluation_id"] == "" and rows[2]["evaluation_id"] == str(seeded.evaluation_id)


def test_a_resolved_hypothesis_history_says_which_versions_were_forecasts(
    client: TestClient, db: Database, seeded: Seeded
) -> None:
    def flags() -> tuple[list[bool | None], list[str]]:
        items = client.get(f"/hypotheses/{HYPOTHESIS}/history").json()["items"]
        csv_text = client.get(f"/hypotheses/{HYPOTHESIS}/history.csv").text
        rows = list(csv.DictReader(io.StringIO(csv_text)))
        return [item["before_resolution"] for item in items], [r["before_resolution"] for r in rows]

    assert flags() == ([None, None, None], ["", "", ""])  # open: every version a forecast
    # versions 1-3 were computed on 2 to 4 March; the day of v2 itself counts as after
    resolve(db, HYPOTHESIS, "validated", date(2026, 3, 3))
    assert flags() == ([True, False, False], ["True", "False", "False"])
    latest = client.get(f"/hypotheses/{HYPOTHESIS}").json()["latest_snapshot"]
    assert latest["version"] == 3 and latest["before_resolution"] is False


def test_market_history_is_trades_in_sequence(client: TestClient, seeded: Seeded) -> None:
    market = client.get(f"/hypotheses/{HYPOTHESIS}/market").json()
    assert [(t["seq"], t["price_after"]) for t in market["items"]] == [(1, 0.6), (2, 0.71)]
    assert market["total"] == 2


def test_leaderboard_orders_by_strength_with_intervals(client: TestClient, seeded: Seeded) -> None:
    board = client.get("/leaderboard").json()
    assert board["total"] == 2
    first, second = board["items"]
    assert (first["rank"], first["hypothesis_id"]) == (1, HYPOTHESIS)
    assert (first["strength_low"], first["strength"], first["strength_high"]) == (0.9, 1.4, 1.9)
    assert first["rated"] is True and first["matches"] == 6
    # Unrated: listed with its match count, but no strength and no rank.
    assert (second["rank"], second["strength"], second["elo"]) == (None, None, 1180.0)
    assert (second["rated"], second["matches"]) == (False, 3)
    assert client.get("/leaderboard", params={"offset": 1}).json()["items"][0]["rated"] is False


def test_a_hypothesis_carries_its_own_row_of_the_leaderboard(
    client: TestClient, seeded: Seeded
) -> None:
    board = {row["hypothesis_id"]: row for row in client.get("/leaderboard").json()["items"]}
    for hypothesis_id in (HYPOTHESIS, UNSCORED):
        own = client.get(f"/hypotheses/{hypothesis_id}").json()["tournament"]
        assert own == board[hypothesis_id]
    page = client.get(f"/web/hypotheses/{HYPOTHESIS}").text
    assert (
        "Strength +1.40 (80% interval +0.90 to +1.90) · #1 in group 1 · 6 matches (0 decided)"
    ) in page
    unrated = client.get(f"/web/hypotheses/{UNSCORED}").text
    assert "Refuted, no longer entered · 3 matches (0 decided)" in unrated
    assert "no order is claimed between groups" in unrated  # the legend, on every standing


def test_genes_list_and_gene_with_live_scores(client: TestClient, seeded: Seeded) -> None:
    genes = client.get("/genes").json()
    assert [g["symbol"] for g in genes["items"]] == ["APOE", "MTOR"]
    gene = client.get("/genes/mtor").json()
    assert gene["symbol"] == "MTOR"
    assert [h["id"] for h in gene["hypotheses"]] == [HYPOTHESIS, UNSCORED]
    assert gene["hypotheses"][0]["score"]["composite"] == COMPOSITES[-1]
    assert gene["page"]["name"] == "MTOR" and gene["page"]["latest_revision"] == 2
    page = client.get("/genes/MTOR/page")
    assert page.text == "MTOR Gene\nrevision 2\n" and page.headers["x-page-revision"] == "2"
    assert client.get("/genes/APOE/page").status_code == 404
    assert client.get("/genes/NOPE").json()["error"]["code"] == "not_found"


def test_openapi_documents_the_api(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    assert (
        "/evaluations" in spec["paths"] and "/hypotheses/{hypothesis_id}/history" in spec["paths"]
    )
    assert client.get("/docs").status_code == 200
