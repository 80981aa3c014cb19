"""Turning pydantic's validation errors into problems a curator can act on.

Each problem names the record and the field path inside it (``evidence[0].citation``), and
where it is cheap, suggests the closest valid spelling.
"""

from __future__ import annotations

import difflib
import re
import types
import typing
from collections.abc import Iterable, Sequence
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from storage.errors import Problem
from storage.importing.reading import Document

_QUOTED = re.compile(r"'([^']*)'")


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """``"; did you mean 'x'?"`` when one choice is close to ``word``, else ``""``."""
    by_fold = {choice.lower(): choice for choice in choices}
    close = difflib.get_close_matches(word.lower(), list(by_fold), n=1, cutoff=0.6)
    return f"; did you mean {by_fold[close[0]]!r}?" if close else ""


def field_path(loc: Sequence[str | int]) -> str:
    """``("evidence", 0, "citation")`` -> ``"evidence[0].citation"``."""
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else part
    return text


def problems_from_validation(
    error: ValidationError,
    *,
    model: type[BaseModel],
    document: Document,
    record: str,
    base: tuple[str | int, ...],
) -> list[Problem]:
    """One problem per pydantic error, located at ``base`` (the record's path in the file)."""
    problems = []
    for detail in error.errors(include_url=False):
        loc = tuple(detail["loc"])
        problems.append(
            Problem(
                file=document.file,
                record=record,
                field=field_path(loc) or None,
                message=_message(detail, model=model, loc=loc),
                line=document.line_of(base + loc),
            )
        )
    # In file order, which is how a curator fixes them (pydantic reports in field order).
    return sorted(problems, key=lambda p: p.line if p.line is not None else 0)


def _message(detail: ErrorDetails, *, model: type[BaseModel], loc: tuple[str | int, ...]) -> str:
    kind = detail["type"]
    given = detail.get("input")
    if kind == "extra_forbidden":
        known = _fields_at(model, loc[:-1])
        return "unknown field" + did_you_mean(str(loc[-1]), known)
    if kind == "missing":
        return "this field is required"
    if kind in ("enum", "literal_error"):
        expected = str((detail.get("ctx") or {}).get("expected", ""))
        hint = did_you_mean(str(given), _QUOTED.findall(expected)) if given is not None else ""
        return f"{given!r} is not allowed; expected {expected}{hint}"
    message = detail["msg"].removeprefix("Value error, ")
    if kind in ("string_too_long", "less_than_equal", "greater_than_equal", "too_long"):
        message += f" (got {_shorten(given)})"
    return message


def _fields_at(model: type[BaseModel], loc: tuple[str | int, ...]) -> list[str]:
    """The field names of the model found by following ``loc`` from ``model``."""
    current: Any = model
    for part in loc:
        if isinstance(part, int):
            continue
        fields = getattr(current, "model_fields", {})
        if part not in fields:
            return []
        current = _model_inside(fields[part].annotation)
        if current is None:
            return []
    return list(getattr(current, "model_fields", {}))


def _model_inside(annotation: Any) -> type[BaseModel] | None:
    """The model type within ``list[X]``, ``X | None`` and the like, if any."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    origin = typing.get_origin(annotation)
    if origin in (list, typing.Union, types.UnionType):
        for arg in typing.get_args(annotation):
            found = _model_inside(arg)
            if found is not None:
                return found
    return None


def _shorten(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
