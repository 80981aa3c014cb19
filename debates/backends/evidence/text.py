"""Plain-text rendering for the offline backend: templates in ``templates/evidence/``.

The output is plain text stored in the ledger, not HTML, so autoescaping is off here; whatever
shows an argument in a web page escapes it there (the API's templates autoescape). Case text
reaches the templates only as variables, flattened to one line and cut to a bounded length.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from jinja2 import PackageLoader, StrictUndefined

from debates.case import Evidence
from debates.templating import CompileOnceEnvironment

_SPACE = re.compile(r"\s+")
_DICT_ATTRIBUTES = frozenset(dir(dict))


class _ViewEnvironment(CompileOnceEnvironment):
    """An environment that reads ``view.key`` from a plain dict by key straight away.

    Jinja tries the attribute first and falls back to the key, so every lookup in a view
    raises and catches an AttributeError. For a plain dict and a name that is not one of
    dict's own attributes that first try can only fail: skipping it gives the same value.
    """

    def getattr(self, obj: Any, attribute: str) -> Any:
        if type(obj) is dict and attribute not in _DICT_ATTRIBUTES:
            try:
                return obj[attribute]
            except KeyError:
                return self.undefined(obj=obj, name=attribute)
        return super().getattr(obj, attribute)


@lru_cache(maxsize=1)
def environment() -> CompileOnceEnvironment:
    return _ViewEnvironment(
        loader=PackageLoader("debates.backends.evidence", "templates"),
        autoescape=False,  # plain-text arguments, escaped where shown as HTML
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
        auto_reload=False,  # packaged templates do not change under a running process
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
    if not text.isprintable():  # rare: walk the characters only when there is one to replace
        text = "".join(c if c.isprintable() else " " for c in text)
    flat = _SPACE.sub(" ", text).strip()
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def item_view(item: Evidence) -> dict[str, str]:
    """What an argument shows of one evidence item, whatever weight a lens gives it."""
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
    }
