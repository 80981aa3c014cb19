"""Reading a hypothesis file from disk: size, encoding and syntax, before any record is looked at.

Everything that makes the whole file unusable (too big, binary, empty, malformed, not a
mapping) is refused here with one problem that names the file and, where the parser knows
it, the line and column.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from storage.errors import InvalidInputError, Problem

MAX_FILE_BYTES = 10 * 1024 * 1024
JSON_SUFFIXES = frozenset({".json"})
YAML_SUFFIXES = frozenset({".yaml", ".yml"})
_TOO_DEEP = "the file nests lists and mappings too deeply to be a hypothesis file"

# A path into the parsed document, e.g. ("hypotheses", 3, "evidence", 0, "citation").
Path_ = tuple[str | int, ...]
LineFinder = Callable[[Path_], int | None]


@dataclass(frozen=True)
class Document:
    """A parsed file: its top-level mapping, and where in the text each value stood."""

    file: str
    data: dict[str, Any]
    line_of: LineFinder


def read_document(path: Path, *, max_bytes: int = MAX_FILE_BYTES) -> Document:
    """Read and parse ``path`` as YAML or JSON (by its suffix); refuse unusable files."""
    file = str(path)
    try:
        size = path.stat().st_size
        if not path.is_file():
            raise _refuse(file, "not a regular file")
        # Checked before reading so that a huge file costs neither memory nor parse time.
        if size > max_bytes:
            raise _too_big(file, size, max_bytes)
        raw = path.read_bytes()
    except OSError as exc:
        raise _refuse(file, f"cannot read the file: {exc.strerror or exc}") from None
    return parse_document(raw, file=file, suffix=path.suffix, max_bytes=max_bytes)


def parse_document(
    raw: bytes, *, file: str, suffix: str = "", max_bytes: int = MAX_FILE_BYTES
) -> Document:
    """Parse the bytes of a hypothesis file (an upload, say); ``file`` names it in problems.

    ``suffix`` (".yaml", ".yml", ".json") picks the parser; without one, text starting with
    ``{`` or ``[`` is JSON and anything else YAML.
    """
    if len(raw) > max_bytes:
        raise _too_big(file, len(raw), max_bytes)
    text = _decode(raw, file=file)
    if _is_json(suffix, text):
        data: Any = _parse_json(text, file=file)
        line_of: LineFinder = _json_lines(text)
    else:
        data, line_of = _parse_yaml(text, file=file)
    if data is None:
        raise _refuse(file, "the file has no content (only comments or blank lines)")
    if not isinstance(data, dict):
        raise _refuse(
            file,
            f"the top level must be a mapping (version: 1, hypotheses: [...]), not {_kind(data)}",
            line=1,
        )
    return Document(file=file, data=data, line_of=line_of)


def _too_big(file: str, size: int, max_bytes: int) -> InvalidInputError:
    return _refuse(file, f"the file is {size:,} bytes; the limit is {max_bytes:,} bytes — split it")


def _decode(raw: bytes, *, file: str) -> str:
    if not raw.strip():
        raise _refuse(file, "the file is empty")
    nul = raw.find(b"\x00")
    if nul >= 0:
        raise _refuse(file, f"binary content (a NUL byte at offset {nul}); expected YAML or JSON")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _refuse(
            file,
            f"not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset {exc.start}); "
            "expected YAML or JSON",
        ) from None


def _is_json(suffix: str, text: str) -> bool:
    if suffix.lower() in JSON_SUFFIXES:
        return True
    if suffix.lower() in YAML_SUFFIXES:
        return False
    return text.lstrip().startswith(("{", "["))


def _parse_json(text: str, *, file: str) -> Any:
    def reject_constant(name: str) -> Any:
        raise ValueError(f"{name} is not a number JSON allows")

    try:
        return json.loads(text, object_pairs_hook=_unique_json_keys, parse_constant=reject_constant)
    except json.JSONDecodeError as exc:
        raise _refuse(
            file, f"malformed JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})", exc.lineno
        ) from None
    except ValueError as exc:
        raise _refuse(file, f"malformed JSON: {exc}") from None
    except RecursionError:
        raise _refuse(file, _TOO_DEEP) from None


def _unique_json_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    mapping: dict[str, Any] = {}
    for key, value in pairs:
        if key in mapping:
            raise ValueError(f"key {key!r} appears twice in one object")
        mapping[key] = value
    return mapping


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate keys (PyYAML keeps the last silently) and aliases.

    Aliases are refused because a few of them can expand into an enormous document.
    """

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()  # type: ignore[no-untyped-call]
            raise yaml.composer.ComposerError(
                None,
                None,
                "YAML aliases (*name) are not supported; write the value out in full",
                event.start_mark,
            )
        return super().compose_node(parent, index)

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if not isinstance(key, Hashable):
                continue  # the base class reports unhashable keys itself
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    "while reading a mapping",
                    node.start_mark,
                    f"key {key!r} appears twice",
                    key_node.start_mark,
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def _parse_yaml(text: str, *, file: str) -> tuple[Any, LineFinder]:
    try:
        root, data = _compose(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        where = f" (line {line}, column {mark.column + 1})" if mark is not None else ""
        reason = " ".join(part for part in (exc.context, exc.problem) if part)
        raise _refuse(file, f"malformed YAML: {reason}{where}", line) from None
    except yaml.reader.ReaderError as exc:
        line = text.count("\n", 0, exc.position) + 1
        code = exc.character if isinstance(exc.character, int) else 0
        raise _refuse(
            file,
            f"malformed YAML: control character #x{code:04x} is not allowed (line {line})",
            line,
        ) from None
    except yaml.YAMLError as exc:
        raise _refuse(file, f"malformed YAML: {exc}") from None
    except RecursionError:
        raise _refuse(file, _TOO_DEEP) from None
    except ValueError as exc:  # e.g. an integer of more digits than Python converts
        raise _refuse(file, f"malformed YAML: a value cannot be read: {exc}") from None

    def line_of(path: Path_) -> int | None:
        return None if root is None else _yaml_line(root, path)

    return data, line_of


def _compose(text: str) -> tuple[yaml.Node | None, Any]:
    """The node tree (which remembers lines) and the data built from it."""
    loader = _StrictLoader(text)
    try:
        root = loader.get_single_node()
        return root, None if root is None else loader.construct_document(root)
    finally:
        loader.dispose()


def _yaml_line(node: yaml.Node, path: Path_) -> int:
    """The line of the deepest node along ``path`` that exists (a missing field: its record)."""
    for part in path:
        child: yaml.Node | None = None
        if isinstance(node, yaml.MappingNode):
            child = next((v for k, v in node.value if k.value == part), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            child = node.value[part] if 0 <= part < len(node.value) else None
        if child is None:
            break
        node = child
    return int(node.start_mark.line) + 1


def _json_lines(text: str) -> LineFinder:
    """Lines for a JSON document, found by reading it as YAML (JSON is nearly a subset).

    Only positions come from YAML; the data itself came from the JSON parser. Where the YAML
    reader disagrees with the JSON, problems simply carry no line.
    """
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except (yaml.YAMLError, RecursionError):
        root = None

    def line_of(path: Path_) -> int | None:
        return None if root is None else _yaml_line(root, path)

    return line_of


def _kind(value: Any) -> str:
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    return type(value).__name__


def _refuse(file: str, message: str, line: int | None = None) -> InvalidInputError:
    return InvalidInputError([Problem(file=file, message=message, line=line)])
