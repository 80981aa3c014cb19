"""Every client the HTTP benchmark times really completes its calls, and a failed one voids it."""

from __future__ import annotations

import pytest

from bench import http_clients
from debates.backends.base import FatalError
from tests.fakes.openai_server import FakeOpenAIServer


@pytest.mark.parametrize("name", sorted(http_clients.clients()))
def test_each_client_makes_every_call_it_is_timed_for(name: str) -> None:
    with FakeOpenAIServer() as server:
        http_clients.clients()[name](server.base_url, 3, 2)
        assert len(server.requests) == 6
        assert {r.json()["messages"][0]["role"] for r in server.requests} == {"system"}


def test_a_refused_call_in_a_thread_fails_the_measure(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(http_clients, "HEADERS", {"Content-Type": "application/json"})
    with FakeOpenAIServer() as server, pytest.raises(FatalError, match="401"):
        http_clients.urllib3_threads(server.base_url, 2, 1)
