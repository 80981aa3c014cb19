"""A debate configuration survives the ledger's JSON, and a damaged one is refused by name."""

from __future__ import annotations

import json
import re

import pytest
from pydantic import ValidationError

from debates.config import ConfigError, validate_config
from debates.types import DebateConfig


def test_a_stored_configuration_reads_back_equal() -> None:
    config = DebateConfig(
        backend="openai", panel=("theorist", "skeptic"), min_rounds=3, max_rounds=5, model="m"
    )
    stored = json.loads(json.dumps(config.as_dict()))
    assert DebateConfig.from_dict(stored) == config
    assert DebateConfig.from_dict({}) == DebateConfig()
    assert DebateConfig.from_dict({**stored, "added_later": 1}) == config


def test_a_damaged_configuration_names_the_field() -> None:
    with pytest.raises(ValidationError, match="max_rounds"):
        DebateConfig.from_dict({"max_rounds": "many"})
    with pytest.raises(ValidationError, match="panel"):
        DebateConfig.from_dict({"panel": "theorist"})


@pytest.mark.parametrize(
    ("config", "field", "message"),
    [
        (DebateConfig(backend="gpt9"), "backend", "unknown backend 'gpt9'; available: anthropic"),
        (DebateConfig(panel=("oracle",)), "panel", "unknown persona 'oracle'; known personas"),
        (DebateConfig(panel=(" ", "")), "panel", "the configured panel is empty"),
        (DebateConfig(max_rounds=9, min_rounds=1), "max_rounds", "9 is outside [2, 8]"),
        (DebateConfig(min_rounds=4, max_rounds=3), "min_rounds", "min_rounds=4, max_rounds=3"),
        # The offline backend would debate as itself, under a request that named a model.
        (
            DebateConfig(backend="evidence", model="gpt-4o"),
            "model",
            "backend 'evidence' has no model to choose (got 'gpt-4o')",
        ),
    ],
)
def test_validate_config_names_the_field(config: DebateConfig, field: str, message: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(message)) as refused:
        validate_config(config)
    assert refused.value.field == field
    assert str(refused.value).startswith(f"{field}: ")


def test_a_valid_configuration_comes_back_with_its_panel_trimmed() -> None:
    config = DebateConfig(backend="scripted", panel=(" theorist", "skeptic "), max_rounds=3)
    assert validate_config(config) == DebateConfig(
        backend="scripted", panel=("theorist", "skeptic"), max_rounds=3
    )
    assert validate_config(DebateConfig()) == DebateConfig()
    # A backend with models takes one.
    named = DebateConfig(backend="scripted", model="my-model")
    assert validate_config(named) == named
