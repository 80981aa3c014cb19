"""What a published page shows, decided from plain values. Pure: no files, no database.

* the number: a snapshot's exchange rating (its market price), or its composite when the
  snapshot has no market price yet, with a label saying which and the snapshot's version;
* which hypotheses a page carries: those linked anywhere on the page plus those linked to the
  gene in the database, as far as they have a snapshot;
* when a page can be skipped without parsing it: its text is the newest revision hyposcore
  recorded, and the snapshots it would show are the ones that revision showed.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from common.text import shorten_title
from scoring.blend import DEFAULT_LEVEL
from wiki.badges import BadgeScore, gene_badge_svg, reading_order
from wiki.editor import PublishedScore
from wiki.markup import read_url_segment

# Finds every id any hypothesis link on a page can carry (HTML, Markdown, absolute URLs), and
# maybe a few more: a superset is safe, because only ids with a snapshot become rows.
_HYPOTHESIS_PATH = re.compile(r"/hypothesis/([^/?#\s\"'<>()\[\]]+)")
BADGE_ALT = "Exchange ratings from hyposcore"


class ScoreNumbers(Protocol):
    """The numbers ``shown_number`` chooses from: a stored snapshot's, or what a debate would
    record (``hyposcore debate``), so both follow the one rule."""

    @property
    def composite(self) -> float: ...
    @property
    def composite_low(self) -> float: ...
    @property
    def composite_high(self) -> float: ...
    @property
    def market_price(self) -> float | None: ...


class SnapshotNumbers(ScoreNumbers, Protocol):
    """What a page shows of a score snapshot (``storage.queries.publishing.SnapshotFacts``
    fits, so the publisher passes its rows as they are)."""

    @property
    def id(self) -> int: ...
    @property
    def version(self) -> int: ...


class SnapshotPair(Protocol):
    """A hypothesis's newest snapshot and the one before it (``LatestSnapshots`` fits)."""

    @property
    def latest(self) -> SnapshotNumbers: ...
    @property
    def previous(self) -> SnapshotNumbers | None: ...


class RecordedRevision(Protocol):
    """A page's newest recorded revision, without its text (``RevisionState`` fits)."""

    @property
    def revision(self) -> int: ...
    @property
    def content_sha256(self) -> str: ...
    @property
    def snapshot_ids(self) -> tuple[int, ...]: ...
    @property
    def outcomes(self) -> Mapping[str, str]: ...


@dataclass(frozen=True)
class ShownNumber:
    """The number a page shows for a snapshot, what it is, and the other numbers beside it."""

    score: float
    # "exchange rating", or "composite score, no market price yet" when the composite stands in.
    kind: str
    # E.g. "composite 0.68, 80% interval 0.61–0.75": read after the headline, never before.
    detail: str

    @property
    def label(self) -> str:
        """E.g. "exchange rating (composite 0.68, 80% interval 0.61–0.75)"."""
        return f"{self.kind} ({self.detail})"


def shown_number(snapshot: ScoreNumbers) -> ShownNumber:
    """Exchange rating (market price) when there is one, else the composite, labelled as such.

    The infobox tooltip reads "<Kind>: 0.74 (snapshot v3) · <detail>", the headline first. Kind
    and detail have no colon, since the page parser reads the number after the first one.
    """
    low, high = snapshot.composite_low, snapshot.composite_high
    interval = f"{DEFAULT_LEVEL:.0%} interval {low:.2f}–{high:.2f}"
    if snapshot.market_price is not None:
        return ShownNumber(
            snapshot.market_price,
            "exchange rating",
            f"composite {snapshot.composite:.2f}, {interval}",
        )
    return ShownNumber(snapshot.composite, "composite score, no market price yet", interval)


def linked_hypothesis_ids(text: str) -> set[str]:
    """Every hypothesis id the page links to, anywhere on it."""
    found = {read_url_segment(m[1]) for m in _HYPOTHESIS_PATH.finditer(text)}
    if "&" in text:  # an entity-escaped link, e.g. "&#47;hypothesis&#47;h-1"
        found |= {read_url_segment(m[1]) for m in _HYPOTHESIS_PATH.finditer(html.unescape(text))}
    return found


def published_rows(
    candidates: Sequence[str],
    snapshots: Mapping[str, SnapshotPair],
    titles: Mapping[str, str],
    outcomes: Mapping[str, str],
) -> list[PublishedScore]:
    """One row per candidate with a snapshot, in the badge's order (``reading_order``: open
    hypotheses best first, then the resolved; ties by id): a hypothesis new to the page joins
    its lists in that order. A resolved one (in ``outcomes``, id to "validated" or
    "refuted") carries its outcome, first in its label too."""
    rows = []
    for hypothesis_id in candidates:
        known = snapshots.get(hypothesis_id)
        if known is None:
            continue
        number = shown_number(known.latest)
        outcome = outcomes.get(hypothesis_id)
        rows.append(
            PublishedScore(
                hypothesis_id=hypothesis_id,
                title=titles.get(hypothesis_id, hypothesis_id),
                score=number.score,
                label=number.kind if outcome is None else f"{outcome}, {number.kind}",
                detail=number.detail,
                snapshot_version=known.latest.version,
                outcome=outcome,
            )
        )
    return sorted(rows, key=lambda row: (*reading_order(row.score, row.outcome), row.hypothesis_id))


def shown_snapshot_ids(
    candidates: Sequence[str], snapshots: Mapping[str, SnapshotPair]
) -> list[int]:
    return sorted(snapshots[h].latest.id for h in candidates if h in snapshots)


def shown_outcomes(rows: Sequence[PublishedScore]) -> dict[str, str]:
    """The outcomes a page shows: those its rows carry (a candidate without a number has no
    row, so it shows no outcome either)."""
    return {row.hypothesis_id: row.outcome for row in rows if row.outcome is not None}


def is_current(
    text_sha256: str,
    state: RecordedRevision | None,
    snapshot_ids: Sequence[int],
    outcomes: Mapping[str, str],
) -> bool:
    """Whether publishing would leave the page as it is, known without parsing it.

    True when the text is exactly the newest recorded revision and that revision showed exactly
    these snapshots and these outcomes: the editor is idempotent, so the same rows on the same
    text change nothing. A resolution comes without a new snapshot, hence the outcomes.
    """
    return (
        state is not None
        and state.content_sha256 == text_sha256
        and tuple(sorted(snapshot_ids)) == state.snapshot_ids
        and dict(outcomes) == dict(state.outcomes)
    )


def badge_markdown(link: str) -> str:
    return f"![{BADGE_ALT}]({link})"


def page_badge_svg(
    symbol: str,
    candidates: Sequence[str],
    snapshots: Mapping[str, SnapshotPair],
    titles: Mapping[str, str],
    outcomes: Mapping[str, str],
) -> str:
    """The page's stacked badge: the gene, then each published hypothesis with its number,
    and its outcome when ``outcomes`` (id to "validated" or "refuted") says it is resolved."""
    rows = []
    for hypothesis_id in candidates:
        known = snapshots.get(hypothesis_id)
        if known is None:
            continue
        previous = shown_number(known.previous).score if known.previous else None
        rows.append(
            BadgeScore(
                label=shorten_title(titles.get(hypothesis_id, hypothesis_id)),
                score=shown_number(known.latest).score,
                previous=previous,
                outcome=outcomes.get(hypothesis_id),
            )
        )
    return gene_badge_svg(symbol, rows)
