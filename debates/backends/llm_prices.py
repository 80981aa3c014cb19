"""What a model call cost: token counts times a per-model price, in US dollars.

The default table holds a few common models at their published list prices (USD per million
tokens, checked 2025), with what each provider charges for prompt-cache reads and writes:
Anthropic reads at 0.1x and writes at 1.25x the input price (5-minute cache), OpenAI reads at
its published discount and does not charge writes. Operators pass their own with the backend
option ``prices={...}``: (input, output) or (input, output, cached read, cache write). A
model found in neither costs 0.0 — recorded as zero, never guessed — and ``docs/llm-backends.md``
says so. Names match exactly first, then by the longest table key the model name starts with,
so a dated snapshot such as ``gpt-4o-mini-2024-07-18`` is priced as ``gpt-4o-mini``.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import NamedTuple


class ModelPrice(NamedTuple):
    """US dollars per million tokens: input, output, and input read from or written to the
    provider's prompt cache (None: charged as plain input)."""

    input_per_million: float
    output_per_million: float
    cached_read_per_million: float | None = None
    cache_write_per_million: float | None = None

    @property
    def cached_read(self) -> float:
        return (
            self.input_per_million
            if self.cached_read_per_million is None
            else (self.cached_read_per_million)
        )

    @property
    def cache_write(self) -> float:
        return (
            self.input_per_million
            if self.cache_write_per_million is None
            else (self.cache_write_per_million)
        )


PriceTable = Mapping[str, ModelPrice | tuple[float, ...]]


def _anthropic(input_price: float, output_price: float) -> ModelPrice:
    return ModelPrice(input_price, output_price, input_price * 0.1, input_price * 1.25)


DEFAULT_PRICES: Mapping[str, ModelPrice] = MappingProxyType(
    {
        "gpt-4o-mini": ModelPrice(0.15, 0.60, 0.075, 0.15),
        "gpt-4o": ModelPrice(2.50, 10.00, 1.25, 2.50),
        "gpt-4.1-nano": ModelPrice(0.10, 0.40, 0.025, 0.10),
        "gpt-4.1-mini": ModelPrice(0.40, 1.60, 0.10, 0.40),
        "gpt-4.1": ModelPrice(2.00, 8.00, 0.50, 2.00),
        "claude-haiku-4-5": _anthropic(1.00, 5.00),
        "claude-sonnet-4-5": _anthropic(3.00, 15.00),
        "claude-opus-4-1": _anthropic(15.00, 75.00),
    }
)


def merged_prices(overrides: PriceTable | None) -> dict[str, ModelPrice]:
    """The default table with ``overrides`` on top, every entry checked to be two prices >= 0."""
    table = dict(DEFAULT_PRICES)
    for model, price in (overrides or {}).items():
        table[model] = _checked_price(model, price)
    return table


def _checked_price(model: str, price: object) -> ModelPrice:
    problem = (
        f"prices[{model!r}] must be (input, output) or (input, output, cached read, cache "
        f"write) USD per million tokens; got {price!r}"
    )
    if not isinstance(price, tuple | list) or len(price) not in (2, 4):
        raise ValueError(problem)
    try:
        values = [float(value) for value in price]
    except (TypeError, ValueError) as exc:
        raise ValueError(problem) from exc
    if min(values) < 0 or not all(value < float("inf") for value in values):
        raise ValueError(f"{problem} (prices must be finite and not negative)")
    return ModelPrice(*values)


def price_for(model: str, table: Mapping[str, ModelPrice]) -> ModelPrice | None:
    """The price of ``model``: an exact entry, else the longest key it starts with, else None."""
    if model in table:
        return table[model]
    prefixes = [key for key in table if model.startswith(key)]
    return table[max(prefixes, key=len)] if prefixes else None


def cost_usd(
    model: str,
    *,
    prompt_tokens: int,
    completion_tokens: int,
    table: Mapping[str, ModelPrice],
    cached_read_tokens: int = 0,
    cache_write_tokens: int = 0,
) -> float:
    """Dollars for one call; 0.0 for a model without a price (see the module docstring).

    ``prompt_tokens`` counts every input token; the cached reads and cache writes among them
    are priced at their own rates, the rest as plain input.
    """
    price = price_for(model, table)
    if price is None:
        return 0.0
    plain = max(0, prompt_tokens - cached_read_tokens - cache_write_tokens)
    return (
        plain * price.input_per_million
        + cached_read_tokens * price.cached_read
        + cache_write_tokens * price.cache_write
        + completion_tokens * price.output_per_million
    ) / 1_000_000


# Both providers' batch APIs (OpenAI Batch, Anthropic Message Batches) bill every token kind,
# cache reads and writes included, at half the live price.
BATCH_PRICE_FACTOR = 0.5
