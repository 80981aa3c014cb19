"""Views that explain themselves: legends, structure, de-duplicated diseases, a front page,
an evaluation page and a workers page, all without JavaScript."""

from __future__ import annotations

import html as html_lib
import re
from datetime import date, timedelta

import pytest
from fastapi.testclient import TestClient

from api.diseases import shown_diseases
from api.legends import LEGENDS, explain
from api.prose import transcript_html
from storage.db import Database
from storage.models import DebateTurn, Disease, Evaluation, Gene, ScoreSnapshot, utcnow
from storage.queries.workers import hold_pass, record_beat, record_pass, release_pass
from tests.api.seed import HYPOTHESIS, Seeded, resolve


@pytest.fixture
def db(sqlite_db: Database) -> Database:
    return sqlite_db


def _text(html: str) -> str:
    return " ".join(html_lib.unescape(re.sub(r"<[^>]+>", " ", html)).split())


def test_every_number_on_the_gene_page_has_its_legend_and_time(
    client: TestClient, seeded: Seeded
) -> None:
    page = client.get("/web/genes/MTOR").text
    said = _text(page)
    for key in ("exchange_rating", "composite", "market_price"):
        assert explain(key) in said
    assert "2026-03-04 00:00 UTC (snapshot v3)" in said
    assert "computed 2026-03" not in said  # the column header says it once
    headers = re.findall(r'<th scope="col">([^<]+)</th>', page)
    assert len(headers) == len(set(headers))
    assert "Market price" not in headers  # it was always the exchange rating's number
    assert "Exchange rating" in headers and "Composite (80% interval)" in headers


def test_diseases_are_shown_once_each_and_keep_their_stored_spellings(
    client: TestClient, db: Database, seeded: Seeded
) -> None:
    with db.transaction() as session:
        gene = session.query(Gene).filter_by(symbol="MTOR").one()
        for slug, name in (("ad", "AD"), ("alzheimer-upper", "ALZHEIMER DISEASE")):
            gene.diseases.append(Disease(slug=slug, name=name))
    page = client.get("/web/genes/MTOR").text
    cell = re.search(r'<td class="diseases">(.*?)</td>', page, re.S)
    assert cell is not None
    shown = _text(cell.group(1)).split(", ")
    assert shown.count("Alzheimer's disease") == 1
    assert "AD" not in shown and "ALZHEIMER DISEASE" not in shown
    assert "stored as: " in html_lib.unescape(cell.group(1)) and "ALZHEIMER DISEASE" in cell.group(
        1
    )


def test_shown_diseases_merge_spellings_and_keep_unknown_acronyms() -> None:
    names = ["AD", "ALZHEIMER", "Alzheimer's disease", "ADH", "DEMENTIA", "Parkinson"]
    shown = {d.name: d.stored for d in shown_diseases(names)}
    assert shown["Alzheimer's disease"] == ("AD", "ALZHEIMER", "Alzheimer's disease")
    assert shown["ADH"] == ("ADH",) and shown["Dementia"] == ("DEMENTIA",)
    assert "Parkinson's disease" in shown


def test_a_transcript_keeps_paragraphs_lists_and_linked_citations() -> None:
    argument = (
        "Skeptic, round 2\nI weigh the trials.\nScores:\n"
        "- evidence strength: 0.32; rests on DOI:10.1056/nejmoa0901281, PMID:29365294.\n"
        "- novelty <b>0.5</b>\n\nIn short: weak."
    )
    out = str(transcript_html(argument))
    assert out.startswith("<p>Skeptic, round 2<br>I weigh the trials.<br>Scores:</p><ul><li>")
    assert out.count("<li>") == 2 and out.endswith("<p>In short: weak.</p>")
    assert '<a class="citation" href="https://doi.org/10.1056/nejmoa0901281"' in out
    assert 'href="https://pubmed.ncbi.nlm.nih.gov/29365294/"' in out
    assert "<b>" not in out and "&lt;b&gt;" in out


def test_the_front_page_shows_top_hypotheses_recent_evaluations_and_genes(
    client: TestClient, seeded: Seeded
) -> None:
    page = client.get("/").text
    said = _text(page)
    assert "Top open hypotheses" in said and "Recent evaluations" in said and "Genes" in said
    assert f'href="/web/hypotheses/{HYPOTHESIS}"' in page
    assert f'href="/web/evaluations/{seeded.evaluation_id}"' in page
    genes = page[page.index("<h2>Genes</h2>") :]
    assert "APOE-Dependent Autophagy Restoration" in genes  # MTOR's best hypothesis
    assert explain("exchange_rating") in said
    assert "<script" not in page


def test_the_evaluation_page_shows_rounds_turns_scores_and_errors(
    client: TestClient, db: Database, seeded: Seeded
) -> None:
    with db.transaction() as session:
        row = session.get(Evaluation, seeded.evaluation_id)
        assert row is not None
        row.error = "RateLimitError: 429 from provider"
        row.config = {**row.config, "panel": ["theorist", "skeptic"]}
    response = client.get(f"/web/evaluations/{seeded.evaluation_id}")
    assert response.status_code == 200
    said = _text(response.text)
    assert "1 debated of at most 2" in said
    assert "Panel theorist, skeptic" in said
    assert "Round 1 · theorist" in said and "Round 1 · skeptic" in said
    # The headline first, by the badges' rule and bands, then the composite and the price.
    assert (
        "Scores Exchange rating 0.71 (good) · composite 0.73 (0.65–0.80) · market price 0.71"
        in said
    )
    assert explain("exchange_rating") in said
    assert (
        "Composite stands on 3 of 10 dimensions, 42% of the weight; not scored: feasibility,"
        in said
    )
    assert "RateLimitError: 429 from provider" in said
    assert "round 2: stop — scores converged" in said
    assert explain("quality") in said
    missing = client.get("/web/evaluations/999999")
    assert missing.status_code == 404 and "does not exist" in missing.text


def test_an_evaluation_that_did_not_trade_says_why(
    client: TestClient, db: Database, seeded: Seeded
) -> None:
    page = f"/web/evaluations/{seeded.evaluation_id}"
    said = {}
    for quality in (0.6, 0.12):
        with db.transaction() as session:
            row = session.get(Evaluation, seeded.evaluation_id)
            assert row is not None
            row.quality = quality
        said[quality] = _text(client.get(page).text)
    assert "did not trade" not in said[0.6]
    assert (
        "This debate did not trade in the market: the debate's quality 0.12 is below the 0.30 "
        "it needs to trade." in said[0.12]
    )


def test_the_views_show_what_a_cheap_model_billed_to_two_significant_digits(
    client: TestClient, db: Database, seeded: Seeded
) -> None:
    with db.transaction() as session:
        for turn in session.query(DebateTurn).filter_by(evaluation_id=seeded.evaluation_id):
            turn.prompt_tokens, turn.completion_tokens, turn.cost_usd = 100, 50, 0.0000225
    evaluation = _text(client.get(f"/web/evaluations/{seeded.evaluation_id}").text)
    assert "200 prompt and 100 completion tokens, $0.000045." in evaluation
    hypothesis = client.get(f"/web/hypotheses/{HYPOTHESIS}").text
    assert '<td class="num">0.000045</td>' in hypothesis


def test_the_workers_page_lists_heartbeats(client: TestClient, db: Database) -> None:
    assert "No worker has sent a heartbeat yet" in client.get("/web/workers").text
    with db.transaction() as session:
        record_beat(
            session,
            name="debater@lab-7",
            host="lab-7",
            pid=4242,
            queues=["debates"],
            backend="evidence",
            broker="embedded sqlite",
        )
    said = _text(client.get("/web/workers").text)
    assert "debater@lab-7 lab-7 4242 debates evidence embedded sqlite" in said
    assert "idle" in said
    assert "No scheduled pass has run yet" in said


def test_the_workers_page_says_which_scheduled_pass_is_running(
    client: TestClient, db: Database
) -> None:
    now = utcnow()
    with db.transaction() as session:
        hold_pass(session, task="tournament_round", seconds=1800, now=now - timedelta(minutes=4))
        record_pass(session, task="refit_ratings", now=now - timedelta(minutes=9, seconds=30))
    said = _text(client.get("/web/workers").text)
    assert "Scheduled passes" in said
    assert "refit ratings: last ran 9 min ago" in said
    assert "tournament round: running, started 4 min ago" in said
    with db.transaction() as session:  # the next refit refused
        until = hold_pass(session, task="refit_ratings", seconds=900)
        assert until is not None
        why = "it would need <more> than it may take"
        release_pass(session, task="refit_ratings", until=until, error=why)
    page = client.get("/web/workers").text
    assert "it refused: it would need &lt;more&gt; than it may take" in page


def test_ids_never_wrap(client: TestClient, seeded: Seeded) -> None:
    css = client.get("/static/style.css").text
    rule = re.search(r"([^{}]*)\{\s*white-space:\s*nowrap;?\s*\}", css)
    assert rule is not None and ".id" in rule.group(1)
    page = client.get("/web/genes/MTOR").text
    assert f'<span class="id">{HYPOTHESIS}</span>' in page


def test_every_legend_is_worded_in_the_legends_module() -> None:
    assert all(text.meaning.endswith(".") for text in LEGENDS.values())


def test_before_its_market_trades_an_evaluation_shows_the_composite_as_its_rating(
    client: TestClient, db: Database, seeded: Seeded
) -> None:
    with db.transaction() as session:
        snapshot = session.query(ScoreSnapshot).filter_by(evaluation_id=seeded.evaluation_id).one()
        snapshot.market_price = None
    said = _text(client.get(f"/web/evaluations/{seeded.evaluation_id}").text)
    assert (
        "Exchange rating 0.73 (good; the composite, as there is no market price yet)"
        " · composite 0.73 (0.65–0.80) · computed"
    ) in said
    assert explain("market_price") not in said


@pytest.mark.parametrize(
    ("resolved_on", "meaning"),
    [
        # the seeded snapshots were computed in March 2026
        (date(2026, 1, 15), "it is not a forecast of the outcome"),
        (date(2026, 6, 1), "so the rating was a forecast of that outcome"),
    ],
)
def test_a_resolved_hypothesis_leads_with_its_outcome_and_says_what_its_rating_is(
    client: TestClient, db: Database, seeded: Seeded, resolved_on: date, meaning: str
) -> None:
    open_page = _text(client.get(f"/web/hypotheses/{HYPOTHESIS}").text)
    assert "Validated on" not in open_page
    assert client.get(f"/hypotheses/{HYPOTHESIS}").json()["score"]["resolution_note"] is None
    resolve(db, HYPOTHESIS, "validated", resolved_on)
    outcome = f"Validated on {resolved_on.isoformat()}"
    for path in (f"/web/hypotheses/{HYPOTHESIS}", f"/web/evaluations/{seeded.evaluation_id}"):
        said = _text(client.get(path).text)
        assert outcome in said and meaning in said, path
        # the outcome changes what the numbers mean, so it comes before them
        assert said.index(outcome) < said.index("Exchange rating 0.71"), path
    note = client.get(f"/hypotheses/{HYPOTHESIS}").json()["score"]["resolution_note"]
    assert note.startswith(outcome) and meaning in note


def test_a_settled_hypothesis_is_neither_top_nor_its_genes_best(
    client: TestClient, db: Database, seeded: Seeded
) -> None:
    def top_and_genes() -> tuple[str, str]:
        page = client.get("/").text
        top = page[page.index("<h2>Top open hypotheses</h2>") : page.index("<h2>Recent")]
        return top, page[page.index("<h2>Genes</h2>") :]

    top, genes = top_and_genes()
    assert HYPOTHESIS in top and "APOE-Dependent Autophagy Restoration" in genes
    resolve(db, HYPOTHESIS, "refuted", date(2026, 1, 15))
    top, genes = top_and_genes()
    assert HYPOTHESIS not in top
    assert "APOE-Dependent Autophagy Restoration" not in genes
    # and the row says why it has no best: its questions were settled
    mtor = _text(genes[genes.index(">MTOR<") : genes.index("</tr>", genes.index(">MTOR<"))])
    assert "no open hypothesis scored (2 refuted)" in mtor, mtor


def test_the_history_chart_marks_the_resolution_between_its_snapshots(
    client: TestClient, db: Database, seeded: Seeded
) -> None:
    assert '<g class="resolution">' not in client.get(f"/web/hypotheses/{HYPOTHESIS}").text
    # the seeded snapshots were computed on 2, 3 and 4 March 2026
    resolve(db, HYPOTHESIS, "validated", date(2026, 3, 3))
    page = client.get(f"/web/hypotheses/{HYPOTHESIS}").text
    assert page.count('<g class="resolution">') == 1
    assert "validated on 2026-03-03: ratings before it were forecasts" in page
