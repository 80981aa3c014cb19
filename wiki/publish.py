"""Publish the latest scores into the gene pages of a page store, keeping every revision.

For each page: read its current text from the store (seeding it from the imported original when
the store lacks it), work out which hypotheses it shows, rewrite their numbers in place with
``wiki.editor.rewrite_scores`` from one snapshot each, refresh its badge, and, if the text
changed, write it atomically and record a ``PageRevision``. See docs/publishing.md.

Pages go through in batches: the batch's files are read, a few bulk queries, the edits, then
the file writes (on a few threads, while the next batch is edited), then one transaction for the
batch's revisions. A batch's files are read while no file is being written: each read gives
up the interpreter lock, and getting it back from eight busy writer threads made reads taken
during the writes ten times as slow.
A page whose text is the newest recorded revision and whose snapshots have not moved is known
to be current without parsing it, which is what makes republishing tens of thousands of pages
fast.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from common.text import content_digest
from storage.db import Database
from storage.models import utcnow
from storage.queries.publishing import (
    ImportedPage,
    LatestSnapshots,
    gene_hypothesis_ids,
    hypothesis_labels,
    imported_page_content,
    imported_pages,
    latest_snapshot_facts,
)
from storage.queries.revisions import (
    NewRevision,
    latest_revision_states,
    record_revisions,
)
from wiki.errors import PageError
from wiki.genepage import parse_score_places
from wiki.importer import refusal
from wiki.pagetext import check_page_text
from wiki.publish_edit import PageWork, edit_page, fail_page, page_failure
from wiki.publish_files import WRITE_THREADS, FileWrite, PendingWrites
from wiki.publish_report import PagePublish as PagePublish
from wiki.publish_report import PublishReport as PublishReport
from wiki.publish_rows import (
    linked_hypothesis_ids,
    page_badge_svg,
)
from wiki.store import PageNameError, PageStore

log = logging.getLogger(__name__)

DEFAULT_BATCH_SIZE = 500


@dataclass
class _Batch:
    """A batch of pages on its way: read, edited, then its files written."""

    failed: list[PagePublish]
    work: list[PageWork]
    # How many page names the batch took, each counted by the progress callback once done.
    size: int = 0
    # The pages whose files are being written, and those writes.
    writing: list[PageWork] = field(default_factory=list)
    writes: PendingWrites | None = None


def publish_pages(
    database: Database,
    store: PageStore,
    *,
    gene_symbols: Sequence[str] | None = None,
    now: datetime | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    on_progress: Callable[[int, int], None] | None = None,
) -> PublishReport:
    """Publish every page (or the pages of ``gene_symbols``) in ``store``; never raises for a
    page: a page that cannot be read, parsed or written is reported failed and left as it is.

    ``on_progress(done, total)`` is called once the pages are counted and after each batch
    is recorded, ``done`` pages of ``total`` being finished.
    """
    now = now or utcnow()
    wanted = None if gene_symbols is None else {symbol.upper() for symbol in gene_symbols}
    with database.read_session() as session:
        imported = {page.name: page for page in imported_pages(session)}
        links = gene_hypothesis_ids(session, gene_symbols=gene_symbols)
    batches = list(_batches(_page_names(store, imported, wanted), batch_size))

    def read(names: Sequence[str]) -> _Batch:
        return _read_batch(database, store, names, imported, links, wanted)

    results: list[PagePublish] = []
    badges, done, total = 0, 0, sum(len(names) for names in batches)
    report_progress = on_progress or (lambda _done, _total: None)
    report_progress(done, total)

    def finish(batch: _Batch) -> None:
        nonlocal badges, done
        badges += _finish_batch(database, batch, now, results)
        done += batch.size
        report_progress(done, total)

    # A batch's files are written on other threads while the next batch is edited; its
    # revisions are recorded once they are all written.
    with ThreadPoolExecutor(max_workers=WRITE_THREADS) as pool:
        writing: _Batch | None = None
        batch = read(batches[0]) if batches else None
        for index in range(1, len(batches) + 1):
            assert batch is not None
            _edit_batch(database, store, batch)
            if writing is not None:
                finish(writing)
            # No file is being written now: read the next batch before writing this one.
            writing, batch = batch, read(batches[index]) if index < len(batches) else None
            _start_writes(pool, store, writing)
        if writing is not None:
            finish(writing)
    return PublishReport(pages=tuple(results), badges_written=badges)


def _page_names(
    store: PageStore, imported: Mapping[str, ImportedPage], wanted: set[str] | None
) -> list[str]:
    """Imported pages of the wanted genes, and every page only the store has (their gene is
    known once they are read)."""
    names = {
        name
        for name, page in imported.items()
        if wanted is None or (page.gene_symbol or "").upper() in wanted or page.gene_symbol is None
    }
    names.update(name for name in store.names() if name not in imported)
    return sorted(names)


def _batches(names: Sequence[str], size: int) -> Iterator[Sequence[str]]:
    for start in range(0, len(names), max(1, size)):
        yield names[start : start + size]


def _read_batch(
    database: Database,
    store: PageStore,
    names: Sequence[str],
    imported: Mapping[str, ImportedPage],
    links: Mapping[str, list[str]],
    wanted: set[str] | None,
) -> _Batch:
    """Read the batch's pages and badges."""
    failed: list[PagePublish] = []
    work: list[PageWork] = []
    with database.read_session() as session:
        for name in names:
            loaded = _load(session, store, name, imported.get(name), links, wanted)
            if isinstance(loaded, PagePublish):
                failed.append(loaded)
            elif loaded is not None:
                work.append(loaded)
                if loaded.candidates:
                    loaded.old_badge = store.read_badge(name)
    return _Batch(failed, work, size=len(names))


def _edit_batch(database: Database, store: PageStore, batch: _Batch) -> None:
    """Edit the batch's pages and render their badges (nothing is written)."""
    with database.read_session() as session:
        needed = {hypothesis_id for item in batch.work for hypothesis_id in item.candidates}
        snapshots = latest_snapshot_facts(session, hypothesis_ids=needed)
        scored = [h for h in needed if h in snapshots]
        labels = hypothesis_labels(session, hypothesis_ids=scored)
        titles, outcomes = labels.titles, labels.outcomes
        states = latest_revision_states(session, page_names=[item.name for item in batch.work])
    for item in batch.work:
        edit_page(item, store, snapshots, titles, outcomes, states.get(item.name))
        _render_badge(item, snapshots, titles, outcomes)


def _start_writes(pool: ThreadPoolExecutor, store: PageStore, batch: _Batch) -> None:
    batch.writing = [
        item for item in batch.work if item.badge is not None or _page_text(item) is not None
    ]
    writes = [FileWrite(item.name, item.badge, _page_text(item)) for item in batch.writing]
    batch.writes = PendingWrites(pool, store, writes)


def _page_text(item: PageWork) -> str | None:
    """The text to write to the page's file, if any."""
    return None if item.result is None or item.result.failed else item.new_text


def _finish_batch(
    database: Database, batch: _Batch, now: datetime, results: list[PagePublish]
) -> int:
    """Wait for the batch's files, record its revisions, add its pages to ``results``; the
    number of badges written."""
    badges = 0
    outcomes = batch.writes.wait() if batch.writes is not None else []
    for item, outcome in zip(batch.writing, outcomes, strict=True):
        badges += outcome.badge_written
        if outcome.problem is not None:
            fail_page(item, outcome.problem)
    _record_revisions(database, batch.work, now)
    results.extend(batch.failed)
    results.extend(item.result for item in batch.work if item.result is not None)
    return badges


def _load(
    session: Session,
    store: PageStore,
    name: str,
    page: ImportedPage | None,
    links: Mapping[str, list[str]],
    wanted: set[str] | None,
) -> PageWork | PagePublish | None:
    """Read a page and decide its candidates; None for a store page of another gene."""
    symbol = page.gene_symbol if page is not None else None
    try:
        seeded = not store.exists(name)
        if seeded and page is not None:
            text = check_page_text(imported_page_content(session, name=name), source=name)
        else:
            text = store.read(name)
        if symbol is None:
            if wanted is not None and not any(s.casefold() in text.casefold() for s in wanted):
                return None
            symbol = parse_score_places(text, source=name).symbol
            # Never imported: edited only if ``import page`` would have accepted it.
            refused = refusal(session, name=name, text=text)
            if refused:
                return page_failure(name, symbol, [f"refused: {p}" for p in refused], refused=True)
    except PageError as exc:
        return page_failure(name, symbol, [str(problem) for problem in exc.problems])
    except PageNameError as exc:  # an imported page whose name cannot be a file name
        return page_failure(name, symbol, [str(exc)])
    if wanted is not None and symbol.upper() not in wanted:
        return None
    on_page = linked_hypothesis_ids(text)
    candidates = sorted(on_page.union(links.get(symbol.upper(), ())))
    return PageWork(name, text, content_digest(text), symbol, seeded, candidates, on_page)


def _render_badge(
    item: PageWork,
    snapshots: Mapping[str, LatestSnapshots],
    titles: Mapping[str, str],
    outcomes: Mapping[str, str],
) -> None:
    """Set ``item.badge`` when the page publishes hypotheses and its badge's bytes change.

    Rendered whatever the page's skip check says, so a resolution that came without a new
    snapshot still reaches the badge."""
    if item.result is None or item.result.failed or not item.result.hypotheses:
        return
    svg = page_badge_svg(item.symbol, item.candidates, snapshots, titles, outcomes)
    if item.old_badge != svg:
        item.badge = svg


def _record_revisions(database: Database, work: Sequence[PageWork], now: datetime) -> None:
    recording = [item for item in work if item.revisions and item.result and not item.result.failed]
    if not recording:
        return
    try:
        with database.transaction() as session:
            record_revisions(
                session,
                revisions=[
                    NewRevision(
                        item.name,
                        number,
                        content,
                        item.snapshot_ids if number else [],
                        sha,
                        outcomes=item.outcomes if number else {},
                    )
                    for item in recording
                    for number, content, sha in item.revisions
                ],
                now=now,
            )
    except IntegrityError:
        log.warning("another publish recorded revisions of these pages first")
        for item in recording:
            fail_page(
                item,
                "another publish recorded a revision at the same time; publish again",
                written=item.new_text is not None,
            )
