"""Plain-text rendering for the offline backend: templates in ``templates/evidence/``.

The output is plain text stored in the ledger, not HTML, so autoescaping is off here; whatever
shows an argument in a web page escapes it there (the API's templates autoescape). Case text
reaches the templates only as variables, flattened to one line and cut to a bounded length.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined

from debates.rubric import Weighed

_SPACE = re.compile(r"\s+")


@lru_cache(maxsize=1)
def environment() -> Environment:
    return Environment(
        loader=PackageLoader("debates", "templates/evidence"),
        autoescape=False,  # noqa: S701 - plain-text arguments, escaped where shown as HTML
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )


def render(template: str, view: dict[str, Any]) -> str:
    """Render ``template``; runs of blank lines left by optional sections collapse to one."""
    text = environment().get_template(template).render(**view)
    lines: list[str] = []
    for line in text.strip().splitlines():
        line = line.rstrip()
        if line or (lines and lines[-1]):
            lines.append(line)
    return "\n".join(lines)


def plain(text: str, limit: int) -> str:
    """``text`` on one line, without control characters, cut to ``limit`` characters."""
    flat = _SPACE.sub(" ", "".join(c if c.isprintable() else " " for c in text)).strip()
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def evidence_view(weighed: Weighed) -> dict[str, Any]:
    item = weighed.item
    details = [item.study_type]
    if item.organism:
        details.append(plain(item.organism, 40))
    if item.year is not None:
        details.append(str(item.year))
    if item.sample_size is not None:
        details.append(f"n={item.sample_size}")
    if item.replicated is not None:
        details.append("replicated" if item.replicated else "not replicated")
    return {
        "citation": plain(item.citation, 120),
        "direction": item.direction,
        "details": ", ".join(details),
        "claim": plain(item.claim, 200),
        "weight": f"{weighed.weight:.2f}",
    }
