"""Publishing scores into gene pages: surgical edits, idempotence, revisions, failures."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import update

from storage.db import Database
from storage.models import GenePage, ScoreSource
from tests.api.seed import resolve
from tests.wiki.pages import SEED, page_text
from tests.wiki.publishing import (
    HYPOTHESIS,
    SEED_NAME,
    T0,
    TITLE,
    add_hypothesis,
    add_snapshot,
    changed_lines,
    import_seed,
    revisions,
)
from wiki.genepage import parse_gene_page
from wiki.hypothesis_links import BADGE_MARKER
from wiki.pagediff import page_diff
from wiki.publish import publish_pages
from wiki.store import FolderPageStore

ORIGINAL = SEED.read_bytes().decode("utf-8")


@pytest.fixture
def store(tmp_path: Path) -> FolderPageStore:
    return FolderPageStore(tmp_path / "pages")


@pytest.fixture
def seeded(db: Database) -> Database:
    """The seed page imported, h-51e7234f targeting MTOR, with two snapshots."""
    import_seed(db)
    add_hypothesis(db, HYPOTHESIS, TITLE, ["MTOR"])
    add_snapshot(db, HYPOTHESIS, composite=0.66, market_price=0.61)
    add_snapshot(db, HYPOTHESIS, composite=0.68, market_price=0.7449)
    return db


def _shown(text: str) -> dict[tuple[str, ScoreSource], float | None]:
    page = parse_gene_page(text)
    return {(link.hypothesis_id, link.source): link.score for link in page.links}


def test_first_publish_changes_only_the_score_rows_and_adds_the_badge(
    seeded: Database, store: FolderPageStore
) -> None:
    report = publish_pages(seeded, store, now=T0)

    published = store.read(SEED_NAME)
    removed, added = changed_lines(ORIGINAL, published)
    assert len(removed) == 2 and len(added) == 3
    assert 'title="Score: 0.80"' in removed[0] and "/hypothesis/h-51e7234f" in removed[0]
    assert ">0.73</span> · Target: MTOR" in removed[1]
    assert sum(BADGE_MARKER in line for line in added) == 1
    shown = _shown(published)
    # Both places show the latest snapshot's market price, to 2 decimals.
    assert shown[(HYPOTHESIS, ScoreSource.INFOBOX)] == 0.74
    assert shown[(HYPOTHESIS, ScoreSource.EXCHANGE)] == 0.74
    tooltip = "Exchange rating: 0.74 (snapshot v2) · composite 0.68, 80% interval 0.63–0.73"
    assert tooltip in published
    assert report.changed == 1 and report.failed == 0
    assert [r.revision for r in revisions(seeded, SEED_NAME)] == [0, 1]
    original, latest = revisions(seeded, SEED_NAME)
    assert original.content == ORIGINAL and latest.content == published
    assert len(latest.snapshot_ids) == 1
    assert store.read_badge(SEED_NAME) is not None and "0.74" in (store.read_badge(SEED_NAME) or "")


def test_second_publish_writes_nothing_and_records_no_revision(
    seeded: Database, store: FolderPageStore
) -> None:
    publish_pages(seeded, store, now=T0)
    before = store.path(SEED_NAME).read_bytes()
    writes = store.writes

    report = publish_pages(seeded, store, now=T0)

    assert store.path(SEED_NAME).read_bytes() == before
    assert store.writes == writes
    assert len(revisions(seeded, SEED_NAME)) == 2
    assert report.changed == 0 and report.unchanged == 1
    assert report.pages[0].revision == 1 and not report.pages[0].written


def test_a_new_snapshot_makes_exactly_one_new_revision(
    seeded: Database, store: FolderPageStore
) -> None:
    publish_pages(seeded, store, now=T0)
    add_snapshot(seeded, HYPOTHESIS, composite=0.5, market_price=0.52)

    report = publish_pages(seeded, store, now=T0)

    assert report.changed == 1 and report.pages[0].revision == 2
    history = revisions(seeded, SEED_NAME)
    assert [r.revision for r in history] == [0, 1, 2]
    diff = page_diff(history[1].content, history[2].content, from_label="r1", to_label="r2")
    assert "-- [APOE-Dependent" in diff and ">0.74</span>" in diff
    assert "+- [APOE-Dependent" in diff and ">0.52</span>" in diff
    assert _shown(store.read(SEED_NAME))[(HYPOTHESIS, ScoreSource.INFOBOX)] == 0.52


def test_a_hypothesis_the_page_lacks_is_added_in_both_places(
    seeded: Database, store: FolderPageStore
) -> None:
    add_hypothesis(seeded, "h-mtor0002", "TFEB <Nuclear> Translocation", ["MTOR"])
    add_snapshot(seeded, "h-mtor0002", composite=0.4, market_price=None)
    add_hypothesis(seeded, "h-unscored", "Not scored yet", ["MTOR"])

    report = publish_pages(seeded, store, now=T0)

    shown = _shown(store.read(SEED_NAME))
    assert shown[("h-mtor0002", ScoreSource.INFOBOX)] == 0.40
    assert shown[("h-mtor0002", ScoreSource.EXCHANGE)] == 0.40
    assert ("h-unscored", ScoreSource.INFOBOX) not in shown
    text = store.read(SEED_NAME)
    assert "TFEB &lt;Nuclear&gt; Translocation" in text and "<Nuclear>" not in text
    # Without a market price the composite is shown, and the tooltip says so.
    assert "Composite score, no market price yet: 0.40 (snapshot v1) · 80% interval 0.35–0.45" in (
        text
    )
    assert set(report.pages[0].hypotheses) == {HYPOTHESIS, "h-mtor0002"}


def test_hypotheses_new_to_the_page_join_it_in_the_badges_order(
    seeded: Database, store: FolderPageStore
) -> None:
    # By id these would come h-a, h-b, h-c; by the badge's order h-c, h-a, then the settled h-b.
    for hypothesis_id, price in (("h-a", 0.5), ("h-b", 0.9), ("h-c", 0.6)):
        add_hypothesis(seeded, hypothesis_id, f"Title {hypothesis_id}", ["MTOR"])
        add_snapshot(seeded, hypothesis_id, composite=0.5, market_price=price)
    resolve(seeded, "h-b", "validated", date(2026, 4, 1))

    publish_pages(seeded, store, now=T0)

    page = parse_gene_page(store.read(SEED_NAME))
    for source in (ScoreSource.EXCHANGE, ScoreSource.INFOBOX):
        listed = [link.hypothesis_id for link in page.links if link.source == source]
        # the page's own row keeps its place; the new ones follow in the badge's order
        assert listed == [HYPOTHESIS, "h-c", "h-a", "h-b"], source


def test_an_unparsable_page_is_reported_and_left_untouched(
    seeded: Database, store: FolderPageStore
) -> None:
    broken = page_text("no_infobox.txt")
    store.write("broken", broken)

    report = publish_pages(seeded, store, now=T0)

    assert store.path("broken").read_bytes() == broken.encode("utf-8")
    failed = [page for page in report.pages if page.failed]
    assert [page.name for page in failed] == ["broken"]
    assert any("no infobox" in problem for problem in failed[0].problems)
    assert report.changed == 1  # the seed page still published
    assert revisions(seeded, "broken") == []


def test_a_page_of_another_gene_than_imported_is_refused(
    seeded: Database, store: FolderPageStore
) -> None:
    store.write(SEED_NAME, page_text("ulk1_lowercase_header.txt"))
    before = store.path(SEED_NAME).read_bytes()

    report = publish_pages(seeded, store, now=T0)

    assert report.failed == 1 and "not of MTOR" in report.pages[0].problems[0]
    assert store.path(SEED_NAME).read_bytes() == before


def test_a_failed_write_leaves_the_old_page_and_no_temp_file(
    seeded: Database, store: FolderPageStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.write(SEED_NAME, ORIGINAL)
    real_replace = os.replace

    def refuse_pages(src: str, dst: str) -> None:
        if str(dst).endswith(".txt"):
            raise OSError(28, "No space left on device")
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", refuse_pages)
    report = publish_pages(seeded, store, now=T0)

    assert report.failed == 1 and "No space left" in report.pages[0].problems[-1]
    assert store.path(SEED_NAME).read_bytes() == ORIGINAL.encode("utf-8")
    assert sorted(p.name for p in store.root.iterdir()) == ["badges", f"{SEED_NAME}.txt"]
    assert revisions(seeded, SEED_NAME) == []
    monkeypatch.undo()
    assert publish_pages(seeded, store, now=T0).changed == 1


def test_an_edit_by_someone_else_is_kept_and_recorded(
    seeded: Database, store: FolderPageStore
) -> None:
    publish_pages(seeded, store, now=T0)
    edited = store.read(SEED_NAME).replace("Pathway Diagram", "Pathway diagram (curated)")
    store.write(SEED_NAME, edited)
    writes = store.writes

    report = publish_pages(seeded, store, now=T0)

    assert store.read(SEED_NAME) == edited and store.writes == writes
    assert report.changed == 1 and revisions(seeded, SEED_NAME)[-1].content == edited


def test_gene_filter_publishes_only_that_genes_pages(
    seeded: Database, store: FolderPageStore
) -> None:
    assert publish_pages(seeded, store, gene_symbols=["TFEB"], now=T0).pages == ()
    assert not store.exists(SEED_NAME)

    report = publish_pages(seeded, store, gene_symbols=["mtor"], now=T0)

    assert [page.name for page in report.pages] == [SEED_NAME] and report.changed == 1


def test_a_page_only_the_store_has_is_published_by_its_symbol(
    seeded: Database, store: FolderPageStore
) -> None:
    store.write("mtor_copy", ORIGINAL)

    report = publish_pages(seeded, store, now=T0)

    copy = next(page for page in report.pages if page.name == "mtor_copy")
    assert copy.gene_symbol == "MTOR" and copy.changed
    published = store.read(SEED_NAME).replace("badges/mtor_seed.svg", "badges/mtor_copy.svg")
    assert store.read("mtor_copy") == published


def test_republish_adds_a_hypothesis_linked_to_the_gene_since(
    seeded: Database, store: FolderPageStore
) -> None:
    publish_pages(seeded, store, now=T0)
    add_hypothesis(seeded, "h-mtor0003", "Late arrival", ["MTOR"])
    assert publish_pages(seeded, store, now=T0).changed == 0  # no snapshot yet: nothing to show
    add_snapshot(seeded, "h-mtor0003", composite=0.3, market_price=0.33)

    report = publish_pages(seeded, store, now=T0)

    assert report.changed == 1 and report.pages[0].revision == 2
    assert _shown(store.read(SEED_NAME))[("h-mtor0003", ScoreSource.EXCHANGE)] == 0.33


def test_an_imported_page_whose_name_cannot_be_a_file_is_reported(
    seeded: Database, store: FolderPageStore
) -> None:
    with seeded.transaction() as session:
        session.execute(update(GenePage).where(GenePage.name == SEED_NAME).values(name="../escape"))

    report = publish_pages(seeded, store, now=T0)

    assert report.failed == 1 and "page name '../escape'" in report.pages[0].problems[0]
    assert not store.root.exists() or list(store.root.iterdir()) == []
