"""Templates are compiled once, however many threads first ask for them together."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

from jinja2 import DictLoader, Environment, Template

from debates.templating import CompileOnceEnvironment

SOURCES = {
    "page.j2": '{% import "macros.j2" as m %}{{ m.shout(name) }}',
    "macros.j2": "{% macro shout(x) %}{{ x | upper }}!{% endmacro %}",
}


class SlowCountingLoader(DictLoader):
    """Counts the sources it reads (one a compile) and dawdles, as a disk or package read
    can, so that threads asking together overlap."""

    def __init__(self) -> None:
        super().__init__(SOURCES)
        self.reads: Counter[str] = Counter()
        self._lock = threading.Lock()

    def get_source(self, environment: Environment, template: str) -> Any:
        with self._lock:
            self.reads[template] += 1
        time.sleep(0.02)
        return super().get_source(environment, template)


def ask_together(threads: int, ask: Callable[[], Template]) -> list[str]:
    start = threading.Barrier(threads)
    rendered: list[str] = []

    def one() -> None:
        start.wait()
        rendered.append(ask().render(name="mtor"))

    workers = [threading.Thread(target=one) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return rendered


def test_threads_asking_at_once_compile_each_template_once() -> None:
    loader = SlowCountingLoader()
    environment = CompileOnceEnvironment(loader=loader)
    rendered = ask_together(16, lambda: environment.get_template("page.j2"))
    assert rendered == ["MTOR!"] * 16
    assert loader.reads == {"page.j2": 1, "macros.j2": 1}


def test_plain_jinja_compiles_once_per_thread_that_asks_first() -> None:
    # Why the class exists: jinja's own cache lets every early thread compile.
    loader = SlowCountingLoader()
    environment = Environment(loader=loader, autoescape=True)
    ask_together(16, lambda: environment.get_template("page.j2"))
    assert loader.reads["page.j2"] > 1


def test_select_template_is_compiled_once_too() -> None:
    loader = SlowCountingLoader()
    environment = CompileOnceEnvironment(loader=loader)
    rendered = ask_together(8, lambda: environment.select_template(["missing.j2", "page.j2"]))
    assert rendered == ["MTOR!"] * 8
    assert loader.reads["page.j2"] == 1


def test_precompile_reads_every_template_and_later_asks_read_none() -> None:
    loader = SlowCountingLoader()
    environment = CompileOnceEnvironment(loader=loader)
    assert environment.precompile() == 2
    assert loader.reads == {"page.j2": 1, "macros.j2": 1}
    assert environment.get_template("page.j2").render(name="a") == "A!"
    assert loader.reads == {"page.j2": 1, "macros.j2": 1}
