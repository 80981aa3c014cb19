"""Every command's --help names values as a command-line user reads them, not as Python types."""

from __future__ import annotations

import itertools
import re

import pytest
from typer.main import get_command
from typer.testing import CliRunner

from hyposcore.cli.main import app
from scoring.legends import COMPOSITE, EXCHANGE_RATING, INTERVAL

_PYTHON_TYPE = re.compile(r"<(bool|int|float|str|path|list\[[^\]]*\]|int range|float range)>")


def _command_paths() -> list[list[str]]:
    root = get_command(app)
    paths: list[list[str]] = []

    def walk(command: object, path: list[str]) -> None:
        children = getattr(command, "commands", None)
        if children:
            for name, child in children.items():
                walk(child, [*path, name])
        else:
            paths.append(path)

    walk(root, [])
    return paths


def test_every_command_is_found() -> None:
    names = {" ".join(p) for p in _command_paths()}
    assert {"queue", "status", "publish", "import page", "import hypotheses", "demo"} <= names


@pytest.mark.parametrize("path", _command_paths(), ids=lambda p: " ".join(p))
def test_help_shows_no_python_types(path: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "160")
    result = CliRunner().invoke(app, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert not _PYTHON_TYPE.search(result.output), result.output


def test_values_are_named_and_flags_are_bare(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "160")
    output = CliRunner().invoke(app, ["queue", "--help"]).output
    # The bounds are checked once, by debates.config; the help still states them.
    assert re.search(r"--max-rounds\s+INTEGER\s+At most N rounds \(2-8\)", output)
    assert re.search(r"--timeout\s+NUMBER", output)
    assert re.search(r"--wait\s+Follow progress", output)
    # An off-by-default flag needs no --no- twin (Typer adds one unless the flag is named).
    assert re.search(r"--force\s+Queue even", output)
    assert "--no-force" not in output
    assert "HYPOTHESIS_ID" in output


_GROUPS = sorted({tuple(p[:-1]) for p in _command_paths()})


@pytest.mark.parametrize(
    "group", [list(g) for g in _GROUPS], ids=lambda g: " ".join(g) or "hyposcore"
)
def test_command_lists_give_each_summary_on_one_line(
    group: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """With room to spare, a command's summary must not break where its docstring did."""
    monkeypatch.setenv("COLUMNS", "400")
    output = CliRunner().invoke(app, [*group, "--help"]).output
    command = get_command(app)
    for name in group:
        command = command.commands[name]  # type: ignore[attr-defined]
    for name, child in command.commands.items():  # type: ignore[attr-defined]
        summary = " ".join((child.help or "").split("\n\n")[0].split())
        row = next(line for line in output.splitlines() if line.startswith(f"│ {name} "))
        assert summary in row, f"{' '.join(group)} {name}: {row.strip()}"


@pytest.mark.parametrize("command", ["debate", "demo", "history"])
def test_commands_that_show_the_headline_define_it_in_their_help(
    command: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    flat = " ".join(CliRunner().invoke(app, [command, "--help"]).output.split())
    for legend in (EXCHANGE_RATING, COMPOSITE, INTERVAL):
        assert " ".join(legend.split()) in flat, (command, legend)


@pytest.mark.parametrize("path", _command_paths(), ids=lambda p: " ".join(p))
def test_every_paragraph_of_a_commands_help_wraps_at_the_terminal_width(
    path: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each paragraph of the help fills the lines before it breaks, never where the docstring
    did, so an 80-column terminal shows it ragged-free."""
    monkeypatch.setenv("COLUMNS", "80")
    output = CliRunner().invoke(app, [*path, "--help"]).output
    description = output.split(" Usage: ", 1)[1].split("╭─", 1)[0].splitlines()[2:]
    lines = [line.strip() for line in description]
    for line, following in itertools.pairwise(lines):
        if line and following:
            next_word = following.split()[0]
            # rich leaves a margin of one column on either side of the 80.
            assert len(line) + 1 + len(next_word) > 78, f"{' '.join(path)}: {line!r}"


@pytest.mark.parametrize("path", _command_paths(), ids=lambda p: " ".join(p))
def test_usage_names_every_argument_in_capitals(
    path: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A placeholder reads as one (NAME, FILE), not as a word to type (name, file)."""
    monkeypatch.setenv("COLUMNS", "160")
    output = CliRunner().invoke(app, [*path, "--help"]).output
    usage = next(line for line in output.splitlines() if "Usage:" in line)
    placeholders = re.findall(r"[{\[]([A-Za-z_]+)[}\]]", usage.split("[OPTIONS]", 1)[1])
    assert all(name.isupper() for name in placeholders), usage.strip()
