"""``hyposcore debate``: one debate in-process, printed readably or as JSON, nothing written."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from pydantic import SecretStr
from typer.testing import CliRunner

from common.settings import get_settings
from debates.backends.registry import backend_settings, create_from_settings
from hyposcore.cli.common import open_database
from hyposcore.cli.main import app
from scoring.legends import EXCHANGE_RATING
from scoring.lmsr import MarketState
from scoring.weights import Weights
from storage.models import Evaluation, EvidenceItem, Hypothesis, MarketTrade
from storage.queries.exchange import get_or_create_market
from tests.fakes.openai_server import FakeOpenAIServer
from tests.workers.backtest_items import in_band, seed_report
from workers.scoring_phase import TurnView, plan_score

runner = CliRunner()
MARKUP = "[bold red]APOE[/] autophagy"


@pytest.fixture
def hypothesis() -> str:
    database = open_database()
    with database.transaction() as session:
        session.add(
            Hypothesis(
                id="h-cli00001",
                title=MARKUP,
                statement="Restoring autophagy rescues APOE4 neurons.",
                intervention_type="small-molecule",
                evidence=[
                    EvidenceItem(
                        citation="PMID:11111",
                        pmid="11111",
                        claim="Rapamycin restores autophagy",
                        direction="supports",
                        study_type="animal-model",
                    ),
                    EvidenceItem(
                        citation="PMID:22222",
                        pmid="22222",
                        claim="No benefit at 12 months",
                        direction="contradicts",
                        study_type="animal-model",
                    ),
                ],
            )
        )
    database.dispose()
    return "h-cli00001"


def test_json_output_has_the_transcript_decisions_and_quality(hypothesis: str) -> None:
    result = runner.invoke(app, ["debate", hypothesis, "--backend", "scripted", "--json"])
    assert result.exit_code == 0, result.output
    outcome = json.loads(result.stdout)
    assert outcome["hypothesis_id"] == hypothesis
    assert [(t["round"], t["persona"]) for t in outcome["turns"]][:2] == [
        (1, "theorist"),
        (2, "skeptic"),
    ]
    assert outcome["turns"][0]["claims"][0]["citations"] == ["PMID:11111"]
    assert outcome["decisions"][0]["action"] == "panel"
    assert outcome["decisions"][-1]["action"] == "stop"
    assert 0.0 < outcome["quality"] <= 1.0
    database = open_database()
    with database.sessions() as session:
        assert session.query(Evaluation).count() == 0  # nothing written to the ledger
    database.dispose()


def test_readable_output_prints_data_as_text_not_markup(hypothesis: str) -> None:
    result = runner.invoke(
        app,
        ["debate", hypothesis, "--backend", "scripted", "--panel", "theorist,skeptic"],
        env={"COLUMNS": "160"},
    )
    assert result.exit_code == 0, result.output
    assert MARKUP in result.stdout
    for heading in ("Round 1", "Round 2", "Theorist", "Skeptic", "Synthesizer", "Decisions"):
        assert heading in result.stdout
    assert "[PMID:11111]" in result.stdout
    assert "mechanistic_plausibility" in result.stdout and "quality" in result.stdout


def test_json_and_text_give_the_score_the_workers_would_record(hypothesis: str) -> None:
    result = runner.invoke(app, ["debate", hypothesis, "--backend", "evidence", "--json"])
    assert result.exit_code == 0, result.output
    outcome = json.loads(result.stdout)
    score = outcome["score"]
    turns = [
        TurnView(t["persona"], t["round"], t["scores"], t["confidence"], t["probability"])
        for t in outcome["turns"]
    ]
    expected = plan_score(
        turns,
        {},
        Weights.default(),
        level=0.8,
        market=MarketState(100.0),
        quality=outcome["quality"],
    )
    assert score["composite"] == pytest.approx(expected.blend.composite)
    assert score["composite_low"] < score["composite"] < score["composite_high"]
    assert score["composite_low"] == pytest.approx(expected.blend.composite_low)
    assert score["exchange_rating_before"] == 0.5
    assert score["exchange_rating"] == pytest.approx(expected.trades[-1].price_after)
    assert score["exchange_rating"] != 0.5 and score["traded"] is True
    assert score["legends"]["exchange_rating"] == EXCHANGE_RATING
    text = runner.invoke(app, ["debate", hypothesis, "--backend", "evidence"])
    assert text.exit_code == 0, text.output
    assert f"exchange rating 0.50 → {score['exchange_rating']:.2f}" in text.stdout
    assert (
        f"composite {score['composite']:.2f} (80% interval "
        f"{score['composite_low']:.2f}–{score['composite_high']:.2f})"
    ) in text.stdout
    assert "probability (0-1) that the hypothesis will be" in " ".join(text.stdout.split())


@pytest.fixture
def openai_fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeOpenAIServer]:
    """The openai backend pointed at the loopback fake, whose stock reply cites nothing
    (debate quality 0) and scores two of the ten dimensions."""
    with FakeOpenAIServer() as server:
        monkeypatch.setenv("HYPOSCORE_OPENAI_BASE_URL", server.base_url)
        monkeypatch.setenv("HYPOSCORE_OPENAI_API_KEY", "sk-test")
        get_settings.cache_clear()
        yield server


def test_an_llm_debate_says_why_it_did_not_trade_and_what_it_scored(
    hypothesis: str, openai_fake: FakeOpenAIServer
) -> None:
    args = ["debate", hypothesis, "--backend", "openai", "--panel", "theorist,skeptic"]
    result = runner.invoke(app, [*args, "--json"])
    text = runner.invoke(app, args, env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    outcome = json.loads(result.stdout)
    score = outcome["score"]
    assert outcome["quality"] == 0.0
    assert score["traded"] is False
    assert (
        score["no_trade_reason"] == "the debate's quality 0.00 is below the 0.30 it needs to trade"
    )
    assert len(score["missing"]) == 8 and score["coverage"] == pytest.approx(0.30)
    # No debate has traded this market, so the worker's snapshot would have no market price:
    # the composite stands in, labelled, as on the badge; not the market's opening 0.50.
    assert score["exchange_rating"] == score["composite"] != 0.5
    assert score["exchange_rating_label"] == "composite score, no market price yet"
    assert text.exit_code == 0, text.output
    printed = " ".join(text.stdout.split())
    assert (
        f"exchange rating {score['composite']:.2f} (the composite, no market price yet; no "
        "trade: the debate's quality 0.00 is below the 0.30 it needs to trade)"
    ) in printed
    assert "Composite stands on 2 of 10 dimensions, 30% of the weight; not scored: nov" in printed


def test_a_debate_that_cannot_trade_a_traded_market_leaves_its_price(
    hypothesis: str, openai_fake: FakeOpenAIServer
) -> None:
    database = open_database()
    with database.transaction() as session:  # an earlier debate traded the market to 0.69
        market = get_or_create_market(session, hypothesis_id=hypothesis, liquidity=100.0)
        market.q_yes = 80.0
        session.add(Evaluation(id=900, hypothesis_id=hypothesis, config={}, config_hash="c"))
        session.flush()
        session.add(
            MarketTrade(
                hypothesis_id=hypothesis,
                evaluation_id=900,
                seq=1,
                persona="theorist",
                target_probability=0.7,
                shares_yes=80.0,
                shares_no=0.0,
                cost=45.0,
                price_before=0.5,
                price_after=MarketState(100.0, q_yes=80.0).price,
            )
        )
    database.dispose()
    args = ["debate", hypothesis, "--backend", "openai", "--panel", "theorist,skeptic"]
    score = json.loads(runner.invoke(app, [*args, "--json"]).stdout)["score"]
    price = MarketState(100.0, q_yes=80.0).price
    assert score["exchange_rating"] == pytest.approx(price)
    assert score["exchange_rating_label"] == "exchange rating" and score["traded"] is False


def test_max_rounds_below_the_opening_still_ends_with_the_synthesizer(hypothesis: str) -> None:
    result = runner.invoke(
        app, ["debate", hypothesis, "--backend", "scripted", "--max-rounds", "2", "--json"]
    )
    assert result.exit_code == 0, result.output
    turns = json.loads(result.stdout)["turns"]
    assert turns[-1]["persona"] == "synthesizer" and turns[-1]["round"] == 2


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["h-nope", "--backend", "scripted"], "hypothesis 'h-nope' does not exist"),
        (["h-cli00001", "--backend", "scripted", "--panel", "theorist,oracle"], "'oracle'"),
        (["h-cli00001", "--backend", "oracle"], "unknown backend 'oracle'"),
        (["h-cli00001", "--backend", "scripted", "--max-rounds", "9"], "max_rounds: 9 is"),
        (["h-cli00001", "--model", "gpt-4o"], "model: backend 'evidence' has no model to choose"),
    ],
)
def test_bad_input_is_a_clear_error(hypothesis: str, args: list[str], message: str) -> None:
    result = runner.invoke(app, ["debate", *args])
    assert result.exit_code == 2
    assert message in " ".join(result.stderr.split())


def test_llm_backends_get_their_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    # Today's variable names: each backend's HYPOSCORE_<NAME>_* and the shared LLM timeout.
    monkeypatch.setenv("HYPOSCORE_OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    monkeypatch.setenv("HYPOSCORE_OPENAI_API_KEY", "sk-test")
    monkeypatch.setenv("HYPOSCORE_OPENAI_MODEL", "local-model")
    monkeypatch.setenv("HYPOSCORE_ANTHROPIC_MODEL", "claude-test")
    monkeypatch.setenv("HYPOSCORE_LLM_TIMEOUT_SECONDS", "7.5")
    openai = backend_settings("openai").options()
    assert openai == {
        "base_url": "http://127.0.0.1:9/v1",
        "api_key": SecretStr("sk-test"),
        "model": "local-model",
        "timeout": 7.5,
    }
    anthropic = backend_settings("anthropic").options()
    assert (anthropic["model"], anthropic["timeout"], anthropic["base_url"]) == (
        "claude-test",
        7.5,
        None,
    )
    monkeypatch.setenv("HYPOSCORE_ANTHROPIC_TIMEOUT", "3")  # the backend's own name wins
    assert backend_settings("anthropic").options()["timeout"] == 3.0
    assert backend_settings("evidence").options() == {"delay_seconds": 0.0}
    assert create_from_settings("scripted", model="override").model == "override"  # type: ignore[attr-defined]


@pytest.fixture
def dated() -> str:
    """A resolved hypothesis whose evidence is dated to the day, one item after the other."""
    database = open_database()
    with database.transaction() as session:
        session.add(
            Hypothesis(
                id="h-cli00002",
                title="Dated",
                statement="A claim settled by a trial.",
                status="validated",
                resolved_on=date(2020, 6, 1),
                resolution_citation="PMID:33333",
                evidence=[
                    EvidenceItem(
                        citation=f"PMID:{n}",
                        pmid=str(n),
                        claim="A finding",
                        direction="supports",
                        study_type="rct",
                        year=year,
                        month=month,
                        day=day,
                    )
                    for n, (year, month, day) in {
                        11111: (2019, 3, 2),
                        22222: (2020, 5, 30),
                        33333: (2020, 6, 1),  # the resolving trial
                    }.items()
                ],
            )
        )
    database.dispose()
    return "h-cli00002"


def test_as_of_debates_only_what_was_published_before_the_date(dated: str) -> None:
    database = open_database()
    with database.transaction() as session:  # a live market that has moved away from 0.5
        get_or_create_market(session, hypothesis_id=dated, liquidity=100.0).q_yes = 80.0
    database.dispose()
    args = ["debate", dated, "--backend", "evidence", "--json", "--as-of", "2020-05-30"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    outcome = json.loads(result.stdout)
    assert outcome["as_of"] == "2020-05-30"
    cited = {c for t in outcome["turns"] for claim in t["claims"] for c in claim["citations"]}
    assert cited == {"PMID:11111"}  # not the item of that very day, nor the answer
    assert outcome["score"]["exchange_rating_before"] == 0.5  # a fresh market
    live = json.loads(runner.invoke(app, ["debate", dated, "--json"]).stdout)
    live_price = MarketState(100.0, q_yes=80.0).price
    assert live["score"]["exchange_rating_before"] == pytest.approx(live_price, abs=1e-4)
    assert "PMID:33333" in {c for t in live["turns"] for k in t["claims"] for c in k["citations"]}


def test_a_resolved_hypothesis_says_whether_the_rating_is_a_forecast(
    dated: str, hypothesis: str
) -> None:
    def note(*args: str) -> str | None:
        result = runner.invoke(app, ["debate", *args, "--backend", "evidence", "--json"])
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)["resolution_note"]  # type: ignore[no-any-return]

    assert note(hypothesis) is None  # open: the rating is a forecast, as the legend says
    blind = note(dated, "--as-of", "2020-05-30")
    assert blind is not None and blind.startswith("Validated on 2020-06-01, after 2020-05-30,")
    assert "was a forecast of that outcome" in blind
    today = note(dated)
    assert today is not None and "not a forecast of the outcome" in today
    text = runner.invoke(app, ["debate", dated, "--backend", "evidence"])
    said = " ".join(text.output.split())
    # under Score, before the rating it changes the meaning of
    assert said.index("Validated on 2020-06-01.") < said.index("exchange rating 0.50 →")
    assert said.index("─ Score ─") < said.index("Validated on 2020-06-01.")


def test_an_as_of_date_in_the_future_is_refused(dated: str) -> None:
    result = runner.invoke(app, ["debate", dated, "--as-of", "2999-01-01"])
    assert result.exit_code == 2
    assert "is in the future" in result.output and "--as-of" in result.output


def test_a_forecast_states_what_its_bands_have_meant_and_hindsight_does_not(
    dated: str, hypothesis: str
) -> None:
    def score(*args: str) -> dict[str, Any]:
        result = runner.invoke(app, ["debate", *args, "--backend", "evidence", "--json"])
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)["score"]  # type: ignore[no-any-return]

    assert score(hypothesis)["track_record"] == []  # no backtest stored yet
    database = open_database()
    report = seed_report(database, "baseline")
    database.dispose()
    forecast = score(hypothesis)
    records = {record["number"]: record for record in forecast["track_record"]}
    # The debate trades its fresh market, so both of its numbers have a band.
    assert forecast["traded"] is True and list(records) == ["exchange rating", "composite"]
    for number, key in (("exchange rating", "exchange_rating"), ("composite", "composite")):
        record = records[number]
        assert record["value"] == forecast[key]
        assert record["band_low"] <= forecast[key] <= record["band_high"]
        inside = in_band(report, key, record)  # recounted from the report's rows
        assert record["count"] == len(inside)
        assert record["validated"] == sum(h["validated"] for h in inside)
        assert record["backtest"] == "baseline" and record["same_weights"] is True
    # Blind before its resolution it is a forecast; debated today it is hindsight.
    assert len(score(dated, "--as-of", "2020-05-30")["track_record"]) == 2
    assert score(dated)["track_record"] == []
    text = runner.invoke(app, ["debate", hypothesis, "--backend", "evidence"])
    said = " ".join(text.output.split())
    assert said.count("track record (backtest baseline, 1 day(s) before each resolution)") == 2
    assert said.index("composite ") < said.index("track record") < said.index("Exchange rating =")
