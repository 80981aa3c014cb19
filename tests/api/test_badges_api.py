"""Badge endpoints: SVG, shields.io JSON and HTML snippets read from the newest snapshots."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from common.settings import Settings
from storage.db import Database
from tests.api.seed import HYPOTHESIS, MARKET_PRICES, UNSCORED, Seeded
from tests.api.svg import SVG_NS, parse_svg
from tests.wiki.publishing import add_snapshot
from wiki.badges import score_band


@pytest.fixture
def db(sqlite_db: Database) -> Database:
    # Rendering is dialect-independent; the JSON API tests run the same queries on PostgreSQL.
    return sqlite_db


@pytest.fixture
def settings() -> Settings:
    # Snippets are pasted into other sites, so their links are absolute under the public URL.
    return Settings(max_request_bytes=4096, public_url="http://testserver")


def _texts(svg: str) -> list[str | None]:
    return [t.text for t in parse_svg(svg).iter(f"{SVG_NS}text")]


def test_hypothesis_badge_svg_shows_the_stored_rating_and_trend(
    client: TestClient, seeded: Seeded
) -> None:
    response = client.get(f"/badges/hypotheses/{HYPOTHESIS}.svg")
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/svg+xml"
    assert "max-age=300" in response.headers["cache-control"]
    # The shown number is the market price (0.71 after 0.64), as on published pages.
    assert _texts(response.text) == ["APOE-Dependent Autophagy Restoration", "0.71 ↑"]
    assert score_band(MARKET_PRICES[-1]).color in response.text

    labelled = client.get(f"/badges/hypotheses/{HYPOTHESIS}.svg", params={"label": "score"})
    assert _texts(labelled.text) == ["score", "0.71 ↑"]
    unscored = client.get(f"/badges/hypotheses/{UNSCORED}.svg")
    assert _texts(unscored.text)[1] == "unscored · refuted"  # settled, if never scored
    assert "a rating computed before the resolution was a forecast" in unscored.text
    assert "a rating computed before the resolution" not in response.text  # open: no outcome


def test_hypothesis_badge_json_matches_the_svg(client: TestClient, seeded: Seeded) -> None:
    doc = client.get(f"/badges/hypotheses/{HYPOTHESIS}.json").json()
    assert doc["schemaVersion"] == 1
    assert doc["message"] == "0.71 ↑"
    assert doc["color"] == score_band(MARKET_PRICES[-1]).color.lstrip("#")


def test_snippets_link_the_badge_to_the_page(client: TestClient, seeded: Seeded) -> None:
    snippet = client.get(f"/badges/hypotheses/{HYPOTHESIS}.html").text
    assert snippet == (
        f'<a href="http://testserver/web/hypotheses/{HYPOTHESIS}">'
        f'<img src="http://testserver/badges/hypotheses/{HYPOTHESIS}.svg" '
        f'alt="APOE-Dependent Autophagy Restoration: 0.71 ↑"></a>'
    )
    gene = client.get("/badges/genes/mtor.html").text
    assert 'src="http://testserver/badges/genes/MTOR.svg"' in gene


def test_gene_badge_lists_its_scored_hypotheses_best_first(
    client: TestClient, seeded: Seeded
) -> None:
    svg = client.get("/badges/genes/MTOR.svg").text
    # "mTORC2 and Synaptic Plasticity" targets MTOR but has no score: like the badge published
    # into the page, the served one has no row without a number.
    assert _texts(svg) == ["MTOR", "1 hypothesis", "APOE-Dependent Autophagy Restoration", "0.71 ↑"]
    doc = client.get("/badges/genes/MTOR.json").json()
    assert doc["label"] == "MTOR" and doc["message"] == "1 hypothesis, best 0.71"


def test_a_settled_hypothesis_ranks_after_the_open_ones_everywhere_a_gene_lists_them(
    client: TestClient, db: Database, seeded: Seeded
) -> None:
    # the refuted one, now rated above the open one
    add_snapshot(db, UNSCORED, composite=0.9, market_price=0.93, low=0.8, high=0.95)
    texts = _texts(client.get("/badges/genes/MTOR.svg").text)
    assert texts[2:] == [
        "APOE-Dependent Autophagy Restoration", "0.71 ↑",
        "mTORC2 and Synaptic Plasticity", "0.93 · refuted",
    ]  # fmt: skip
    assert client.get("/badges/genes/MTOR.json").json()["message"] == "2 hypotheses, best 0.71"
    listed = [h["id"] for h in client.get("/genes/MTOR").json()["hypotheses"]]
    assert listed == [HYPOTHESIS, UNSCORED]
    page = client.get("/web/genes/MTOR").text
    assert page.index(f">{HYPOTHESIS}<") < page.index(f">{UNSCORED}<")


def test_badges_for_unknown_ids_are_404(client: TestClient, seeded: Seeded) -> None:
    for path in ("/badges/hypotheses/h-nope.svg", "/badges/genes/NOPE.json"):
        response = client.get(path)
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"
    too_long = client.get(f"/badges/hypotheses/{HYPOTHESIS}.svg", params={"label": "x" * 61})
    assert too_long.status_code == 422
