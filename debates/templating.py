"""A jinja environment for templates that many threads render at once: each is compiled once.

Jinja caches a compiled template but does not lock the compiling, so every thread that asks
for a template before it is cached compiles it for itself. A debates worker's threads begin
their first debates together, in a burst: 32 threads asking at once for the prompt templates
cost about half a second of CPU (``bench/first_prompts.py``), where compiling each once costs
some 40 ms, and that CPU came out of the burst's first second. Here one thread compiles a
template and the others wait for it; a worker compiles them all before it takes its first
message (``workers.warmup``).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, MutableMapping
from typing import Any

from jinja2 import Environment, Template


class CompileOnceEnvironment(Environment):
    """An Environment whose templates are compiled once, however many threads first ask."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        # Reentrant: a template's imports are loaded through the same methods.
        self._compiling = threading.RLock()

    def get_template(
        self,
        name: str | Template,
        parent: str | None = None,
        globals: MutableMapping[str, Any] | None = None,
    ) -> Template:
        with self._compiling:
            return super().get_template(name, parent, globals)

    def select_template(
        self,
        names: Iterable[str | Template],
        parent: str | None = None,
        globals: MutableMapping[str, Any] | None = None,
    ) -> Template:
        with self._compiling:
            return super().select_template(names, parent, globals)

    def precompile(self) -> int:
        """Compile every template the loader holds, now; how many there are."""
        names = self.list_templates()
        for name in names:
            self.get_template(name)
        return len(names)
