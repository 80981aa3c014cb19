"""The guide for backend authors documents every capability the workers read."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

from debates.backends.base import Capabilities

GUIDE = Path(__file__).resolve().parents[3] / "docs" / "adding-a-backend.md"


def test_every_capability_has_a_row_with_its_default() -> None:
    rows = {
        match.group(1): match.group(2)
        for match in re.finditer(r"^\| `(\w+)` \| (True|False) \|", GUIDE.read_text(), re.M)
    }
    declared = {field.name: str(field.default) for field in dataclasses.fields(Capabilities)}
    assert rows == declared
