"""Prompt caches that count the way the providers publish, for the loopback fakes.

Tokens are counted as one per four characters (rounded up), the rule of thumb both providers
give; what matters to the tests is that the same text always counts the same.

- **Anthropic** writes the cache only at explicit breakpoints (``cache_control`` on a block,
  at most four a request), each prefix at least ``ANTHROPIC_MINIMUM`` tokens. A request reads
  the longest cached prefix that ends at one of its block boundaries up to its last breakpoint,
  and writes every breakpoint prefix longer than that; ``input_tokens`` is what is left.
- **OpenAI** caches automatically: a prompt reuses the longest prefix it shares with an earlier
  prompt of at least ``OPENAI_MINIMUM`` tokens, counted in steps of ``OPENAI_STEP``, and
  reports it as ``prompt_tokens_details.cached_tokens`` (part of ``prompt_tokens``).
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass, field
from typing import Any

ANTHROPIC_MINIMUM = 1024
ANTHROPIC_MAX_BREAKPOINTS = 4
OPENAI_MINIMUM = 1024
OPENAI_STEP = 128


def tokens(text: str) -> int:
    return math.ceil(len(text) / 4)


@dataclass(frozen=True)
class AnthropicUsage:
    input_tokens: int
    cache_read_input_tokens: int
    cache_creation_input_tokens: int


def _blocks(content: Any) -> list[tuple[str, bool]]:
    if isinstance(content, str):
        return [(content, False)]
    return [(block.get("text", ""), "cache_control" in block) for block in content or []]


@dataclass
class AnthropicCache:
    cached: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def usage(self, body: dict[str, Any]) -> AnthropicUsage:
        """Count one Messages request against the cache, and cache what it writes."""
        blocks = _blocks(body.get("system", ""))
        for message in body.get("messages", []):
            blocks += _blocks(message.get("content", ""))
        boundaries, breakpoints, text = [], [], ""
        for block, breakpoint in blocks:
            text += block
            boundaries.append(text)
            if breakpoint:
                breakpoints.append(text)
        if len(breakpoints) > ANTHROPIC_MAX_BREAKPOINTS:
            raise ValueError(f"{len(breakpoints)} cache breakpoints; at most 4 are allowed")
        total = tokens(text)
        last = len(breakpoints[-1]) if breakpoints else 0
        with self.lock:
            hits = [p for p in boundaries if len(p) <= last and p in self.cached]
            read = max((tokens(p) for p in hits), default=0)
            new = [p for p in breakpoints if tokens(p) >= ANTHROPIC_MINIMUM and tokens(p) > read]
            written = tokens(new[-1]) - read if new else 0
            self.cached.update(new)
        return AnthropicUsage(total - read - written, read, written)


@dataclass
class OpenAICache:
    seen: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def cached_tokens(self, body: dict[str, Any]) -> tuple[int, int]:
        """(prompt_tokens, cached_tokens) of one chat request; remembers the prompt."""
        prompt = "".join(
            f"<{m.get('role')}>{m.get('content') or ''}" for m in body.get("messages", [])
        )
        with self.lock:
            shared = max((_common_prefix(prompt, earlier) for earlier in self.seen), default=0)
            self.seen.append(prompt)
        shared_tokens = len(prompt[:shared]) // 4  # whole tokens only
        cached = 0
        if shared_tokens >= OPENAI_MINIMUM:
            cached = shared_tokens - shared_tokens % OPENAI_STEP
        return tokens(prompt), cached


def _common_prefix(first: str, second: str) -> int:
    limit = min(len(first), len(second))
    low, high = 0, limit
    while low < high:  # the longest equal prefix, by bisection on slices
        middle = (low + high + 1) // 2
        if first[:middle] == second[:middle]:
            low = middle
        else:
            high = middle - 1
    return low
