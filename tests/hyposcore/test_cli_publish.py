"""``hyposcore publish`` and ``hyposcore pages``: tables, summaries, exit codes and diffs."""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest
from rich.console import Console
from typer.testing import CliRunner

from common.settings import get_settings
from hyposcore.cli import common as cli_common
from hyposcore.cli import publish as publish_cli
from hyposcore.cli.common import open_database
from hyposcore.cli.main import app
from storage.db import Database
from storage.queries.revisions import record_revision
from tests.api.seed import resolve
from tests.wiki.pages import page_text
from tests.wiki.publishing import (
    HYPOTHESIS,
    SEED_NAME,
    TITLE,
    add_hypothesis,
    add_snapshot,
    changed_lines,
    import_seed,
    revisions,
)

runner = CliRunner()


def _flat(output: str) -> str:
    return " ".join(output.split())


@pytest.fixture
def database() -> Iterator[Database]:
    """The configured (per-test) database with the seed page and one scored hypothesis."""
    db = open_database()
    import_seed(db)
    add_hypothesis(db, HYPOTHESIS, TITLE, ["MTOR"])
    add_snapshot(db, HYPOTHESIS, composite=0.68, market_price=0.74)
    yield db
    db.dispose()


def test_publish_prints_the_changed_pages_and_a_summary(database: Database) -> None:
    result = runner.invoke(app, ["publish"])
    assert result.exit_code == 0, result.output
    assert SEED_NAME in result.output and "changed" in result.output
    assert "pages changed: 1, unchanged: 0, failed: 0" in _flat(result.output)
    pages_dir = get_settings().resolved_pages_dir
    assert (pages_dir / f"{SEED_NAME}.txt").is_file()
    assert (pages_dir / "badges" / f"{SEED_NAME}.svg").is_file()

    again = runner.invoke(app, ["publish"])
    assert again.exit_code == 0
    assert "pages changed: 0, unchanged: 1, failed: 0" in _flat(again.output)


def test_publish_shows_a_bar_in_a_terminal_and_leaves_only_the_report(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    screen = io.StringIO()
    terminal = Console(file=screen, force_terminal=True, width=120)
    monkeypatch.setattr(publish_cli, "console", terminal)  # the report
    monkeypatch.setattr(cli_common, "console", terminal)  # the bar
    result = runner.invoke(app, ["publish"])
    assert result.exit_code == 0, result.output
    drawn = screen.getvalue()
    assert "publishing pages" in drawn and "1/1" in drawn  # the bar, with pages done of all
    # the bar is erased when done; the report is printed after it
    assert drawn.rindex("publishing pages") < drawn.index("Published gene pages")


def test_publish_exits_1_when_a_page_fails(database: Database) -> None:
    pages_dir = get_settings().resolved_pages_dir
    pages_dir.mkdir(parents=True)
    (pages_dir / "broken.txt").write_text(page_text("no_infobox.txt"), encoding="utf-8")

    result = runner.invoke(app, ["publish"])

    assert result.exit_code == 1
    assert "failed: 1" in _flat(result.output) and "no infobox" in _flat(result.output)


def test_publish_gene_filter(database: Database) -> None:
    # A known gene (since --gene refuses unknown ones) that has no page of its own.
    add_hypothesis(database, "h-0000tfeb", "TFEB activation", ["TFEB"])
    result = runner.invoke(app, ["publish", "--gene", "TFEB"])
    assert result.exit_code == 0
    assert "pages changed: 0, unchanged: 0, failed: 0" in _flat(result.output)


def test_pages_revisions_and_diff_show_what_changed(database: Database) -> None:
    runner.invoke(app, ["publish"])
    add_snapshot(database, HYPOTHESIS, composite=0.5, market_price=0.52)
    runner.invoke(app, ["publish"])

    listed = runner.invoke(app, ["pages", "list"])
    assert listed.exit_code == 0 and SEED_NAME in listed.output

    history = runner.invoke(app, ["pages", "revisions", SEED_NAME])
    assert history.exit_code == 0, history.output
    cells = [line.split("│") for line in history.output.splitlines() if "│" in line]
    assert [row[1].strip() for row in cells if row[1].strip().isdigit()] == ["0", "1", "2"]
    assert "original" in history.output

    full = runner.invoke(app, ["pages", "diff", SEED_NAME])
    assert full.exit_code == 0, full.output
    assert f"--- {SEED_NAME} revision 0" in full.output
    assert f"+++ {SEED_NAME} revision 2" in full.output
    assert '-<td><a href="/hypothesis/h-51e7234f" style="color:#ce93d8" title="Score: 0.80">' in (
        full.output
    )
    assert ">0.52</span> · Target: MTOR" in full.output

    last = runner.invoke(app, ["pages", "diff", SEED_NAME, "--from", "1", "--to", "2"])
    assert last.exit_code == 0
    changed = [line for line in last.output.splitlines() if line[:1] in "+-"]
    assert len(changed) == 6  # two header lines, then the two score rows removed and re-added
    assert any(">0.74</span>" in line for line in changed if line.startswith("-"))


def test_pages_diff_of_an_unknown_page_or_revision_is_a_clear_error(database: Database) -> None:
    missing = runner.invoke(app, ["pages", "diff", "nope"])
    assert missing.exit_code == 2 and "page 'nope' has no revisions" in missing.output
    runner.invoke(app, ["publish"])
    bad = runner.invoke(app, ["pages", "diff", SEED_NAME, "--to", "9"])
    assert bad.exit_code == 2 and f"page '{SEED_NAME}' has no revision 9" in bad.output


def test_pages_finds_a_page_named_in_another_letter_case(database: Database) -> None:
    runner.invoke(app, ["publish"])
    shouted = SEED_NAME.upper()
    assert shouted != SEED_NAME

    history = runner.invoke(app, ["pages", "revisions", shouted])
    assert history.exit_code == 0, history.output
    assert f"Revisions of {SEED_NAME}" in history.output

    full = runner.invoke(app, ["pages", "diff", shouted])
    assert full.exit_code == 0, full.output
    assert f"--- {SEED_NAME} revision 0" in full.output


def test_pages_refuses_a_name_two_pages_spell_in_other_cases(database: Database) -> None:
    with database.transaction() as session:
        for name in ("Tfeb", "TFEB"):
            record_revision(session, page_name=name, content="page", snapshot_ids=[])

    exact = runner.invoke(app, ["pages", "revisions", "TFEB"])
    assert exact.exit_code == 0 and "Revisions of TFEB" in exact.output
    either = runner.invoke(app, ["pages", "diff", "tfeb"])
    assert either.exit_code == 2
    assert "page 'tfeb' is ambiguous: did you mean 'TFEB' or 'Tfeb'?" in _flat(either.output)


def test_publish_an_unknown_gene_is_an_error(database: Database) -> None:
    result = runner.invoke(app, ["publish", "--gene", "NOSUCHGENE"])
    assert result.exit_code == 2
    assert "--gene 'NOSUCHGENE': no such gene" in _flat(result.output)
    assert not (get_settings().resolved_pages_dir / f"{SEED_NAME}.txt").exists()


def test_a_new_snapshot_with_the_same_shown_numbers_leaves_the_page_untouched(
    database: Database,
) -> None:
    assert runner.invoke(app, ["publish"]).exit_code == 0
    page = get_settings().resolved_pages_dir / f"{SEED_NAME}.txt"
    before = page.read_bytes()
    add_snapshot(database, HYPOTHESIS, composite=0.681, market_price=0.739)  # shows 0.68, 0.74

    again = runner.invoke(app, ["publish"])

    assert again.exit_code == 0
    assert "pages changed: 0, unchanged: 1, failed: 0" in _flat(again.output)
    assert page.read_bytes() == before
    add_snapshot(database, HYPOTHESIS, composite=0.70, market_price=0.74)  # the composite moves
    moved = runner.invoke(app, ["publish"])
    assert "pages changed: 1" in _flat(moved.output)
    assert "composite 0.70" in page.read_text(encoding="utf-8")


def test_publish_help_says_which_changes_rewrite_a_page(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    said = _flat(runner.invoke(app, ["publish", "--help"]).output)
    for what in ("shown score", "80% interval", "hypothesis title", "two decimals", "snapshot vN"):
        assert what in said


def test_the_served_and_the_published_gene_badge_are_the_same_bytes(database: Database) -> None:
    from fastapi.testclient import TestClient

    from api.app import create_app

    # Ids in the opposite order of their scores: the page lists by id, the API by score.
    add_hypothesis(database, "h-0000000a", "Low scorer targeting MTOR", ["MTOR"])
    add_snapshot(database, "h-0000000a", composite=0.30, market_price=0.31)
    add_hypothesis(database, "h-ffffffff", "High scorer targeting MTOR", ["MTOR"])
    add_snapshot(database, "h-ffffffff", composite=0.80, market_price=0.81)
    add_snapshot(database, "h-ffffffff", composite=0.90, market_price=0.91)  # risen since
    add_hypothesis(database, "h-77777777", "Unscored, targeting MTOR", ["MTOR"])
    assert runner.invoke(app, ["publish"]).exit_code == 0
    published = (get_settings().resolved_pages_dir / "badges" / f"{SEED_NAME}.svg").read_bytes()
    with TestClient(create_app(get_settings(), database)) as client:
        served = client.get("/badges/genes/MTOR.svg")
    assert served.status_code == 200
    assert served.content == published
    text = published.decode()
    assert text.index("High scorer") < text.index("Low scorer")
    # Each scored hypothesis once, with its trend since the snapshot before; no unscored row.
    assert "0.91 ↑" in text and "0.31 ↑" not in text and "Unscored" not in text
    assert ">3 hypotheses<" in text  # the two above and the fixture's own h-51e7234f


def test_a_resolution_reaches_the_page_and_its_badge_without_a_new_snapshot(
    database: Database,
) -> None:
    from datetime import date

    from fastapi.testclient import TestClient

    from api.app import create_app

    add_hypothesis(database, "h-0000000b", "Another targeting MTOR", ["MTOR"])
    add_snapshot(database, "h-0000000b", composite=0.60, market_price=0.90)
    assert runner.invoke(app, ["publish"]).exit_code == 0
    badge = get_settings().resolved_pages_dir / "badges" / f"{SEED_NAME}.svg"
    page = get_settings().resolved_pages_dir / f"{SEED_NAME}.txt"
    before, page_before = badge.read_text(), page.read_text()
    assert "· validated" not in before
    resolve(database, "h-0000000b", "validated", date(2025, 1, 2))
    assert runner.invoke(app, ["publish"]).exit_code == 0
    after = badge.read_text()
    # the settled one drops below the open one despite its higher number, and says why
    assert after.index("0.74") < after.index("0.90 · validated")
    with TestClient(create_app(get_settings(), database)) as client:
        assert client.get("/badges/genes/MTOR.svg").text == after
    # The page: its numbers as they were, the outcome after the settled one's, recorded as a
    # new revision; publishing again finds the page current and changes nothing.
    removed, added = changed_lines(page_before, page.read_text())
    assert len(removed) == len(added) == 2  # the infobox row and the Exchange line
    assert any(">0.90</span> · validated<!-- hyposcore:outcome -->" in ln for ln in added), added
    assert any("Validated, exchange rating" in line for line in added)
    latest = revisions(database, SEED_NAME)[-1]
    assert latest.outcomes == {"h-0000000b": "validated"}
    again = runner.invoke(app, ["publish"])
    assert again.exit_code == 0 and revisions(database, SEED_NAME)[-1].id == latest.id
