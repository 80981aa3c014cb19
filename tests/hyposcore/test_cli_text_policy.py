"""Issue 11, defect 3: nothing the CLI prints can drive the terminal, and arguments the text
policy refuses exit 2 naming the argument."""

from __future__ import annotations

import re

import pytest
from typer.testing import CliRunner

from hyposcore.cli.common import open_database
from hyposcore.cli.main import app
from storage.models import EvidenceItem, Hypothesis

runner = CliRunner()
HOSTILE = "Clear\x1b[2J the screen \u202eand reverse"


@pytest.fixture
def hostile_hypothesis() -> str:
    """A title stored before the text policy existed (inserted directly, as older data was)."""
    database = open_database()
    with database.transaction() as session:
        session.add(
            Hypothesis(
                id="h-esc00001",
                title=HOSTILE,
                statement="Statement.",
                evidence=[
                    EvidenceItem(
                        citation="PMID:11111",
                        pmid="11111",
                        claim="Rapamycin restores autophagy",
                        direction="supports",
                        study_type="animal-model",
                    )
                ],
            )
        )
    database.dispose()
    return "h-esc00001"


def test_debate_never_prints_a_raw_escape(hostile_hypothesis: str) -> None:
    result = runner.invoke(
        app, ["debate", hostile_hypothesis, "--backend", "scripted"], env={"COLUMNS": "160"}
    )
    assert result.exit_code == 0, result.output
    assert "\x1b" not in result.stdout and "\u202e" not in result.stdout
    assert "Clear\\x1b[2J the screen \\u202eand reverse" in result.stdout


@pytest.mark.parametrize(
    "args",
    [
        ["debate", "h-\x1b[2Jx"],
        ["debate", "h-51e7234f", "--panel", "theorist,\u202eskeptic"],
        ["publish", "--gene", "MTOR\x00"],
        ["import", "hypotheses", "evil\x1b]0;title\x07.yaml"],
        ["import", "page", "evil\u2066.txt"],
    ],
)
def test_arguments_the_policy_refuses_exit_2(args: list[str]) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    # Typer draws the error in a box that wraps: compare the words.
    assert "is not allowed" in " ".join(re.sub("[│╭╮╰╯─]", " ", result.output).split())
    assert "\x1b" not in result.output
