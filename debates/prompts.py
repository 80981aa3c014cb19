"""Rendering a persona's turn into messages, from the Jinja2 templates in ``templates/``.

Prompts are plain text, so autoescaping is off; what keeps untrusted text in its place is the
data fence (:mod:`debates.fencing`): the case and the transcript are rendered first, fenced
with the debate's token (redacted wherever they contain it), and only then placed into the
user message. Untrusted values are always template *variables*, never template source.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from functools import lru_cache, partial

from jinja2 import PackageLoader, StrictUndefined

from common.limits import MAX_CLAIM, MAX_PROMPT_CHARS, MAX_STATEMENT, MAX_TITLE
from debates.backends.base import (
    BackendRequest,
    DeferredMessages,
    FatalError,
    Message,
    RequestContext,
)
from debates.case import Case
from debates.derived import per_case, per_case_and
from debates.fencing import Fence, defuse, fence_for
from debates.personas import SYNTHESIZER, Persona, get_persona
from debates.protocol import Phase
from debates.schema import TurnOutput
from debates.templating import CompileOnceEnvironment
from debates.types import TurnRecord
from scoring.dimensions import MEANINGS


@lru_cache(maxsize=1)
def environment() -> CompileOnceEnvironment:
    return CompileOnceEnvironment(
        loader=PackageLoader("debates", "templates"),
        autoescape=False,  # plain-text prompts; untrusted text is fenced instead
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
        auto_reload=False,  # packaged templates do not change under a running process
    )


@lru_cache(maxsize=1)
def output_schema_text() -> str:
    return json.dumps(TurnOutput.model_json_schema(), indent=2, sort_keys=True)


class PromptTooLargeError(FatalError):
    """A prompt (or the field that makes it so) is past its limit; it is never sent."""

    def __init__(self, field: str, length: int, limit: int) -> None:
        super().__init__(
            f"{field} is {length:,} characters long, past the limit of {limit:,}; "
            "the prompt was not sent"
        )
        self.field = field
        self.length = length
        self.limit = limit


def check_case_size(case: Case) -> None:
    """Refuse a case whose text could not have passed an import (rows stored before the limits
    existed, or cases built elsewhere), naming the field."""
    where = f"hypothesis {case.hypothesis_id}"
    fields = [(f"{where}: title", case.title, MAX_TITLE)]
    fields.append((f"{where}: statement", case.statement, MAX_STATEMENT))
    fields += [
        (f"{where}: claim of evidence {item.citation}", item.claim, MAX_CLAIM)
        for item in case.evidence
    ]
    for name, text, limit in fields:
        if len(text) > limit:
            raise PromptTooLargeError(name, len(text), limit)


def check_prompt_size(messages: Sequence[Message], *, parts: Mapping[str, str]) -> None:
    """Refuse messages longer than ``MAX_PROMPT_CHARS`` together, naming the longest of the
    ``parts`` (the case, the transcript, ...) that went into them."""
    total = sum(len(message.content) for message in messages)
    if total > MAX_PROMPT_CHARS:
        longest = max(parts, key=lambda name: len(parts[name]))
        raise PromptTooLargeError(
            f"the prompt (largest part: {longest}, {len(parts[longest]):,} characters)",
            total,
            MAX_PROMPT_CHARS,
        )


@per_case  # every turn of a debate shows the same case
def render_case(case: Case) -> str:
    check_case_size(case)
    return environment().get_template("case.j2").render(case=case).strip()


@per_case_and
def _transcript_entry(case: Case, turn: TurnRecord) -> str:
    entry = environment().get_template("transcript.j2").module.entry  # type: ignore[attr-defined]
    return str(entry(turn, _title(turn.persona)))


def defused_transcript(case: Case, transcript: Sequence[TurnRecord]) -> str:
    """The debate so far as every later turn reads it, defused (``debates.fencing``).

    Each entry is rendered and defused once per debate, not the whole transcript again at
    every turn: a transcript only grows, and redoing it made a turn's CPU grow with the
    debate's length (defusing reads text a character at a time wherever a model wrote a dash
    or a Greek letter). Entries begin with a line break, so no ``<<<`` spans two of them.
    """
    return "".join(_defused_entry(case, turn) for turn in transcript).strip()


@per_case_and
def _defused_entry(case: Case, turn: TurnRecord) -> str:
    return defuse(_transcript_entry(case, turn))


def render_turn_messages(
    case: Case,
    persona: Persona,
    *,
    round: int,
    phase: Phase,
    transcript: Sequence[TurnRecord],
    panel: Sequence[str],
    final: bool = False,
    believability: Mapping[str, float] | None = None,
    fence_token: str | None = None,
) -> tuple[Message, Message]:
    """The system and user messages of one turn, with the case and transcript fenced as data.

    Laid out for providers' prefix caches: every turn of a debate starts with the same bytes
    (the shared rules, the fenced case, then the transcript, which only grows by appending),
    and what differs between turns (the persona, its dimensions, the task) comes last. So the
    fence is the debate's own (``fence_token``, fixed when it starts); without one it is
    derived from the case alone, which is as fixed.
    """
    case_text = render_case(case)
    transcript_text = defused_transcript(case, transcript)  # as the model reads it
    fence = Fence(fence_token) if fence_token else fence_for(case_text)
    case_block = fence.wrap_redacting(case_text)
    transcript_block = fence.wrap_defused(transcript_text)
    user = (
        environment()
        .get_template("user.j2")
        .render(
            fence=fence,
            persona=persona,
            case_block=case_block,
            transcript_block=transcript_block,
            panel_titles=[_title(key) for key in panel],
            dimensions=[d.value for d in persona.dimensions],
            believability=[(_title(k), w) for k, w in sorted((believability or {}).items())],
            round=round,
            phase=phase,
            final=final,
            first=not transcript,
        )
    )
    user = user.strip()
    marks = repeated_marks(user, case_block=case_block, transcript_block=transcript_block)
    messages = (Message("system", system_rules()), Message("user", user, cache_marks=marks))
    check_prompt_size(messages, parts={"case": case_text, "transcript": transcript_text})
    return messages


# Where one transcript entry ends and the next begins (templates/transcript.j2).
ENTRY_BREAK = "\n\nRound "


def repeated_marks(user: str, *, case_block: str, transcript_block: str) -> tuple[int, ...]:
    """Where the text every later turn repeats ends: after the case, and after each transcript
    entry (the last one is the end of what the next turn repeats)."""
    case_end = user.index(case_block) + len(case_block)
    transcript_open = user.index(transcript_block, case_end)
    start = transcript_open + transcript_block.index("\n") + 1  # after the marker's line
    end = transcript_open + transcript_block.rindex("\n")  # before the closing marker's line
    entries = []
    at = user.find(ENTRY_BREAK, start, end)
    while at != -1:
        entries.append(at)
        at = user.find(ENTRY_BREAK, at + 1, end)
    return tuple(sorted({start, *entries, max(start, end)}))


def build_turn_request(
    case: Case,
    persona_key: str,
    *,
    round: int,
    phase: Phase,
    transcript: Sequence[TurnRecord],
    panel: Sequence[str],
    final: bool = False,
    believability: Mapping[str, float] | None = None,
    fence_token: str | None = None,
) -> BackendRequest[TurnOutput]:
    """The backend request for one turn: messages for models, structured context for the rest.

    The messages are rendered when a backend first reads them (the offline backend never
    does), from copies of the arguments taken now.
    """
    persona = get_persona(persona_key)
    shown_believability = (
        dict(believability) if believability and persona.key == SYNTHESIZER else None
    )
    transcript = tuple(transcript)
    messages = DeferredMessages(
        partial(
            render_turn_messages,
            case,
            persona,
            round=round,
            phase=phase,
            transcript=transcript,
            panel=tuple(panel),
            final=final,
            believability=shown_believability,
            fence_token=fence_token,
        )
    )
    return BackendRequest(
        messages=messages,
        output_schema=TurnOutput,
        context=RequestContext(
            task="turn",
            case=case,
            persona=persona.key,
            round=round,
            transcript=transcript,
            extra=_turn_extra(
                persona, phase=phase, final=final, panel=panel, believability=shown_believability
            ),
            cache_key=fence_token or f"hyposcore:{case.hypothesis_id}",
        ),
    )


def _turn_extra(
    persona: Persona,
    *,
    phase: Phase,
    final: bool,
    panel: Sequence[str],
    believability: Mapping[str, float] | None,
) -> dict[str, object]:
    """The structured context a backend that reads no messages (the offline one) argues from."""
    extra: dict[str, object] = {
        "dimensions": [d.value for d in persona.dimensions],
        "role": persona.role,
        "phase": phase,
        "final": final,
        "panel": list(panel),
    }
    if believability:
        extra["believability"] = {k: float(v) for k, v in sorted(believability.items())}
    return extra


@lru_cache(maxsize=1)
def system_rules() -> str:
    """The rules every turn of every debate shares, byte for byte: the debate's own data
    token is given in the user message, so providers can cache these across debates."""
    template = environment().get_template("system.j2")
    meanings = [(dimension.value, meaning) for dimension, meaning in MEANINGS.items()]
    return template.render(meanings=meanings, output_schema=output_schema_text()).strip()


def _title(key: str) -> str:
    try:
        return get_persona(key).title
    except ValueError:
        return key
