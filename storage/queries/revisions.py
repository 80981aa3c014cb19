"""Page revisions: every version of a gene page hyposcore published, with its snapshots and
the outcomes of the resolved hypotheses it shows.

Revision 0 of a page is the original as it was before hyposcore's first change; each publish
that changes the page appends the next number. Revisions are never edited or deleted.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from common.text import content_digest
from storage.errors import NotFoundError
from storage.models import PageRevision, utcnow

# Below SQLite's and PostgreSQL's limits on bound parameters per statement.
IN_CHUNK = 5000


@dataclass(frozen=True)
class RevisionState:
    """A page's newest revision without its text: enough to tell whether it is current."""

    page_name: str
    revision: int
    content_sha256: str
    snapshot_ids: tuple[int, ...]
    created_at: datetime
    # Hypothesis id -> "validated" or "refuted", for each resolved hypothesis it shows.
    outcomes: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class NewRevision:
    """A revision to record: the page, its number, its text and the snapshots it shows."""

    page_name: str
    revision: int
    content: str
    snapshot_ids: Sequence[int]
    # The content's sha256 when the caller has it already: no need to hash the page again.
    content_sha256: str | None = None
    outcomes: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class PageSummary:
    """One published page: how many revisions and the newest one's number and time."""

    page_name: str
    revisions: int
    latest: int
    published_at: datetime


def next_revision(session: Session, *, page_name: str) -> int:
    """The number the page's next revision gets (0 for a page never recorded)."""
    latest = session.scalar(
        select(func.max(PageRevision.revision)).where(PageRevision.page_name == page_name)
    )
    return 0 if latest is None else int(latest) + 1


def record_revision(
    session: Session,
    *,
    page_name: str,
    content: str,
    snapshot_ids: Sequence[int],
    revision: int | None = None,
    now: datetime | None = None,
) -> PageRevision:
    """Append a revision; ``revision`` defaults to the next number.

    Two publishers racing for the same number collide on the unique (page_name, revision)
    constraint, and the loser's transaction fails rather than overwriting history.
    """
    number = next_revision(session, page_name=page_name) if revision is None else revision
    row = PageRevision(
        page_name=page_name,
        revision=number,
        content=content,
        content_sha256=content_digest(content),
        snapshot_ids=sorted(int(i) for i in snapshot_ids),
        created_at=now or utcnow(),
    )
    session.add(row)
    return row


def record_revisions(
    session: Session, *, revisions: Sequence[NewRevision], now: datetime | None = None
) -> None:
    """Append many revisions in one bulk INSERT, with numbers given (no ORM objects).

    As with ``record_revision``, a number some publisher already recorded for the page fails
    the transaction on the unique (page_name, revision) constraint.
    """
    if not revisions:
        return
    created_at = now or utcnow()
    session.execute(
        insert(PageRevision),
        [
            {
                "page_name": new.page_name,
                "revision": new.revision,
                "content": new.content,
                "content_sha256": new.content_sha256 or content_digest(new.content),
                "snapshot_ids": sorted(int(i) for i in new.snapshot_ids),
                "outcomes": dict(sorted(new.outcomes.items())),
                "created_at": created_at,
            }
            for new in revisions
        ],
    )


def get_revision(session: Session, *, page_name: str, revision: int) -> PageRevision:
    row = session.scalar(
        select(PageRevision).where(
            PageRevision.page_name == page_name, PageRevision.revision == revision
        )
    )
    if row is None:
        raise NotFoundError(f"page {page_name!r} has no revision {revision}")
    return row


def revised_page_names(session: Session, *, name: str) -> list[str]:
    """The names of pages with revisions that spell ``name`` in any letter case, sorted.

    Page names are file stems (``mtor``) where readers think in gene symbols (``MTOR``).
    """
    return sorted(
        session.scalars(
            select(PageRevision.page_name)
            .where(func.lower(PageRevision.page_name) == name.lower())
            .distinct()
        )
    )


def latest_revision(session: Session, *, page_name: str) -> PageRevision | None:
    return session.scalar(
        select(PageRevision)
        .where(PageRevision.page_name == page_name)
        .order_by(PageRevision.revision.desc())
        .limit(1)
    )


def first_revision(session: Session, *, page_name: str) -> PageRevision | None:
    return session.scalar(
        select(PageRevision)
        .where(PageRevision.page_name == page_name)
        .order_by(PageRevision.revision)
        .limit(1)
    )


def list_revisions(
    session: Session, *, page_name: str, limit: int = 1000, offset: int = 0
) -> list[PageRevision]:
    """The page's revisions, oldest first."""
    return list(
        session.scalars(
            select(PageRevision)
            .where(PageRevision.page_name == page_name)
            .order_by(PageRevision.revision)
            .limit(limit)
            .offset(offset)
        )
    )


def latest_revision_states(
    session: Session, *, page_names: Sequence[str] | None = None
) -> dict[str, RevisionState]:
    """The newest revision of each page (all pages, or the named ones), without page texts."""
    newest = select(
        PageRevision.page_name.label("page_name"),
        func.max(PageRevision.revision).label("revision"),
    ).group_by(PageRevision.page_name)
    states: dict[str, RevisionState] = {}
    for names in _chunks(page_names):
        query = newest if names is None else newest.where(PageRevision.page_name.in_(names))
        latest = query.subquery()
        rows = session.execute(
            select(
                PageRevision.page_name,
                PageRevision.revision,
                PageRevision.content_sha256,
                PageRevision.snapshot_ids,
                PageRevision.created_at,
                PageRevision.outcomes,
            ).join(
                latest,
                (latest.c.page_name == PageRevision.page_name)
                & (latest.c.revision == PageRevision.revision),
            )
        )
        for name, number, sha, snapshot_ids, created_at, outcomes in rows:
            states[name] = RevisionState(
                page_name=name,
                revision=int(number),
                content_sha256=sha,
                snapshot_ids=tuple(int(i) for i in snapshot_ids or ()),
                created_at=created_at,
                outcomes={str(k): str(v) for k, v in (outcomes or {}).items()},
            )
    return states


def list_published_pages(session: Session, *, limit: int = 100_000) -> list[PageSummary]:
    """Every page with at least one revision, by name."""
    rows = session.execute(
        select(
            PageRevision.page_name,
            func.count(),
            func.max(PageRevision.revision),
            func.max(PageRevision.created_at),
        )
        .group_by(PageRevision.page_name)
        .order_by(PageRevision.page_name)
        .limit(limit)
    )
    return [
        PageSummary(
            page_name=name,
            revisions=int(count),
            latest=int(latest),
            published_at=published_at,
        )
        for name, count, latest, published_at in rows
    ]


def _chunks(values: Sequence[str] | None) -> list[list[str] | None]:
    if values is None:
        return [None]
    unique = sorted(set(values))
    return [unique[i : i + IN_CHUNK] for i in range(0, len(unique), IN_CHUNK)]


def revisions_published_since(session: Session, *, since: datetime) -> dict[str, int]:
    """Revisions published at or after ``since``, per page name, by any process.

    Revision 0 (the page as it was before hyposcore's first change) is a record of the
    original, not a publish, so it is not counted.
    """
    rows = session.execute(
        select(PageRevision.page_name, func.count())
        .where(PageRevision.created_at >= since, PageRevision.revision > 0)
        .group_by(PageRevision.page_name)
    ).all()
    return {name: int(n) for name, n in rows}
