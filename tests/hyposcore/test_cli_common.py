"""The CLI's shared consoles: the width of the terminal each command runs in, and bars only
on a terminal."""

from __future__ import annotations

import io
from collections.abc import Callable

import pytest
from rich.console import Console
from rich.progress import Progress

from hyposcore.cli.common import console, err_console, quiet_progress, transient_progress


def test_the_consoles_default_to_80_columns_in_a_test() -> None:
    # tests/conftest.py: no test inherits the width of the shell or the xdist worker it runs in.
    assert console.width == err_console.width == 80


@pytest.mark.parametrize("columns", [40, 123])
def test_the_consoles_follow_columns_set_after_they_were_made(
    columns: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", str(columns))
    assert console.width == err_console.width == columns


@pytest.mark.parametrize(
    ("make", "shown_on"),
    [
        (transient_progress, console),
        (lambda: quiet_progress("judging", quiet=False), err_console),
    ],
)
def test_a_transient_bar_leaves_nothing_in_a_log_and_draws_on_a_terminal(
    make: Callable[[], Progress], shown_on: Console, monkeypatch: pytest.MonkeyPatch
) -> None:
    def run() -> str:
        written = io.StringIO()
        # Not the ``file`` property: undone, it would pin the console to this test's stream.
        monkeypatch.setattr(shown_on, "_file", written)
        progress = make()
        task = progress.add_task("items", total=3)
        with progress:
            for _ in range(3):
                progress.update(task, advance=1)
        return written.getvalue()

    monkeypatch.setattr(shown_on, "_force_terminal", False)
    assert run() == ""  # was one blank line per bar, in logs, CI and piped output
    monkeypatch.setattr(shown_on, "_force_terminal", True)
    monkeypatch.setattr(shown_on, "is_interactive", True)  # Rich's own reading, made at start
    assert "3/3" in run()
