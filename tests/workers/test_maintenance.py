"""The scheduled jobs, run in-process against SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select, update

from common.settings import Settings, get_settings
from scoring.bt_ratings import MIN_DECIDED, RatingFit
from scoring.tournament import single_outcome
from storage.db import Database
from storage.importing import import_hypotheses
from storage.models import (
    Evaluation,
    Gene,
    Hypothesis,
    PersonaCalibration,
    Rating,
    SchedulerPass,
    TournamentMatch,
    hypothesis_genes,
)
from storage.queries.knowledge import list_hypotheses
from storage.queries.leaderboard import leaderboard
from storage.queries.tournament import eligible_groups, record_match
from tests.workers.pipeline_helpers import dataset_path
from workers import maintenance, offline_batch
from workers.agents import backend_factory
from workers.celery_app import create_app
from workers.dispatch import debate_config, submit_evaluation
from workers.evaluation import run_debate_phase
from workers.scoring_phase import score_debated


@pytest.fixture
def loaded(db: Database) -> Database:
    import_hypotheses(db, dataset_path())
    return db


def _settings(**overrides: object) -> Settings:
    return get_settings().model_copy(update=overrides)


def test_reevaluate_queues_the_highest_priority_unscored_hypotheses_once(
    loaded: Database,
) -> None:
    settings = _settings(reevaluate_batch=3)
    app = create_app(settings)
    first = maintenance.reevaluate(loaded, settings, app)
    second = maintenance.reevaluate(loaded, settings, app)
    with loaded.sessions() as session:
        open_ids = [h.id for h in list_hypotheses(session, status="open", limit=1000)]
        queued = {e.id: e.hypothesis_id for e in session.scalars(select(Evaluation)).all()}
    assert len(first) == len(second) == 3
    # Never-scored hypotheses tie on priority, so the order falls back to their ids; the
    # second run skips those already live instead of queueing them twice.
    assert [queued[i] for i in first] == sorted(open_ids)[:3]
    assert [queued[i] for i in second] == sorted(open_ids)[3:6]


def test_tournament_rounds_judge_once_in_a_seeded_order_and_refit_by_component(
    loaded: Database,
) -> None:
    settings = _settings(tournament_pairs=8)
    with loaded.sessions() as session:
        groups = [set(group) for group in eligible_groups(session)]
        hypotheses = len(list_hypotheses(session, limit=1000))
    rounds = 5
    assert [maintenance.tournament_round(loaded, settings) for _ in range(rounds)] == [8] * rounds
    with loaded.sessions() as session:
        matches = list(session.scalars(select(TournamentMatch).order_by(TournamentMatch.id)))
    assert len(matches) == 8 * rounds
    for match in matches:
        assert any({match.hypothesis_a, match.hypothesis_b} <= group for group in groups)
        # one call: the verdict with A shown first, none for the other order
        assert match.verdict_ab in {"first", "second"} and match.verdict_ba is None
        assert match.outcome == single_outcome(match.verdict_ab).value
        assert match.judge == "evidence"
    # who is shown first is a coin, not the pair's sorted order
    assert any(m.hypothesis_a > m.hypothesis_b for m in matches)
    assert any(m.hypothesis_a < m.hypothesis_b for m in matches)
    # the first round only joins separate components: its pairs form a forest (no cycle)
    group = {h: h for members in groups for h in members}
    for match in matches[:8]:
        a, b = group[match.hypothesis_a], group[match.hypothesis_b]
        assert a != b
        group = {h: (a if g == b else g) for h, g in group.items()}

    rated = maintenance.refit_ratings(loaded, _settings())
    with loaded.sessions() as session:
        board = leaderboard(session, limit=1000)
        stored = {r.hypothesis_id: r for r in session.scalars(select(Rating))}
        fitted = [r for r in stored.values() if r.strength is not None]
    assert rated == len(fitted) > 0
    assert len(board) == hypotheses  # every hypothesis is listed
    # the fit stores the spread it learnt with its interval, the same for the whole fit
    spreads = {
        (r.strength_spread, r.strength_spread_low, r.strength_spread_high) for r in stored.values()
    }
    assert len(spreads) == 1
    value, low, high = spreads.pop()
    assert value is not None and low is not None and high is not None
    assert 0.25 <= low < value < high <= 10.0
    for group in {row.component for row in board if row.rated}:
        rows = [row for row in board if row.rated and row.component == group]
        assert [row.rank for row in rows] == list(range(1, len(rows) + 1))
        strengths = [row.strength for row in rows]
        assert strengths == sorted(strengths, reverse=True)  # type: ignore[type-var]
    for row in board:
        assert row.rated == (row.rank is not None)
        assert row.rated or row.decided < MIN_DECIDED or row.component_size == 1
    # refitting the same log reproduces the stored ratings exactly
    before = {
        k: (r.strength, r.strength_low, r.strength_high, r.component) for k, r in stored.items()
    }
    assert maintenance.refit_ratings(loaded, _settings()) == rated
    with loaded.sessions() as session:
        after = {
            r.hypothesis_id: (r.strength, r.strength_low, r.strength_high, r.component)
            for r in session.scalars(select(Rating))
        }
    assert after == before


def _record_one_match(database: Database) -> None:
    with database.transaction() as session:
        a, b = eligible_groups(session)[0][:2]
        record_match(session, hypothesis_a=a, hypothesis_b=b, outcome="a", judge="test")


def _stored(database: Database) -> dict[str, tuple[float | None, int]]:
    with database.sessions() as session:
        return {r.hypothesis_id: (r.strength, r.matches) for r in session.scalars(select(Rating))}


def test_a_refit_holds_no_transaction_while_it_fits(
    loaded: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    for _ in range(3):
        maintenance.tournament_round(loaded, _settings(tournament_pairs=8))
    # A SQLite transaction holds the file's write lock: a writer that waits at most half a
    # second for it fails if the refit fits inside one.
    impatient = (
        Database(loaded.engine.url.render_as_string(), connect_args={"timeout": 0.5})
        if loaded.dialect == "sqlite"
        else loaded
    )
    fitting = maintenance.rate

    def rate_while_a_match_is_recorded(*args: Any, **kwargs: Any) -> RatingFit:
        _record_one_match(impatient)
        return fitting(*args, **kwargs)

    monkeypatch.setattr(maintenance, "rate", rate_while_a_match_is_recorded)
    assert maintenance.refit_ratings(loaded, _settings()) > 0
    with loaded.sessions() as session:
        log = list(session.scalars(select(TournamentMatch)))
    assert len(log) == 25
    # the stored match counts are the log's when the ratings were written, the new match too
    played: dict[str, int] = {}
    for match in log:
        for name in (match.hypothesis_a, match.hypothesis_b):
            played[name] = played.get(name, 0) + 1
    assert {name: matches for name, (_, matches) in _stored(loaded).items() if matches} == played


def test_a_refit_keeps_the_ratings_of_a_log_read_after_its_own(
    loaded: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    for _ in range(3):
        maintenance.tournament_round(loaded, _settings(tournament_pairs=8))
    fitting = maintenance.rate
    overtaken: list[bool] = []

    def rate_while_another_refit_finishes(*args: Any, **kwargs: Any) -> RatingFit:
        if not overtaken:  # the outer refit: a match, then a whole refit, land as it fits
            overtaken.append(True)
            _record_one_match(loaded)
            with loaded.transaction() as session:  # its hold lapsed: the next refit runs
                session.execute(update(SchedulerPass).values(running_until=None))
            assert maintenance.refit_ratings(loaded, _settings()) > 0
        return fitting(*args, **kwargs)

    monkeypatch.setattr(maintenance, "rate", rate_while_another_refit_finishes)
    maintenance.refit_ratings(loaded, _settings())
    newer = _stored(loaded)
    monkeypatch.setattr(maintenance, "rate", fitting)
    maintenance.refit_ratings(loaded, _settings())  # a plain refit of the same, longer log
    assert _stored(loaded) == newer
    # and the outer refit's fit, made on the shorter log, would have differed
    with loaded.sessions() as session:
        shorter = [maintenance._match(m) for m in session.scalars(select(TournamentMatch))][:-1]
    old_values = {k: r.value for k, r in fitting(shorter).ratings.items()}
    assert any(old_values.get(k) != strength for k, (strength, _) in newer.items())


def test_scoring_a_resolved_hypothesis_grades_the_personas(loaded: Database) -> None:
    settings = _settings()
    with loaded.sessions() as session:
        resolved = session.scalars(
            select(Hypothesis).where(Hypothesis.status != "open").order_by(Hypothesis.id)
        ).first()
        assert resolved is not None and resolved.resolved_on is not None
        resolved_id, day_before = resolved.id, resolved.resolved_on - timedelta(days=1)
    # A blind forecast, as of the day before the resolution: only such forecasts are graded.
    evaluation_id = submit_evaluation(
        loaded,
        settings,
        hypothesis_id=resolved_id,
        config=debate_config(settings, as_of=day_before),
        app=create_app(settings),
    ).evaluation.id
    [claimed] = offline_batch.claim(loaded, settings, evaluation_ids=[evaluation_id], owner="test")
    phase = run_debate_phase(
        loaded, settings, claimed, owner="test", backend_for=backend_factory(settings)
    )
    assert phase is not None
    scored = score_debated(loaded, settings, evaluation_ids=[evaluation_id])
    assert scored.succeeded == (evaluation_id,)
    # The pages to publish next are those of the scored hypothesis's genes.
    with loaded.sessions() as session:
        targets = session.scalars(
            select(Gene.symbol)
            .join(hypothesis_genes, hypothesis_genes.c.gene_id == Gene.id)
            .where(hypothesis_genes.c.hypothesis_id == resolved_id)
        )
        assert scored.gene_symbols == tuple(sorted(targets)) != ()
    with loaded.sessions() as session:
        rows = {r.persona: r for r in session.scalars(select(PersonaCalibration))}
    assert set(rows) == {turn.persona for turn in phase.outcome.turns}
    assert all(0.1 <= r.believability <= 2.0 and r.resolved_count == 1 for r in rows.values())
    # Grading again from the whole record changes nothing.
    assert maintenance.recalibrate_resolved(loaded) == 1
    with loaded.sessions() as session:
        again = {r.persona: r.believability for r in session.scalars(select(PersonaCalibration))}
    assert again == {p: r.believability for p, r in rows.items()}
