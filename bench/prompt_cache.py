"""Billed input per debate with the cache-friendly prompt layout, on the caching loopback fakes.

Every bundled hypothesis is debated (default configuration, the debate's own fence token) by
the real ``anthropic`` and ``openai`` backends against the loopback fakes, which count cached
input by each provider's published rules (``tests/fakes/prompt_cache.py``). For each debate:

- **prompt**: every input token sent, which is what the layout before issue 15 was billed.
  Its system prompt began with the persona and carried a fence token re-derived from the
  transcript at every turn, so no two turns shared a prefix of the 1,024 tokens either
  provider needs before it caches anything;
- **billed**: the input token-equivalents billed now, cache reads at the provider's discount
  (Anthropic 0.1x, with writes at 1.25x; OpenAI 0.5x, the gpt-4o family's, and no write
  charge).

    .venv/bin/python -m bench.prompt_cache

Prints one markdown row per provider: debates, median prompt and billed tokens per debate,
median billed/prompt ratio, and the ratio of the totals. The fakes answer instantly; the
figures are token counts, so the machine's load does not move them.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable

from debates.backends.anthropic_backend import create_anthropic_backend
from debates.backends.base import AgentBackend, Usage
from debates.backends.openai_backend import create_openai_backend
from debates.fencing import new_fence
from debates.runner import run_debate
from debates.types import DebateConfig
from tests.debates.bundled import bundled_cases
from tests.fakes.anthropic_server import FakeAnthropicServer
from tests.fakes.openai_server import FakeOpenAIServer

# A made-up model priced 1.0 per input token, so cost is counted in input-token equivalents.
ANTHROPIC_PRICES = {"house": (1.0, 0.0, 0.1, 1.25)}
OPENAI_PRICES = {"house": (1.0, 0.0, 0.5, 1.0)}


def debate_usage(backend: AgentBackend) -> list[Usage]:
    """Each bundled hypothesis's debate, its turns' usage summed."""
    totals = []
    for case in bundled_cases().values():
        outcome = run_debate(
            case,
            config=DebateConfig(backend="scripted"),
            backend=backend,
            fence_token=new_fence().token,
        )
        totals.append(sum((turn.usage for turn in outcome.turns), Usage()))
    return totals


def row(provider: str, usages: list[Usage]) -> str:
    # With output priced 0 and input 1.0 per token, cost_usd * 1e6 is billed input equivalents.
    ratios = [u.cost_usd * 1e6 / u.prompt_tokens for u in usages]
    total = sum(u.cost_usd * 1e6 for u in usages) / sum(u.prompt_tokens for u in usages)
    billed = statistics.median(u.cost_usd * 1e6 for u in usages)
    return (
        f"| {provider} | {len(usages)} | {statistics.median(u.prompt_tokens for u in usages):.0f} "
        f"| {billed:.0f} | {statistics.median(ratios):.3f} | {total:.3f} |"
    )


def run(provider: str, make: Callable[[str], AgentBackend], server: object) -> str:
    with server:  # type: ignore[attr-defined]
        backend = make(server.base_url)  # type: ignore[attr-defined]
        return row(provider, debate_usage(backend))


def main() -> None:
    print(
        "| provider (fake) | debates | median prompt tokens | median billed tokens "
        "| median billed / prompt | total |"
    )
    print("| --- | --- | --- | --- | --- | --- |")
    print(
        run(
            "anthropic",
            lambda url: create_anthropic_backend(
                base_url=url, model="house", timeout=10.0, prices=ANTHROPIC_PRICES
            ),
            FakeAnthropicServer(caching=True, model="house"),
        )
    )
    print(
        run(
            "openai",
            lambda url: create_openai_backend(
                base_url=url, model="house", timeout=10.0, prices=OPENAI_PRICES
            ),
            FakeOpenAIServer(caching=True, model="house"),
        )
    )


if __name__ == "__main__":
    main()
