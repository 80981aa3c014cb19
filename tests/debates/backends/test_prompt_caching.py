"""Provider prompt caches used and accounted: a whole debate through each loopback fake.

The fakes count cached input by each provider's published rules (``tests.fakes.prompt_cache``):
Anthropic reads only up to the breakpoints the backend sets, OpenAI finds shared prefixes by
itself. The debate's prompts share the rules, the case and the transcript so far, so from the
second turn on most of each prompt is read from the cache, and it is billed as such.
"""

from __future__ import annotations

import pytest

from debates.backends.anthropic_backend import create_anthropic_backend
from debates.backends.base import Usage
from debates.backends.openai_backend import create_openai_backend
from debates.backends.scripted import ScriptedBackend
from debates.fencing import new_fence
from debates.runner import run_debate
from debates.types import DebateConfig, DebateOutcome
from tests.debates.bundled import bundled_cases
from tests.fakes.anthropic_server import FakeAnthropicServer
from tests.fakes.openai_server import FakeOpenAIServer
from tests.fakes.prompt_cache import AnthropicCache, OpenAICache

CONFIG = DebateConfig(backend="scripted", min_rounds=2, max_rounds=4)
# A made-up model with round prices, cache reads at 0.1x and writes at 1.25x the input price.
PRICES = {"house": (1.0, 2.0, 0.1, 1.25)}


def debate(backend: object, token: str) -> DebateOutcome:
    case = bundled_cases()["h-51e7234f"]
    return run_debate(case, config=CONFIG, backend=backend, fence_token=token)  # type: ignore[arg-type]


def total(outcome: DebateOutcome) -> Usage:
    return sum((turn.usage for turn in outcome.turns), Usage())


def test_anthropic_reads_the_shared_prefix_from_its_cache_and_bills_it_so() -> None:
    token = new_fence().token
    with FakeAnthropicServer(caching=True, model="house") as server:
        backend = create_anthropic_backend(
            base_url=server.base_url, model="house", timeout=5.0, prices=PRICES
        )
        outcome = debate(backend, token)
        bodies = [request.json() for request in server.requests]
    turns = outcome.turns
    assert len(turns) >= 5
    first, later = turns[0].usage, [t.usage for t in turns[1:]]
    assert first.cached_read_tokens == 0 and first.cache_write_tokens > 0
    assert all(u.cached_read_tokens > 0 for u in later)
    # Parsed as the provider reports it: prompt_tokens counts cached input too.
    replayed = AnthropicCache()
    for body, turn in zip(bodies, turns, strict=True):
        expected = replayed.usage(body)
        assert turn.usage.prompt_tokens == (
            expected.input_tokens
            + expected.cache_read_input_tokens
            + expected.cache_creation_input_tokens
        )
        assert turn.usage.cached_read_tokens == expected.cache_read_input_tokens
    spent = total(outcome)
    plain = spent.prompt_tokens - spent.cached_read_tokens - spent.cache_write_tokens
    billed_input = plain + 0.1 * spent.cached_read_tokens + 1.25 * spent.cache_write_tokens
    assert spent.cost_usd == pytest.approx((billed_input + 2.0 * spent.completion_tokens) / 1e6)
    assert billed_input < 0.5 * spent.prompt_tokens


def test_openai_gets_one_cache_key_per_debate_and_its_cached_tokens_are_read() -> None:
    token = new_fence().token
    with FakeOpenAIServer(caching=True, model="house") as server:
        backend = create_openai_backend(
            base_url=server.base_url, model="house", timeout=5.0, prices=PRICES
        )
        outcome = debate(backend, token)
        bodies = [request.json() for request in server.requests]
    assert {body["prompt_cache_key"] for body in bodies} == {token}
    replayed = OpenAICache()
    for body, turn in zip(bodies, outcome.turns, strict=True):
        prompt_tokens, cached = replayed.cached_tokens(body)
        assert (turn.usage.prompt_tokens, turn.usage.cached_read_tokens) == (prompt_tokens, cached)
    assert all(t.usage.cached_read_tokens > 0 for t in outcome.turns[2:])
    assert all(t.usage.cache_write_tokens == 0 for t in outcome.turns)


def test_the_scripted_model_needs_no_cache_key_to_debate() -> None:
    outcome = debate(ScriptedBackend(), new_fence().token)
    assert total(outcome).cached_read_tokens == 0


def test_a_new_debate_reads_the_shared_rules_another_debate_cached() -> None:
    """The rules (with the dimension definitions and the reply schema) are the same bytes in
    every debate, the debate's data token being given in the user message, so the first turn
    of a second debate, on another hypothesis, already reads them from the cache."""
    other_case = bundled_cases()["h-94d3a6e8"]
    with FakeAnthropicServer(caching=True, model="house") as server:
        backend = create_anthropic_backend(
            base_url=server.base_url, model="house", timeout=5.0, prices=PRICES
        )
        debate(backend, new_fence().token)
        second = run_debate(
            other_case, config=CONFIG, backend=backend, fence_token=new_fence().token
        )
    opening = second.turns[0].usage
    assert opening.cached_read_tokens >= 1024  # the rules, past the provider's minimum
    assert opening.cache_write_tokens > 0  # and the new case is written after them
    with FakeOpenAIServer(caching=True, model="house") as server:
        backend = create_openai_backend(
            base_url=server.base_url, model="house", timeout=5.0, prices=PRICES
        )
        debate(backend, new_fence().token)
        second = run_debate(
            other_case, config=CONFIG, backend=backend, fence_token=new_fence().token
        )
    assert second.turns[0].usage.cached_read_tokens >= 1024
