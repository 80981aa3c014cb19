"""Where a gene page shows a score: the vocabulary the page parser and the ledger share."""

from __future__ import annotations

import enum


class ScoreSource(enum.StrEnum):
    """Where on a gene page a displayed score was read."""

    INFOBOX = "infobox"
    EXCHANGE = "exchange"
