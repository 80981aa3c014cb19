"""The backtest on the workers: a rerun reuses the blind debates that succeeded on the same
case and settings, and queues the rest."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import update

from common.settings import Settings
from debates.backends.base import AgentBackend
from debates.backends.registry import create
from debates.types import DebateConfig
from storage.db import Database
from storage.importing import import_hypotheses
from storage.models import Evaluation, EvaluationState, Hypothesis
from storage.queries.calibration import calibration_table
from tests.workers.backtest_items import OPTIONS
from tests.workers.pipeline_helpers import migrated_database
from workers import offline_batch
from workers.agents import backend_factory
from workers.backtest import BacktestError
from workers.backtest_pipeline import QueuedForecast, collect, queue_forecasts
from workers.backtest_report import build_report
from workers.celery_app import create_app
from workers.dispatch import debate_config
from workers.evaluation import run_debate_phase
from workers.model_cutoffs import record_configured_cutoffs

DATA = Path(__file__).resolve().parents[2] / "hyposcore" / "data"


@pytest.fixture
def embedded(tmp_path: Path) -> tuple[Settings, Database]:
    settings = Settings(data_dir=tmp_path / "var")
    database = migrated_database(settings)
    for name in ("hypotheses.yaml", "resolved.yaml"):  # the second names the first's genes
        import_hypotheses(database, DATA / name)
    return settings, database


def _end(
    database: Database,
    settings: Settings,
    ids: Sequence[int],
    state: EvaluationState,
    *,
    backend_for: Callable[[DebateConfig], AgentBackend] | None = None,
) -> None:
    """Debate each evaluation as a worker would (which records the case it read), then end
    it in ``state``."""
    for claimed in offline_batch.claim(database, settings, evaluation_ids=ids, owner="w"):
        run_debate_phase(
            database,
            settings,
            claimed,
            owner="w",
            backend_for=backend_for or backend_factory(settings),
        )
    with database.transaction() as session:
        session.execute(update(Evaluation).where(Evaluation.id.in_(ids)).values(state=state.value))


def _queuer(settings: Settings, database: Database) -> Callable[..., list[QueuedForecast]]:
    """``queue_forecasts`` of the resolved set, a day before each resolution, as the CLI's."""
    app, config = create_app(settings), debate_config(settings)

    def queue(*, fresh: bool = False) -> list[QueuedForecast]:
        return queue_forecasts(
            database, settings, horizon_days=1, config=config, fresh=fresh, app=app
        )

    return queue


def _ids(queued: Sequence[QueuedForecast]) -> list[int]:
    return [q.evaluation_id for q in queued]


def test_a_rerun_reuses_what_succeeded_on_the_same_case_and_queues_the_rest(
    embedded: tuple[Settings, Database],
) -> None:
    settings, database = embedded
    queue = _queuer(settings, database)

    first = queue()
    assert len(first) > 2 and not any(q.reused for q in first)
    # Still live, they are their own twins: found again, not queued twice.
    assert _ids(queue()) == _ids(first)
    _end(database, settings, _ids(first)[:-1], EvaluationState.SUCCEEDED)
    _end(database, settings, _ids(first)[-1:], EvaluationState.FAILED)
    rerun = queue()
    assert [q.reused for q in rerun] == [True] * (len(first) - 1) + [False]
    assert _ids(rerun)[:-1] == _ids(first)[:-1]
    assert rerun[-1].evaluation_id not in _ids(first)  # a failed one is debated again

    # A case that changed since, or other settings, is not the debate that was run.
    revised = first[0].resolved.hypothesis_id
    with database.transaction() as session:
        hypothesis = session.get(Hypothesis, revised)
        assert hypothesis is not None
        hypothesis.statement = f"{hypothesis.statement} (revised)"
    changed = queue()
    assert not changed[0].reused and changed[0].evaluation_id != first[0].evaluation_id
    assert all(q.reused for q in changed[1:-1])
    config = debate_config(settings)
    other = queue_forecasts(
        database,
        settings,
        horizon_days=1,
        config={**config, "max_rounds": config["max_rounds"] - 1},
        app=create_app(settings),
    )
    assert not any(q.reused for q in other)

    # --fresh: nothing finished is reused; what is still live (not yet debated) still is.
    fresh = queue(fresh=True)
    assert not any(q.reused for q in fresh)
    assert set(_ids(fresh)).isdisjoint(_ids(first)[1:-1])
    assert fresh[-1].evaluation_id == rerun[-1].evaluation_id


def test_a_debate_of_data_changed_after_queueing_is_not_graded_as_the_queued_case(
    embedded: tuple[Settings, Database],
) -> None:
    settings, database = embedded
    queue = _queuer(settings, database)

    queued = queue()
    revised = queued[0].resolved.hypothesis_id
    with database.transaction() as session:  # an import while the evaluations wait
        hypothesis = session.get(Hypothesis, revised)
        assert hypothesis is not None
        hypothesis.statement = f"{hypothesis.statement} (revised)"
    _end(database, settings, _ids(queued), EvaluationState.SUCCEEDED)
    with pytest.raises(BacktestError, match=rf"evaluation {queued[0].evaluation_id} of {revised}"):
        collect(database, queued)

    # Run again, the backtest names the case as it now stands, which is the one debated.
    again = queue()
    assert all(q.reused for q in again) and _ids(again) == _ids(queued)
    assert [f.hypothesis_id for f in collect(database, again)] == [
        q.resolved.hypothesis_id for q in queued
    ]


def _debated_by_model_w(
    settings: Settings,
    database: Database,
    monkeypatch: pytest.MonkeyPatch,
    *,
    cutoffs: str | None,
) -> tuple[list[QueuedForecast], DebateConfig]:
    """The resolved set queued for the configured default model of openai, and debated by
    workers whose default is model-w, with ``cutoffs`` configured (a scripted stand-in
    speaks); and the queued config."""
    model = settings.model_copy(update={"backend": "openai"})
    queued = _queuer(model, database)()
    monkeypatch.setenv("HYPOSCORE_OPENAI_MODEL", "model-w")
    if cutoffs is None:
        monkeypatch.delenv("HYPOSCORE_OPENAI_KNOWLEDGE_CUTOFFS", raising=False)
    else:
        monkeypatch.setenv("HYPOSCORE_OPENAI_KNOWLEDGE_CUTOFFS", cutoffs)
    _end(
        database,
        model,
        _ids(queued),
        EvaluationState.SUCCEEDED,
        backend_for=lambda _config: create("scripted"),
    )
    return queued, DebateConfig.from_dict(debate_config(model))


def test_the_report_says_what_the_workers_model_knew_not_what_the_cli_would_ask(
    embedded: tuple[Settings, Database], monkeypatch: pytest.MonkeyPatch
) -> None:
    settings, database = embedded
    # The workers answer as model-w, trained to the end of 2015.
    queued, config = _debated_by_model_w(
        settings, database, monkeypatch, cutoffs='{"model-w": "2015"}'
    )
    # The CLI that grades them has another default model, and no cutoffs.
    monkeypatch.setenv("HYPOSCORE_OPENAI_MODEL", "model-c")
    monkeypatch.delenv("HYPOSCORE_OPENAI_KNOWLEDGE_CUTOFFS")
    items = collect(database, queued)
    report = build_report(items, config, OPTIONS)

    later = [item for item in items if item.resolved_on > date(2015, 12, 31)]
    assert 0 < len(later) < len(items)
    known = report["knowledge"]
    assert (known["model"], known["cutoff"], known["blind"]) == (
        "model-w",
        "2015-12-31",
        len(later),
    )
    assert {row["n"] for row in known["forecasters"]} == {len(later)}


def test_a_cutoff_configured_after_the_debates_reaches_them_on_the_rerun(
    embedded: tuple[Settings, Database], monkeypatch: pytest.MonkeyPatch
) -> None:
    settings, database = embedded
    # The workers debate as model-w with no cutoff configured...
    queued, config = _debated_by_model_w(settings, database, monkeypatch, cutoffs=None)
    assert build_report(collect(database, queued), config, OPTIONS)["knowledge"]["blind"] is None

    # ...then the report's hint is followed, and the same backtest runs again: it reuses the
    # debates, which get the model's cutoff; a cutoff already recorded is never changed.
    monkeypatch.setenv("HYPOSCORE_OPENAI_KNOWLEDGE_CUTOFFS", '{"model-w": "2015"}')
    with database.transaction() as session:
        kept = session.get(Evaluation, queued[0].evaluation_id)
        assert kept is not None
        kept.knowledge_cutoff = date(2001, 1, 1)
    again = _queuer(settings.model_copy(update={"backend": "openai"}), database)()
    assert all(q.reused for q in again)
    with database.sessions() as session:
        assert calibration_table(session) == []  # a forecast of unknown knowledge grades nobody
    ids = _ids(again)
    given = record_configured_cutoffs(database, backend="openai", evaluation_ids=ids)
    assert given == len(again) - 1
    assert record_configured_cutoffs(database, backend="openai", evaluation_ids=ids) == 0
    with database.sessions() as session:
        assert {row.persona for row in calibration_table(session)}  # now they grade the panel
    items = collect(database, again)
    later = [i for i in items[1:] if i.resolved_on > date(2015, 12, 31)]
    first_unseen = items[0].resolved_on > date(2001, 1, 1)
    known = build_report(items, config, OPTIONS)["knowledge"]
    assert known["blind"] == len(later) + first_unseen
