"""Script payloads in hypothesis titles, gene names and evidence claims come out inert."""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient

from storage.db import Database
from tests.api.seed import XSS, XSS_GENE, XSS_HYPOTHESIS, seed_xss
from tests.api.svg import parse_svg

RAW_MARKUP = ("<script", "<svg onload", "<img src=x")


@pytest.fixture
def db(sqlite_db: Database) -> Database:
    # Rendering is dialect-independent; the JSON API tests run the same queries on PostgreSQL.
    return sqlite_db


@pytest.fixture
def hostile(db: Database) -> None:
    seed_xss(db)


def _assert_inert(html: str) -> None:
    for needle in RAW_MARKUP:
        assert needle not in html, needle


def test_pages_escape_titles_gene_names_claims_and_debate_text(
    client: TestClient, hostile: None
) -> None:
    hypothesis = client.get(f"/web/hypotheses/{XSS_HYPOTHESIS}")
    assert hypothesis.status_code == 200
    _assert_inert(hypothesis.text)
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in hypothesis.text
    assert "&lt;img src=x onerror=alert(2)&gt;" in hypothesis.text

    gene = client.get(f"/web/genes/{quote(XSS_GENE, safe='')}")
    assert gene.status_code == 200
    _assert_inert(gene.text)
    assert "&lt;svg onload=alert(1)&gt; Gene" in gene.text
    index = client.get("/")
    _assert_inert(index.text)


def test_badges_escape_hostile_titles_and_gene_names(client: TestClient, hostile: None) -> None:
    for path in (
        f"/badges/hypotheses/{XSS_HYPOTHESIS}.svg",
        f"/badges/genes/{quote(XSS_GENE, safe='')}.svg",
        f"/badges/hypotheses/{XSS_HYPOTHESIS}.svg?label=" + quote("<script>x</script>"),
    ):
        svg = client.get(path).text
        _assert_inert(svg)
        parse_svg(svg)  # escaped, so still one well-formed SVG document
    snippet = client.get(f"/badges/hypotheses/{XSS_HYPOTHESIS}.html").text
    _assert_inert(snippet)


def test_json_responses_keep_payloads_as_plain_data(client: TestClient, hostile: None) -> None:
    response = client.get(f"/hypotheses/{XSS_HYPOTHESIS}")
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert body["title"] == XSS
    assert body["evidence"][0]["claim"].endswith(XSS)
    gene = client.get(f"/genes/{quote(XSS_GENE, safe='')}").json()
    assert gene["symbol"] == XSS_GENE
    # Links built from hostile ids are percent-encoded, never raw markup.
    assert gene["links"]["page"] == "/web/genes/%3Csvg%20onload%3Dalert%281%29%3E"
    badge = client.get(f"/badges/genes/{quote(XSS_GENE, safe='')}.json")
    assert json.loads(badge.text)["label"] == XSS_GENE
    assert badge.headers["content-type"] == "application/json"


def test_error_messages_do_not_reflect_markup_as_html(client: TestClient, hostile: None) -> None:
    response = client.get("/web/hypotheses/" + quote("<script>alert(1)</script>", safe=""))
    assert response.status_code == 404
    _assert_inert(response.text)
    api = client.get("/hypotheses/" + quote("<script>alert(1)</script>", safe=""))
    assert api.headers["content-type"] == "application/json"
