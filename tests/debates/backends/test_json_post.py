"""The live call's own HTTP path: the SDK's headers, the environment's proxy, no redirects."""

from __future__ import annotations

import pytest
import urllib3

from debates.backends.base import FatalError
from debates.backends.json_post import pool_for
from tests.debates.backends.conftest import Harness, turn_request
from tests.fakes.openai_server import FakeOpenAIServer
from tests.fakes.replies import VALID_TURN_JSON
from tests.fakes.scripted_server import ScriptedReply


@pytest.fixture
def no_proxy_settings(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    return monkeypatch


def test_a_live_call_carries_the_headers_the_sdk_would_send(harness: Harness) -> None:
    harness.server.script(harness.success(VALID_TURN_JSON))
    harness.backend.complete(turn_request())
    headers = harness.server.requests[0].headers
    assert headers["content-type"] == "application/json"
    # The SDK names itself (and, for Anthropic, the API version it speaks) on every request.
    assert "python" in headers["user-agent"].lower()
    assert harness.provider != "anthropic" or headers["anthropic-version"]


def test_the_environment_proxy_is_used_unless_no_proxy_names_the_host(
    no_proxy_settings: pytest.MonkeyPatch,
) -> None:
    assert not isinstance(pool_for("https://api.example.com/v1"), urllib3.ProxyManager)
    no_proxy_settings.setenv("HTTPS_PROXY", "http://proxy.internal:3128")
    pool = pool_for("https://api.example.com/v1")
    assert isinstance(pool, urllib3.ProxyManager)
    assert pool.proxy is not None and pool.proxy.host == "proxy.internal"
    no_proxy_settings.setenv("NO_PROXY", "api.example.com")
    assert not isinstance(pool_for("https://api.example.com/v1"), urllib3.ProxyManager)


def test_a_live_call_goes_through_the_proxy(
    openai_harness: Harness, no_proxy_settings: pytest.MonkeyPatch
) -> None:
    # The fake answers a proxied request too: its path is then the absolute URL.
    proxy = openai_harness.server
    assert isinstance(proxy, FakeOpenAIServer)
    no_proxy_settings.setenv("HTTP_PROXY", proxy.url)
    backend = openai_harness.make_backend(base_url="http://llm.invalid/v1")
    proxy.script(proxy.success(VALID_TURN_JSON))

    backend.complete(turn_request())

    assert proxy.requests[0].path == "http://llm.invalid/v1/chat/completions"


def test_a_redirect_is_not_followed_but_named(harness: Harness) -> None:
    harness.server.script(ScriptedReply(status=307, headers={"Location": "http://elsewhere/"}))
    with pytest.raises(FatalError, match="HTTP 307"):
        harness.backend.complete(turn_request())
    assert len(harness.server.requests) == 1
