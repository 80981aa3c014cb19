"""Running one debate: ask each speaker in turn, check the answers, decide when to stop.

The runner is deterministic given the backend's answers: the panel, the speaking order and
every decision follow from the case, the configuration and the turns. A redelivered task hands
back the turns already stored as ``prior_turns``; those are replayed, not re-asked, and the
same decisions follow from them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from debates.backends.base import AgentBackend, InvalidOutputError
from debates.case import Case
from debates.citations import check_citations
from debates.config import validate_config
from debates.consistency import contradiction_flags
from debates.panel import choose_panel, escalation_candidate, ordered
from debates.personas import SYNTHESIZER, get_persona
from debates.prompts import build_turn_request
from debates.protocol import (
    SPLIT_ROUNDS_BEFORE_ESCALATION,
    OpeningPlan,
    Phase,
    is_split,
    movement,
    opening_plan,
    planned_rounds,
    progress,
    running_synthesis,
    speakers,
    synthesizer_verdicts,
)
from debates.quality import debate_quality
from debates.schema import TurnOutput
from debates.types import DebateConfig, DebateOutcome, Decision, TurnRecord

__all__ = ["planned_rounds", "progress", "run_debate"]

TurnCallback = Callable[[TurnRecord], None]
# Called with (round, persona) before a turn is asked of the backend; raising stops the debate
# there, at a turn boundary (a spend limit does this).
BeforeTurnCallback = Callable[[int, str], None]
DecisionCallback = Callable[[Decision], None]


def run_debate(
    case: Case,
    *,
    config: DebateConfig,
    backend: AgentBackend,
    prior_turns: Sequence[TurnRecord] = (),
    on_turn: TurnCallback | None = None,
    on_decision: DecisionCallback | None = None,
    believability: Mapping[str, float] | None = None,
    before_turn: BeforeTurnCallback | None = None,
    fence_token: str | None = None,
) -> DebateOutcome:
    """Debate ``case`` and return its turns, decisions, final panel, rounds held and quality.

    The last decisions flag the turns whose scores contradict the case's evidence
    (``debates.consistency``); scoring leaves those out.

    ``before_turn`` is called before, and ``on_turn`` after, each turn asked in this run (not
    for replayed ones);
    ``on_decision`` for every decision in order, replayed rounds included, so the list it
    sees is always the debate's complete decision list. Backend errors propagate unchanged.
    ``fence_token`` is the debate's data fence, kept for all its turns (and by a resumed
    debate), so that their prompts share a prefix a provider can cache.
    """
    config = validate_config(config)
    choice = choose_panel(case, config.panel)
    debate = _Debate(
        case=case,
        config=config,
        backend=backend,
        believability=dict(believability or {}),
        panel=list(choice.panel),
        plan=opening_plan(choice.panel, config.max_rounds),
        prior={(t.round, t.persona): t for t in prior_turns},
        on_turn=on_turn,
        on_decision=on_decision,
        before_turn=before_turn,
        fence_token=fence_token,
    )
    debate.decide(choice.decision)
    round_number = 0
    while True:
        round_number += 1
        debate.hold_round(round_number)
        if debate.close_round(round_number):
            break
    for flag in contradiction_flags(debate.turns, case):
        debate.decide(flag)
    return DebateOutcome(
        turns=tuple(debate.turns),
        decisions=tuple(debate.decisions),
        panel=tuple(debate.panel),
        rounds=round_number,
        quality=debate_quality(debate.turns, case).score,
    )


@dataclass
class _Debate:
    case: Case
    config: DebateConfig
    backend: AgentBackend
    believability: dict[str, float]
    panel: list[str]
    plan: OpeningPlan
    prior: dict[tuple[int, str], TurnRecord]
    on_turn: TurnCallback | None
    on_decision: DecisionCallback | None
    before_turn: BeforeTurnCallback | None = None
    fence_token: str | None = None
    turns: list[TurnRecord] = field(default_factory=list)
    decisions: list[Decision] = field(default_factory=list)
    split_streak: int = 0

    def decide(self, decision: Decision) -> None:
        self.decisions.append(decision)
        if self.on_decision is not None:
            self.on_decision(decision)

    def hold_round(self, round_number: int) -> None:
        spoken = {turn.persona for turn in self.turns}
        plan = speakers(round_number, panel=self.panel, plan=self.plan, spoken=spoken)
        final = round_number == self.config.max_rounds
        for persona in plan.personas:
            replayed = self.prior.get((round_number, persona))
            if replayed is not None:
                self.turns.append(replayed)
                continue
            if self.before_turn is not None:
                self.before_turn(round_number, persona)
            record = self.ask(persona, round_number, plan.phase, final=final)
            self.turns.append(record)
            if self.on_turn is not None:
                self.on_turn(record)

    def ask(self, persona_key: str, round_number: int, phase: Phase, *, final: bool) -> TurnRecord:
        request = build_turn_request(
            self.case,
            persona_key,
            round=round_number,
            phase=phase,
            transcript=tuple(self.turns),
            panel=self.panel,
            final=final,
            believability=self.believability or None,
            fence_token=self.fence_token,
        )
        result = self.backend.complete(request)
        if not isinstance(result.output, TurnOutput):
            raise InvalidOutputError(
                f"backend {self.backend.name!r} answered {type(result.output).__name__}, "
                "not TurnOutput"
            )
        output = self.drop_uncovered(result.output, persona_key, round_number)
        check = check_citations(output, self.case)
        return TurnRecord(
            round=round_number,
            persona=persona_key,
            output=check.output,
            unsupported_citations=check.unsupported,
            backend=self.backend.name,
            model=result.model,
            usage=result.usage,
            latency_ms=result.latency_ms,
        )

    def drop_uncovered(self, output: TurnOutput, persona_key: str, round_number: int) -> TurnOutput:
        """Keep only the scores for the persona's dimensions; note what was dropped."""
        covered = set(get_persona(persona_key).dimensions)
        dropped = sorted(d.value for d in output.scores if d not in covered)
        if not dropped:
            return output
        self.decide(
            Decision(
                round=round_number,
                action="drop_scores",
                reason=(
                    f"{persona_key} scored {', '.join(dropped)}, which it does not cover; "
                    "those scores were dropped"
                ),
                detail={"persona": persona_key, "dimensions": dropped},
            )
        )
        kept = {d: s for d, s in output.scores.items() if d in covered}
        return output.model_copy(update={"scores": kept})

    def close_round(self, round_number: int) -> bool:
        """Record the end-of-round decisions; True when the debate stops after this round."""
        added = self.escalate_if_split(round_number)
        this_round = [t for t in self.turns if t.round == round_number]
        detail: dict[str, object] = {
            "round": round_number,
            "max_rounds": self.config.max_rounds,
            "turns": len(self.turns),
        }
        if not any(t.persona == SYNTHESIZER for t in this_round):
            speakers_here = ", ".join(t.persona for t in this_round)
            self.decide(
                Decision(
                    round_number,
                    "continue",
                    f"opening round {round_number} of {self.plan.rounds} ({speakers_here}); "
                    "the synthesizer has not scored yet",
                    detail,
                )
            )
            return False
        stop, reason = self.should_stop(round_number, added, detail)
        self.decide(Decision(round_number, "stop" if stop else "continue", reason, detail))
        return stop

    def should_stop(
        self, round_number: int, added: bool, detail: dict[str, object]
    ) -> tuple[bool, str]:
        before = running_synthesis(
            [t for t in self.turns if t.round < round_number], self.believability
        )
        after = running_synthesis(self.turns, self.believability)
        moved = round(movement(before, after), 6)
        verdicts = synthesizer_verdicts(self.turns)
        holds = len(verdicts) < 2 or verdicts[-1] == verdicts[-2]
        threshold = self.config.convergence_threshold
        detail.update(movement=moved, verdict=verdicts[-1].value, verdict_holds=holds)
        if round_number >= self.config.max_rounds:
            return True, f"reached max_rounds ({self.config.max_rounds})"
        if added:
            return False, "a specialist joined the panel and has not spoken yet"
        if round_number < self.config.min_rounds:
            return False, f"min_rounds ({self.config.min_rounds}) not reached"
        if moved < threshold and holds:
            return True, (
                f"converged: scores moved {moved:.4f} < {threshold} and the verdict "
                f"{verdicts[-1].value} holds"
            )
        if not holds:
            return False, f"verdict changed from {verdicts[-2].value} to {verdicts[-1].value}"
        return False, f"scores moved {moved:.4f} >= {threshold}"

    def escalate_if_split(self, round_number: int) -> bool:
        """Count split rounds; after two in a row add a specialist. True when one was added."""
        if not is_split(self.turns):
            self.split_streak = 0
            return False
        self.split_streak += 1
        if self.split_streak < SPLIT_ROUNDS_BEFORE_ESCALATION:
            return False
        if round_number >= self.config.max_rounds:
            return False  # no round left for a newcomer to speak in
        self.split_streak = 0
        candidate = escalation_candidate(self.case, self.panel)
        if candidate is None:
            self.decide(
                Decision(
                    round_number,
                    "escalation_exhausted",
                    "verdicts split for two rounds in a row, but every specialist is on the panel",
                )
            )
            return False
        persona, why = candidate
        self.panel = list(ordered([*self.panel, persona.key]))
        self.decide(
            Decision(
                round_number,
                "add_specialist",
                f"verdicts split (support and oppose) for two rounds in a row; added "
                f"{persona.key}: {why}",
                {"persona": persona.key, "panel": list(self.panel)},
            )
        )
        return True
