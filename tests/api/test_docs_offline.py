"""/docs and /redoc load every script and style from the app itself, never from a CDN."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from common.settings import Settings
from storage.db import Database

_ASSET = re.compile(r"""(?:src|href)\s*=\s*["']([^"']+)["']""")
_URL_IN_SCRIPT = re.compile(r"""url:\s*['"]([^'"]+)['"]|spec-url=["']([^"']+)["']""")


@pytest.fixture
def web(sqlite_db: Database) -> Iterator[TestClient]:
    with TestClient(create_app(Settings(), sqlite_db)) as client:
        yield client


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_doc_pages_reference_only_local_assets_that_are_served(web: TestClient, page: str) -> None:
    html = web.get(page)
    assert html.status_code == 200
    assets = _ASSET.findall(html.text)
    assert any(a.endswith(".js") for a in assets), assets
    for asset in assets:
        assert asset.startswith("/"), f"{page} loads {asset} from elsewhere"
        served = web.get(asset)
        assert served.status_code == 200, asset
        assert len(served.content) > 1000, asset
    assert "cdn." not in html.text and "fonts.googleapis" not in html.text
    spec_urls = [u for pair in _URL_IN_SCRIPT.findall(html.text) for u in pair if u]
    assert spec_urls == ["/openapi.json"]


def test_swagger_ui_does_not_call_the_online_validator(web: TestClient) -> None:
    assert '"validatorUrl": null' in web.get("/docs").text


def test_the_doc_pages_stay_out_of_the_openapi_document(web: TestClient) -> None:
    paths = web.get("/openapi.json").json()["paths"]
    assert not {"/docs", "/redoc", "/docs/oauth2-redirect"} & set(paths)


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_doc_pages_may_fetch_from_this_server_only(web: TestClient, page: str) -> None:
    # ReDoc's sidebar loads a logo from cdn.redoc.ly; the page's policy stops that request.
    policy = web.get(page).headers["content-security-policy"]
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
    assert directives["default-src"] == "'self'" and directives["img-src"] == "'self' data:"
    for name in ("script-src", "style-src", "connect-src", "worker-src"):
        assert "http" not in directives[name] and "*" not in directives[name]
