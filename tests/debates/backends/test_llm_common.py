"""The pure helpers behind both LLM backends: prompts, repair, errors, prices."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from debates.backends.base import FatalError, Message, RateLimitedError, RetryableError
from debates.backends.llm_common import (
    DATA_FENCE_NOTICE,
    conversation,
    display_url,
    repair_conversation,
    secret_value,
    system_prompt,
)
from debates.backends.llm_errors import error_for_status, retry_after_seconds
from debates.backends.llm_prices import (
    DEFAULT_PRICES,
    ModelPrice,
    cost_usd,
    merged_prices,
    price_for,
)
from debates.schema import TurnOutput


def test_system_messages_are_joined_and_user_turns_never_move() -> None:
    messages = [
        Message("system", "Rules one."),
        Message("user", "Case text."),
        Message("system", "Rules two, in JSON: argument claims scores confidence probability"),
        Message("assistant", "Earlier reply."),
    ]
    prompt = system_prompt(messages, TurnOutput)
    assert prompt.startswith("Rules one.\n\nRules two")
    assert "Case text." not in prompt and "Earlier reply." not in prompt
    assert "JSON Schema" in prompt  # "verdict" is missing, so the schema is appended
    assert prompt.endswith(DATA_FENCE_NOTICE)
    assert conversation(messages) == [messages[1], messages[3]]


def test_the_repair_conversation_replays_the_turns_then_states_the_problem() -> None:
    turns = [Message("user", "Case text.")]
    repaired = repair_conversation(turns, "garbage", "the reply is not valid JSON")
    assert repaired[:2] == [turns[0], Message("assistant", "garbage")]
    assert repaired[2].role == "user" and "the reply is not valid JSON" in repaired[2].content


def test_secret_values_unwrap_and_empty_means_none() -> None:
    assert secret_value(SecretStr("sk-1")) == "sk-1"
    assert secret_value("sk-2") == "sk-2"
    assert secret_value("") is None and secret_value(SecretStr("")) is None


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"Retry-After": "12"}, 12.0),
        ({"retry-after": " 1.5 "}, 1.5),
        ({"Retry-After-Ms": "250", "Retry-After": "9"}, 0.25),
        ({"Retry-After": "Thu, 01 Jan 2026 00:01:00 GMT"}, 60.0),
        ({"Retry-After": "Wed, 31 Dec 2025 23:00:00 GMT"}, 0.0),
        ({"Retry-After": "-5"}, 0.0),
        ({"Retry-After": "soon"}, None),
        ({"Retry-After": "inf"}, None),
        ({}, None),
        (None, None),
    ],
)
def test_retry_after_reads_seconds_milliseconds_and_http_dates(
    headers: dict[str, str] | None, expected: float | None
) -> None:
    new_year = 1_767_225_600.0  # 2026-01-01T00:00:00Z
    assert retry_after_seconds(headers, now=lambda: new_year) == expected


def test_status_codes_sort_into_retryable_rate_limited_and_fatal() -> None:
    limited = error_for_status(429, "slow", provider="P", headers={"Retry-After": "3"})
    assert isinstance(limited, RateLimitedError) and limited.retry_after == 3.0
    for status in (408, 409, 500, 503, 529):
        error = error_for_status(status, "x", provider="P")
        assert isinstance(error, RetryableError) and not isinstance(error, RateLimitedError)
    for status in (400, 401, 403, 404, 413, 422):
        error = error_for_status(status, "x", provider="P")
        assert isinstance(error, FatalError) and not error.retryable
    assert "API key" in str(error_for_status(401, "no", provider="P"))


def test_prices_match_exactly_then_by_longest_prefix_and_unknown_costs_nothing() -> None:
    table = merged_prices({"house-model": (1.0, 2.0)})
    assert price_for("gpt-4o-mini-2024-07-18", table) == DEFAULT_PRICES["gpt-4o-mini"]
    assert price_for("gpt-4o-2024-08-06", table) == DEFAULT_PRICES["gpt-4o"]
    assert price_for("llama3:8b", table) is None
    assert cost_usd("llama3:8b", prompt_tokens=10**6, completion_tokens=10**6, table=table) == 0.0
    assert cost_usd(
        "house-model", prompt_tokens=500_000, completion_tokens=250_000, table=table
    ) == pytest.approx(1.0)


def test_price_overrides_replace_defaults_and_bad_ones_are_refused() -> None:
    assert merged_prices({"gpt-4o": (0.0, 0.0)})["gpt-4o"] == ModelPrice(0.0, 0.0)
    assert merged_prices({"m": (1, 2, 0.1, 1.25)})["m"] == ModelPrice(1.0, 2.0, 0.1, 1.25)
    for bad in ("12", (1.0,), (1.0, -2.0), (float("nan"), 1.0), ("a", "b"), (1.0, 2.0, 0.1)):
        with pytest.raises(ValueError, match=r"prices\['m'\]"):
            merged_prices({"m": bad})  # type: ignore[dict-item]


def test_cached_input_is_priced_at_the_providers_cache_rates() -> None:
    table = merged_prices(None)
    claude = DEFAULT_PRICES["claude-sonnet-4-5"]
    assert (claude.cached_read, claude.cache_write) == pytest.approx((0.3, 3.75))
    # 1M input tokens: 600k read from the cache, 100k written to it, 300k plain.
    cost = cost_usd(
        "claude-sonnet-4-5",
        prompt_tokens=10**6,
        completion_tokens=0,
        cached_read_tokens=600_000,
        cache_write_tokens=100_000,
        table=table,
    )
    assert cost == pytest.approx(0.6 * 0.3 + 0.1 * 3.75 + 0.3 * 3.0)
    # A model priced without cache rates charges cached input as plain input.
    house = merged_prices({"house": (1.0, 2.0)})
    assert cost_usd(
        "house", prompt_tokens=10**6, completion_tokens=0, cached_read_tokens=10**6, table=house
    ) == pytest.approx(1.0)


def test_urls_in_error_messages_hide_credentials() -> None:
    assert display_url("https://user:pw@gw.example/v1") == "https://***@gw.example/v1"
    assert display_url("http://127.0.0.1:8000/v1") == "http://127.0.0.1:8000/v1"
