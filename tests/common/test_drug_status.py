"""common.drug_status: a drug's dated status changes, stored as canonical text."""

from __future__ import annotations

import pytest

from common.dates import PartialDate
from common.drug_status import StatusChange, decode, encode

ROFECOXIB = (
    StatusChange("approved", PartialDate(1999, 5, 20)),
    StatusChange("withdrawn", PartialDate(2004, 9)),
)


def test_changes_round_trip_through_their_stored_text() -> None:
    text = encode(ROFECOXIB)
    assert text == '[["approved","1999-05-20"],["withdrawn","2004-09"]]'
    assert decode(text) == ROFECOXIB
    # The same changes always give the same text, so an import can tell "unchanged".
    assert encode(decode(text)) == text


def test_no_changes_are_stored_as_nothing() -> None:
    assert encode(()) is None
    assert decode(None) == ()


@pytest.mark.parametrize(
    "text", ["not json", '{"approved": 1999}', '[["approved"]]', '[["approved","1999-13"]]']
)
def test_text_it_did_not_write_is_refused_by_name(text: str) -> None:
    with pytest.raises(ValueError, match="not a stored status history"):
        decode(text)
