"""The loopback fakes themselves: scripts, defaults, recording, concurrency and shutdown."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request

import pytest

from tests.fakes.anthropic_server import FakeAnthropicServer
from tests.fakes.openai_server import FakeOpenAIServer
from tests.fakes.replies import VALID_JUDGE_JSON, VALID_TURN_JSON
from tests.fakes.scripted_server import RecordedRequest, ScriptedReply

# What both providers require of every request: a key, and Anthropic's API version.
CREDENTIALS = {"Authorization": "Bearer sk-test", "anthropic-version": "2023-06-01"}


def _post(
    url: str, payload: object, *, headers: dict[str, str] = CREDENTIALS
) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(  # noqa: S310 - a loopback URL the test started
        url,
        data=json.dumps(payload).encode(),
        headers={"Content-Type": "application/json", **headers},
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def test_scripted_replies_come_in_order_then_the_default() -> None:
    with FakeOpenAIServer(default_content=VALID_JUDGE_JSON) as server:
        server.script(server.error(429, headers={"Retry-After": "3"}), server.success("first"))
        url = f"{server.base_url}/chat/completions"
        statuses = [_post(url, {"n": i}) for i in range(3)]
    assert [status for status, _, _ in statuses] == [429, 200, 200]
    assert statuses[0][1]["retry-after"] == "3"
    assert json.loads(statuses[1][2])["choices"][0]["message"]["content"] == "first"
    assert json.loads(statuses[2][2])["choices"][0]["message"]["content"] == VALID_JUDGE_JSON
    assert [request.json() for request in server.requests] == [{"n": 0}, {"n": 1}, {"n": 2}]


def test_unknown_paths_get_the_providers_404() -> None:
    with FakeAnthropicServer() as server:
        status, _, body = _post(f"{server.url}/v1/complete", {})
        assert server.pending() == 0
    assert status == 404
    assert json.loads(body)["error"]["type"] == "not_found_error"


def test_a_responder_can_answer_from_the_request() -> None:
    def echo(request: RecordedRequest) -> ScriptedReply:
        return ScriptedReply(status=200, body={"saw": request.json()["messages"][-1]["content"]})

    with FakeAnthropicServer(default_reply=echo) as server:
        _, _, body = _post(f"{server.url}/v1/messages", {"messages": [{"content": "ping"}]})
    assert json.loads(body) == {"saw": "ping"}


def test_requests_are_served_concurrently_with_the_configured_delay() -> None:
    clients = 6
    with FakeOpenAIServer(delay=0.5) as server:
        url = f"{server.base_url}/chat/completions"
        results: list[int] = []
        threads = [
            threading.Thread(target=lambda: results.append(_post(url, {})[0]))
            for _ in range(clients)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert results == [200] * clients
    # All six were inside the server at once: the delay overlapped instead of queueing.
    assert server.max_in_flight == clients
    assert server.default_content == VALID_TURN_JSON


@pytest.mark.parametrize(
    ("server_class", "path", "headers", "status", "complaint"),
    [
        (FakeOpenAIServer, "/v1/chat/completions", {}, 401, "API key"),
        (
            FakeAnthropicServer,
            "/v1/messages",
            {"anthropic-version": "2023-06-01"},
            401,
            "x-api-key",
        ),
        (FakeAnthropicServer, "/v1/messages", {"x-api-key": "sk-test"}, 400, "anthropic-version"),
    ],
)
def test_a_request_without_what_the_provider_requires_is_refused_before_the_script(
    server_class: type[FakeOpenAIServer | FakeAnthropicServer],
    path: str,
    headers: dict[str, str],
    status: int,
    complaint: str,
) -> None:
    with server_class() as server:
        server.script(server.success("kept for the next request"))
        refused, _, body = _post(f"{server.url}{path}", {}, headers=headers)
        accepted, _, _ = _post(f"{server.url}{path}", {})
        assert server.pending() == 0
    assert refused == status and complaint in body.decode()
    assert accepted == 200


def test_the_server_is_only_reachable_while_running() -> None:
    server = FakeOpenAIServer()
    with pytest.raises(RuntimeError, match="not running"):
        _ = server.url
    with server:
        assert server.url.startswith("http://127.0.0.1:")
