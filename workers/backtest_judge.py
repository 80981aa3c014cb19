"""The tournament's judge, backtested: shown a validated and a refuted hypothesis, blind, how
often does it prefer the validated one?

Tournament strengths come from this judge's verdicts, so whether they track outcomes is
whether its preferences do. Every validated-refuted pair of the resolved set is judged once,
by the backend the tournament uses, with both cases cut back to the *earlier* of the two as-of
dates (``debates.asof.case_as_of``): each hypothesis's own as-of date would let the later case
cite the trial that settled the earlier one. Who is shown first is the tournament's own
seeded coin (``scoring.pairing.shown_first``), so a judge's lean towards either position adds
noise, not bias. ``workers.backtest_report`` grades the verdicts as a pair-table AUC.

A judge that bills by the call can be asked about a seeded random sample of the pairs instead
(``pairs_to_judge``); the grade is then the share right among those, with the same bootstrap.
Where the backtest's work goes through the provider's batch API (half price), so do the judge's
calls (``judge_in_batches``). Each batch is recorded in the ledger once the provider accepted it
(``LedgerBatches``), so a backtest stopped while it waited collects it when run again.
"""

from __future__ import annotations

import hashlib
import json
import random
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Protocol

from debates.asof import case_as_of
from debates.backends.base import AgentBackend, BackendError
from debates.backends.batching import BatchAnswer, BatchingBackend, BatchItem, batching
from debates.backends.replies import RawReply
from debates.case import Case
from debates.judge import build_judge_request, judge_batch_answer, judge_once
from scoring.pairing import shown_first
from storage.db import Database
from storage.models import utcnow
from storage.queries.backtests import ResolvedHypothesis
from storage.queries.judge_batches import (
    forget_judge_batch,
    record_judge_batch,
    sent_judge_batch,
)
from workers.backtest import BacktestError

# The coin's seed: one fixed string, so a rerun shows every pair in the same order.
ORDER_SEED = "backtest-judge"
# How long a rerun looks for a batch sent before. Both providers answer within 24 hours and
# keep results for weeks; past a week a rerun is more likely a new experiment than a resume.
REUSE_DAYS = 7


@dataclass(frozen=True)
class JudgedPair:
    validated: str
    refuted: str
    as_of: date
    shown_first: str
    preferred: str | None  # the hypothesis the judge chose; None when its reply was unreadable


@dataclass(frozen=True)
class ShownPair:
    """A pair as the judge is shown it: both cases cut at the earlier as-of date, in the order
    the coin chose."""

    validated: str
    refuted: str
    as_of: date
    first: Case
    second: Case

    def judged(self, verdict: str | None) -> JudgedPair:
        shown = {"first": self.first.hypothesis_id, "second": self.second.hypothesis_id}
        first = self.first.hypothesis_id
        return JudgedPair(self.validated, self.refuted, self.as_of, first, shown.get(verdict or ""))


def shown_pairs(
    resolved: Sequence[ResolvedHypothesis],
    cases: Mapping[str, Case],
    *,
    horizon_days: int,
    pairs: Sequence[tuple[str, str]] | None = None,
) -> list[ShownPair]:
    """Each of ``pairs`` (default: every (validated, refuted) pair, in id order) as the judge
    is shown it."""
    as_of = {r.hypothesis_id: r.resolved_on - timedelta(days=horizon_days) for r in resolved}
    blind: dict[tuple[str, date], Case] = {}

    def cut(hypothesis_id: str, on: date) -> Case:
        if (hypothesis_id, on) not in blind:
            blind[hypothesis_id, on] = case_as_of(cases[hypothesis_id], on)
        return blind[hypothesis_id, on]

    if pairs is None:
        pairs = resolved_pairs({r.hypothesis_id: r.validated for r in resolved})
    shown = []
    for validated, refuted in pairs:
        on = min(as_of[validated], as_of[refuted])
        first, second = shown_first(validated, refuted, seed=ORDER_SEED)
        shown.append(ShownPair(validated, refuted, on, cut(first, on), cut(second, on)))
    return shown


def judge_resolved_pairs(
    resolved: Sequence[ResolvedHypothesis],
    cases: Mapping[str, Case],
    *,
    horizon_days: int,
    backend: AgentBackend,
    pairs: Sequence[tuple[str, str]] | None = None,
    on_done: Callable[[], None] | None = None,
) -> list[JudgedPair]:
    """Each of ``pairs`` (default: every (validated, refuted) pair, in id order) judged once
    live, blind as of the earlier as-of date; ``on_done`` hears each verdict."""
    judged = []
    for shown in shown_pairs(resolved, cases, horizon_days=horizon_days, pairs=pairs):
        judged.append(shown.judged(judge_once(backend, shown.first, shown.second).verdict))
        if on_done is not None:
            on_done()
    return judged


@dataclass(frozen=True)
class BatchWait:
    """How the judge's provider batches are sent and waited for (the provider-batch settings,
    and the backtest's own timeout)."""

    poll_seconds: float
    timeout_seconds: float
    max_items: int
    retry_live: bool  # ask an item live when it failed in a way a retry may pass
    sleep: Callable[[float], None] = time.sleep


class SentBatches(Protocol):
    """Where the judge's batches are remembered by what they asked (a ``batch_digest``)."""

    def find(self, digest: str) -> str | None:
        """The provider's id of a batch that asked exactly this, if one is kept."""
        ...

    def keep(
        self, digest: str, batch_id: str, *, backend: str, model: str, item_count: int
    ) -> None: ...

    def forget(self, digest: str) -> None: ...


class LedgerBatches:
    """``SentBatches`` in the database, each write committed at once: a backtest killed a
    moment after the provider accepted a batch has recorded it."""

    def __init__(self, database: Database, *, reuse_days: int = REUSE_DAYS) -> None:
        self._database = database
        self._reuse = timedelta(days=reuse_days)

    def find(self, digest: str) -> str | None:
        with self._database.read_session() as session:
            return sent_judge_batch(session, digest=digest, since=utcnow() - self._reuse)

    def keep(
        self, digest: str, batch_id: str, *, backend: str, model: str, item_count: int
    ) -> None:
        with self._database.transaction() as session:
            record_judge_batch(
                session,
                digest=digest,
                backend=backend,
                model=model,
                provider_batch_id=batch_id,
                item_count=item_count,
            )

    def forget(self, digest: str) -> None:
        with self._database.transaction() as session:
            forget_judge_batch(session, digest=digest)


@dataclass(frozen=True)
class _Chunk:
    items: list[BatchItem]
    digest: str
    batch_id: str
    reused: bool


def judge_in_batches(
    shown: Sequence[ShownPair],
    *,
    backend: AgentBackend,
    wait: BatchWait,
    sent: SentBatches | None = None,
    on_submitted: Callable[[str], None] | None = None,
) -> list[JudgedPair]:
    """The ``shown`` pairs judged through the provider's batch API, ``wait.max_items`` to a
    batch: every batch is sent (or, with ``sent``, found where an earlier run sent it), then
    each is waited for. A reply is read as a live one is; an item the batch did not answer is
    asked live when ``wait.retry_live`` and a retry may pass, else the backtest stops naming it
    (and forgets the batch, so a rerun asks it anew). Raises BacktestError."""
    batch = batching(backend)
    if batch is None:
        raise BacktestError(f"the {backend.name} backend has no provider batch API")
    requests = [build_judge_request(s.first, s.second) for s in shown]
    chunks = []
    for start in range(0, len(shown), wait.max_items):
        ids = range(start, min(start + wait.max_items, len(shown)))
        chunk = _send([BatchItem(f"judge-{k}", requests[k]) for k in ids], batch, sent)
        chunks.append(chunk)
        if on_submitted is not None:
            on_submitted(chunk.batch_id)
    answers: dict[str, tuple[BatchAnswer | None, str]] = {}
    for chunk in chunks:
        results = _collect(chunk, batch, wait, sent)
        answers.update({i.custom_id: (results.get(i.custom_id), chunk.digest) for i in chunk.items})
    judged = []
    for k, pair in enumerate(shown):
        answer, digest = answers[f"judge-{k}"]
        if isinstance(answer, RawReply):
            verdict = judge_batch_answer(batch, requests[k], answer)
        elif wait.retry_live and (answer is None or answer.retryable):  # missing: expired
            verdict = judge_once(backend, pair.first, pair.second)
        else:
            if sent is not None:
                sent.forget(digest)
            what = "no answer" if answer is None else f"{answer.kind}: {answer.detail}"
            raise BacktestError(
                f"the judge's batch item for {pair.validated} against {pair.refuted} failed "
                f"({what}), and live retries are off (HYPOSCORE_PROVIDER_BATCH_RETRY_LIVE)"
            )
        judged.append(pair.judged(verdict.verdict))
    return judged


def batch_digest(batch: BatchingBackend, items: Sequence[BatchItem]) -> str:
    """What a batch asks, fingerprinted (SHA-256, hex): the backend, the model, and every
    item's id, output schema and messages, each JSON-encoded so no two differ by framing."""
    asked = hashlib.sha256(json.dumps([batch.name, batch.model]).encode())
    for item in items:
        messages = [[m.role, m.content] for m in item.request.messages]
        schema = item.request.output_schema.__name__
        asked.update(json.dumps([item.custom_id, schema, messages]).encode())
    return asked.hexdigest()


def _send(items: list[BatchItem], batch: BatchingBackend, sent: SentBatches | None) -> _Chunk:
    digest = batch_digest(batch, items)
    found = sent.find(digest) if sent is not None else None
    if found is not None:
        return _Chunk(items, digest, found, reused=True)
    batch_id = batch.submit_batch(items)
    if sent is not None:
        sent.keep(digest, batch_id, backend=batch.name, model=batch.model, item_count=len(items))
    return _Chunk(items, digest, batch_id, reused=False)


def _collect(
    chunk: _Chunk, batch: BatchingBackend, wait: BatchWait, sent: SentBatches | None
) -> Mapping[str, BatchAnswer]:
    """A batch's answers once it ended. A batch found from an earlier run that the provider
    no longer knows (a non-retryable error) is forgotten and sent again."""
    try:
        _wait_until_ended(batch, chunk.batch_id, wait)
        return batch.batch_results(chunk.batch_id)
    except BackendError as exc:
        if not chunk.reused or exc.retryable or sent is None:
            raise
        sent.forget(chunk.digest)
        return _collect(_send(chunk.items, batch, sent), batch, wait, sent)


def _wait_until_ended(batch: BatchingBackend, batch_id: str, wait: BatchWait) -> None:
    deadline = time.monotonic() + wait.timeout_seconds
    while not batch.batch_state(batch_id).ended:
        if time.monotonic() >= deadline:
            raise BacktestError(
                f"the judge's provider batch {batch_id} had not ended after "
                f"{wait.timeout_seconds:.0f} s (--timeout); it is recorded, and the same "
                "backtest run again collects it without sending it again"
            )
        wait.sleep(wait.poll_seconds)


def resolved_pairs(outcomes: Mapping[str, bool]) -> list[tuple[str, str]]:
    """Every (validated, refuted) pair of ids, in id order."""
    ids = sorted(outcomes)
    return [(v, r) for v in ids if outcomes[v] for r in ids if not outcomes[r]]


def pairs_to_judge(
    outcomes: Mapping[str, bool], *, sample: int | None, seed: int
) -> list[tuple[str, str]]:
    """The pairs the judge is asked about: every validated-refuted pair, or with ``sample``, a
    random ``sample`` of them drawn with ``seed`` (the report's), in id order. The same
    arguments always give the same pairs, so a report can check it got the ones it asked."""
    pairs = resolved_pairs(outcomes)
    if sample is None or sample >= len(pairs):
        return pairs
    if sample < 1:
        raise ValueError(f"a sample of the judge's pairs must hold at least 1, got {sample}")
    chosen = random.Random(f"{ORDER_SEED}:{seed}").sample(range(len(pairs)), sample)
    return [pairs[i] for i in sorted(chosen)]
