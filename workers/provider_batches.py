"""Debates through provider batch APIs: each round of the waiting debates is one batch.

A debate's turns are sequential, so a batch holds the next turn of many debates. One pass
(beat runs it every ``provider_batch_poll_seconds``) does two things:

1. **Collect.** Each open batch is polled; once it has ended, every item's answer is stored in
   the ledger (once: see ``storage.queries.provider_batches``) and its evaluations are queued
   again.
2. **Submit.** Queued batch-delivery evaluations are claimed and their debates replayed from
   the ledger through :class:`BatchTurnBackend`: a turn the last batch answered is validated
   and stored exactly as a live turn is (``TurnWriter``, repairs included); the first turn with
   no answer stops the replay, and its request goes into the next batch. A debate that needs
   no more turns is handed to scoring.

An item that expired or failed with an error a retry may pass is asked live
(``provider_batch_retry_live``); any other failure fails the evaluation with its reason.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from common.settings import Settings
from debates.backends.base import (
    AgentBackend,
    BackendError,
    BackendRequest,
    BackendResult,
    FatalError,
    OutputT,
    RetryableError,
)
from debates.backends.batching import BatchAnswer, BatchingBackend, BatchItem, batching
from debates.backends.replies import RawReply
from debates.types import DebateConfig
from storage.db import Database
from storage.models import BatchItemState, ProviderBatchState, utcnow
from storage.queries import evaluations as ledger
from storage.queries import provider_batches as batches
from storage.queries.evaluation_batches import Claimed, claim_batch
from storage.queries.provider_batches import ItemAnswer, NewItem
from storage.queries.workers import PROVIDER_BATCH_TASK, record_pass
from workers.evaluation import BackendFactory, run_debate_phase
from workers.lease import LeaseLostError
from workers.spending import SpendLimitError, pause

log = logging.getLogger(__name__)


class UnansweredTurnError(Exception):
    """The replay reached a turn no batch has answered: ``request`` goes into the next one."""

    def __init__(self, request: BackendRequest[Any]) -> None:
        super().__init__(f"round {request.context.round}, {request.context.persona}: deferred")
        self.request = request


class BatchTurnBackend:
    """The backend a batch-delivery debate is replayed with: a turn's answer comes from the
    ledger's batch items, or the turn is deferred to the next batch."""

    def __init__(
        self,
        live: AgentBackend,
        provider: BatchingBackend,
        *,
        answer_for: Callable[[int, str], ItemAnswer | None],
        retry_live: bool,
    ) -> None:
        self.name = live.name
        self._live = live
        self._provider = provider
        self._answer_for = answer_for
        self._retry_live = retry_live

    def complete(self, request: BackendRequest[OutputT]) -> BackendResult[OutputT]:
        context = request.context
        answer = self._answer_for(context.round or 0, context.persona or "")
        if answer is None:
            raise UnansweredTurnError(request)
        if answer.state == BatchItemState.ANSWERED.value:
            return self._provider.complete_from(request, raw_reply(answer))
        where = f"round {context.round}, {context.persona}"
        if answer.retryable and self._retry_live:
            log.info("%s: batch item %s (%s); asking it live", where, answer.state, answer.error)
            return self._live.complete(request)
        raise FatalError(f"{where}: the provider batch item {answer.state}: {answer.error}")


def raw_reply(answer: ItemAnswer) -> RawReply:
    return RawReply(
        text=answer.reply or "",
        prompt_tokens=answer.prompt_tokens,
        completion_tokens=answer.completion_tokens,
        model=answer.model,
        truncated=answer.truncated,
        cached_read_tokens=answer.cached_read_tokens,
        cache_write_tokens=answer.cache_write_tokens,
    )


def item_answer(answer: BatchAnswer) -> ItemAnswer:
    """A provider's answer to one item, as the ledger stores it."""
    if isinstance(answer, RawReply):
        return ItemAnswer(
            state=BatchItemState.ANSWERED.value,
            reply=answer.text,
            model=answer.model,
            truncated=answer.truncated,
            prompt_tokens=answer.prompt_tokens,
            completion_tokens=answer.completion_tokens,
            cached_read_tokens=answer.cached_read_tokens,
            cache_write_tokens=answer.cache_write_tokens,
        )
    return ItemAnswer(state=answer.kind, error=answer.detail, retryable=answer.retryable)


@dataclass
class Pass:
    """What one pass did, by evaluation id."""

    collected: list[int] = field(default_factory=list)  # batches whose answers were stored
    submitted: list[int] = field(default_factory=list)  # batches sent
    debated: list[int] = field(default_factory=list)  # evaluations handed to scoring
    failed: list[int] = field(default_factory=list)


class BatchRunner:
    """One worker's passes over the ledger's provider batches."""

    def __init__(
        self, database: Database, settings: Settings, *, backend_for: BackendFactory, owner: str
    ) -> None:
        self.database = database
        self.settings = settings
        self.backend_for = backend_for
        self.owner = owner

    def run_pass(self) -> Pass:
        with self.database.transaction() as session:  # the views tell a wait from no beat
            record_pass(session, task=PROVIDER_BATCH_TASK)
        done = Pass()
        self.collect(done)
        self.submit(done)
        return done

    # -- collecting ---------------------------------------------------------------------------

    def collect(self, done: Pass) -> None:
        with self.database.sessions() as session:
            open_batches = batches.open_batches(session)
        for batch in open_batches:
            if batch.state == ProviderBatchState.SUBMITTING.value:
                self._clear_unsent(batch)
                continue
            provider = self._provider(batch.backend, batch.model)
            assert batch.provider_batch_id is not None  # submitted batches have one
            try:
                self._collect_one(batch.id, batch.provider_batch_id, provider, done)
            except RetryableError as exc:
                log.warning("batch %s: not polled (%s); next pass", batch.provider_batch_id, exc)
            except FatalError as exc:
                with self.database.transaction() as session:
                    batches.fail_batch(session, batch_id=batch.id, error=str(exc))
                log.error("batch %s failed: %s", batch.provider_batch_id, exc)

    def _collect_one(
        self, batch_id: int, provider_batch_id: str, provider: BatchingBackend, done: Pass
    ) -> None:
        state = provider.batch_state(provider_batch_id)
        if not state.ended:
            with self.database.transaction() as session:
                batches.record_poll(session, batch_id=batch_id, status=state.status)
            return
        answers = {
            custom_id: item_answer(answer)
            for custom_id, answer in provider.batch_results(provider_batch_id).items()
        }
        with self.database.transaction() as session:
            requeued = batches.store_answers(
                session, batch_id=batch_id, answers=answers, status=state.status
            )
        if requeued:
            done.collected.append(batch_id)

    def _clear_unsent(self, batch: batches.OpenBatch) -> None:
        """A batch recorded but never sent (its worker died between the two): give it up once
        it is older than a lease, so its evaluations are asked again."""
        age = (utcnow() - batch.created_at).total_seconds()
        if age < self.settings.lease_seconds:
            return
        with self.database.transaction() as session:
            batches.fail_batch(session, batch_id=batch.id, error="recorded but never sent")

    # -- submitting ---------------------------------------------------------------------------

    def submit(self, done: Pass) -> None:
        with self.database.transaction() as session:
            waiting = batches.waiting_for_batch(
                session, limit=self.settings.provider_batch_max_items
            )
            claimed = claim_batch(
                session,
                evaluation_ids=waiting,
                worker=self.owner,
                lease_seconds=self.settings.lease_seconds,
            )
        deferred: dict[tuple[str, str], list[tuple[int, BatchItem]]] = defaultdict(list)
        for evaluation in claimed:
            request = self._replay(evaluation, done)
            if request is not None:
                config = DebateConfig.from_dict(evaluation.config)
                item = BatchItem(custom_id(evaluation.id, request), request)
                deferred[(config.backend, config.model or "")].append((evaluation.id, item))
        for (backend, model), items in deferred.items():
            self._send(backend, model, items, done)

    def _replay(self, evaluation: Claimed, done: Pass) -> BackendRequest[Any] | None:
        """Replay one debate up to its first unanswered turn; that turn's request, or None
        when the debate ended (handed to scoring) or stopped (paused, failed, released)."""
        try:
            run_debate_phase(
                self.database,
                self.settings,
                evaluation,
                owner=self.owner,
                backend_for=self._replaying(evaluation.id),
            )
        except UnansweredTurnError as deferred:
            return deferred.request
        except LeaseLostError:
            log.warning("evaluation %d: lease lost during its replay", evaluation.id)
        except SpendLimitError as stop:
            pause(self.database, evaluation_id=evaluation.id, owner=self.owner, stop=stop)
        except FatalError as exc:
            with self.database.transaction() as session:
                ledger.fail_evaluation(
                    session, evaluation_id=evaluation.id, worker=self.owner, error=str(exc)
                )
            done.failed.append(evaluation.id)
        except BackendError as exc:  # a live retry of a failed item failed again
            with self.database.transaction() as session:
                ledger.release_for_retry(
                    session, evaluation_id=evaluation.id, worker=self.owner, error=str(exc)
                )
        else:
            done.debated.append(evaluation.id)
        return None

    def _replaying(self, evaluation_id: int) -> BackendFactory:
        def build(config: DebateConfig) -> AgentBackend:
            live = self.backend_for(config)
            provider = batching_of(live, config.backend)

            def answer_for(round_: int, persona: str) -> ItemAnswer | None:
                with self.database.sessions() as session:
                    return batches.answer_for(
                        session, evaluation_id=evaluation_id, round_=round_, persona=persona
                    )

            return BatchTurnBackend(
                live,
                provider,
                answer_for=answer_for,
                retry_live=self.settings.provider_batch_retry_live,
            )

        return build

    def _send(
        self, backend: str, model: str, items: Sequence[tuple[int, BatchItem]], done: Pass
    ) -> None:
        """Record the batch and park its evaluations, then send it: the ledger knows of a
        batch before the provider does, so a crash in between leaves a row to clear."""
        rows = [
            NewItem(
                evaluation_id=evaluation_id,
                round=item.request.context.round or 0,
                persona=item.request.context.persona or "",
                custom_id=item.custom_id,
            )
            for evaluation_id, item in items
        ]
        with self.database.transaction() as session:
            recorded = batches.record_batch(
                session, backend=backend, model=model, items=rows, worker=self.owner
            )
        if recorded is None:
            return
        batch_id, parked = recorded
        kept = {row.custom_id for row in parked}  # only the parked evaluations have items
        provider = self._provider(backend, model)
        try:
            provider_batch_id = provider.submit_batch(
                [item for _, item in items if item.custom_id in kept]
            )
        except BackendError as exc:
            with self.database.transaction() as session:
                batches.fail_batch(session, batch_id=batch_id, error=f"not sent: {exc}")
            log.error("batch of %d turns not sent: %s", len(kept), exc)
            return
        with self.database.transaction() as session:
            batches.mark_submitted(session, batch_id=batch_id, provider_batch_id=provider_batch_id)
        done.submitted.append(batch_id)
        log.info("sent %d turns as provider batch %s", len(kept), provider_batch_id)

    def _provider(self, backend: str, model: str) -> BatchingBackend:
        return batching_of(
            self.backend_for(DebateConfig(backend=backend, model=model or None)), backend
        )


def batching_of(backend: AgentBackend, name: str) -> BatchingBackend:
    provider = batching(backend)
    if provider is None:
        raise FatalError(f"backend {name!r} has no provider batch API")
    return provider


def custom_id(evaluation_id: int, request: BackendRequest[Any]) -> str:
    """The batch item's id: unique within a batch (one turn per evaluation), and within the
    characters and length both providers accept."""
    context = request.context
    return f"e{evaluation_id}-r{context.round}-{context.persona}"[:64]
