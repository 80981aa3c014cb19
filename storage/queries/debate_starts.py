"""What a debate fixes on its evaluation when it starts, and forgets when its case changes.

The persona believabilities and the data fence a resumed debate must go on with, the digest
of the case it read (which a backtest's rerun matches before it reuses the debate) and what
its backend may know beyond that case (which decides whether its blind forecast grades the
personas, ``storage.queries.calibration``). Each write is held to the worker's lease
(``storage.queries.leases.update_held``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session

from storage.models import Evaluation
from storage.queries.leases import EVALUATIONS, update_held
from storage.queries.prebuilt import column_param


@dataclass(frozen=True)
class BackendKnowledge:
    """What a debate's backend may know beyond its case, as the ledger keeps it: whether it
    reads only the request, or the last day a model's training data may reach (None:
    unknown), and the model it asks for (None: a backend without models)."""

    reads_only_request: bool | None = None
    cutoff: date | None = None
    model: str | None = None


_RECORD_START = (
    update_held()
    .where(EVALUATIONS.c.believability.is_(None))
    .values(
        believability=column_param(EVALUATIONS, "believability"),
        fence_token=column_param(EVALUATIONS, "fence_token"),
        case_digest=column_param(EVALUATIONS, "case_digest"),
        reads_only_request=column_param(EVALUATIONS, "reads_only_request"),
        knowledge_cutoff=column_param(EVALUATIONS, "knowledge_cutoff"),
        model=column_param(EVALUATIONS, "model"),
    )
)
_FORGET_CASE_DIGEST = update_held().values(case_digest=None)


@dataclass(frozen=True)
class DebateStart:
    """What a debate fixes on its evaluation when it starts (``record_debate_starts``)."""

    evaluation_id: int
    believability: Mapping[str, float]
    fence_token: str | None = None
    # debates.case.case_digest of the case it debates
    case_digest: str | None = None
    knowledge: BackendKnowledge = BackendKnowledge()


def record_debate_start(session: Session, start: DebateStart, *, worker: str) -> bool:
    """``record_debate_starts`` for one evaluation; True when it was recorded."""
    result = session.connection().execute(_RECORD_START, _start_params(start, worker))
    return bool(result.rowcount == 1)


def record_debate_starts(session: Session, *, starts: Sequence[DebateStart], worker: str) -> None:
    """Fix what each evaluation's debate weighs and reads, once, at its start: the persona
    believabilities and the token of its data fence, so that a resumed debate goes on exactly
    as it began; the digest of its case, which a backtest's rerun matches before it reuses
    the debate; and what its backend may know beyond the case, which decides whether its
    blind forecast grades the personas (``storage.queries.calibration``). An evaluation whose
    debate has started before keeps what it recorded then."""
    if starts:
        session.connection().execute(
            _RECORD_START, [_start_params(start, worker) for start in starts]
        )


def _start_params(start: DebateStart, worker: str) -> dict[str, Any]:
    return {
        "evaluation_id": start.evaluation_id,
        "worker": worker,
        "believability": dict(start.believability),
        "fence_token": start.fence_token,
        "case_digest": start.case_digest,
        "reads_only_request": start.knowledge.reads_only_request,
        "knowledge_cutoff": start.knowledge.cutoff,
        "model": start.knowledge.model,
    }


def forget_case_digest(session: Session, *, evaluation_id: int, worker: str) -> bool:
    """Clear the recorded case digest of a debate resumed on a case that changed since its
    start: its turns read two cases, and it stands for neither."""
    result = session.connection().execute(
        _FORGET_CASE_DIGEST, {"evaluation_id": evaluation_id, "worker": worker}
    )
    return bool(result.rowcount == 1)


def record_cutoffs(
    session: Session,
    *,
    backend: str,
    cutoffs: Mapping[str, date],
    evaluation_ids: Sequence[int] | None = None,
) -> list[str]:
    """Give each evaluation of ``backend`` (of ``evaluation_ids`` only, when given) whose
    debate recorded a model of ``cutoffs`` but no training cutoff (it began before one was
    configured) that model's cutoff: a cutoff is a fact of the model, not of the worker. A
    recorded cutoff is never changed. Returns the hypotheses of the evaluations changed."""
    scope = [Evaluation.config["backend"].as_string() == backend]
    if evaluation_ids is not None:
        scope.append(Evaluation.id.in_(list(evaluation_ids)))
    changed: set[str] = set()
    for model, cutoff in cutoffs.items():
        changed.update(
            session.scalars(
                update(Evaluation)
                .where(
                    *scope,
                    Evaluation.model == model,
                    Evaluation.reads_only_request.is_(False),
                    Evaluation.knowledge_cutoff.is_(None),
                )
                .values(knowledge_cutoff=cutoff)
                .returning(Evaluation.hypothesis_id)
                .execution_options(synchronize_session=False)
            )
        )
    return sorted(changed)
