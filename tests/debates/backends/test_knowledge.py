"""What a backend may know beyond a blind case: nothing for an offline one, up to its training
cutoff for a model whose cutoff is configured, and cannot be told for one whose is not."""

from __future__ import annotations

from datetime import date

import pytest
from pydantic import ValidationError

from debates.backends import registry
from debates.backends.knowledge import knowledge_of


@pytest.mark.parametrize("backend", ["evidence", "scripted"])
def test_an_offline_backend_knows_only_the_case(backend: str) -> None:
    known = knowledge_of(backend)
    assert known.reads_only_the_request and known.cutoff is None
    assert known.blind_to(date(1990, 1, 1)) is True


@pytest.mark.parametrize("provider", ["openai", "anthropic"])
def test_a_model_is_blind_only_to_what_came_after_its_configured_cutoff(
    provider: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(f"HYPOSCORE_{provider.upper()}_MODEL", "model-a")
    monkeypatch.setenv(
        f"HYPOSCORE_{provider.upper()}_KNOWLEDGE_CUTOFFS", '{"model-a": "2023-10", "b": "2021"}'
    )
    known = knowledge_of(provider)
    assert (known.model, str(known.cutoff)) == ("model-a", "2023-10")
    assert not known.reads_only_the_request
    # "2023-10" may mean its last day: only what came after the month is certainly unseen.
    assert known.blind_to(date(2023, 10, 31)) is False
    assert known.blind_to(date(2023, 11, 1)) is True
    assert str(knowledge_of(provider, "b").cutoff) == "2021"
    # Another model, or none configured: what it read cannot be told.
    other = knowledge_of(provider, "model-c")
    assert other.model == "model-c" and other.cutoff is None
    assert other.blind_to(date(2030, 1, 1)) is None
    # The cutoffs are what the backtest reads, never an option of the backend itself.
    assert "knowledge_cutoffs" not in registry.backend_settings(provider).options()


def test_a_cutoff_that_is_not_a_date_is_refused_naming_the_model(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HYPOSCORE_OPENAI_KNOWLEDGE_CUTOFFS", '{"model-a": "October 2023"}')
    with pytest.raises(ValidationError, match=r"knowledge cutoff of model 'model-a'.*YYYY-MM"):
        knowledge_of("openai")
