"""Both LLM backends against real HTTP servers on loopback that speak their wire formats."""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import pytest
from pydantic import SecretStr

from debates.backends.base import (
    BackendError,
    BackendRequest,
    FatalError,
    InvalidOutputError,
    Message,
    RateLimitedError,
    RequestContext,
    RetryableError,
    Usage,
)
from debates.backends.llm_common import (
    DATA_FENCE_NOTICE,
    UnrepairableReplyError,
    schema_instruction,
)
from debates.backends.registry import available, create
from debates.citations import check_citations
from debates.schema import JudgeOutput, TurnOutput
from tests.debates.backends.conftest import Harness, mtor_case, turn_request
from tests.fakes.replies import VALID_JUDGE_JSON, VALID_TURN, VALID_TURN_JSON
from tests.fakes.scripted_server import ScriptedReply
from tests.servers import free_port
from tests.workers.harness import wait_for


def _turn(**changes: object) -> str:
    return json.dumps(VALID_TURN | changes)


def test_a_valid_reply_becomes_a_validated_output_with_usage_and_cost(harness: Harness) -> None:
    harness.server.script(harness.success(VALID_TURN_JSON, tokens_in=1200, tokens_out=300))
    backend = harness.make_backend(model="priced-model", prices={"priced-model": (2.0, 10.0)})

    result = backend.complete(turn_request())

    assert result.output == TurnOutput.model_validate(VALID_TURN)
    assert result.usage.prompt_tokens == 1200 and result.usage.completion_tokens == 300
    assert result.usage.cost_usd == pytest.approx((1200 * 2.0 + 300 * 10.0) / 1e6)
    assert result.raw == VALID_TURN_JSON
    assert result.latency_ms > 0
    assert harness.sent()["model"] == "priced-model"
    assert len(harness.server.requests) == 1


def test_a_model_without_a_price_costs_zero_but_still_counts_tokens(harness: Harness) -> None:
    harness.server.script(harness.success(VALID_TURN_JSON, tokens_in=10, tokens_out=5))
    result = harness.make_backend(model="some-local-llama").complete(turn_request())
    assert result.usage == Usage(prompt_tokens=10, completion_tokens=5, cost_usd=0.0)


@pytest.mark.parametrize("api_key", ["sk-test-123", SecretStr("sk-test-123")])
def test_the_api_key_is_sent_and_sdk_retries_are_off(
    harness: Harness, api_key: str | SecretStr
) -> None:
    harness.server.script(harness.error(500))
    with pytest.raises(RetryableError):
        harness.make_backend(api_key=api_key).complete(turn_request())
    headers = harness.server.requests[0].headers
    assert "sk-test-123" in headers.get("authorization", "") + headers.get("x-api-key", "")
    assert len(harness.server.requests) == 1  # the workers own retries, not the SDK


@pytest.mark.parametrize(
    ("retry_after", "expected"),
    [("7", 7.0), ("0.25", 0.25), (None, None)],
)
def test_429_is_rate_limited_with_the_wait_from_retry_after(
    harness: Harness, retry_after: str | None, expected: float | None
) -> None:
    headers = {"Retry-After": retry_after} if retry_after is not None else {}
    harness.server.script(harness.error(429, headers=headers))
    with pytest.raises(RateLimitedError) as caught:
        harness.backend.complete(turn_request())
    assert caught.value.retry_after == expected
    assert caught.value.retryable and "429" in str(caught.value)


def test_429_with_an_http_date_waits_until_that_date(harness: Harness) -> None:
    when = datetime.now(UTC) + timedelta(seconds=120)
    harness.server.script(harness.error(429, headers={"Retry-After": format_datetime(when, True)}))
    with pytest.raises(RateLimitedError) as caught:
        harness.backend.complete(turn_request())
    assert caught.value.retry_after is not None
    assert 100 < caught.value.retry_after <= 120


@pytest.mark.parametrize("status", [500, 502, 503, 529, 408])
def test_server_errors_are_retryable(harness: Harness, status: int) -> None:
    harness.server.script(harness.error(status))
    with pytest.raises(RetryableError) as caught:
        harness.backend.complete(turn_request())
    assert not isinstance(caught.value, RateLimitedError)
    assert f"HTTP {status}" in str(caught.value)


@pytest.mark.parametrize("status", [400, 401, 403, 404, 422])
def test_client_errors_are_fatal_and_name_the_status(harness: Harness, status: int) -> None:
    harness.server.script(harness.error(status))
    with pytest.raises(FatalError) as caught:
        harness.backend.complete(turn_request())
    assert not caught.value.retryable
    assert f"HTTP {status}" in str(caught.value) and f"scripted {status}" in str(caught.value)


def test_a_reply_slower_than_the_timeout_is_retryable(harness: Harness) -> None:
    harness.server.script(ScriptedReply(delay=2.0))
    with pytest.raises(RetryableError, match=r"did not answer within 0\.5 s"):
        harness.make_backend(timeout=0.5).complete(turn_request())
    # The server records a request as it reads it; on a stalled machine that can come after the
    # client has given up, so wait for it before counting.
    wait_for(lambda: bool(harness.server.requests), 5, "the request to be recorded", interval=0.01)
    assert len(harness.server.requests) == 1


def test_an_endpoint_that_refuses_connections_is_retryable(harness: Harness) -> None:
    port = free_port()
    backend = harness.make_backend(base_url=f"http://127.0.0.1:{port}/v1")
    with pytest.raises(RetryableError, match="could not reach"):
        backend.complete(turn_request())


def test_a_reply_that_is_not_json_is_repaired_once_then_fails_clearly(harness: Harness) -> None:
    prose = "I find this hypothesis quite promising overall. " * 20
    harness.server.script(
        harness.success(prose, tokens_in=100, tokens_out=40),
        harness.success("Still no JSON, sorry.", tokens_in=150, tokens_out=10),
    )
    with pytest.raises(InvalidOutputError) as caught:
        harness.backend.complete(turn_request())

    message = str(caught.value)
    assert "not valid JSON" in message and "Still no JSON, sorry." in message
    assert isinstance(caught.value, UnrepairableReplyError)
    assert caught.value.usage.prompt_tokens == 250 and caught.value.usage.completion_tokens == 50
    assert len(harness.server.requests) == 2
    repair = harness.sent(1)
    assert harness.roles_of(repair)[-2:] == ["assistant", "user"]
    assert "not valid JSON" in harness.user_texts_of(repair)[-1]
    assert harness.user_texts_of(repair)[0] == harness.user_texts_of(harness.sent(0))[0]


def test_a_repair_call_that_fails_carries_the_usage_of_the_first_call(harness: Harness) -> None:
    # The first call was billed; losing its tokens because the repair failed undercounts spend.
    harness.server.script(
        harness.success("no JSON here", tokens_in=120, tokens_out=30),
        harness.error(500),
    )
    with pytest.raises(RetryableError) as caught:
        harness.backend.complete(turn_request())

    assert caught.value.usage.prompt_tokens == 120
    assert caught.value.usage.completion_tokens == 30
    assert len(harness.server.requests) == 2


def test_one_bad_reply_then_a_good_one_succeeds_with_both_calls_counted(harness: Harness) -> None:
    harness.server.script(
        harness.success("{not json", tokens_in=100, tokens_out=20),
        harness.success(VALID_TURN_JSON, tokens_in=180, tokens_out=90),
    )
    result = harness.make_backend(model="m", prices={"m": (1.0, 1.0)}).complete(turn_request())
    assert result.output.verdict == "uncertain"
    assert result.usage.prompt_tokens == 280 and result.usage.completion_tokens == 110
    assert result.usage.cost_usd == pytest.approx(390 / 1e6)
    assert result.raw == VALID_TURN_JSON


def test_scores_out_of_range_are_rejected_with_the_field_named(harness: Harness) -> None:
    out_of_range = _turn(scores={"novelty": 1.7}, confidence=-0.2)
    harness.server.script(harness.success(out_of_range), harness.success(out_of_range))
    with pytest.raises(InvalidOutputError) as caught:
        harness.backend.complete(turn_request())
    message = str(caught.value)
    assert "scores.novelty" in message and "1.7" in message
    assert "confidence" in message
    # The repair prompt told the model exactly what was wrong.
    assert "scores.novelty" in harness.user_texts_of(harness.sent(1))[-1]


def test_scores_out_of_range_are_fixed_by_the_repair_attempt(harness: Harness) -> None:
    harness.server.script(
        harness.success(_turn(scores={"novelty": 1.7})),
        harness.success(_turn(scores={"novelty": 0.7})),
    )
    result = harness.backend.complete(turn_request())
    assert result.output.scores == {"novelty": 0.7}


def test_a_reply_wrapped_in_a_json_code_fence_is_accepted(harness: Harness) -> None:
    harness.server.script(harness.success(f"Here it is:\n```json\n{VALID_TURN_JSON}\n```\n"))
    result = harness.backend.complete(turn_request())
    assert result.output == TurnOutput.model_validate(VALID_TURN)
    assert len(harness.server.requests) == 1


def test_a_citation_missing_from_the_evidence_passes_through_to_be_flagged(
    harness: Harness,
) -> None:
    claims = [
        {"text": "APOE4 slows autophagic flux.", "citations": ["PMID:31023831"]},
        {"text": "Rapamycin restores it in humans.", "citations": ["PMID:99999999"]},
    ]
    harness.server.script(harness.success(_turn(claims=claims)))
    case = mtor_case()

    result = harness.backend.complete(turn_request(case))

    assert [claim.citations for claim in result.output.claims] == [
        ["PMID:31023831"],
        ["PMID:99999999"],
    ]
    assert check_citations(result.output, case).unsupported == ("PMID:99999999",)


def test_the_schema_is_added_to_the_system_prompt_only_when_missing(harness: Harness) -> None:
    harness.server.script(harness.success(VALID_TURN_JSON), harness.success(VALID_TURN_JSON))
    backend = harness.backend
    backend.complete(turn_request(system="You are the Skeptic."))
    schema = json.dumps(TurnOutput.model_json_schema(), indent=2, sort_keys=True)
    described = f"Reply with JSON matching this schema:\n{schema}"
    backend.complete(turn_request(system=described))

    first, second = (harness.system_of(harness.sent(i)) for i in (0, 1))
    added = schema_instruction(TurnOutput)
    assert first == f"You are the Skeptic.\n\n{added}\n\n{DATA_FENCE_NOTICE}"
    assert second == f"{described}\n\n{DATA_FENCE_NOTICE}"


def test_a_missing_sdk_is_a_fatal_error_naming_the_extra(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, harness.provider, None)
    with pytest.raises(FatalError, match=rf"pip install 'hyposcore\[{harness.provider}\]'"):
        harness.make_backend()


def test_no_key_for_the_provider_itself_is_fatal_but_a_local_endpoint_needs_none(
    harness: Harness,
) -> None:
    with pytest.raises(FatalError, match="no API key"):
        harness.make_backend(base_url=None, api_key=None)
    harness.server.script(harness.success(VALID_TURN_JSON))
    assert harness.make_backend(api_key=None).complete(turn_request()).output.verdict


def test_bad_factory_options_fail_clearly(harness: Harness) -> None:
    with pytest.raises(FatalError, match="timeout must be positive"):
        harness.make_backend(timeout=0)
    with pytest.raises(FatalError, match=r"prices\['x'\]"):
        harness.make_backend(prices={"x": (1.0,)})


def test_the_registry_lists_and_creates_both_backends(harness: Harness) -> None:
    assert {"openai", "anthropic"} <= set(available())
    harness.server.script(harness.success(VALID_TURN_JSON))
    backend = create(
        harness.provider, base_url=harness.server.base_url, model="test-model", timeout=0.5
    )
    assert backend.name == harness.provider
    assert backend.complete(turn_request()).output.probability == VALID_TURN["probability"]


def test_a_tournament_judge_request_gets_a_judge_output(harness: Harness) -> None:
    request = BackendRequest(
        messages=(Message("system", "Judge which hypothesis is stronger."), Message("user", "A/B")),
        output_schema=JudgeOutput,
        context=RequestContext(task="judge", case=mtor_case(), other=mtor_case("Other.")),
    )
    harness.server.script(harness.success(VALID_JUDGE_JSON))
    result = harness.backend.complete(request)
    assert result.output == JudgeOutput.model_validate_json(VALID_JUDGE_JSON)
    assert '"winner"' in harness.system_of(harness.sent())  # the judge schema was added


@pytest.mark.parametrize("body", [[1, 2], {"error": "gone"}, {"choices": "x", "content": "x"}])
def test_json_of_another_shape_is_refused_with_the_endpoint_named(
    harness: Harness, body: Any
) -> None:
    # The replies are read from their JSON, not from the SDKs' models: a body of another
    # shape is an error naming the endpoint, never a turn with empty text.
    harness.server.script(ScriptedReply(body=body))
    with pytest.raises(BackendError, match=r"127\.0\.0\.1"):
        harness.backend.complete(turn_request())


def test_usage_fields_of_the_wrong_type_count_as_zero_not_as_a_crash(harness: Harness) -> None:
    reply = harness.success(VALID_TURN_JSON)
    body = dict(reply.body) if isinstance(reply.body, Mapping) else {}
    body["usage"] = {"prompt_tokens": "many", "input_tokens": None, "output_tokens": True}
    harness.server.script(ScriptedReply(body=body))
    result = harness.backend.complete(turn_request())
    assert result.usage.prompt_tokens == 0 and result.usage.completion_tokens == 0
