"""Idempotency keys bound to their request, as the IETF Idempotency-Key draft asks.

A key names one request: the hypothesis, the effective configuration (defaults filled in, so
a request that spells out a default equals one that omits it) and ``force``. The same request
under the same key gets the same evaluation back, whatever its state; another request under
that key is refused with :class:`IdempotencyConflictError`, never answered with the first
request's evaluation.
"""

from __future__ import annotations

import hashlib
import json

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from storage.errors import IdempotencyConflictError
from storage.models import Evaluation, IdempotencyKey, utcnow


def request_fingerprint(*, hypothesis_id: str, config_digest: str, force: bool) -> str:
    """The SHA-256 of what makes two queue requests the same request."""
    canonical = json.dumps(
        {"hypothesis_id": hypothesis_id, "config": config_digest, "force": force},
        sort_keys=True,
        separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def _fingerprint_of(evaluation: Evaluation) -> str:
    # A forced evaluation is the one without a dedup key (see enqueue_evaluation).
    return request_fingerprint(
        hypothesis_id=evaluation.hypothesis_id,
        config_digest=evaluation.config_hash,
        force=evaluation.dedup_key is None,
    )


def evaluation_for_key(session: Session, *, key: str, fingerprint: str) -> Evaluation | None:
    """The evaluation ``key`` already stands for, or None for a new key.

    Raises :class:`IdempotencyConflictError` when the key was used for another request.
    """
    bound = session.get(IdempotencyKey, key)
    if bound is not None:
        if bound.request_sha256 != fingerprint:
            raise IdempotencyConflictError(key, bound.evaluation_id)
        return session.get(Evaluation, bound.evaluation_id)
    # Keys recorded before the key table existed live only on the evaluation they created.
    legacy = session.scalar(select(Evaluation).where(Evaluation.idempotency_key == key))
    if legacy is not None and _fingerprint_of(legacy) != fingerprint:
        raise IdempotencyConflictError(key, legacy.id)
    return legacy


def bind_key(session: Session, *, key: str, fingerprint: str, evaluation: Evaluation) -> Evaluation:
    """Record that ``key`` stands for this request and ``evaluation``.

    Returns the evaluation the key stands for: ``evaluation``, or, when a concurrent request
    bound the key first, that request's evaluation (or a conflict if it was another request).
    """
    try:
        with session.begin_nested():
            session.add(
                IdempotencyKey(
                    key=key,
                    request_sha256=fingerprint,
                    evaluation_id=evaluation.id,
                    created_at=utcnow(),
                )
            )
    except IntegrityError:
        winner = evaluation_for_key(session, key=key, fingerprint=fingerprint)
        if winner is None:
            raise
        return winner
    return evaluation
