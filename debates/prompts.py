"""Rendering a persona's turn into messages, from the Jinja2 templates in ``templates/``.

Prompts are plain text, so autoescaping is off; what keeps untrusted text in its place is the
data fence (:mod:`debates.fencing`): the case and the transcript are rendered first, fenced
with one token that occurs in neither, and only then placed into the user message. Untrusted
values are always template *variables*, never template source.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from functools import lru_cache, partial

from jinja2 import Environment, PackageLoader, StrictUndefined

from debates.backends.base import BackendRequest, DeferredMessages, Message, RequestContext
from debates.case import Case
from debates.fencing import Fence, fence_for
from debates.personas import SYNTHESIZER, Persona, get_persona
from debates.protocol import Phase
from debates.schema import TurnOutput
from debates.types import TurnRecord


@lru_cache(maxsize=1)
def environment() -> Environment:
    return Environment(
        loader=PackageLoader("debates", "templates"),
        autoescape=False,  # noqa: S701 - plain-text prompts; untrusted text is fenced instead
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
        auto_reload=False,  # packaged templates do not change under a running process
    )


@lru_cache(maxsize=1)
def output_schema_text() -> str:
    return json.dumps(TurnOutput.model_json_schema(), indent=2, sort_keys=True)


def render_case(case: Case) -> str:
    return environment().get_template("case.j2").render(case=case).strip()


def render_transcript(transcript: Sequence[TurnRecord]) -> str:
    titles = {turn.persona: _title(turn.persona) for turn in transcript}
    template = environment().get_template("transcript.j2")
    return template.render(transcript=transcript, titles=titles).strip()


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
) -> tuple[Message, Message]:
    """The system and user messages of one turn, with the case and transcript fenced as data."""
    case_text = render_case(case)
    transcript_text = render_transcript(transcript)
    fence = fence_for(case_text, transcript_text)
    system = _render_system(persona, panel=panel, fence=fence, believability=believability)
    user = (
        environment()
        .get_template("user.j2")
        .render(
            persona=persona,
            case_block=fence.wrap(case_text),
            transcript_block=fence.wrap(transcript_text),
            round=round,
            phase=phase,
            final=final,
        )
    )
    return Message("system", system.strip()), Message("user", user.strip())


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
        )
    )
    extra: dict[str, object] = {
        "dimensions": [d.value for d in persona.dimensions],
        "role": persona.role,
        "phase": phase,
        "final": final,
        "panel": list(panel),
    }
    if shown_believability:
        extra["believability"] = {k: float(v) for k, v in sorted(shown_believability.items())}
    return BackendRequest(
        messages=messages,
        output_schema=TurnOutput,
        context=RequestContext(
            task="turn",
            case=case,
            persona=persona.key,
            round=round,
            transcript=transcript,
            extra=extra,
        ),
    )


def _render_system(
    persona: Persona,
    *,
    panel: Sequence[str],
    fence: Fence,
    believability: Mapping[str, float] | None,
) -> str:
    weights = sorted((believability or {}).items())
    return (
        environment()
        .get_template("system.j2")
        .render(
            persona=persona,
            panel_titles=[_title(key) for key in panel],
            dimensions=[d.value for d in persona.dimensions],
            believability=[(_title(name), weight) for name, weight in weights],
            fence=fence,
            output_schema=output_schema_text(),
        )
    )


def _title(key: str) -> str:
    try:
        return get_persona(key).title
    except ValueError:
        return key
