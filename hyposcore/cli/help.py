"""``--help`` as a command-line user reads it: readable value names, and prose that wraps.

Typer (0.29) labels every value with its Python annotation (``<bool>``, ``<list[Path]>``,
``<int range>``), which reads as an implementation detail; ``install`` gives the names a
command-line user expects (INTEGER, PATH, a|b, nothing for on/off flags: the ones click has
always shown). ``reflow_help`` lets the terminal, not the source's line breaks, wrap the text.
"""

from __future__ import annotations

import inspect
from datetime import datetime
from typing import Any, get_args, get_origin

import typer
import typer.core

_NAMES: dict[Any, str] = {int: "INTEGER", float: "NUMBER", str: "TEXT", datetime: "DATETIME"}


def readable_type(param: typer.core.TyperOption | typer.core.TyperArgument) -> str | None:
    """The label of ``param``'s value: None for an on/off flag."""
    if isinstance(param, typer.core.TyperOption) and param.is_flag:
        return None
    desc = param.type_descriptor
    if desc.is_choice:
        return "|".join(str(getattr(c, "value", c)) for c in desc.choices or ())
    if desc.is_path or desc.is_file:
        return "PATH"
    annotation: Any = desc.annotation
    if get_origin(annotation) is list:
        (annotation,) = get_args(annotation)
    if annotation is bool:
        return None
    name = getattr(annotation, "__name__", str(annotation))
    return _NAMES.get(annotation, name.upper())


def _option_type(self: typer.core.TyperOption, ctx: Any) -> str | None:
    return readable_type(self)


def _argument_type(self: typer.core.TyperArgument, ctx: Any) -> str | None:
    # An argument's name (FILE..., ID) already says what it is; only numbers get a label.
    label = readable_type(self)
    return None if label in ("TEXT", "PATH") else label


def install() -> None:
    """Use readable labels in every command's help (idempotent)."""
    typer.core.TyperOption.display_type = _option_type  # type: ignore[method-assign,assignment]
    typer.core.TyperArgument.display_type = _argument_type  # type: ignore[method-assign,assignment]


def reflowed(doc: str) -> str:
    """``doc`` with each paragraph on one line, so the terminal wraps it at its own width.

    Typer's rich help keeps a docstring's hard line breaks after its first paragraph, so text
    wrapped at 95 columns in the source came out ragged in an 80-column terminal. A paragraph
    that starts with ``\\b`` keeps its lines, as click's own escape asks.
    """
    paragraphs = inspect.cleandoc(doc).split("\n\n")
    return "\n\n".join(p if p.startswith("\b") else " ".join(p.split()) for p in paragraphs)


def reflow_help(typer_app: typer.Typer) -> None:
    """Reflow every command's help, and give each a one-line summary for the command lists."""
    for info in typer_app.registered_commands:
        doc = info.help or (info.callback.__doc__ if info.callback else None)
        if doc:
            info.help = reflowed(doc)
            if info.short_help is None:
                info.short_help = info.help.split("\n\n")[0]
    for group in typer_app.registered_groups:
        if group.typer_instance is not None:
            reflow_help(group.typer_instance)
