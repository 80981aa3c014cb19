"""Evaluations: queue one or many (with a token), follow state and progress, read debates."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Header, Query
from fastapi.responses import JSONResponse
from starlette.convertors import StringConvertor, register_url_convertor

from api.deps import DatabaseDep, EvaluationIdPath, PageDep, SessionDep, SettingsDep, TokenDep
from api.errors import ApiError
from api.evaluation_schemas import (
    DebateOptions,
    EvaluationBatchRequest,
    EvaluationOut,
    EvaluationQueued,
    EvaluationRequest,
    EvaluationsQueued,
    Transcript,
    evaluation_out,
    turn_outs,
)
from api.schemas import Paginated
from common.limits import MAX_HYPOTHESIS_ID, MAX_IDEMPOTENCY_KEY
from common.text import POLICY
from debates.config import ConfigError
from storage.queries.evaluations import Enqueued, get_evaluation, list_evaluations
from storage.queries.provider_batches import latest_batch_of
from storage.queries.spending import billed_usage
from storage.queries.turns import list_turns
from storage.queries.views import count_evaluations
from workers.dispatch import debate_config, submit_evaluation, submit_evaluations

log = logging.getLogger("hyposcore.api")

router = APIRouter(prefix="/evaluations", tags=["evaluations"])

SubmitFn = Callable[..., Any]


def get_submit() -> SubmitFn:
    """The function that queues an evaluation: writes the ledger row, then sends the message.

    A dependency so that deployments (or tests) can route queueing elsewhere.
    """
    return submit_evaluation


class _EvaluationRef(StringConvertor):
    """A path segment that may be an evaluation id: anything but the sibling route "batch".

    So GET /evaluations/batch matches only POST /evaluations/batch and is answered 405 with
    the methods the path has, while any other word still gets a 422 naming the id.
    """

    regex = r"(?!batch(?:/|$))[^/]+"


register_url_convertor("evaluation_ref", _EvaluationRef())

State = Literal[
    "queued", "running", "debated", "paused", "batched", "succeeded", "failed", "cancelled"
]


@router.post(
    "",
    status_code=202,
    response_model=EvaluationQueued,
    responses={
        200: {"model": EvaluationQueued, "description": "An equal evaluation already exists."},
        401: {"description": "No token, or an unknown or revoked one."},
        404: {"description": "The hypothesis does not exist; nothing was queued."},
    },
)
def queue(
    request_body: EvaluationRequest,
    token: TokenDep,
    database: DatabaseDep,
    settings: SettingsDep,
    submit: Annotated[SubmitFn, Depends(get_submit)],
    idempotency_key: Annotated[
        str | None,
        Header(
            min_length=1,
            max_length=MAX_IDEMPOTENCY_KEY,
            description=(
                "Repeat a request safely: the same key with the same request returns the same "
                "evaluation; the same key with a different request is refused with 422."
            ),
        ),
    ] = None,
) -> JSONResponse:
    """Queue an evaluation: 202 with a Location when created, 200 with the existing one when an
    equal evaluation is live (or the Idempotency-Key was seen before)."""
    config = _config(settings, request_body)
    enqueued: Enqueued = submit(
        database,
        settings,
        hypothesis_id=request_body.hypothesis_id,
        config=config,
        force=request_body.force,
        idempotency_key=idempotency_key,
    )
    out = evaluation_out(enqueued.evaluation)
    log.info("token %s queued evaluation %s (created=%s)", token.name, out.id, enqueued.created)
    if enqueued.created:
        body = EvaluationQueued(
            evaluation=out, created=True, deduplicated=False, message="evaluation queued"
        )
        return JSONResponse(
            body.model_dump(mode="json"),
            status_code=202,
            headers={"Location": f"/evaluations/{out.id}"},
        )
    body = EvaluationQueued(
        evaluation=out,
        created=False,
        deduplicated=True,
        message=(f"deduplicated: evaluation {out.id} ({out.state}) already covers this request"),
    )
    return JSONResponse(
        body.model_dump(mode="json"),
        status_code=200,
        headers={"Content-Location": f"/evaluations/{out.id}"},
    )


def get_submit_many() -> SubmitFn:
    """The function that queues many evaluations at once (offline ones travel as batches)."""
    return submit_evaluations


@router.post(
    "/batch",
    status_code=202,
    response_model=EvaluationsQueued,
    responses={
        200: {"model": EvaluationsQueued, "description": "Every one already exists."},
        401: {"description": "No token, or an unknown or revoked one."},
        404: {"description": "A hypothesis does not exist; nothing was queued."},
    },
)
def queue_many(
    request_body: EvaluationBatchRequest,
    token: TokenDep,
    database: DatabaseDep,
    settings: SettingsDep,
    submit_many: Annotated[SubmitFn, Depends(get_submit_many)],
) -> JSONResponse:
    """Queue evaluations of several hypotheses with the same options, in one transaction.

    Offline evaluations queued together are debated as batches, far cheaper than one by one.
    202 when at least one was created, 200 when every one was already live; an unknown
    hypothesis is a 404 and queues nothing.
    """
    config = _config(settings, request_body)
    enqueued: list[Enqueued] = submit_many(
        database,
        settings,
        hypothesis_ids=request_body.hypothesis_ids,
        config=config,
        force=request_body.force,
    )
    items = [
        EvaluationQueued(
            evaluation=evaluation_out(e.evaluation),
            created=e.created,
            deduplicated=not e.created,
            message="evaluation queued" if e.created else "deduplicated",
        )
        for e in enqueued
    ]
    created = sum(1 for e in enqueued if e.created)
    log.info("token %s queued %d evaluations (%d new)", token.name, len(items), created)
    body = EvaluationsQueued(evaluations=items, created=created, deduplicated=len(items) - created)
    return JSONResponse(body.model_dump(mode="json"), status_code=202 if created else 200)


def _config(settings: Any, options: DebateOptions) -> dict[str, Any]:
    try:
        return debate_config(
            settings,
            backend=options.backend,
            panel=options.panel,
            min_rounds=options.min_rounds,
            max_rounds=options.max_rounds,
            as_of=options.as_of,
            urgent=options.now,
        )
    except ConfigError as exc:
        detail = {"location": ["body", exc.field], "message": exc.problem, "type": "invalid_config"}
        raise ApiError(422, str(exc), details=[detail]) from None


@router.get("", response_model=Paginated[EvaluationOut])
def list_all(
    session: SessionDep,
    page: PageDep,
    hypothesis_id: Annotated[
        str | None, Query(min_length=1, max_length=MAX_HYPOTHESIS_ID), POLICY
    ] = None,
    state: State | None = None,
) -> Paginated[EvaluationOut]:
    """Evaluations newest first, optionally of one hypothesis or in one state."""
    states = [state] if state else None
    rows = list_evaluations(
        session, hypothesis_id=hypothesis_id, states=states, limit=page.limit, offset=page.offset
    )
    return Paginated(
        items=[evaluation_out(e) for e in rows],
        total=count_evaluations(session, hypothesis_id=hypothesis_id, states=states),
        limit=page.limit,
        offset=page.offset,
    )


@router.get("/{evaluation_id:evaluation_ref}", response_model=EvaluationOut)
def get_one(session: SessionDep, evaluation_id: EvaluationIdPath) -> EvaluationOut:
    """An evaluation's state, progress (round, turns done of total), decisions and error."""
    evaluation = get_evaluation(session, evaluation_id=evaluation_id)
    billed = billed_usage(session, evaluation_id=evaluation_id)
    return evaluation_out(evaluation, billed, latest_batch_of(session, evaluation_id=evaluation_id))


@router.get("/{evaluation_id:evaluation_ref}/transcript", response_model=Transcript)
def transcript(session: SessionDep, evaluation_id: EvaluationIdPath) -> Transcript:
    """The debate: every turn by round, with claims and links to the papers they cite."""
    evaluation = get_evaluation(session, evaluation_id=evaluation_id)
    turns = list_turns(session, evaluation_id=evaluation_id)
    return Transcript(evaluation=evaluation_out(evaluation), turns=turn_outs(evaluation, turns))
