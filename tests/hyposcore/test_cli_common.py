"""The CLI's shared consoles render at the width of the terminal each command runs in."""

from __future__ import annotations

import pytest

from hyposcore.cli.common import console, err_console


def test_the_consoles_default_to_80_columns_in_a_test() -> None:
    # tests/conftest.py: no test inherits the width of the shell or the xdist worker it runs in.
    assert console.width == err_console.width == 80


@pytest.mark.parametrize("columns", [40, 123])
def test_the_consoles_follow_columns_set_after_they_were_made(
    columns: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", str(columns))
    assert console.width == err_console.width == columns
