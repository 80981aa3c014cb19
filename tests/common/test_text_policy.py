"""The text policy's published JSON Schema pattern says exactly what the check refuses."""

from __future__ import annotations

import re
from typing import Annotated

from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel

from common.text import POLICY, SCHEMA_PATTERN, PolicyText, first_refused

_PATTERN = re.compile(SCHEMA_PATTERN)
# Ordinary text with the refused characters (and CR, LF) mixed in often.
_TEXT = st.text(
    alphabet=st.one_of(
        st.characters(exclude_categories=("Cs",)),
        st.sampled_from("\x00\x1b\x7f\x85\x9f\r\n\t\u061c\u200e\u202e\u2066\ufffe"),
    ),
    max_size=30,
)


@given(_TEXT)
def test_the_schema_pattern_accepts_exactly_what_the_policy_accepts(text: str) -> None:
    assert (_PATTERN.fullmatch(text) is not None) == (first_refused(text) is None)


def test_the_pattern_is_published_for_plain_and_optional_text() -> None:
    class Body(BaseModel):
        title: PolicyText
        label: Annotated[str | None, POLICY] = None

    properties = Body.model_json_schema()["properties"]
    assert properties["title"]["pattern"] == SCHEMA_PATTERN
    string_member = next(m for m in properties["label"]["anyOf"] if m.get("type") == "string")
    assert string_member["pattern"] == SCHEMA_PATTERN
