"""Real headless Chromium (Debian's, /usr/bin/chromium) opens every view; screenshots are kept.

Screenshots land in test-artifacts/ and test-artifacts/screenshots/ (git-ignored) for CI to
upload. Every request a page makes must stay on the loopback test server, and every view
passes an axe-core accessibility audit (no serious or critical violations).
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
from storage.queries.workers import record_beat
from tests.api.seed import HYPOTHESIS, Seeded, seed
from tests.conftest import REPO_ROOT
from tests.databases import migrated_sqlite
from tests.servers import free_port, in_ci
from tests.workers.backtest_items import seed_report

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = REPO_ROOT / "test-artifacts"
SCREENSHOTS = ARTIFACTS / "screenshots"
BLOCKING_IMPACTS = {"serious", "critical"}
BACKTEST = "bundled-day-before"
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
def seeded_db(tmp_path: Path) -> Iterator[tuple[Database, Seeded]]:
    database = migrated_sqlite(tmp_path / "browser.db")
    seeded = seed(database)
    with database.transaction() as session:
        record_beat(
            session,
            name="debater@lab",
            host="lab",
            pid=4242,
            queues=["debates", "scoring"],
            backend="evidence",
            broker="embedded sqlite",
        )
    seed_report(database, BACKTEST)
    yield database, seeded
    database.dispose()


@pytest.fixture
def server(seeded_db: tuple[Database, Seeded]) -> Iterator[str]:
    database, _ = seeded_db
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


def _views(seeded: Seeded) -> list[tuple[str, str, int]]:
    return [
        ("front-page", "/", 200),
        ("gene-MTOR", "/web/genes/MTOR", 200),
        ("gene-APOE", "/web/genes/APOE", 200),  # a gene without a wiki page
        (f"hypothesis-{HYPOTHESIS}", f"/web/hypotheses/{HYPOTHESIS}", 200),
        ("leaderboard", "/web/leaderboard", 200),
        (f"evaluation-{seeded.evaluation_id}", f"/web/evaluations/{seeded.evaluation_id}", 200),
        ("workers", "/web/workers", 200),
        ("backtests", "/web/backtests", 200),
        (f"backtest-{BACKTEST}", f"/web/backtests/{BACKTEST}", 200),
        ("error-422", "/web/evaluations/abc", 422),
        ("error-404", "/web/no-such-view", 404),
    ]


def test_every_view_renders_offline_and_passes_an_accessibility_audit(
    server: str, seeded_db: tuple[Database, Seeded]
) -> None:
    _require_chromium()
    from axe_playwright_python.sync_playwright import Axe
    from playwright.sync_api import Route, sync_playwright

    _, seeded = seeded_db
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    requested: list[str] = []
    findings: list[str] = []

    def stay_local(route: Route) -> None:
        # Every request the browser sends passes here (one the page's CSP blocks never does);
        # anything not for the loopback server is recorded, and refused.
        requested.append(route.request.url)
        if route.request.url.startswith(server):
            route.continue_()
        else:
            route.abort()

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            # The views' CSP forbids scripts; the audit's own script is injected regardless.
            context = browser.new_context(viewport={"width": 1100, "height": 900}, bypass_csp=True)
            context.route("**/*", stay_local)
            page = context.new_page()
            for name, path, status in _views(seeded):
                response = page.goto(f"{server}{path}", wait_until="networkidle")
                assert response is not None and response.status == status, path
                if path.startswith("/web/backtests/"):
                    # The reliability diagram is drawn, not just present in the markup.
                    box = page.locator("svg.reliability-chart").bounding_box()
                    assert box is not None and box["width"] > 300 and box["height"] > 300
                page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
                results = Axe().run(page)
                for violation in results.response["violations"]:
                    if violation["impact"] in BLOCKING_IMPACTS:
                        targets = [n["target"] for n in violation["nodes"]][:3]
                        findings.append(
                            f"{path}: {violation['id']} ({violation['impact']}) {targets}"
                        )
            # The doc pages keep their own CSP, which is what keeps them on this server.
            page = browser.new_page(viewport={"width": 1100, "height": 900})
            page.route("**/*", stay_local)
            for name, path, ready in (
                ("api-docs", "/docs", ".swagger-ui .info .title"),
                ("api-redoc", "/redoc", "redoc-wrap, .api-content, h1"),
            ):
                page.goto(f"{server}{path}", wait_until="networkidle")
                page.wait_for_selector(ready, timeout=20_000)
                assert "hyposcore" in page.inner_text("body"), path
                page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=False)
        finally:
            browser.close()
    outside = [url for url in requested if not url.startswith(server)]
    assert outside == [], f"requests left the loopback server: {outside}"
    assert requested, "no requests were seen"
    assert findings == [], "accessibility violations:\n" + "\n".join(findings)
    for name, _, _ in _views(seeded):
        assert (SCREENSHOTS / f"{name}.png").stat().st_size > 5000, name
