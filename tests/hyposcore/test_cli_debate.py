"""``hyposcore debate``: one debate in-process, printed readably or as JSON, nothing written."""

from __future__ import annotations

import json

import pytest
from pydantic import SecretStr
from typer.testing import CliRunner

from debates.backends.registry import backend_settings, create_from_settings
from hyposcore.cli.common import open_database
from hyposcore.cli.main import app
from storage.models import Evaluation, EvidenceItem, Hypothesis

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
