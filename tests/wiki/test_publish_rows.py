"""The publisher's pure decisions: the number shown, a page's hypotheses, the skip test."""

from __future__ import annotations

from datetime import UTC, datetime

from storage.queries.publishing import LatestSnapshots, SnapshotFacts
from storage.queries.revisions import RevisionState
from wiki.publish_rows import (
    is_current,
    linked_hypothesis_ids,
    published_rows,
    shown_number,
    shown_outcomes,
    shown_snapshot_ids,
)


def _facts(snapshot_id: int, market_price: float | None, version: int = 1) -> SnapshotFacts:
    return SnapshotFacts(snapshot_id, "h-1", version, 0.68, 0.61, 0.75, market_price)


def test_the_market_price_is_shown_and_the_composite_only_without_one() -> None:
    rated = shown_number(_facts(1, 0.7449))
    assert rated.score == 0.7449
    assert rated.label == "exchange rating (composite 0.68, 80% interval 0.61–0.75)"
    fallback = shown_number(_facts(2, None))
    assert fallback.score == 0.68 and fallback.label.startswith("composite score, no market")
    assert ":" not in rated.label + fallback.label  # the parser reads after the first colon


def test_linked_ids_cover_every_link_form() -> None:
    text = (
        '<a href="/hypothesis/h-1" title="Score: 0.8">x</a>\n'
        "- [y](/hypothesis/h-2) — 0.5\n"
        '[z](https://scidex.ai/hypothesis/h%2D3 "Score: 0.6")\n'
        '<a href="&#47;hypothesis&#47;h-4">w</a> and /hypothesis/h-5/ and /hypothesis/h-6?x=1'
    )
    assert linked_hypothesis_ids(text) == {"h-1", "h-2", "h-3", "h-4", "h-5", "h-6"}


def test_rows_are_the_candidates_with_a_snapshot() -> None:
    snapshots = {"h-1": LatestSnapshots(latest=_facts(7, 0.5, version=3), previous=None)}
    rows = published_rows(["h-0", "h-1"], snapshots, {"h-1": "Title"}, {})
    assert [(r.hypothesis_id, r.title, r.score, r.snapshot_version, r.outcome) for r in rows] == [
        ("h-1", "Title", 0.5, 3, None)
    ]
    assert shown_snapshot_ids(["h-0", "h-1"], snapshots) == [7]


def test_rows_come_in_the_badges_order_open_best_first_then_the_resolved() -> None:
    prices = {"h-a": 0.4, "h-b": 0.9, "h-c": 0.7, "h-d": 0.95, "h-e": 0.7}
    snapshots = {
        hid: LatestSnapshots(latest=_facts(i, price), previous=None)
        for i, (hid, price) in enumerate(prices.items())
    }
    rows = published_rows(sorted(prices), snapshots, {}, {"h-d": "validated"})
    # h-d has the best number but is settled; h-c and h-e tie and go by id
    assert [row.hypothesis_id for row in rows] == ["h-b", "h-c", "h-e", "h-a", "h-d"]


def test_a_resolved_rows_outcome_leads_its_label_and_is_recorded_only_with_a_number() -> None:
    snapshots = {"h-1": LatestSnapshots(latest=_facts(7, 0.5), previous=None)}
    outcomes = {"h-0": "refuted", "h-1": "validated"}
    rows = published_rows(["h-0", "h-1"], snapshots, {}, outcomes)
    (row,) = rows
    assert row.outcome == "validated"
    # The number the page shows comes first, then the composite beside it.
    assert row.tooltip == (
        "Validated, exchange rating: 0.50 (snapshot v1) · composite 0.68, 80% interval 0.61–0.75"
    )
    assert ":" not in row.label  # the parser reads the number after the first colon
    # h-0 has no number on the page, so it shows no outcome either
    assert shown_outcomes(rows) == {"h-1": "validated"}


def test_a_page_is_current_only_with_the_same_text_snapshots_and_outcomes() -> None:
    at = datetime(2026, 1, 1, tzinfo=UTC)
    state = RevisionState("mtor", 2, "abc", (3, 7), at, {"h-1": "validated"})
    assert is_current("abc", state, [7, 3], {"h-1": "validated"})
    assert not is_current("abd", state, [3, 7], {"h-1": "validated"})
    assert not is_current("abc", state, [3, 8], {"h-1": "validated"})
    assert not is_current("abc", None, [3, 7], {"h-1": "validated"})
    # resolved, reopened or resolved the other way, with no new snapshot
    assert not is_current("abc", state, [3, 7], {"h-1": "refuted"})
    assert not is_current("abc", state, [3, 7], {})
    assert not is_current(
        "abc", RevisionState("mtor", 2, "abc", (3, 7), at), [3, 7], state.outcomes
    )
