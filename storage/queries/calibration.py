"""Persona calibration: resolved forecasts in, believability and the calibration table out.

A persona's forecasts are the probabilities its debate turns stated (``DebateTurn.probability``)
about hypotheses that have since been validated or refuted, in *blind* evaluations only: run
as of a date before the resolution (``Evaluation.as_of < Hypothesis.resolved_on``), whose
debate therefore never saw the resolving publication (``debates.asof``), under the current
as-of rule (``common.as_of_rule``). A debate held after the answer was published is
hindsight, and never moves a believability; nor does one whose rule let it read today's
facts. The scoring rule is passed in by the caller (``scoring.calibration``), since storage
holds no math of its own.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import ColumnElement, Select, and_, func, or_, select, text
from sqlalchemy.orm import Session

from common.as_of_rule import AS_OF_RULE_VERSION
from storage.models import (
    DebateTurn,
    Evaluation,
    Hypothesis,
    HypothesisStatus,
    PersonaCalibration,
    utcnow,
)
from storage.queries.knowledge import missing_hypothesis

_RESOLVED = (HypothesisStatus.VALIDATED.value, HypothesisStatus.REFUTED.value)

# brier(count, sum of p, sum of p squared, outcome) -> score (a persona's forecasts of one
# hypothesis, summed in SQL); believability(mean brier, resolved count) -> weight.
BrierRule = Callable[[int, float, float, bool], float]
BelievabilityRule = Callable[[float, int], float]


# Any fixed number: the key of the PostgreSQL advisory lock that serialises recalibrations.
_CALIBRATION_LOCK_KEY = 0x68796361


@dataclass(frozen=True)
class Forecast:
    persona: str
    hypothesis_id: str
    probability: float
    validated: bool


@dataclass(frozen=True)
class CalibrationRow:
    persona: str
    believability: float
    brier: float | None
    resolved_count: int
    updated_at: datetime


def resolved_forecasts(
    session: Session, *, personas: Sequence[str] | None = None
) -> list[Forecast]:
    """Every probability a persona stated about a hypothesis that is now resolved."""
    return [
        Forecast(
            persona=persona,
            hypothesis_id=hypothesis_id,
            probability=float(probability),
            validated=status == HypothesisStatus.VALIDATED.value,
        )
        for persona, hypothesis_id, probability, status in session.execute(
            _forecasts_query(personas)
        )
    ]


def _blind() -> ColumnElement[bool]:
    """The evaluation was run as of a date before its hypothesis was resolved, under the
    current as-of rule (a looser one may have let it read the answer), by a backend that
    cannot have known the outcome otherwise: one that reads only its request, or a model
    whose training cutoff came before the resolution (``Evaluation.knowledge_cutoff``)."""
    return and_(
        Evaluation.as_of.is_not(None),
        Evaluation.as_of < Hypothesis.resolved_on,
        Evaluation.as_of_rule_version == AS_OF_RULE_VERSION,
        or_(
            Evaluation.reads_only_request.is_(True),
            Evaluation.knowledge_cutoff < Hypothesis.resolved_on,
        ),
    )


def grades_personas(evaluation: Evaluation, resolved_on: date | None = None) -> bool | None:
    """``_blind`` for one evaluation, for the views: None for a live one; else whether its
    blind forecast grades the personas (with ``resolved_on`` unknown, whether it can)."""
    if evaluation.as_of is None:
        return None
    return why_not_graded(evaluation, resolved_on) is None


def why_not_graded(evaluation: Evaluation, resolved_on: date | None = None) -> str | None:
    """Why a blind forecast does not grade the personas ("older rule", "debated after",
    "no cutoff", "trained past"), or None when it does (``_blind``, one evaluation at a
    time; with ``resolved_on`` unknown, the checks that need it pass)."""
    if evaluation.as_of_rule_version != AS_OF_RULE_VERSION:
        return "older rule"
    if resolved_on is not None and evaluation.as_of is not None and evaluation.as_of >= resolved_on:
        return "debated after"
    if evaluation.reads_only_request:
        return None
    cutoff = evaluation.knowledge_cutoff
    if cutoff is None:
        return "no cutoff"
    return "trained past" if resolved_on is not None and cutoff >= resolved_on else None


def _sums_query(personas: Sequence[str]) -> Select[str, int, float, float, str]:
    probability = DebateTurn.probability
    return (
        select(
            DebateTurn.persona,
            func.count(),
            func.sum(probability),
            func.sum(probability * probability),
            Hypothesis.status,
        )
        .join(Evaluation, Evaluation.id == DebateTurn.evaluation_id)
        .join(Hypothesis, Hypothesis.id == Evaluation.hypothesis_id)
        .where(Hypothesis.status.in_(_RESOLVED), DebateTurn.persona.in_(list(personas)), _blind())
        .group_by(DebateTurn.persona, Hypothesis.id, Hypothesis.status)
        .order_by(DebateTurn.persona, Hypothesis.id)
    )


def _forecasts_query(personas: Sequence[str] | None) -> Select[str, str, float, str]:
    query = (
        select(DebateTurn.persona, Hypothesis.id, DebateTurn.probability, Hypothesis.status)
        .join(Evaluation, Evaluation.id == DebateTurn.evaluation_id)
        .join(Hypothesis, Hypothesis.id == Evaluation.hypothesis_id)
        .where(Hypothesis.status.in_(_RESOLVED), _blind())
        .order_by(DebateTurn.persona, Hypothesis.id, DebateTurn.id)
    )
    if personas is not None:
        query = query.where(DebateTurn.persona.in_(list(personas)))
    return query


def recalibrate(
    session: Session,
    *,
    hypothesis_id: str,
    brier: BrierRule,
    believability: BelievabilityRule,
    now: datetime | None = None,
) -> list[CalibrationRow]:
    """Recompute the calibration of every persona that forecast ``hypothesis_id``.

    Call when the hypothesis is resolved. Each persona's score is recomputed from its whole
    resolved record (mean over hypotheses of the per-hypothesis Brier), so calling this twice,
    or in any order across hypotheses, gives the same table. Returns the updated rows.
    """
    return recalibrate_many(
        session,
        hypothesis_ids=[hypothesis_id],
        brier=brier,
        believability=believability,
        now=now,
    )


def recalibrate_many(
    session: Session,
    *,
    hypothesis_ids: Sequence[str],
    brier: BrierRule,
    believability: BelievabilityRule,
    now: datetime | None = None,
) -> list[CalibrationRow]:
    """``recalibrate`` for several resolved hypotheses at once, reading the record once.

    On PostgreSQL recalibrations take turns (a transaction-scoped advisory lock): each then
    reads the record as the previous one committed it, and two workers never both insert the
    first row of a persona.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _CALIBRATION_LOCK_KEY})
    _check_resolved(session, hypothesis_ids)
    personas = sorted(
        session.scalars(
            select(DebateTurn.persona)
            .distinct()
            .join(Evaluation, Evaluation.id == DebateTurn.evaluation_id)
            .join(Hypothesis, Hypothesis.id == Evaluation.hypothesis_id)
            .where(Evaluation.hypothesis_id.in_(list(hypothesis_ids)), _blind())
        )
    )
    # The whole resolved record is graded each time, so SQL sums it per persona and hypothesis.
    grouped: dict[str, list[float]] = defaultdict(list)
    validated = HypothesisStatus.VALIDATED.value
    for persona, count, total, total_of_squares, status in session.execute(_sums_query(personas)):
        grouped[persona].append(
            brier(int(count), float(total), float(total_of_squares), status == validated)
        )
    now = now or utcnow()
    updated: list[CalibrationRow] = []
    for persona in personas:
        per_hypothesis = grouped[persona]
        overall = sum(per_hypothesis) / len(per_hypothesis)
        row = session.get(PersonaCalibration, persona)
        if row is None:
            row = PersonaCalibration(persona=persona)
            session.add(row)
        row.brier = overall
        row.resolved_count = len(per_hypothesis)
        row.believability = believability(overall, len(per_hypothesis))
        row.updated_at = now
        updated.append(_row(row))
    session.flush()
    return updated


def resolved_among(session: Session, *, hypothesis_ids: Sequence[str]) -> list[str]:
    """Those of the hypotheses that are resolved (validated or refuted), sorted."""
    return sorted(
        session.scalars(
            select(Hypothesis.id).where(
                Hypothesis.id.in_(list(hypothesis_ids)), Hypothesis.status.in_(_RESOLVED)
            )
        )
    )


def _check_resolved(session: Session, hypothesis_ids: Sequence[str]) -> None:
    """Raises NotFoundError for an unknown hypothesis, ValueError for one not yet resolved."""
    found = {
        h.id: h.status
        for h in session.scalars(select(Hypothesis).where(Hypothesis.id.in_(list(hypothesis_ids))))
    }
    for hypothesis_id in hypothesis_ids:
        if hypothesis_id not in found:
            raise missing_hypothesis(session, hypothesis_id)
        if found[hypothesis_id] not in _RESOLVED:
            raise ValueError(
                f"hypothesis {hypothesis_id!r} is {found[hypothesis_id]!r}; "
                "only validated or refuted hypotheses can be scored"
            )


# Read as every debate starts (storage.queries.prebuilt says why built once).
_BELIEVABILITY = select(PersonaCalibration.persona, PersonaCalibration.believability)


def persona_believability(session: Session) -> dict[str, float]:
    """Every calibrated persona's believability; personas not listed count as 1.0."""
    rows = session.connection().execute(_BELIEVABILITY)
    return {persona: float(value) for persona, value in rows}


def calibration_table(session: Session) -> list[CalibrationRow]:
    """The per-persona calibration table, most believable first."""
    rows = session.scalars(
        select(PersonaCalibration).order_by(
            PersonaCalibration.believability.desc(), PersonaCalibration.persona
        )
    )
    return [_row(row) for row in rows]


def _row(row: PersonaCalibration) -> CalibrationRow:
    return CalibrationRow(
        persona=row.persona,
        believability=row.believability,
        brier=row.brier,
        resolved_count=row.resolved_count,
        updated_at=row.updated_at,
    )
