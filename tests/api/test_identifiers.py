"""Issue 11: identifiers safe in URLs, and hostile text in views and badges.

The property test feeds random valid gene symbols through the hypothesis importer, the page
importer, the publisher and every view: no answer is a 5xx and every link a view advertises
resolves.
"""

from __future__ import annotations

import json
import re
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st

from api.app import create_app
from common.identifiers import GENE_SYMBOL
from common.settings import Settings
from storage.db import Database
from storage.importing import import_document, parse_document
from storage.models import Gene, Hypothesis
from tests.api.svg import parse_svg, svg_texts
from tests.databases import migrated_sqlite
from tests.wiki.pages import page_text
from tests.wiki.publishing import add_snapshot
from wiki.importer import import_pages
from wiki.publish import publish_pages
from wiki.store import FolderPageStore

_LINK = re.compile(r'(?:href|src)="([^"]+)"')
HOSTILE_TITLE = "Evil\x01\x1b[31m\u202eTitle 0.45"


@pytest.fixture
def db(sqlite_db: Database) -> Database:
    return sqlite_db


def _client(db: Database) -> TestClient:
    return TestClient(create_app(Settings(), db), raise_server_exceptions=False)


def _add_legacy_rows(db: Database, symbol: str, title: str, hypothesis_id: str) -> None:
    """Rows as an older hyposcore stored them, before identifiers and text were checked."""
    with db.transaction() as session:
        gene = Gene(symbol=symbol, infobox={}, functions=[], references=[])
        session.add(Hypothesis(id=hypothesis_id, title=title, statement="", genes=[gene]))


def test_a_stored_symbol_with_a_slash_no_longer_takes_the_views_down(db: Database) -> None:
    """Defect 1: GET / and the gene's hypotheses answered 500 (url_for refuses '/')."""
    _add_legacy_rows(db, "A/B", "Slashed gene hypothesis", "h-slash001")
    with _client(db) as client:
        index = client.get("/")
        assert index.status_code == 200
        assert 'href="/web/genes/A%2FB"' in index.text
        page = client.get("/web/hypotheses/h-slash001")
        assert page.status_code == 200
        assert "/web/genes/A%2FB" in page.text
        assert client.get("/hypotheses/h-slash001").status_code == 200


def test_badges_stay_well_formed_xml_with_control_characters(db: Database) -> None:
    """Defect 3: \\x01 and \\x1b made the SVG badges invalid XML (a broken image)."""
    add_snapshot_for = "h-ctrl0001"
    _add_legacy_rows(db, "CTRL1", HOSTILE_TITLE, add_snapshot_for)
    add_snapshot(db, add_snapshot_for, composite=0.5, market_price=0.45)
    with _client(db) as client:
        for url in (f"/badges/hypotheses/{add_snapshot_for}.svg", "/badges/genes/CTRL1.svg"):
            response = client.get(url)
            assert response.status_code == 200
            parse_svg(response.text)
            assert not any(c in response.text for c in "\x01\x1b\u202e")
        texts = svg_texts(client.get(f"/badges/hypotheses/{add_snapshot_for}.svg").text)
        assert "Evil\ufffd\ufffd[31m\ufffdTitle 0.45" in texts


def test_a_bidi_override_in_a_title_cannot_reverse_the_gene_view(db: Database) -> None:
    """Defect 4: U+202E in a title reversed the id printed after it on the gene view."""
    _add_legacy_rows(db, "BIDI1", HOSTILE_TITLE, "h-bidi0001")
    with _client(db) as client:
        for url in ("/web/genes/BIDI1", "/web/hypotheses/h-bidi0001", "/"):
            response = client.get(url)
            assert response.status_code == 200
            assert not any(c in response.text for c in "\x01\x1b\u202e"), url


def test_a_badge_label_with_a_control_character_is_refused_with_422(db: Database) -> None:
    _add_legacy_rows(db, "LBL1", "Label test", "h-label001")
    with _client(db) as client:
        response = client.get("/badges/hypotheses/h-label001.svg", params={"label": "a\x1bb"})
    assert response.status_code == 422
    assert "U+001B" in response.text and "label" in response.text


def test_an_evaluation_request_with_a_bidi_override_is_refused_with_422(db: Database) -> None:
    from storage.queries.tokens import create_token

    with db.transaction() as session:
        token = create_token(session, name="tests").plain
    with _client(db) as client:
        response = client.post(
            "/evaluations",
            json={"hypothesis_id": "h-\u202e1234"},
            headers={"Authorization": f"Bearer {token}"},
        )
    assert response.status_code == 422
    assert "U+202E" in response.text


# --- the property test --------------------------------------------------------------------------

SYMBOLS = st.from_regex(GENE_SYMBOL, fullmatch=True)


def _document(symbols: list[str]) -> dict[str, Any]:
    return {
        "version": 1,
        "genes": [{"symbol": symbol} for symbol in symbols],
        "hypotheses": [
            {
                "id": f"h-prop{index:04d}",
                "title": f"Hypothesis about {symbol}",
                "statement": f"{symbol} matters.",
                "genes": [symbol],
                "evidence": [
                    {
                        "citation": "PMID:20376313",
                        "claim": "A finding.",
                        "direction": "supports",
                        "study_type": "rct",
                    }
                ],
            }
            for index, symbol in enumerate(symbols)
        ],
    }


def _links(response_text: str, content_type: str) -> set[str]:
    if content_type.startswith("application/json"):
        found: set[str] = set()
        _json_links(json.loads(response_text), found)
        return found
    if content_type.startswith("text/html"):
        return set(_LINK.findall(response_text))
    return set()  # a published page's own links are the wiki's, not this app's


def _json_links(value: Any, found: set[str]) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "links" and isinstance(item, dict):
                found.update(v for v in item.values() if isinstance(v, str))
            else:
                _json_links(item, found)
    elif isinstance(value, list):
        for item in value:
            _json_links(item, found)


def _local(link: str) -> str | None:
    parts = urlsplit(link.replace("&amp;", "&"))
    if parts.netloc not in ("", "testserver"):
        return None  # a citation's page on PubMed or doi.org
    return parts.path + (f"?{parts.query}" if parts.query else "")


@settings(max_examples=6, deadline=None)
@given(symbols=st.lists(SYMBOLS, min_size=1, max_size=4, unique_by=str.upper))
def test_random_valid_symbols_survive_import_publish_and_every_view(symbols: list[str]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        db = migrated_sqlite(root / "prop.db")
        try:
            _import_publish_and_browse(db, root, symbols)
        finally:
            db.dispose()


def _import_publish_and_browse(db: Database, root: Path, symbols: list[str]) -> None:
    raw = json.dumps(_document(symbols)).encode()
    import_document(db, parse_document(raw, file="prop.json", suffix=".json"))
    template = page_text("ulk1_lowercase_header.txt")
    pages = []
    for index, symbol in enumerate(symbols):
        page = root / f"page{index}.txt"
        text = template.replace("ulk1 gene", "gene").replace(
            '<td class="label">full name</td>',
            f'<td class="label">Symbol</td>\n<td>{symbol}</td>\n</tr>\n<tr>\n'
            '<td class="label">full name</td>',
        )
        page.write_text(text.replace("O75385", f"Q{index}ABC1"), encoding="utf-8")
        pages.append(page)
    import_pages(db, pages)
    for index in range(len(symbols)):
        add_snapshot(db, f"h-prop{index:04d}", composite=0.5, market_price=0.45)
    report = publish_pages(db, FolderPageStore(root / "pages"))
    assert report.failed == 0, [p.problems for p in report.pages]

    with _client(db) as client:
        start = ["/", "/genes", "/hypotheses", "/web/leaderboard"]
        for symbol in symbols:
            segment = symbol.replace("%", "%25")
            start += [f"/genes/{segment}", f"/web/genes/{segment}", f"/genes/{segment}/page"]
        seen: set[str] = set()
        queue = list(start)
        while queue:
            url = queue.pop()
            if url in seen:
                continue
            seen.add(url)
            response = client.get(url)
            assert response.status_code < 500, (url, response.text[:300])
            assert response.status_code != 404, (url, response.text[:300])
            if url in start or url.startswith(("/web/", "/genes/", "/hypotheses/")):
                content_type = response.headers.get("content-type", "")
                for link in _links(response.text, content_type):
                    local = _local(link)
                    if local is not None and local not in seen and _follow(local):
                        queue.append(local)


def _follow(path: str) -> bool:
    """Links within the views; not every history download or paginated list again."""
    return not path.startswith("/static/") and "offset=" not in path
