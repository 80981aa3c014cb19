"""One offline debate turn: rubric scores, the answer to the strongest opposing turn, the text.

The persona's own view comes from :mod:`debates.backends.evidence.rubric` through its lens.
The Synthesizer
instead integrates the panel's latest scores. In a rebuttal a persona names the turn that
disagrees with it most and moves towards it, but never by more than ``MAX_REBUTTAL_SHIFT`` per
number, which is below the protocol's default convergence threshold (0.02): an offline debate
settles after its opening rounds.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from debates.backends.base import FatalError, RequestContext
from debates.backends.evidence import rubric
from debates.backends.evidence import rubric_facts as facts
from debates.backends.evidence.text import item_view, plain, render
from debates.case import Case, Evidence
from debates.derived import per_case, per_case_and
from debates.personas import SYNTHESIZER, get_persona
from debates.schema import Claim, TurnOutput, Verdict
from debates.transcript import latest_by_persona
from scoring.dimensions import Dimension

MAX_REBUTTAL_SHIFT = 0.01
REBUTTAL_PULL = 0.25  # share of the gap to the opposing turn a persona concedes, before the cap
CLAIM_CITATIONS = 3
REBUTTAL_CITATIONS = 5
SHOWN_EVIDENCE = 6


@dataclass(frozen=True)
class PanelTurn:
    """The latest turn of another panel member, as this backend reads it."""

    persona: str
    round: int
    output: TurnOutput


@dataclass(frozen=True)
class Stance:
    scores: dict[Dimension, float]
    belief: rubric.Belief


def build_turn(context: RequestContext) -> TurnOutput:
    """The turn ``context.persona`` takes in ``context.round``, from the structured context."""
    persona_key = context.persona or ""
    try:
        persona = get_persona(persona_key)
    except ValueError as exc:
        raise FatalError(f"evidence backend: {exc}") from None
    dimensions = requested_dimensions(context.extra, persona.dimensions)
    phase = requested_phase(context.extra)
    case = context.case
    lens = rubric.lens_for(persona_key)
    # Every persona measures a dimension by the one rule (the neutral lens); its own lens shapes
    # its forecast and what its argument shows. Scores that differed by lens would let the mere
    # arrival of an escalated specialist move a blended dimension against the evidence.
    scores = rubric.scores(case, dimensions, rubric.NEUTRAL)
    stance = Stance(scores, rubric.belief(case, lens))
    panel = latest_turns(context.transcript, exclude=persona_key)
    integrated: dict[Dimension, list[str]] = {}
    if persona_key == SYNTHESIZER:
        stance, integrated = integrate(stance, panel, _believability(context.extra))
    opponent = strongest_opponent(panel, stance.belief) if phase == "rebuttal" else None
    # The Synthesizer names the opposing turn but does not move: it already weighs every member.
    rebutted = opponent if persona_key != SYNTHESIZER else None
    moved = concede(stance, rebutted.output) if rebutted is not None else stance
    view = {
        "persona": persona.title,
        "round": context.round,
        "phase": phase,
        "hypothesis": _hypothesis_view(case),
        "evidence": list(_evidence_view(case, lens)),
        "facts": _facts_view(case),
        "opponent": _opponent_view(opponent, case, moved) if phase == "rebuttal" else None,
        "belief": _belief_view(moved.belief),
    }
    return TurnOutput(
        argument=render(persona.offline_template_name, view),
        claims=[
            *_score_claims(case, lens, stance, moved, integrated),
            *_rebuttal_claims(case, lens, moved, rebutted),
        ],
        scores=moved.scores,
        confidence=moved.belief.confidence,
        probability=moved.belief.probability,
        verdict=Verdict(moved.belief.verdict),
    )


def requested_phase(extra: Mapping[str, Any]) -> str:
    phase = extra.get("phase", "opening")
    if phase not in ("opening", "rebuttal"):
        raise FatalError(
            f"evidence backend: extra['phase'] is {phase!r}; expected opening or rebuttal"
        )
    return str(phase)


def requested_dimensions(
    extra: Mapping[str, Any], defaults: Sequence[Dimension]
) -> tuple[Dimension, ...]:
    """``extra["dimensions"]`` as dimensions (first mention kept), or the persona's defaults."""
    raw = extra.get("dimensions")
    if raw is None:
        return tuple(defaults)
    if isinstance(raw, str) or not isinstance(raw, Sequence):
        raise FatalError(f"evidence backend: extra['dimensions'] must be a list, not {raw!r}")
    chosen: list[Dimension] = []
    for index, name in enumerate(raw):
        try:
            dimension = Dimension(name)
        except ValueError:
            raise FatalError(
                f"evidence backend: extra['dimensions'][{index}] is {name!r}; "
                f"expected one of {', '.join(d.value for d in Dimension)}"
            ) from None
        if dimension not in chosen:
            chosen.append(dimension)
    return tuple(chosen)


def latest_turns(transcript: Sequence[Any], *, exclude: str) -> dict[str, PanelTurn]:
    """Each other persona's latest turn (``debates.transcript`` rule), by persona name."""
    panel: list[PanelTurn] = []
    for index, record in enumerate(transcript):
        persona = getattr(record, "persona", None)
        output = getattr(record, "output", None)
        round_ = getattr(record, "round", None)
        if not isinstance(persona, str) or not isinstance(output, TurnOutput):
            raise FatalError(f"evidence backend: transcript[{index}] is not a TurnRecord")
        if not isinstance(round_, int):
            raise FatalError(f"evidence backend: transcript[{index}] has no integer round")
        if persona != exclude:
            panel.append(PanelTurn(persona, round_, output))
    return dict(sorted(latest_by_persona(panel).items()))


def integrate(
    own: Stance, panel: Mapping[str, PanelTurn], believability: Mapping[str, float]
) -> tuple[Stance, dict[Dimension, list[str]]]:
    """The Synthesizer's stance: confidence-weighted means of the panel, its rubric elsewhere."""
    members = [t for t in panel.values() if t.persona != SYNTHESIZER]
    scores: dict[Dimension, float] = {}
    sources: dict[Dimension, list[str]] = {}
    for dimension, own_score in own.scores.items():
        rated = [t for t in members if dimension in t.output.scores]
        if not rated:
            scores[dimension] = own_score
            continue
        pairs = [(_weight(t, believability), t.output.scores[dimension]) for t in rated]
        scores[dimension] = round(_weighted_mean(pairs), rubric.DIGITS)
        sources[dimension] = [t.persona for t in rated]
    if not members:
        return Stance(scores, own.belief), sources
    probability = _weighted_mean(
        [(_weight(t, believability), t.output.probability) for t in members]
    )
    spread = max(t.output.probability for t in members) - min(t.output.probability for t in members)
    confidence = (own.belief.confidence + (1 - spread)) / 2
    probability = round(rubric.clamp(probability), rubric.DIGITS)
    belief = rubric.Belief(
        round(rubric.clamp(confidence), rubric.DIGITS), probability, rubric.verdict_for(probability)
    )
    return Stance(scores, belief), sources


def strongest_opponent(panel: Mapping[str, PanelTurn], belief: rubric.Belief) -> PanelTurn | None:
    """The turn pulling hardest against this persona's probability: confidence times the gap.

    A supporter is opposed by lower probabilities, an opponent by higher ones, an undecided
    persona by either. Ties go to the earlier round, then to the persona key.
    """
    best: tuple[float, int, str] | None = None
    chosen: PanelTurn | None = None
    for turn in panel.values():
        if turn.persona == SYNTHESIZER:
            continue  # it integrates the members; a member answers another member
        gap = turn.output.probability - belief.probability
        if (belief.verdict == "support" and gap >= 0) or (belief.verdict == "oppose" and gap <= 0):
            continue
        strength = turn.output.confidence * abs(gap)
        if strength <= 0:
            continue
        key = (-strength, turn.round, turn.persona)
        if best is None or key < best:
            best, chosen = key, turn
    return chosen


def concede(stance: Stance, opposing: TurnOutput) -> Stance:
    """Move each shared score, and the probability, a capped step towards the opposing turn."""
    scores = {
        d: _step(value, opposing.scores[d]) if d in opposing.scores else value
        for d, value in stance.scores.items()
    }
    probability = _step(stance.belief.probability, opposing.probability)
    belief = rubric.Belief(stance.belief.confidence, probability, rubric.verdict_for(probability))
    return Stance(scores, belief)


def _step(value: float, target: float) -> float:
    shift = rubric.clamp(REBUTTAL_PULL * (target - value), -MAX_REBUTTAL_SHIFT, MAX_REBUTTAL_SHIFT)
    return round(rubric.clamp(value + shift), rubric.DIGITS)


def _weight(turn: PanelTurn, believability: Mapping[str, float]) -> float:
    return turn.output.confidence * believability.get(turn.persona, 1.0)


def _weighted_mean(pairs: Sequence[tuple[float, float]]) -> float:
    total = sum(w for w, _ in pairs)
    if total <= 0:
        return sum(v for _, v in pairs) / len(pairs)
    return sum(w * v for w, v in pairs) / total


def _believability(extra: Mapping[str, Any]) -> dict[str, float]:
    raw = extra.get("believability") or {}
    if not isinstance(raw, Mapping):
        raise FatalError("evidence backend: extra['believability'] must map persona to weight")
    weights: dict[str, float] = {}
    for persona, weight in sorted(raw.items()):
        if not isinstance(weight, int | float) or weight < 0:
            raise FatalError(
                f"evidence backend: extra['believability'][{persona!r}] is {weight!r}; "
                "expected a number >= 0"
            )
        weights[str(persona)] = float(weight)
    return weights


def _score_claims(
    case: Case,
    lens: rubric.Lens,
    stance: Stance,
    moved: Stance,
    integrated: Mapping[Dimension, list[str]],
) -> list[Claim]:
    """One claim a dimension: its score, what moved it this turn, and the evidence it rests on.

    The argument carries no list of scores of its own: each would be shown twice.
    """
    claims: list[Claim] = []
    for dimension, value in moved.scores.items():
        cited = [w.item.citation for w in rubric.basis(case, dimension, lens, CLAIM_CITATIONS)]
        cited = list(dict.fromkeys(cited))
        text = f"{dimension.value.replace('_', ' ')} scores {value:.2f}"
        if (before := f"{stance.scores[dimension]:.2f}") != f"{value:.2f}":
            text += f" (was {before})"
        if members := integrated.get(dimension):
            text += f", integrated from {_spoken([_title(p) for p in members])}"
        if cited:
            # The citations follow the claim wherever it is shown; naming them here too
            # printed each one twice ("resting most on X. [X]").
            text += ", resting most on the evidence cited, weightiest first."
        else:
            text += " from the genes' facts; no study bears on it directly."
        claims.append(Claim(text=text, citations=cited))
    return claims


def _rebuttal_claims(
    case: Case, lens: rubric.Lens, stance: Stance, opponent: PanelTurn | None
) -> list[Claim]:
    """The answer to the opposing turn, with both sides' evidence; none without an opponent."""
    if opponent is None:
        return []
    theirs = _opponent_citations(opponent.output, case)
    mine = _own_side(case, lens, against=opponent.output.probability > stance.belief.probability)
    text = (
        f"Answering the {_title(opponent.persona)} (round {opponent.round}, probability "
        f"{opponent.output.probability:.2f}, citing "
        f"{', '.join(theirs) if theirs else 'nothing from this case'}): "
        + (
            f"against it I set {', '.join(mine)}"
            if mine
            else "no study in this case stands on my side"
        )
        + f", and I move at most {MAX_REBUTTAL_SHIFT:.2f} per number towards it."
    )
    return [Claim(text=text, citations=list(dict.fromkeys([*theirs, *mine])))]


def _own_side(case: Case, lens: rubric.Lens, *, against: bool) -> list[str]:
    """The weightiest evidence for this persona's side: contradicting when it is the lower one."""
    direction = "contradicts" if against else "supports"
    side = (w for w in rubric.reading(case, lens).weighed if w.item.direction == direction)
    return list(dict.fromkeys(w.item.citation for w in side))[:2]


def _opponent_citations(output: TurnOutput, case: Case) -> list[str]:
    """The opposing turn's citations that are in this case's evidence, in order of first use."""
    known = case.citations
    cited = [c for claim in output.claims for c in claim.citations if c in known]
    return list(dict.fromkeys(cited))[:REBUTTAL_CITATIONS]


def _title(persona: str) -> str:
    try:
        return get_persona(persona).title
    except ValueError:
        return persona


@per_case_and
def _evidence_view(case: Case, lens: rubric.Lens) -> tuple[dict[str, Any], ...]:
    """The lens's weightiest evidence as the templates show it, with the weights it gives."""
    items = _item_views(case)
    return tuple(
        {**items[w.item], "weight": f"{w.weight:.2f}"}
        for w in rubric.reading(case, lens).weighed[:SHOWN_EVIDENCE]
    )


@per_case
def _item_views(case: Case) -> dict[Evidence, dict[str, str]]:
    """Each item's text, flattened once per case rather than once per lens."""
    return {item: item_view(item) for item in case.evidence}


@per_case
def _hypothesis_view(case: Case) -> dict[str, Any]:
    return {
        "id": plain(case.hypothesis_id, 80),
        "title": plain(case.title, 300),
        "genes": _spoken([plain(g.symbol, 32) for g in case.genes[:5]]) or "no gene",
        "diseases": _spoken([plain(d, 80) for d in case.diseases[:5]]) or "no disease named",
        "evidence_count": len(case.evidence),
        # " published before 2015-01-01" in a blind debate: what "no evidence" is short of.
        "published_before": f" published before {case.as_of.isoformat()}" if case.as_of else "",
    }


def _spoken(names: list[str]) -> str:
    """ "APOE and MTOR", "A, B and C": a list that reads as one subject in a sentence, where
    "APOE, MTOR changes ..." read as if MTOR were acting on APOE."""
    return " and ".join(names) if len(names) < 3 else f"{', '.join(names[:-1])} and {names[-1]}"


@per_case
def _facts_view(case: Case) -> dict[str, Any]:
    drugs = facts.drugs_of(case)
    best = drugs[0] if drugs else None
    return {
        "drug_count": len(drugs),
        "best_drug": plain(best.name, 80) if best else None,
        "best_status": plain(best.approval_status or "status unknown", 60) if best else None,
        "brain_drugs": [plain(d.name, 80) for d in drugs if d.brain_penetrant][:3],
        "pathways": [f"{plain(t, 40)} ({plain(f, 60)})" for t, f in facts.matched_functions(case)][
            :4
        ],
        "disease_link": f"{facts.disease_link(case):.2f}",
    }


def _opponent_view(opponent: PanelTurn | None, case: Case, moved: Stance) -> dict[str, Any]:
    if opponent is None:
        return {"title": None}
    return {
        "title": _title(opponent.persona),
        "round": opponent.round,
        "verdict": opponent.output.verdict.value,
        "probability": f"{opponent.output.probability:.2f}",
        "citations": _opponent_citations(opponent.output, case),
        "now": f"{moved.belief.probability:.2f}",
        "max_shift": f"{MAX_REBUTTAL_SHIFT:.2f}",
    }


def _belief_view(belief: rubric.Belief) -> dict[str, str]:
    return {
        "confidence": f"{belief.confidence:.2f}",
        "probability": f"{belief.probability:.2f}",
        "verdict": belief.verdict,
    }
