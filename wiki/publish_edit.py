"""One page's share of a publish: what it is being published from, the text and revisions it
is to get, and how it reports failing. ``wiki.publish`` moves pages through in batches; this
module decides for each page on its own."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from common.text import content_digest
from wiki.editor import rewrite_scores, same_for_readers
from wiki.errors import PageEditError, PageError
from wiki.publish_report import PagePublish
from wiki.publish_rows import (
    RecordedRevision,
    SnapshotPair,
    badge_markdown,
    is_current,
    published_rows,
    shown_outcomes,
    shown_snapshot_ids,
)
from wiki.store import PageStore


@dataclass
class PageWork:
    """One page on its way through a batch."""

    name: str
    text: str
    # The text's sha256, taken while reading: hashing gives up the interpreter lock, and
    # taking it back while the writer threads run costs more than the hash.
    sha: str
    symbol: str
    seeded: bool
    candidates: list[str]
    on_page: set[str]
    new_text: str | None = None
    snapshot_ids: list[int] = field(default_factory=list)
    outcomes: dict[str, str] = field(default_factory=dict)
    # (number, text, its sha256) of each revision to record.
    revisions: list[tuple[int, str, str]] = field(default_factory=list)
    result: PagePublish | None = None
    # The badge file as it is, and the badge to write before the page when its bytes change.
    old_badge: str | None = None
    badge: str | None = None


def edit_page(
    item: PageWork,
    store: PageStore,
    snapshots: Mapping[str, SnapshotPair],
    titles: Mapping[str, str],
    outcomes: Mapping[str, str],
    state: RecordedRevision | None,
) -> None:
    """Decide the page's new text and revisions; sets ``item.result`` (and ``new_text`` when
    the store's file must be written)."""
    rows = published_rows(item.candidates, snapshots, titles, outcomes)
    snapshot_ids = item.snapshot_ids = shown_snapshot_ids(item.candidates, snapshots)
    shown = item.outcomes = shown_outcomes(rows)
    unscored = tuple(h for h in item.candidates if h in item.on_page and h not in snapshots)
    published = tuple(row.hypothesis_id for row in rows)
    sha = item.sha
    if not rows or is_current(sha, state, snapshot_ids, shown):
        new_text = item.text
    else:
        try:
            new_text = rewrite_scores(
                item.text,
                rows,
                gene_symbol=item.symbol,
                badge_markdown=badge_markdown(store.badge_link(item.name)),
                source=item.name,
            )
        except (PageError, PageEditError) as exc:
            problems = exc.problems if isinstance(exc, PageError) else [exc]
            item.result = page_failure(item.name, item.symbol, [str(p) for p in problems])
            return
        if same_for_readers(item.text, new_text):
            new_text = item.text
    new_sha = sha if new_text is item.text else content_digest(new_text)
    changed = bool(rows) and (state.content_sha256 != new_sha if state else new_text != item.text)
    if changed:
        # The first change also records the original as revision 0, so a diff of the first
        # and the newest revision shows exactly what hyposcore changed.
        if state is None:
            item.revisions = [(0, item.text, sha), (1, new_text, new_sha)]
        else:
            item.revisions = [(state.revision + 1, new_text, new_sha)]
    if item.seeded or new_text != item.text:
        item.new_text = new_text
    latest = item.revisions[-1][0] if item.revisions else (state.revision if state else None)
    item.result = PagePublish(
        name=item.name,
        gene_symbol=item.symbol,
        changed=changed,
        written=item.new_text is not None,
        revision=latest,
        hypotheses=published,
        unscored=unscored,
    )


def fail_page(item: PageWork, message: str, *, written: bool = False) -> None:
    """Mark a page already decided as failed after all (its write or its revisions), keeping
    what it would have shown and adding ``message`` to its problems."""
    assert item.result is not None
    item.result = PagePublish(
        name=item.name,
        gene_symbol=item.symbol,
        changed=False,
        written=written,
        revision=item.result.revision,
        hypotheses=item.result.hypotheses,
        unscored=item.result.unscored,
        problems=(*item.result.problems, message),
        failed=True,
    )


def page_failure(
    name: str, symbol: str | None, problems: list[str], *, refused: bool = False
) -> PagePublish:
    """The result of a page that failed before it could be decided (unreadable, refused)."""
    return PagePublish(
        name=name,
        gene_symbol=symbol,
        changed=False,
        written=False,
        revision=None,
        hypotheses=(),
        problems=tuple(problems),
        failed=True,
        refused=refused,
    )
