"""A provider's reply, read: its text and token counts (``RawReply``), the JSON object in it,
validated against an output schema, and what is wrong with it when it cannot be used.

Both provider backends, both batch APIs and the workers that collect batch answers read replies
through these functions, so every reply is judged by the same rules.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from debates.backends.base import OutputT

_CODE_FENCE = re.compile(r"```[ \t]*(?:json|JSON)?[ \t]*\n(?P<body>.*?)\n?[ \t]*```", re.DOTALL)
_EXCERPT_CHARS = 400


class UnusableReplyError(Exception):
    """A reply that cannot be used; ``str(problem)`` says why, for the repair prompt."""


@dataclass(frozen=True)
class RawReply:
    """One provider answer, before validation."""

    text: str
    prompt_tokens: int = 0  # every input token, cached or not
    completion_tokens: int = 0
    model: str | None = None
    truncated: bool = False  # the provider stopped at its token limit
    cached_read_tokens: int = 0
    cache_write_tokens: int = 0


def excerpt(text: str, limit: int = _EXCERPT_CHARS) -> str:
    flat = text.strip()
    return flat if len(flat) <= limit else f"{flat[:limit]}… ({len(flat)} chars)"


def fields(value: object) -> Mapping[str, Any]:
    """A JSON object of a provider's reply, or no fields when the reply put something else
    there: readers then fall back to their defaults instead of failing on a type."""
    return value if isinstance(value, Mapping) else {}


def count(value: object) -> int:
    """A token count from a provider's JSON; absent or not a whole number counts 0."""
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


def parse_json_object(text: str) -> dict[str, Any]:
    """The JSON object in a reply, tolerating a ```json fence or prose around one object."""
    stripped = text.strip()
    if not stripped:
        raise UnusableReplyError("the reply was empty")
    fenced = _CODE_FENCE.search(stripped)
    candidates = [fenced.group("body").strip()] if fenced else []
    candidates.append(stripped)
    start, end = stripped.find("{"), stripped.rfind("}")
    if 0 <= start < end:
        candidates.append(stripped[start : end + 1])
    first_error: json.JSONDecodeError | None = None
    for candidate in candidates:
        try:
            data = json.loads(candidate)
        except json.JSONDecodeError as exc:
            first_error = first_error or exc
            continue
        if not isinstance(data, dict):
            raise UnusableReplyError(
                f"the reply is JSON but not an object (it is a {type(data).__name__})"
            )
        return data
    assert first_error is not None  # at least one candidate was tried and failed
    raise UnusableReplyError(
        f"the reply is not valid JSON: {first_error.msg} at line {first_error.lineno} "
        f"column {first_error.colno}"
    )


def summarize_validation_error(error: ValidationError, *, limit: int = 8) -> str:
    """Pydantic's complaints as one line each: where, what, and the offending value."""
    lines = []
    for item in error.errors()[:limit]:
        where = ".".join(str(part) for part in item["loc"]) or "(the object)"
        shown = "" if item["type"] == "missing" else f" (got {_short_repr(item.get('input'))})"
        lines.append(f"{where}: {item['msg']}{shown}")
    hidden = error.error_count() - limit
    if hidden > 0:
        lines.append(f"... and {hidden} more")
    return "; ".join(lines)


def _short_repr(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else f"{text[:77]}..."


def validate_reply(reply: RawReply, schema: type[OutputT]) -> OutputT:
    """The reply as a validated ``schema`` instance; ``UnusableReplyError`` says what is wrong."""
    try:
        data = parse_json_object(reply.text)
        return schema.model_validate(data)
    except (UnusableReplyError, ValidationError) as exc:
        problem = summarize_validation_error(exc) if isinstance(exc, ValidationError) else str(exc)
        if reply.truncated:
            problem += " (the reply was cut off at the token limit)"
        raise UnusableReplyError(problem) from exc
