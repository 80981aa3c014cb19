"""The scheduled tournament round and refit, with a scripted judge: what each match records, the
order it is shown in, the live Elo it moves, and the fit of record the refit stores.

Written after a mutation run of ``workers/maintenance.py``: the round could drop the top-k
setting, unseed its coin, store no rationale or no Elo, and the refit could fit one-call
matches without their position term, and the earlier tests all still passed.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select, update

from common.settings import Settings, get_settings
from debates.backends.base import BackendRequest
from debates.backends.scripted import ScriptedBackend
from scoring.bt_posterior import PRIOR_SD, Posterior, Tally, fit_posterior
from scoring.pairing import choose_pairs, shown_first
from scoring.tournament import ELO_START, elo_update, single_outcome
from storage.db import Database
from storage.importing import import_hypotheses
from storage.models import Rating, SchedulerPass, TournamentMatch, utcnow
from storage.queries.leaderboard import fit_summary
from storage.queries.tournament import eligible_groups, pairable, record_match
from storage.queries.workers import hold_pass, last_pass
from tests.workers.pipeline_helpers import dataset_path
from workers import maintenance
from workers.pass_holds import PassRun

RATIONALE = "the first-shown reads better"


@pytest.fixture
def loaded(db: Database) -> Database:
    import_hypotheses(db, dataset_path())
    return db


@pytest.fixture
def first_always_wins(monkeypatch: pytest.MonkeyPatch) -> ScriptedBackend:
    """A judge that names whoever is shown first: pure position bias, no preference."""

    def reply(request: BackendRequest[Any]) -> dict[str, str]:
        return {"winner": "first", "rationale": RATIONALE}

    judge = ScriptedBackend(reply)
    monkeypatch.setattr(maintenance.registry, "create_from_settings", lambda name: judge)
    return judge


def _settings(**overrides: object) -> Settings:
    return get_settings().model_copy(update=overrides)


def _rounds(db: Database, count: int) -> None:
    for _ in range(count):
        maintenance.tournament_round(db, _settings(tournament_pairs=8))


def _matches(db: Database) -> list[TournamentMatch]:
    with db.sessions() as session:
        return list(session.scalars(select(TournamentMatch).order_by(TournamentMatch.id)))


def test_each_match_is_shown_in_the_order_of_the_coin_seeded_by_the_log_so_far(
    loaded: Database, first_always_wins: ScriptedBackend
) -> None:
    _rounds(loaded, 3)
    matches = _matches(loaded)
    assert len(matches) == 24
    for index, match in enumerate(matches):
        seed = str(index - index % 8)  # the length of the log when its round began
        assert shown_first(match.hypothesis_a, match.hypothesis_b, seed=seed) == (
            match.hypothesis_a,
            match.hypothesis_b,
        )
    # The judge saw them in that order.
    contexts = [r.context for r in first_always_wins.requests]
    shown = [(c.case.hypothesis_id, c.other.hypothesis_id) for c in contexts if c.other]
    assert shown == [(m.hypothesis_a, m.hypothesis_b) for m in matches]


def test_a_match_keeps_the_judges_verdict_and_rationale_and_moves_the_live_elo(
    loaded: Database, first_always_wins: ScriptedBackend
) -> None:
    _rounds(loaded, 3)  # so that hypotheses meet again, shown first or second
    matches = _matches(loaded)
    expected: dict[str, float] = {}
    for match in matches:
        assert (match.verdict_ab, match.verdict_ba) == ("first", None)
        assert match.outcome == single_outcome("first").value
        assert (match.judge, match.rationale) == ("scripted", RATIONALE)
        a, b = match.hypothesis_a, match.hypothesis_b
        expected[a], expected[b] = elo_update(
            expected.get(a, ELO_START), expected.get(b, ELO_START), single_outcome("first")
        )
    with loaded.sessions() as session:
        elo = {r.hypothesis_id: r.elo for r in session.scalars(select(Rating))}
    assert {h: elo[h] for h in expected} == pytest.approx(expected)
    assert any(value > ELO_START for value in expected.values())


@pytest.fixture
def top_k_asked(monkeypatch: pytest.MonkeyPatch) -> list[int | None]:
    """The top_k each call of the round's pairing rule was given."""
    asked: list[int | None] = []

    def spy(*args: Any, **kwargs: Any) -> list[tuple[str, str]]:
        asked.append(kwargs["top_k"])
        return choose_pairs(*args, **kwargs)

    monkeypatch.setattr(maintenance, "choose_pairs", spy)
    return asked


@pytest.mark.parametrize(
    ("top_k", "passed"), [(0, None), (1, 1), (5, 5), ("field", None), (10_000, None)]
)
def test_the_round_spends_its_calls_on_the_top_k_when_asked(
    loaded: Database,
    first_always_wins: ScriptedBackend,
    top_k_asked: list[int | None],
    top_k: int | str,
    passed: int | None,
) -> None:
    with loaded.sessions() as session:
        field = len(pairable(session))
    k = field if top_k == "field" else int(top_k)
    maintenance.tournament_round(loaded, _settings(tournament_pairs=4, tournament_top_k=k))
    # 0 ranks everyone; a k as large as the field, or larger, is no top k at all.
    assert top_k_asked == [passed]


def test_the_round_pairs_at_the_spread_the_last_refit_learnt(
    loaded: Database, first_always_wins: ScriptedBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    spreads: list[float] = []

    def spy(counts: Tally, *, prior_sd: float) -> Posterior:
        spreads.append(prior_sd)
        return fit_posterior(counts, prior_sd=prior_sd)

    monkeypatch.setattr(maintenance, "fit_posterior", spy)
    _rounds(loaded, 2)
    maintenance.refit_ratings(loaded, _settings())
    with loaded.sessions() as session:
        learnt = fit_summary(session).spread
    _rounds(loaded, 1)
    # before any fit, the stated prior; after one, what it learnt from the matches
    assert learnt is not None and learnt != PRIOR_SD
    assert spreads == [PRIOR_SD, PRIOR_SD, learnt]


def test_a_round_with_nothing_to_pair_judges_nothing(
    db: Database, first_always_wins: ScriptedBackend
) -> None:
    assert maintenance.tournament_round(db, _settings()) == 0
    assert first_always_wins.requests == []


def test_the_refit_fits_one_call_matches_with_the_judges_lean_and_stores_it(
    loaded: Database, first_always_wins: ScriptedBackend
) -> None:
    _rounds(loaded, 6)
    maintenance.refit_ratings(loaded, _settings())
    with loaded.sessions() as session:
        summary = fit_summary(session)
        ratings = list(session.scalars(select(Rating)))
        entrants = pairable(session)
    # Every verdict went to the first-shown: that is the judge's lean, not anyone's strength.
    assert summary.position_bias is not None and summary.position_bias > 1.0
    assert {r.position_bias for r in ratings if r.fitted_at is not None} == {summary.position_bias}
    # stored with its interval, which holds it and, after 48 one-sided verdicts, clears 0
    assert summary.bias_low is not None and summary.bias_high is not None
    assert 0.0 < summary.bias_low < summary.position_bias < summary.bias_high
    strengths = [r.strength for r in ratings if r.strength is not None]
    assert strengths and max(abs(s) for s in strengths) < 0.5 * summary.position_bias
    # Every hypothesis the tournament may pair has a rating of record, played or not.
    assert {r.hypothesis_id for r in ratings if r.fitted_at is not None} >= entrants


def test_the_refit_rates_every_pairable_hypothesis_played_or_not(
    loaded: Database, first_always_wins: ScriptedBackend
) -> None:
    maintenance.tournament_round(loaded, _settings(tournament_pairs=2))
    maintenance.refit_ratings(loaded, _settings())
    with loaded.sessions() as session:
        fitted = {r.hypothesis_id: r for r in session.scalars(select(Rating)) if r.fitted_at}
        entrants = pairable(session)
    assert set(fitted) >= entrants and len(entrants) > 4
    unplayed = [r for h, r in fitted.items() if h in entrants and r.matches == 0]
    assert unplayed and all(r.strength is None for r in unplayed)  # listed, and unrated
    # two matches rate no one, so they tell nothing of the spread: none is stored
    assert all(r.strength is None for r in fitted.values())
    assert all(r.strength_spread is None for r in fitted.values())
    assert all(r.strength_spread_low is r.strength_spread_high is None for r in fitted.values())


def test_matches_judged_in_both_orders_carry_no_position_term(loaded: Database) -> None:
    """Before one-call judging a match asked both orders; its order says nothing of a lean."""
    with loaded.transaction() as session:
        a, b = min(group[:2] for group in eligible_groups(session))
        for _ in range(12):
            record_match(
                session,
                hypothesis_a=a,
                hypothesis_b=b,
                outcome="a",
                judge="legacy",
                verdict_ab="first",
                verdict_ba="second",
            )
    maintenance.refit_ratings(loaded, _settings())
    with loaded.sessions() as session:
        summary = fit_summary(session)
        strength = {r.hypothesis_id: r.strength for r in session.scalars(select(Rating))}
    assert summary.position_bias is not None and abs(summary.position_bias) < 0.05
    assert strength[a] is not None and strength[b] is not None and strength[a] > strength[b] + 1


def test_two_rounds_at_once_do_not_judge_the_same_pairs(
    loaded: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Beat's round messages pile up while no worker runs; a threads pool then starts them
    together, each reading the same log: the same seed, the same pairs, judged twice."""
    judging: set[int] = set()
    finished: list[int] = []
    turn = threading.Condition()

    def reply(request: BackendRequest[Any]) -> dict[str, str]:
        # No verdict until the other round is judging too, or has ended without judging.
        with turn:
            judging.add(threading.get_ident())
            turn.notify_all()
            turn.wait_for(lambda: len(judging) == 2 or bool(finished), timeout=10)
        return {"winner": "first", "rationale": RATIONALE}

    judge = ScriptedBackend(reply)
    monkeypatch.setattr(maintenance.registry, "create_from_settings", lambda name: judge)
    settings = _settings(tournament_pairs=4)

    judged = _twice_at_once(lambda: maintenance.tournament_round(loaded, settings), turn, finished)
    assert sorted(judged) == [0, 4]  # one round ran; the other found it running
    pairs = [frozenset((m.hypothesis_a, m.hypothesis_b)) for m in _matches(loaded)]
    assert len(pairs) == 4 and len(set(pairs)) == 4
    # once it is done, the next round runs
    assert maintenance.tournament_round(loaded, settings) == 4


def test_a_round_that_died_holding_the_pass_blocks_the_next_only_until_the_hold_lapses(
    loaded: Database, first_always_wins: ScriptedBackend
) -> None:
    settings = _settings(tournament_pairs=2, tournament_interval_seconds=1800)
    began = utcnow()
    with loaded.transaction() as session:  # a round killed mid-way never let go
        assert hold_pass(session, task=maintenance.TOURNAMENT_ROUND_TASK, seconds=1800)
    assert maintenance.tournament_round(loaded, settings) == 0
    with loaded.transaction() as session:  # half an hour on, its hold has lapsed
        session.execute(update(SchedulerPass).values(running_until=began - timedelta(seconds=1)))
    assert maintenance.tournament_round(loaded, settings) == 2
    with loaded.sessions() as session:
        assert session.get(SchedulerPass, maintenance.TOURNAMENT_ROUND_TASK).running_until is None


def test_a_refit_records_its_pass_when_it_writes(
    loaded: Database, first_always_wins: ScriptedBackend
) -> None:
    began = utcnow()
    maintenance.tournament_round(loaded, _settings(tournament_pairs=2))
    with loaded.sessions() as session:
        assert last_pass(session, task=maintenance.REFIT_TASK) is None
        round_ran = last_pass(session, task=maintenance.TOURNAMENT_ROUND_TASK)
    assert round_ran is not None and round_ran >= began
    maintenance.refit_ratings(loaded, _settings())
    with loaded.sessions() as session:
        refit_ran = last_pass(session, task=maintenance.REFIT_TASK)
    assert refit_ran is not None and refit_ran >= round_ran


def test_a_refit_stands_down_while_another_holds_the_pass(
    loaded: Database, first_always_wins: ScriptedBackend
) -> None:
    _rounds(loaded, 2)
    began = utcnow()
    with loaded.transaction() as session:  # a refit is fitting, or was killed mid-way
        assert hold_pass(session, task=maintenance.REFIT_TASK, seconds=1800)
    assert maintenance.refit_ratings(loaded, _settings()) == 0
    assert all(strength is None for strength, _ in _strengths(loaded).values())
    with loaded.transaction() as session:  # half an hour on, its hold has lapsed
        session.execute(update(SchedulerPass).values(running_until=began - timedelta(seconds=1)))
    assert maintenance.refit_ratings(loaded, _settings()) > 0
    assert _pass(loaded, maintenance.REFIT_TASK).running_until is None


def test_two_refits_sent_together_fit_once(
    loaded: Database, first_always_wins: ScriptedBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Beat sends the next refit while a large one still fits; a second worker takes it."""
    _rounds(loaded, 2)
    fitting, fits = maintenance.rate, []
    finished: list[int] = []
    turn = threading.Condition()

    def rate_until_the_other_has_ended(*args: Any, **kwargs: Any) -> Any:
        with turn:  # no fit ends until the other refit is fitting too, or has ended
            fits.append(threading.get_ident())
            turn.notify_all()
            turn.wait_for(lambda: len(fits) == 2 or bool(finished), timeout=10)
        return fitting(*args, **kwargs)

    monkeypatch.setattr(maintenance, "rate", rate_until_the_other_has_ended)

    rated = sorted(
        _twice_at_once(lambda: maintenance.refit_ratings(loaded, _settings()), turn, finished)
    )
    assert rated[0] == 0 and rated[1] > 0 and len(fits) == 1
    assert _pass(loaded, maintenance.REFIT_TASK).running_until is None


def test_a_round_that_loses_its_pass_judges_no_further_pair(
    loaded: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = PassRun(maintenance.TOURNAMENT_ROUND_TASK, utcnow())

    @contextmanager
    def held_then_lost(*args: Any) -> Iterator[PassRun]:
        yield run

    def reply(request: BackendRequest[Any]) -> dict[str, str]:
        run.lost = True  # while the first pair is judged, another round takes the pass
        return {"winner": "first", "rationale": RATIONALE}

    judge = ScriptedBackend(reply)
    monkeypatch.setattr(maintenance.registry, "create_from_settings", lambda name: judge)
    monkeypatch.setattr(maintenance, "holding", held_then_lost)
    assert maintenance.tournament_round(loaded, _settings(tournament_pairs=4)) == 1
    assert len(judge.requests) == 1 and len(_matches(loaded)) == 1


def _twice_at_once(
    work: Callable[[], int], turn: threading.Condition, finished: list[int]
) -> list[int]:
    """``work``'s results, run in two threads at once; each notes in ``finished`` (under
    ``turn``) when it has ended, so the other can stop waiting for it."""

    def once(_: int) -> int:
        try:
            return work()
        finally:
            with turn:
                finished.append(threading.get_ident())
                turn.notify_all()

    with ThreadPoolExecutor(2) as pool:
        return list(pool.map(once, [0, 1]))


def _pass(db: Database, task: str) -> SchedulerPass:
    with db.sessions() as session:
        row = session.get(SchedulerPass, task)
        assert row is not None
        return row


def test_a_round_whose_fit_would_not_fit_in_memory_judges_nothing_and_says_why(
    loaded: Database, first_always_wins: ScriptedBackend
) -> None:
    tight = _settings(tournament_pairs=4, tournament_memory_mb=1)
    assert maintenance.tournament_round(loaded, tight) == 0
    assert first_always_wins.requests == [] and _matches(loaded) == []
    refused = _pass(loaded, maintenance.TOURNAMENT_ROUND_TASK)
    assert refused.running_until is None  # the pass is let go for the next round
    assert refused.last_error is not None
    assert refused.last_error.startswith("a round among ")
    assert "over the 1 MB it may take (set by HYPOSCORE_TOURNAMENT_MEMORY_MB)" in refused.last_error
    # with room, the next round judges and the refusal is gone from the pass
    assert maintenance.tournament_round(loaded, _settings(tournament_pairs=4)) == 4
    assert _pass(loaded, maintenance.TOURNAMENT_ROUND_TASK).last_error is None


def _strengths(db: Database) -> dict[str, tuple[float | None, object]]:
    with db.sessions() as session:
        return {r.hypothesis_id: (r.strength, r.fitted_at) for r in session.scalars(select(Rating))}


def test_a_refit_whose_fit_would_not_fit_in_memory_keeps_the_stored_ratings(
    loaded: Database, first_always_wins: ScriptedBackend
) -> None:
    _rounds(loaded, 3)
    maintenance.refit_ratings(loaded, _settings())
    before = _strengths(loaded)
    _rounds(loaded, 3)
    assert maintenance.refit_ratings(loaded, _settings(tournament_memory_mb=1)) == 0
    assert _strengths(loaded) == before
    assert any(strength is not None for strength, _ in before.values())
    refused = _pass(loaded, maintenance.REFIT_TASK).last_error
    assert refused is not None and refused.startswith("the refit of ")
    # with room, the next refit writes and the refusal is gone from the pass
    assert maintenance.refit_ratings(loaded, _settings()) > 0
    assert _pass(loaded, maintenance.REFIT_TASK).last_error is None
