"""Helpers for the publishing tests: the imported seed page, hypotheses and their snapshots."""

from __future__ import annotations

import difflib
from datetime import UTC, datetime

from storage.db import Database
from storage.models import Hypothesis, PageRevision
from storage.queries.knowledge import find_gene, upsert_gene
from storage.queries.snapshots import ensure_scoring_config, record_snapshot
from tests.wiki.pages import SEED
from wiki.importer import import_pages

T0 = datetime(2026, 5, 1, tzinfo=UTC)
HYPOTHESIS = "h-51e7234f"
TITLE = "APOE-Dependent Autophagy Restoration"
SEED_NAME = SEED.stem
CONFIG_HASH = "f" * 64


def import_seed(db: Database) -> str:
    import_pages(db, [SEED])
    return SEED_NAME


def add_hypothesis(db: Database, hypothesis_id: str, title: str, genes: list[str]) -> None:
    with db.transaction() as session:
        linked = [find_gene(session, symbol=s) or upsert_gene(session, symbol=s) for s in genes]
        session.add(Hypothesis(id=hypothesis_id, title=title, statement="", genes=linked))


def add_snapshot(
    db: Database,
    hypothesis_id: str,
    *,
    composite: float,
    market_price: float | None,
    low: float | None = None,
    high: float | None = None,
) -> int:
    """Record the hypothesis's next snapshot; returns its version."""
    with db.transaction() as session:
        ensure_scoring_config(session, digest=CONFIG_HASH, weights={"evidence_strength": 1.0})
        snapshot, _ = record_snapshot(
            session,
            hypothesis_id=hypothesis_id,
            evaluation_id=None,
            composite=composite,
            composite_low=composite - 0.05 if low is None else low,
            composite_high=composite + 0.05 if high is None else high,
            coverage=1.0,
            market_price=market_price,
            config_hash=CONFIG_HASH,
        )
        return snapshot.version


def revisions(db: Database, page_name: str) -> list[PageRevision]:
    with db.sessions() as session:
        return list(
            session.query(PageRevision)
            .filter(PageRevision.page_name == page_name)
            .order_by(PageRevision.revision)
        )


def changed_lines(old: str, new: str) -> tuple[list[str], list[str]]:
    """The lines removed from ``old`` and the lines added in ``new``."""
    removed, added = [], []
    for line in difflib.ndiff(old.splitlines(), new.splitlines()):
        if line.startswith("- "):
            removed.append(line[2:])
        elif line.startswith("+ "):
            added.append(line[2:])
    return removed, added
