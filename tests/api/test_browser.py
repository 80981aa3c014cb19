"""Real headless Chromium opens the gene page and a hypothesis page; screenshots are kept.

Screenshots land in test-artifacts/ (git-ignored) for CI to upload.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn

from api.app import create_app
from common.settings import Settings
from storage.db import Database
from tests.api.seed import HYPOTHESIS, seed
from tests.conftest import REPO_ROOT
from tests.servers import free_port, in_ci

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = REPO_ROOT / "test-artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

pytestmark = pytest.mark.browser


def _require_chromium() -> None:
    if CHROMIUM.exists():
        return
    message = f"headless Chromium not found at {CHROMIUM} (apt-get install -y chromium)"
    if in_ci():
        pytest.fail(f"CI=true: {message}")
    pytest.skip(message)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    database = Database(f"sqlite:///{tmp_path / 'browser.db'}")
    database.upgrade()
    seed(database)
    port = free_port()
    config = uvicorn.Config(
        create_app(Settings(), database), host="127.0.0.1", port=port, log_level="warning"
    )
    uv = uvicorn.Server(config)
    thread = threading.Thread(target=uv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not uv.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("the test server did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        uv.should_exit = True
        thread.join(timeout=10)
        database.dispose()


def test_gene_and_hypothesis_pages_show_badges_and_chart(server: str) -> None:
    _require_chromium()
    from playwright.sync_api import expect, sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1100, "height": 900})
            # Only the test server may be contacted.
            page.route(
                "**/*",
                lambda route: (
                    route.continue_() if route.request.url.startswith(server) else route.abort()
                ),
            )
            page.goto(f"{server}/web/genes/MTOR")
            badge = page.locator(f'img[src="/badges/hypotheses/{HYPOTHESIS}.svg"]')
            expect(badge).to_be_visible()
            # A loaded image has a natural width; a broken one has 0.
            assert badge.evaluate("img => img.complete && img.naturalWidth") > 50
            page.screenshot(path=str(ARTIFACTS / "gene-page-MTOR.png"), full_page=True)

            page.locator(f'a[href="/web/hypotheses/{HYPOTHESIS}"]').first.click()
            page.wait_for_url(f"**/web/hypotheses/{HYPOTHESIS}")
            chart = page.locator("svg.history-chart")
            expect(chart).to_be_visible()
            box = chart.bounding_box()
            assert box is not None and box["width"] > 300 and box["height"] > 100
            expect(page.locator("svg.history-chart polyline.composite")).to_have_count(1)
            expect(page.locator("img.hypothesis-badge")).to_be_visible()
            page.screenshot(
                path=str(ARTIFACTS / f"hypothesis-page-{HYPOTHESIS}.png"), full_page=True
            )
        finally:
            browser.close()
    assert (ARTIFACTS / "gene-page-MTOR.png").stat().st_size > 0
    assert os.path.getsize(ARTIFACTS / f"hypothesis-page-{HYPOTHESIS}.png") > 0
