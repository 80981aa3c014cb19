"""Server-rendered pages: gene page with live badges, hypothesis page with charts and debate."""

from __future__ import annotations

import re
from http import HTTPStatus

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from storage.db import Database
from storage.models import Evaluation
from tests.api.seed import HYPOTHESIS, UNSCORED, Seeded, add_evaluation


@pytest.fixture
def db(sqlite_db: Database) -> Database:
    # Rendering is dialect-independent; the JSON API tests run the same queries on PostgreSQL.
    return sqlite_db


def test_gene_page_shows_live_badges_for_its_hypotheses(client: TestClient, seeded: Seeded) -> None:
    response = client.get("/web/genes/mtor")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    html = response.text
    assert "<h1>MTOR Gene</h1>" in html
    assert f'src="/badges/hypotheses/{HYPOTHESIS}.svg"' in html
    assert 'src="/badges/genes/MTOR.svg"' in html
    assert f'href="/web/hypotheses/{HYPOTHESIS}"' in html
    assert "0.65–0.80" in html  # the newest snapshot's interval, 0.73 -0.08/+0.07
    assert "published revision 2" in html
    # Every badge the page embeds answers with an SVG.
    for src in re.findall(r'<img class="badge[^"]*" src="([^"]+)"', html):
        assert client.get(src).headers["content-type"] == "image/svg+xml", src


def test_hypothesis_page_has_charts_transcript_and_linked_citations(
    client: TestClient, seeded: Seeded
) -> None:
    html = client.get(f"/web/hypotheses/{HYPOTHESIS}").text
    assert '<svg xmlns="http://www.w3.org/2000/svg" class="chart history-chart"' in html
    assert 'class="interval"' in html and 'class="market"' in html
    assert 'class="chart dimension-bars"' in html
    assert html.count('class="bar"') == 3
    assert "Exchange rating <strong>0.71</strong>" in html
    # Each marker names the debate its snapshot came from; v1 and v2 came from none stored.
    assert f"<title>v3 (evaluation {seeded.evaluation_id}): exchange rating 0.71</title>" in html
    assert "<title>v1: composite 0.62</title>" in html
    assert f"Evaluation {seeded.evaluation_id}: <strong>succeeded</strong>" in html
    # An ended evaluation is in no phase: its line counts what was debated.
    assert "2 rounds debated (at most 2), 4 turns" in html and "scores converged" in html
    assert "scoring, round" not in html
    assert "Round 1 · theorist" in html and "Round 1 · skeptic" in html
    assert 'href="https://pubmed.ncbi.nlm.nih.gov/29103802/"' in html
    assert 'href="https://doi.org/10.1002/mds.27334"' in html
    assert "<script" not in html  # pages work without JavaScript
    csp = client.get(f"/web/hypotheses/{HYPOTHESIS}").headers["content-security-policy"]
    assert "default-src 'none'" in csp and "script-src" not in csp


def test_a_running_evaluation_shows_its_phase_and_round(
    client: TestClient, db: Database, seeded: Seeded
) -> None:
    with db.transaction() as session:
        evaluation = session.get(Evaluation, seeded.evaluation_id)
        assert evaluation is not None
        evaluation.state = "running"
        evaluation.progress = {"phase": "debate", "round": 1, "rounds": 2, "turns_done": 3}
    html = client.get(f"/web/hypotheses/{HYPOTHESIS}").text
    assert "debate, round 1 (at most 2), 3 turns" in html
    assert '<progress value="1" max="2">' in html and "rounds debated" not in html


def test_a_newer_evaluation_leaves_the_transcript_behind_the_shown_score(
    client: TestClient, db: Database, seeded: Seeded
) -> None:
    newer_id = add_evaluation(
        db, HYPOTHESIS, "queued", config={"backend": "evidence", "as_of": "2020-01-01"}
    )
    html = client.get(f"/web/hypotheses/{HYPOTHESIS}").text
    # The evaluation section follows the newest one; the transcript stays the scored debate's.
    assert f"Evaluation {newer_id}: <strong>queued</strong>" in html
    assert "Round 1 · theorist" in html and "No debate turns recorded yet" not in html
    assert (
        f'The debate of <a href="/web/evaluations/{seeded.evaluation_id}">evaluation '
        f"{seeded.evaluation_id}</a>, which produced the score shown above (snapshot v3); "
        f"evaluation {newer_id} (queued) has not replaced it."
    ) in html


def test_an_unscored_hypothesis_shows_the_debate_under_way(
    client: TestClient, db: Database, seeded: Seeded
) -> None:
    running_id = add_evaluation(
        db, UNSCORED, "running", progress={"phase": "debate", "round": 1, "rounds": 2}
    )
    html = client.get(f"/web/hypotheses/{UNSCORED}").text
    assert f"evaluation {running_id}</a>, still under way." in html
    assert "No debate turns recorded yet" in html


def test_leaderboard_and_index_pages(client: TestClient, seeded: Seeded) -> None:
    board = client.get("/web/leaderboard").text
    assert board.index("APOE-Dependent Autophagy Restoration") < board.index(
        "mTORC2 and Synaptic Plasticity"
    )
    assert "+0.90 to +1.90" in board
    # the unscored hypothesis is listed too, with its match count; it is refuted, so pairing no
    # longer takes it; no order is claimed across groups, and the legend says so
    assert board.count("<td>refuted, no longer entered</td>") == 1 and "<td>3 (0)</td>" in board
    assert board.index("Resolved, not entered") < board.index("mTORC2 and Synaptic Plasticity")
    assert "no order is claimed between groups" in board and "Unrated" in board
    index = client.get("/").text
    # Relative: a page never repeats the request's Host header back (issue 16).
    assert 'href="/web/genes/MTOR"' in index


def test_each_group_of_the_leaderboard_is_drawn_once_and_the_unrated_not_at_all(
    client: TestClient, seeded: Seeded
) -> None:
    board = client.get("/web/leaderboard").text
    groups = board.count("<h2>Group ")
    assert groups >= 1
    assert board.count('class="chart strength-chart"') == groups
    # Each chart sits under its own group's heading, above that group's table.
    first = board.index("<h2>Group ")
    assert first < board.index("strength-chart") < board.index('<table class="leaderboard"')
    assert board.count('aria-labelledby="strengths-0-title strengths-0-desc"') == 1
    assert "+1.40 (+0.90 to +1.90)" in board  # the drawn numbers, in words for screen readers


def test_a_gene_page_says_whether_its_badge_is_published_into_a_wiki_page(
    client: TestClient, seeded: Seeded
) -> None:
    with_page = " ".join(client.get("/web/genes/MTOR").text.split())
    assert "Page <strong>MTOR</strong>" in with_page and "No wiki page of" not in with_page
    without = " ".join(client.get("/web/genes/APOE").text.split())
    assert "No wiki page of APOE has been imported" in without
    assert "<code>hyposcore import page FILE</code>" in without


def test_unknown_pages_are_html_404s(client: TestClient, seeded: Seeded) -> None:
    for path in ("/web/genes/NOPE", "/web/hypotheses/h-nope"):
        response = client.get(path)
        assert response.status_code == 404
        assert response.headers["content-type"].startswith("text/html")
        assert "does not exist" in response.text


def test_every_failure_under_the_views_is_an_html_page(app: FastAPI, seeded: Seeded) -> None:
    @app.get("/web/boom")
    def boom() -> None:
        raise RuntimeError("secret internals")

    with TestClient(app, raise_server_exceptions=False) as browser:
        expected = {
            "/web/evaluations/abc": (422, "path.evaluation_id: Input should be a valid integer"),
            "/web/evaluations/0": (422, "Input should be greater than or equal to 1"),
            "/web/no-such-view": (404, "There is no page at this address."),
            "/web/boom": (500, "internal error; the server log has the details"),
        }
        for path, (status, message) in expected.items():
            response = browser.get(path)
            assert response.status_code == status, path
            assert response.headers["content-type"].startswith("text/html"), path
            assert "default-src 'none'" in response.headers["content-security-policy"], path
            assert f"<h1>{status} {HTTPStatus(status).phrase}</h1>" in response.text, path
            assert message in response.text, path
        assert "secret internals" not in browser.get("/web/boom").text

        wrong_method = browser.post("/web/leaderboard")
        assert wrong_method.status_code == 405
        assert wrong_method.headers["allow"] == "GET, OPTIONS"
        assert "POST is not allowed here; allowed: GET, OPTIONS" in wrong_method.text

        # The API keeps its JSON errors.
        api = browser.get("/evaluations/abc")
        assert api.status_code == 422 and api.json()["error"]["code"] == "invalid_input"
        assert browser.get("/no-such-resource").json()["error"]["code"] == "not_found"


def test_pages_render_before_anything_is_scored(client: TestClient) -> None:
    assert "No genes imported yet" in client.get("/").text
    assert "No tournament matches yet" in client.get("/web/leaderboard").text
