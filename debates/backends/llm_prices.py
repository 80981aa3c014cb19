"""What a model call cost: token counts times a per-model price, in US dollars.

The default table holds a few common models at their published list prices (USD per million
tokens, checked 2025); operators pass their own with the backend option ``prices={...}``. A
model found in neither costs 0.0 — recorded as zero, never guessed — and ``docs/llm-backends.md``
says so. Names match exactly first, then by the longest table key the model name starts with,
so a dated snapshot such as ``gpt-4o-mini-2024-07-18`` is priced as ``gpt-4o-mini``.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import NamedTuple


class ModelPrice(NamedTuple):
    """US dollars per million input (prompt) tokens and per million output tokens."""

    input_per_million: float
    output_per_million: float


PriceTable = Mapping[str, ModelPrice | tuple[float, float]]

DEFAULT_PRICES: Mapping[str, ModelPrice] = MappingProxyType(
    {
        "gpt-4o-mini": ModelPrice(0.15, 0.60),
        "gpt-4o": ModelPrice(2.50, 10.00),
        "gpt-4.1-nano": ModelPrice(0.10, 0.40),
        "gpt-4.1-mini": ModelPrice(0.40, 1.60),
        "gpt-4.1": ModelPrice(2.00, 8.00),
        "claude-haiku-4-5": ModelPrice(1.00, 5.00),
        "claude-sonnet-4-5": ModelPrice(3.00, 15.00),
        "claude-opus-4-1": ModelPrice(15.00, 75.00),
    }
)


def merged_prices(overrides: PriceTable | None) -> dict[str, ModelPrice]:
    """The default table with ``overrides`` on top, every entry checked to be two prices >= 0."""
    table = dict(DEFAULT_PRICES)
    for model, price in (overrides or {}).items():
        table[model] = _checked_price(model, price)
    return table


def _checked_price(model: str, price: object) -> ModelPrice:
    problem = f"prices[{model!r}] must be (input, output) USD per million tokens; got {price!r}"
    if not isinstance(price, tuple | list) or len(price) != 2:
        raise ValueError(problem)
    try:
        entry = ModelPrice(float(price[0]), float(price[1]))
    except (TypeError, ValueError) as exc:
        raise ValueError(problem) from exc
    if min(entry) < 0 or not all(value < float("inf") for value in entry):
        raise ValueError(f"{problem} (prices must be finite and not negative)")
    return entry


def price_for(model: str, table: Mapping[str, ModelPrice]) -> ModelPrice | None:
    """The price of ``model``: an exact entry, else the longest key it starts with, else None."""
    if model in table:
        return table[model]
    prefixes = [key for key in table if model.startswith(key)]
    return table[max(prefixes, key=len)] if prefixes else None


def cost_usd(
    model: str, *, prompt_tokens: int, completion_tokens: int, table: Mapping[str, ModelPrice]
) -> float:
    """Dollars for one call; 0.0 for a model without a price (see the module docstring)."""
    price = price_for(model, table)
    if price is None:
        return 0.0
    return (
        prompt_tokens * price.input_per_million + completion_tokens * price.output_per_million
    ) / 1_000_000
