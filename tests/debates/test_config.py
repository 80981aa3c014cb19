"""A debate configuration survives the ledger's JSON, and a damaged one is refused by name."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

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
