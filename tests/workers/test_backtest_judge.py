"""The tournament's judge, backtested: every validated-refuted pair once, both cases blind as
of the earlier as-of date, and the verdicts graded as a pair table."""

from __future__ import annotations

import dataclasses
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from debates.backends.base import BackendRequest
from debates.backends.batching import BatchingBackend, BatchItem, batching
from debates.backends.registry import create
from debates.backends.scripted import ScriptedBackend
from debates.case import Case, Evidence
from debates.judge import build_judge_request
from debates.types import DebateConfig
from scoring.pairing import shown_first
from storage.queries.backtests import ResolvedHypothesis
from tests.databases import migrated_sqlite
from tests.fakes.openai_server import FakeOpenAIServer
from tests.workers.backtest_items import OPTIONS, forecasted_items
from workers.backtest import BacktestError
from workers.backtest_judge import (
    ORDER_SEED,
    BatchWait,
    JudgedPair,
    LedgerBatches,
    batch_digest,
    judge_in_batches,
    judge_resolved_pairs,
    pairs_to_judge,
    resolved_pairs,
    shown_pairs,
)
from workers.backtest_report import build_report

# Two validated, three refuted, settled in different years.
RESOLVED = [
    ResolvedHypothesis("h-v1", True, date(2010, 6, 1)),
    ResolvedHypothesis("h-v2", True, date(2020, 6, 1)),
    ResolvedHypothesis("h-r1", False, date(2005, 6, 1)),
    ResolvedHypothesis("h-r2", False, date(2015, 6, 1)),
    ResolvedHypothesis("h-r3", False, date(2022, 6, 1)),
]


def _case(resolved: ResolvedHypothesis) -> Case:
    """A case with one study a year from 2000 to 2021, so the years a blind cut keeps show
    its as-of date."""
    evidence = tuple(
        Evidence(f"PMID:{year}", f"a study of {year}", "supports", "rct", year=year)
        for year in range(2000, 2022)
    )
    return Case(resolved.hypothesis_id, resolved.hypothesis_id, "s", evidence=evidence)


CASES = {r.hypothesis_id: _case(r) for r in RESOLVED}
OUTCOMES = {r.hypothesis_id: r.validated for r in RESOLVED}


def _newest_year(case: Case) -> int:
    return max(item.year or 0 for item in case.evidence)


def test_every_pair_is_judged_once_blind_as_of_the_earlier_date() -> None:
    def prefer_the_validated(request: BackendRequest[Any]) -> dict[str, str]:
        first = request.context.case
        return {
            "winner": "first" if first.hypothesis_id.startswith("h-v") else "second",
            "rationale": "r",
        }

    judge = ScriptedBackend(prefer_the_validated)
    judged = judge_resolved_pairs(RESOLVED, CASES, horizon_days=1, backend=judge)
    assert [(p.validated, p.refuted) for p in judged] == resolved_pairs(OUTCOMES)
    assert len(judged) == 2 * 3 == len(judge.requests)
    settled = {r.hypothesis_id: r.resolved_on for r in RESOLVED}
    for pair, request in zip(judged, judge.requests, strict=True):
        first, second = request.context.case, request.context.other
        assert first is not None and second is not None
        # The tournament's coin chose who is shown first.
        assert (first.hypothesis_id, second.hypothesis_id) == shown_first(
            pair.validated, pair.refuted, seed=ORDER_SEED
        )
        assert pair.shown_first == first.hypothesis_id
        # Both cut at the earlier date: the day before the earlier resolution, so neither shows
        # a study of that year or later (a year counts from its last day).
        earlier = min(settled[pair.validated], settled[pair.refuted])
        assert pair.as_of == date(earlier.year, 5, 31)
        assert _newest_year(first) == _newest_year(second) == min(earlier.year - 1, 2021)
        assert pair.preferred == pair.validated
    # Both orders occur, so a judge's lean to one side is spread over both outcomes.
    assert {p.shown_first.startswith("h-v") for p in judged} == {True, False}


def test_an_unreadable_reply_prefers_no_one() -> None:
    judge = ScriptedBackend(lambda request: {"winner": "neither"})
    judged = judge_resolved_pairs(RESOLVED[:3], CASES, horizon_days=1, backend=judge)
    assert [p.preferred for p in judged] == [None, None]


def _verdicts(
    outcomes: dict[str, bool],
    right: set[tuple[str, str]],
    unreadable: frozenset[tuple[str, str]] = frozenset(),
) -> list[JudgedPair]:
    """A verdict on every (validated, refuted) pair: right on ``right``, unreadable on
    ``unreadable``, wrong on the rest."""
    pairs = []
    for v in sorted(h for h, ok in outcomes.items() if ok):
        for r in sorted(h for h, ok in outcomes.items() if not ok):
            chosen = None if (v, r) in unreadable else (v if (v, r) in right else r)
            pairs.append(JudgedPair(v, r, date(2020, 1, 1), v, chosen))
    return pairs


def test_the_report_grades_the_verdicts_as_a_pair_table() -> None:
    items = forecasted_items()
    outcomes = {item.hypothesis_id: item.validated for item in items}
    all_pairs = [(p.validated, p.refuted) for p in _verdicts(outcomes, set())]
    right = set(all_pairs[:4])
    unreadable = frozenset({all_pairs[4]})
    judged = _verdicts(outcomes, right, unreadable)
    report = build_report(items, DebateConfig(), OPTIONS, judged)
    judge = report["judge"]
    assert judge["pairs"] == len(all_pairs) == 2 * 3
    assert judge["validated_preferred"] == 4 and judge["unreadable"] == 1
    # An unreadable reply counts as a tie: half a pair right.
    assert judge["share"] == pytest.approx((4 + 0.5) / 6)
    assert judge["share_low"] <= judge["share"] <= judge["share_high"]
    assert judge["backend"] == DebateConfig().backend
    assert build_report(items, DebateConfig(), OPTIONS)["judge"] is None


def test_a_report_refuses_verdicts_that_miss_a_pair() -> None:
    items = forecasted_items()
    outcomes = {item.hypothesis_id: item.validated for item in items}
    judged = _verdicts(outcomes, set())
    with pytest.raises(ValueError, match="every validated-refuted pair once: 6 pairs, 5 judged"):
        build_report(items, DebateConfig(), OPTIONS, judged[1:])
    with pytest.raises(ValueError, match="6 judged, 0 not asked, 7 verdicts"):
        build_report(items, DebateConfig(), OPTIONS, [*judged, judged[0]])


def test_a_sample_of_pairs_is_drawn_by_the_seed_and_judged_alone() -> None:
    every = resolved_pairs(OUTCOMES)
    sample = pairs_to_judge(OUTCOMES, sample=3, seed=7)
    assert len(set(sample)) == 3 and set(sample) <= set(every)
    assert sample == sorted(sample, key=every.index)  # in id order, as every pair is
    assert sample == pairs_to_judge(OUTCOMES, sample=3, seed=7)
    assert len({tuple(pairs_to_judge(OUTCOMES, sample=3, seed=s)) for s in range(10)}) > 1
    assert (
        pairs_to_judge(OUTCOMES, sample=6, seed=7)
        == every
        == pairs_to_judge(OUTCOMES, sample=None, seed=7)
    )
    with pytest.raises(ValueError, match="at least 1, got 0"):
        pairs_to_judge(OUTCOMES, sample=0, seed=7)
    judge = ScriptedBackend(lambda request: {"winner": "first", "rationale": "r"})
    judged = judge_resolved_pairs(RESOLVED, CASES, horizon_days=1, backend=judge, pairs=sample)
    assert [(p.validated, p.refuted) for p in judged] == sample and len(judge.requests) == 3


def test_the_report_grades_a_sample_over_its_own_pairs() -> None:
    items = forecasted_items()
    outcomes = {item.hypothesis_id: item.validated for item in items}
    options = dataclasses.replace(OPTIONS, judge_pairs=4)
    sample = pairs_to_judge(outcomes, sample=4, seed=options.seed)
    verdicts = _verdicts(outcomes, set(sample[:3]))
    judged = [p for p in verdicts if (p.validated, p.refuted) in sample]
    report = build_report(items, DebateConfig(), options, judged)
    judge = report["judge"]
    assert (judge["pairs"], judge["of_pairs"], judge["validated_preferred"]) == (4, 6, 3)
    assert judge["share"] == pytest.approx(3 / 4)
    assert report["settings"]["judge_pairs"] == 4
    # Verdicts on every pair are not the sample the report asked for.
    with pytest.raises(ValueError, match="see its sample once: 4 pairs, 4 judged, 2 not asked"):
        build_report(items, DebateConfig(), options, verdicts)


FIRST = '{"winner": "first", "rationale": "the first case is stronger"}'


def _wait(
    *, retry_live: bool = True, timeout: float = 60.0, slept: list[float] | None = None
) -> BatchWait:
    return BatchWait(
        poll_seconds=7.0,
        timeout_seconds=timeout,
        max_items=4,
        retry_live=retry_live,
        sleep=(slept if slept is not None else []).append,
    )


def _chat_calls(server: FakeOpenAIServer) -> int:
    return sum(1 for r in server.requests if r.path.endswith("/chat/completions"))


def test_batch_judging_reads_every_verdict_from_the_providers_batches() -> None:
    shown = shown_pairs(RESOLVED, CASES, horizon_days=1)
    slept: list[float] = []
    with FakeOpenAIServer(default_content=FIRST, batch_polls=2) as server:
        backend = create("openai", base_url=server.base_url, model="gpt-4o-mini", api_key="k")
        submitted: list[str] = []
        judged = judge_in_batches(
            shown, backend=backend, wait=_wait(slept=slept), on_submitted=submitted.append
        )
        # Six pairs, four to a batch: two batches, each polled until it ended; nothing live.
        assert [b.id for b in server.batches] == submitted and len(submitted) == 2
        assert [len(b.items) for b in server.batches] == [4, 2]
        assert _chat_calls(server) == 0
    assert slept and set(slept) == {7.0}
    # The same pairs, in the same order, as the live judge; each verdict names the one shown first.
    assert judged == _live_verdicts()
    assert all(p.preferred == p.shown_first for p in judged)


def test_an_item_the_batch_did_not_answer_is_asked_live_or_stops_the_backtest() -> None:
    shown = shown_pairs(RESOLVED, CASES, horizon_days=1)

    def faults(custom_id: str) -> str | None:
        return {"judge-1": "error", "judge-4": "expire"}.get(custom_id)

    with FakeOpenAIServer(default_content=FIRST, batch_faults=faults) as server:
        backend = create("openai", base_url=server.base_url, model="gpt-4o-mini", api_key="k")
        judged = judge_in_batches(shown, backend=backend, wait=_wait())
        assert _chat_calls(server) == 2  # the failed and the expired item, asked live
        assert all(p.preferred == p.shown_first for p in judged)
        with pytest.raises(
            BacktestError, match=f"for {shown[1].validated} against {shown[1].refuted} failed"
        ):
            judge_in_batches(shown, backend=backend, wait=_wait(retry_live=False))


def test_a_batch_that_does_not_end_in_time_stops_the_backtest() -> None:
    shown = shown_pairs(RESOLVED, CASES, horizon_days=1)
    with FakeOpenAIServer(default_content=FIRST, batch_polls=1000) as server:
        backend = create("openai", base_url=server.base_url, model="gpt-4o-mini", api_key="k")
        with pytest.raises(BacktestError, match="had not ended after 0 s"):
            judge_in_batches(shown, backend=backend, wait=_wait(timeout=0.0))
    with pytest.raises(BacktestError, match="has no provider batch API"):
        judge_in_batches(shown, backend=ScriptedBackend(lambda r: {}), wait=_wait())


def _live_verdicts() -> list[JudgedPair]:
    return judge_resolved_pairs(
        RESOLVED,
        CASES,
        horizon_days=1,
        backend=ScriptedBackend(lambda r: {"winner": "first", "rationale": "r"}),
    )


def test_a_rerun_collects_the_batches_a_stopped_backtest_sent(tmp_path: Path) -> None:
    shown = shown_pairs(RESOLVED, CASES, horizon_days=1)
    sent = LedgerBatches(migrated_sqlite(tmp_path / "ledger.db"))
    with FakeOpenAIServer(default_content=FIRST, batch_polls=1000) as server:
        backend = create("openai", base_url=server.base_url, model="gpt-4o-mini", api_key="k")
        with pytest.raises(BacktestError, match="run again collects it without sending it again"):
            judge_in_batches(shown, backend=backend, wait=_wait(timeout=0.0), sent=sent)
        first_run = [b.id for b in server.batches]
        assert len(first_run) == 2
        for batch in server.batches:
            batch.polls_left = 0  # the provider has since finished them
        submitted: list[str] = []
        judged = judge_in_batches(
            shown, backend=backend, wait=_wait(), sent=sent, on_submitted=submitted.append
        )
        # Nothing sent twice, nothing asked live: the rerun read the first run's batches.
        assert [b.id for b in server.batches] == first_run == submitted
        assert _chat_calls(server) == 0
    assert judged == _live_verdicts()


def test_other_pairs_or_another_model_are_other_batches(tmp_path: Path) -> None:
    shown = shown_pairs(RESOLVED, CASES, horizon_days=1)
    sent = LedgerBatches(migrated_sqlite(tmp_path / "ledger.db"))
    with FakeOpenAIServer(default_content=FIRST) as server:
        backend = create("openai", base_url=server.base_url, model="gpt-4o-mini", api_key="k")
        judge_in_batches(shown, backend=backend, wait=_wait(), sent=sent)
        assert len(server.batches) == 2
        # A sample: the first batch holds other pairs; the second holds judge-4 and judge-5
        # of the whole set but nothing of the sample's.
        judge_in_batches(shown[1:], backend=backend, wait=_wait(), sent=sent)
        assert len(server.batches) == 4
        other = create("openai", base_url=server.base_url, model="gpt-4o", api_key="k")
        judge_in_batches(shown, backend=other, wait=_wait(), sent=sent)
        assert len(server.batches) == 6
        # The same pairs and model as the first run: both its batches are read again.
        judge_in_batches(shown, backend=backend, wait=_wait(), sent=sent)
        assert len(server.batches) == 6


def test_a_batch_that_failed_an_item_is_forgotten_and_one_the_provider_lost_is_sent_again(
    tmp_path: Path,
) -> None:
    shown = shown_pairs(RESOLVED, CASES, horizon_days=1)
    sent = LedgerBatches(migrated_sqlite(tmp_path / "ledger.db"))

    def faults(custom_id: str) -> str | None:
        return "error" if custom_id == "judge-1" else None

    with FakeOpenAIServer(default_content=FIRST, batch_faults=faults) as server:
        backend = create("openai", base_url=server.base_url, model="gpt-4o-mini", api_key="k")
        with pytest.raises(BacktestError, match="live retries are off"):
            judge_in_batches(shown, backend=backend, wait=_wait(retry_live=False), sent=sent)
        assert len(server.batches) == 2
        server.batch_faults = lambda custom_id: None
        judge_in_batches(shown, backend=backend, wait=_wait(retry_live=False), sent=sent)
        # The batch with the failed item was sent again; the one that answered was read again.
        assert len(server.batches) == 3
        assert server.batches[2].custom_ids == server.batches[0].custom_ids
    # A provider that no longer knows a recorded batch (404): it is sent there anew.
    with FakeOpenAIServer(default_content=FIRST) as elsewhere:
        backend = create("openai", base_url=elsewhere.base_url, model="gpt-4o-mini", api_key="k")
        judged = judge_in_batches(shown, backend=backend, wait=_wait(), sent=sent)
        assert len(elsewhere.batches) == 2
        assert _chat_calls(elsewhere) == 0
    assert judged == _live_verdicts()


def test_a_digest_names_what_was_asked() -> None:
    shown = shown_pairs(RESOLVED, CASES, horizon_days=1)
    batch = _batching("m")
    items = [
        BatchItem(f"judge-{k}", build_judge_request(s.first, s.second)) for k, s in enumerate(shown)
    ]
    digest = batch_digest(batch, items)
    assert len(digest) == 64 and digest == batch_digest(batch, list(items))
    swapped = [BatchItem(i.custom_id, items[1 - k].request) for k, i in enumerate(items[:2])]
    assert batch_digest(batch, swapped + items[2:]) != digest
    assert batch_digest(batch, items[:-1]) != digest
    assert batch_digest(_batching("m2"), items) != digest


def _batching(model: str) -> BatchingBackend:
    backend = create("openai", base_url="http://127.0.0.1:9/v1", model=model, api_key="k")
    batch = batching(backend)
    assert batch is not None
    return batch
