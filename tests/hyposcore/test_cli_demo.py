"""The demo's blind backtest step: run on the offline backend, skipped where it would bill."""

from __future__ import annotations

import pytest

from common.settings import Settings
from debates.backends import registry
from hyposcore.cli import demo


def test_a_backend_that_calls_a_model_is_not_backtested_again(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert registry.capabilities("openai").rate_limited
    ran: list[Settings] = []
    monkeypatch.setattr(demo, "graded_report", lambda settings: ran.append(settings))
    assert demo._backtest(Settings(backend="openai")) is None
    assert ran == []  # nothing debated, nothing judged, nothing billed
    said = " ".join(capsys.readouterr().out.split())
    assert "skipped: the openai backend calls a model" in said
    assert "hyposcore backtest --save demo" in said and "--judge-pairs 200" in said
