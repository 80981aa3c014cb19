"""The text policy (docs/text-policy.md): which characters hyposcore accepts, everywhere.

Every boundary (hypothesis files, gene pages, API bodies, CLI arguments) checks text with
``text_problem``/``check_text`` and refuses what it finds, naming the field and the position.
Every output then neutralises what may still be in older data, for its own medium, with
``neutralise`` (pages, badges) or ``terminal_safe`` (the console).

Refused: NUL and the other C0 controls except tab and newline (a carriage return only as part
of a CRLF line ending), DEL, the C1 controls, the bidirectional formatting characters
(embeddings, overrides, isolates and the LRM/RLM/ALM marks), lone surrogates and the
noncharacters U+FFFE/U+FFFF. Each of them either cannot be stored or written (NUL, surrogates),
breaks an output format (controls in XML), drives a terminal (ESC), or can make displayed text
read differently from what it is (bidirectional overrides).
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
import unicodedata
from collections.abc import Iterable
from datetime import datetime
from typing import Annotated, Protocol

from pydantic import BeforeValidator, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import core_schema

BIDI_CONTROLS = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)
# Every character the policy refuses, except CR, which is allowed before LF (see _CR_ALONE).
_REFUSED = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"
    "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
    "\ud800-\udfff\ufffe\uffff]"
    "|\r(?!\n)"
)
_NAMES = {
    "\x00": "NUL",
    "\x1b": "ESC",
    "\x7f": "DEL",
    "\r": "carriage return",
    "\u061c": "ARABIC LETTER MARK",
    "\u200e": "LEFT-TO-RIGHT MARK",
    "\u200f": "RIGHT-TO-LEFT MARK",
}
REPLACEMENT = "\ufffd"


def describe(char: str) -> str:
    """``U+001B (ESC)``: a refused character as a reader can find it."""
    name = _NAMES.get(char) or unicodedata.name(char, "")
    if not name:
        name = "control character" if _is_control(char) else "not a character"
    return f"U+{ord(char):04X} ({name})"


def _is_control(char: str) -> bool:
    return ord(char) < 0x20 or 0x7F <= ord(char) <= 0x9F


def _kind(char: str) -> str:
    if char in BIDI_CONTROLS:
        return "bidirectional formatting character"
    if _is_control(char):
        return "control character"
    return "invalid character"


def first_refused(text: str) -> int | None:
    """The index of the first character the policy refuses, or None."""
    match = _REFUSED.search(text)
    return None if match is None else match.start()


def text_problem(text: str) -> str | None:
    """Why ``text`` is refused, naming the character and its position, or None when it is fine.

    Positions count characters from 1; for text of several lines, the line and column too.
    """
    at = first_refused(text)
    if at is None:
        return None
    char = text[at]
    where = f"character {at + 1}"
    if "\n" in text:
        line = text.count("\n", 0, at) + 1
        column = at - (text.rfind("\n", 0, at) + 1) + 1
        where += f" (line {line}, column {column})"
    return f"{_kind(char)} {describe(char)} at {where} is not allowed (see docs/text-policy.md)"


def check_text(text: str) -> str:
    """``text`` unchanged, or ``ValueError`` saying which character is refused and where."""
    problem = text_problem(text)
    if problem is not None:
        raise ValueError(problem)
    return text


def _check_if_text(value: object) -> object:
    return check_text(value) if isinstance(value, str) else value


# The policy as a JSON Schema pattern (ECMA-262 syntax), so that an API schema says what it
# refuses: any character but the refused ones, and CR only in a CRLF line ending.
SCHEMA_PATTERN = (
    r"^(?:[^\x00-\x08\x0B\x0C\x0D\x0E-\x1F\x7F-\x9F"
    r"\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069\uFFFE\uFFFF]|\r\n)*$"
)


@dataclasses.dataclass(frozen=True)
class _Policy(BeforeValidator):
    """Checks text against the policy and publishes it as a pattern in the JSON schema.

    The check runs on the value as given, before any other constraint (trimming, a pattern)
    sees it, so its message is the one shown and its positions count in what the client sent.
    The pattern is only documentation (pydantic's own regex engine is not asked to apply it).
    """

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        json_schema = handler(schema)
        for member in [json_schema, *json_schema.get("anyOf", ())]:
            if member.get("type") == "string":
                member.setdefault("pattern", SCHEMA_PATTERN)
        return json_schema


# For pydantic models and FastAPI parameters: a refused character answers 422 (API) or a problem
# naming the field (importers). ``PolicyText`` is a string type.
POLICY = _Policy(_check_if_text)
PolicyText = Annotated[str, POLICY]


def neutralise(text: str, replacement: str = REPLACEMENT) -> str:
    """``text`` with every refused character replaced: what outputs do with data that predates
    the policy (a page, a badge), so it can neither break the format nor reorder the text."""
    return _REFUSED.sub(replacement, text)


def terminal_safe(text: str) -> str:
    """``text`` for a terminal: every refused character shown as an escape (``\\x1b``), so
    nothing printed can move the cursor, change colours or reorder a line."""
    return _REFUSED.sub(lambda m: _escape(m.group(0)), text)


def _escape(char: str) -> str:
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def counted(count: int, noun: str, plural: str | None = None) -> str:
    """ "1 turn", "3 turns"; ``plural`` for a noun that does not just add an s ("matches")."""
    return f"{count} {noun if count == 1 else plural or noun + 's'}"


def ago(seconds: float) -> str:
    """How long ago, in the unit a reader takes in at a glance: "42 s ago", "48 min ago",
    "5 h ago", "3 days ago" (rounded down; a clock a little ahead reads "0 s ago")."""
    whole = max(int(seconds), 0)
    for limit, size, unit in ((120, 1, "s"), (120 * 60, 60, "min"), (48 * 3600, 3600, "h")):
        if whole < limit:
            return f"{whole // size} {unit} ago"
    return f"{counted(whole // 86400, 'day')} ago"


def batch_wait(last_pass: datetime | None, *, now: datetime, poll_seconds: float) -> str:
    """What a batch evaluation that no batch has taken yet waits for: beat's provider-batch
    pass, which only beat starts; ``last_pass`` (when it last ran) is None if it never ran."""
    if last_pass is None:
        return (
            "no provider-batch pass has run yet (only beat starts one): "
            "is `hyposcore beat` running?"
        )
    seconds = (now - last_pass).total_seconds()
    last = ago(seconds)
    if seconds > 3 * poll_seconds:  # three passes missed: beat has stopped
        return f"the last provider-batch pass ran {last}: is `hyposcore beat` running?"
    return f"beat's next provider-batch pass sends it (the last ran {last})"


def pass_state(
    task: str,
    *,
    last_ran_at: datetime,
    running_until: datetime | None,
    now: datetime,
    error: str | None = None,
) -> str:
    """One scheduled pass at a glance: "tournament round: running, started 3 min ago",
    "refit ratings: last ran 12 min ago", or with why that run refused, "...; it refused: the
    refit of ... would need ...". A hold that has lapsed (its run died) is not a run."""
    name = task.replace("_", " ")
    since = ago((now - last_ran_at).total_seconds())
    if running_until is not None and running_until > now:
        return f"{name}: running, started {since}"
    return f"{name}: last ran {since}" + (f"; it refused: {error}" if error else "")


class PassRecord(Protocol):
    """What a scheduled pass's row tells (``storage.queries.workers.PassStatus``)."""

    @property
    def task(self) -> str: ...
    @property
    def last_ran_at(self) -> datetime: ...
    @property
    def running_until(self) -> datetime | None: ...
    @property
    def last_error(self) -> str | None: ...


def pass_states(passes: Iterable[PassRecord], *, now: datetime) -> list[str]:
    """``pass_state`` of each pass, for the CLI's status and the workers page alike."""
    return [
        pass_state(
            p.task,
            last_ran_at=p.last_ran_at,
            running_until=p.running_until,
            now=now,
            error=p.last_error,
        )
        for p in passes
    ]


ELLIPSIS = "…"


def shorten_title(text: str, limit: int = 40) -> str:
    """``text`` with its whitespace collapsed, cut to at most ``limit`` characters.

    A cut falls at the last word boundary before the limit, so no word is split ("Early
    Sympto…" becomes "Early…"). Where that would keep too little, a hyphenated word is cut at
    its hyphen ("APOE4 Dose-Dependentl…" becomes "APOE4 Dose…"); only a single word longer than
    the limit is cut inside.
    """
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    room = max(limit - len(ELLIPSIS), 1)
    head = flat[: room + 1]
    # A boundary in the first third would leave too little of the title to recognise it.
    enough = room // 3
    boundary = head.rfind(" ")
    if boundary < enough:
        boundary = head.rfind("-")
    cut = head[:boundary] if boundary >= enough else flat[:room]
    return cut.rstrip(" ,;:-–—") + ELLIPSIS


def content_digest(content: str) -> str:
    """The sha256 of ``content``'s UTF-8 bytes, in hex: how a page text is recognised as one
    already recorded (``PageRevision.content_sha256``) without comparing the texts."""
    return hashlib.sha256(content.encode("utf-8")).hexdigest()
