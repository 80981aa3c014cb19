"""The bundled data: the MTOR gene page and the curated hypothesis files, as package files."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from importlib.resources import as_file, files
from pathlib import Path

# In import order: the resolved set's hypotheses name genes and drugs the first file defines.
HYPOTHESIS_FILES = ("hypotheses.yaml", "resolved.yaml")


@contextmanager
def hypothesis_files() -> Iterator[list[Path]]:
    """The bundled hypothesis files as paths on disk, in the order they must be imported."""
    with ExitStack() as stack:
        yield [stack.enter_context(as_file(files(__name__) / name)) for name in HYPOTHESIS_FILES]
