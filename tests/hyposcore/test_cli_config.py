"""``hyposcore queue`` refuses a configuration that cannot be debated, as the API does: the same
message, exit code 2, nothing in the ledger."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from common.settings import get_settings
from hyposcore.cli.common import open_database
from hyposcore.cli.main import app
from storage.importing import import_hypotheses
from storage.models import Evaluation
from tests.workers.pipeline_helpers import dataset_path


@pytest.fixture
def imported() -> None:
    database = open_database()
    import_hypotheses(database, dataset_path())
    database.dispose()


def _ledger_rows() -> int:
    database = open_database()
    with database.sessions() as session:
        count = session.query(Evaluation).count()
    database.dispose()
    return count


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--panel", "nosuchpersona"],
            "panel: unknown persona 'nosuchpersona'; known personas: theorist",
        ),
        (["--panel", "skeptic,skeptic"], "panel: persona 'skeptic' is listed twice (--panel)"),
        # An empty panel was taken as "the default panel" by queue, refused by debate.
        (["--panel", ""], "panel: the configured panel is empty (--panel)"),
        (["--panel", " , "], "panel: the configured panel is empty (--panel)"),
        (  # the text policy, at the option as debate applies it
            ["--backend", "ev\x1bi"],
            "Invalid value for '--backend': control character U+001B (ESC) at character 3",
        ),
        (["--backend", "nosuchbackend"], "backend: unknown backend 'nosuchbackend'; available:"),
        (["--max-rounds", "9"], "max_rounds: 9 is outside [2, 8] (--max-rounds)"),
        (["--max-rounds", "1"], "max_rounds: 1 is outside [2, 8] (--max-rounds)"),
        (["--min-rounds", "9"], "min_rounds: 9 is outside [2, 8] (--min-rounds)"),
        (
            ["--min-rounds", "5", "--max-rounds", "4"],
            "min_rounds: 5 is greater than max_rounds 4 (got min_rounds=5, max_rounds=4) "
            "(--min-rounds)",
        ),
    ],
)
def test_queue_refuses_an_unusable_configuration(
    imported: None, args: list[str], message: str
) -> None:
    result = CliRunner().invoke(app, ["queue", "h-51e7234f", *args])
    assert result.exit_code == 2, result.output
    assert message in " ".join(result.stderr.split())
    assert _ledger_rows() == 0


def test_a_configured_default_that_cannot_be_debated_is_named(
    imported: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HYPOSCORE_MIN_ROUNDS", "6")
    get_settings.cache_clear()
    result = CliRunner().invoke(app, ["queue", "h-51e7234f", "--max-rounds", "4"])
    assert result.exit_code == 2
    assert "min_rounds: 6 is greater than max_rounds 4" in " ".join(result.stderr.split())
    assert _ledger_rows() == 0


def test_queue_takes_the_rounds_the_api_takes(imported: None) -> None:
    result = CliRunner().invoke(
        app, ["queue", "h-51e7234f", "--min-rounds", "3", "--max-rounds", "4"]
    )
    assert result.exit_code == 0, result.output
    database = open_database()
    with database.sessions() as session:
        (config,) = [row.config for row in session.query(Evaluation)]
    database.dispose()
    assert (config["min_rounds"], config["max_rounds"]) == (3, 4)
