"""What the openai backend puts on the wire and how it reads OpenAI-specific replies."""

from __future__ import annotations

import pytest

from debates.backends.base import InvalidOutputError, RetryableError
from tests.debates.backends.conftest import Harness, turn_request
from tests.fakes.openai_server import FakeOpenAIServer
from tests.fakes.replies import VALID_TURN_JSON
from tests.fakes.scripted_server import ScriptedReply


def test_the_request_asks_for_a_json_object_with_system_first(openai_harness: Harness) -> None:
    openai_harness.server.script(openai_harness.success(VALID_TURN_JSON))
    openai_harness.make_backend(temperature=0.0, max_tokens=800).complete(turn_request())
    sent = openai_harness.sent()
    assert openai_harness.server.requests[0].path == "/v1/chat/completions"
    assert sent["response_format"] == {"type": "json_object"}
    assert [m["role"] for m in sent["messages"]] == ["system", "user"]
    assert sent["messages"][1]["content"] == "Score it."
    assert sent["temperature"] == 0.0 and sent["max_tokens"] == 800


def test_json_mode_can_be_turned_off_for_servers_without_it(openai_harness: Harness) -> None:
    openai_harness.server.script(openai_harness.success(VALID_TURN_JSON))
    openai_harness.make_backend(json_mode=False).complete(turn_request())
    sent = openai_harness.sent()
    assert "response_format" not in sent and "temperature" not in sent


def test_the_reported_model_is_recorded(openai_harness: Harness) -> None:
    server = openai_harness.server
    assert isinstance(server, FakeOpenAIServer)
    server.model = "gpt-4o-mini-2024-07-18"
    server.script(openai_harness.success(VALID_TURN_JSON, tokens_in=1_000_000, tokens_out=0))
    result = openai_harness.make_backend(model="gpt-4o-mini").complete(turn_request())
    assert result.model == "gpt-4o-mini-2024-07-18"
    assert result.usage.cost_usd == pytest.approx(0.15)  # the default table's gpt-4o-mini input


def test_a_web_page_instead_of_an_api_is_retryable_and_names_the_base_url(
    openai_harness: Harness,
) -> None:
    # A proxy's error page is usually a glitch; the worker's retry budget bounds a wrong URL.
    openai_harness.server.script(ScriptedReply(body="<html><body>Welcome to nginx</body></html>"))
    with pytest.raises(RetryableError, match=r"non-JSON body.*nginx.*base URL"):
        openai_harness.backend.complete(turn_request())


def test_an_empty_or_cut_off_reply_is_reported_as_such(openai_harness: Harness) -> None:
    server = openai_harness.server
    assert isinstance(server, FakeOpenAIServer)
    server.script(
        server.success(None),
        server.success(VALID_TURN_JSON[:40], finish_reason="length"),
    )
    with pytest.raises(InvalidOutputError) as caught:
        openai_harness.backend.complete(turn_request())
    assert "the reply was empty" in str(caught.value)
    assert "cut off at the token limit" in str(caught.value)
