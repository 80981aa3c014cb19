"""What the anthropic backend puts on the wire and how it reads Messages API replies."""

from __future__ import annotations

from debates.backends.base import BackendRequest, Message, RequestContext
from debates.schema import TurnOutput
from tests.debates.backends.conftest import Harness, mtor_case, turn_request
from tests.fakes.anthropic_server import FakeAnthropicServer, message_body, text_of
from tests.fakes.replies import VALID_TURN_JSON
from tests.fakes.scripted_server import ScriptedReply


def test_the_system_prompt_is_a_top_level_field_not_a_message(anthropic_harness: Harness) -> None:
    anthropic_harness.server.script(anthropic_harness.success(VALID_TURN_JSON))
    anthropic_harness.make_backend(max_tokens=900).complete(turn_request())
    sent = anthropic_harness.sent()
    assert anthropic_harness.server.requests[0].path == "/v1/messages"
    assert text_of(sent["system"]).startswith("You are the Skeptic.")
    # The shared rules end in a cache breakpoint.
    assert sent["system"][-1]["cache_control"] == {"type": "ephemeral"}
    assert sent["messages"] == [{"role": "user", "content": "Score it."}]
    assert sent["max_tokens"] == 900 and "temperature" not in sent


def test_consecutive_user_messages_are_joined_not_re_roled(anthropic_harness: Harness) -> None:
    request = BackendRequest(
        messages=(
            Message("system", "Rules."),
            Message("user", "The case."),
            Message("user", "The transcript."),
            Message("assistant", "Noted."),
            Message("user", "Your turn."),
        ),
        output_schema=TurnOutput,
        context=RequestContext(task="turn", case=mtor_case()),
    )
    anthropic_harness.server.script(anthropic_harness.success(VALID_TURN_JSON))
    anthropic_harness.backend.complete(request)
    assert anthropic_harness.sent()["messages"] == [
        {"role": "user", "content": "The case.\n\nThe transcript."},
        {"role": "assistant", "content": "Noted."},
        {"role": "user", "content": "Your turn."},
    ]


def test_the_first_text_block_is_read_past_other_blocks(anthropic_harness: Harness) -> None:
    body = message_body(VALID_TURN_JSON, model="claude-reported")
    body["content"] = [
        {"type": "thinking", "thinking": "Weighing the evidence.", "signature": "c2ln"},
        *body["content"],
        {"type": "text", "text": "A second block that must be ignored."},
    ]
    anthropic_harness.server.script(ScriptedReply(body=body))
    result = anthropic_harness.backend.complete(turn_request())
    assert result.raw == VALID_TURN_JSON and result.model == "claude-reported"


def test_a_reply_cut_off_at_max_tokens_is_named_in_the_repair_prompt(
    anthropic_harness: Harness,
) -> None:
    server = anthropic_harness.server
    assert isinstance(server, FakeAnthropicServer)
    server.script(
        server.success(VALID_TURN_JSON[:30], input_tokens=100, stop_reason="max_tokens"),
        server.success(VALID_TURN_JSON, input_tokens=130),
    )
    result = anthropic_harness.backend.complete(turn_request())
    repair_prompt = anthropic_harness.user_texts_of(anthropic_harness.sent(1))[-1]
    assert "not valid JSON" in repair_prompt and "cut off at the token limit" in repair_prompt
    assert result.usage.prompt_tokens == 230
