"""The backtest's blind debates and its report: nothing from after the as-of date, nothing from
the held-out hypothesis's own outcome."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from pathlib import Path

import pytest

from debates.backends.base import BackendRequest, BackendResult, OutputT
from debates.backends.registry import create_from_settings
from debates.case import Evidence
from debates.types import DebateConfig
from scoring.calibration import update_believability
from scoring.forecasts import (
    MIN_AUC_INTERVAL_EACH,
    MIN_INTERVAL_N,
    brier_score,
    grade,
)
from scoring.leave_one_out import loo_believability
from scoring.leave_pair_out import pair_table
from scoring.lmsr import MarketState
from scoring.recalibration import loo_recalibrated, pair_recalibrated
from scoring.weights import Weights
from storage.db import Database
from storage.importing import import_hypotheses
from storage.queries.backtests import resolved_hypotheses
from tests.databases import migrated_sqlite
from tests.workers.backtest_items import OPTIONS, forecasted_items
from workers.backtest import BacktestError, run_local
from workers.backtest_report import build_report
from workers.cases import load_cases
from workers.scoring_phase import plan_score

BUNDLED = Path(__file__).resolve().parents[2] / "hyposcore" / "data" / "hypotheses.yaml"


@pytest.fixture
def bundled(sqlite_db: Database) -> Database:
    import_hypotheses(sqlite_db, BUNDLED)
    return sqlite_db


@pytest.fixture
def sqlite_db(tmp_path: Path) -> Database:
    return migrated_sqlite(tmp_path / "bt.db")


class Recording:
    """The offline backend, noting the evidence each debate's requests carried."""

    def __init__(self) -> None:
        self.inner = create_from_settings("evidence")
        self.name = self.inner.name
        self.seen: dict[str, set[Evidence]] = {}

    def complete(self, request: BackendRequest[OutputT]) -> BackendResult[OutputT]:
        case = request.context.case
        self.seen.setdefault(case.hypothesis_id, set()).update(case.evidence)
        return self.inner.complete(request)


def test_the_resolving_years_evidence_never_reaches_a_blind_debate(bundled: Database) -> None:
    backend = Recording()
    with bundled.sessions() as session:
        resolved = {r.hypothesis_id: r for r in resolved_hypotheses(session)}
        full = load_cases(session, hypothesis_ids=list(resolved))
    items = run_local(bundled, horizon_days=1, config=DebateConfig(), backend=backend)
    assert {item.hypothesis_id for item in items} == set(resolved)
    for item in items:
        resolved_on = resolved[item.hypothesis_id].resolved_on
        assert item.as_of == resolved_on - timedelta(days=1)
        seen = backend.seen[item.hypothesis_id]
        assert len(seen) == item.evidence_kept <= item.evidence_total
        as_filed = {e.citation: e for e in full[item.hypothesis_id].evidence}
        for shown in seen:
            # The item as filed, except that a replication shows only once it is dated by then.
            filed = as_filed[shown.citation]
            bare = {"replicated": None, "replicated_since": None}
            assert dataclasses.replace(shown, **bare) == dataclasses.replace(filed, **bare)
            if shown.replicated:
                assert shown.replicated_since and shown.replicated_since.known_before(item.as_of)
        # Whatever the dating rule, nothing published after the as-of year is argued over.
        assert all(e.year is not None and e.year <= item.as_of.year for e in seen)
    # The bundled cases cite the publications that settled them, so the cut bites.
    assert any(item.evidence_kept < item.evidence_total for item in items)


def test_a_longer_horizon_keeps_no_more_evidence(bundled: Database) -> None:
    evidence = create_from_settings("evidence")
    near = run_local(bundled, horizon_days=1, config=DebateConfig(), backend=evidence)
    far = run_local(bundled, horizon_days=3 * 365, config=DebateConfig(), backend=evidence)
    kept_near = {i.hypothesis_id: i.evidence_kept for i in near}
    kept_far = {i.hypothesis_id: i.evidence_kept for i in far}
    assert all(kept_far[h] <= kept_near[h] for h in kept_near)
    assert sum(kept_far.values()) < sum(kept_near.values())


def test_a_bad_horizon_and_an_empty_set_are_refused(sqlite_db: Database) -> None:
    evidence = create_from_settings("evidence")
    with pytest.raises(BacktestError, match="horizon_days must be between 1 and"):
        run_local(sqlite_db, horizon_days=0, config=DebateConfig(), backend=evidence)
    with pytest.raises(BacktestError, match="found 0 resolved"):
        run_local(sqlite_db, horizon_days=1, config=DebateConfig(), backend=evidence)


def test_report_weighs_each_hypothesis_with_the_others_record_only() -> None:
    items = forecasted_items()
    report = build_report(items, DebateConfig(), OPTIONS)
    outcomes = {i.hypothesis_id: i.validated for i in items}
    stated = {
        i.hypothesis_id: {
            p: [t.probability for t in i.turns if t.persona == p] for p in ("skeptic", "theorist")
        }
        for i in items
    }
    folds = loo_believability(stated, outcomes)
    rows = {h["hypothesis_id"]: h for h in report["hypotheses"]}
    for item in items:
        expected = plan_score(
            item.turns,
            folds[item.hypothesis_id],
            Weights.default(),
            level=0.8,
            market=MarketState(100.0),
            quality=item.quality,
        )
        row = rows[item.hypothesis_id]
        assert row["composite"] == pytest.approx(expected.blend.composite)
        assert row["exchange_rating"] == pytest.approx(expected.trades[-1].price_after)
        assert row["believability"] == pytest.approx(folds[item.hypothesis_id])
    # h-bt000001 held out: the skeptic's record is the other four hypotheses.
    others = [
        brier_score(stated[h]["skeptic"], [outcomes[h]] * 2) for h in outcomes if h != "h-bt000001"
    ]
    assert rows["h-bt000001"]["believability"]["skeptic"] == pytest.approx(
        update_believability(sum(others) / 4, 4)
    )


def test_too_few_hypotheses_are_graded_without_intervals() -> None:
    # The production floors: five hypotheses (two validated) are too few for any interval.
    options = dataclasses.replace(
        OPTIONS, min_interval_n=MIN_INTERVAL_N, min_auc_interval_each=MIN_AUC_INTERVAL_EACH
    )
    report = build_report(forecasted_items(), DebateConfig(), options)
    assert report["settings"]["min_interval_n"] == MIN_INTERVAL_N == 20
    assert report["settings"]["min_auc_interval_each"] == MIN_AUC_INTERVAL_EACH == 8
    for row in report["forecasters"]:
        assert row["brier"] is not None and row["n"] < MIN_INTERVAL_N
        bounds = [
            row[f"{grade}_{end}"]
            for grade in ("brier", "log_loss", "auc")
            for end in ("low", "high")
        ]
        assert bounds == [None] * 6, row["name"]
    # The paired differences against the baselines keep theirs: n is shown beside them.
    assert all(c["brier_difference_low"] is not None for c in report["comparisons"])


def test_report_grades_every_forecaster_against_its_rows() -> None:
    items = forecasted_items()
    report = build_report(items, DebateConfig(), OPTIONS)
    graded = {f["name"]: f for f in report["forecasters"]}
    assert report["n"] == 5 and report["validated"] == 2 and report["refuted"] == 3
    y = [h["validated"] for h in report["hypotheses"]]
    for name, key in (("exchange rating", "exchange_rating"), ("composite", "composite")):
        p = [h[key] for h in report["hypotheses"]]
        assert graded[name]["brier"] == pytest.approx(brier_score(p, y))
        assert graded[name]["brier_low"] <= graded[name]["brier"] <= graded[name]["brier_high"]
    assert graded["always 0.5"]["brier"] == pytest.approx(0.25)
    # Base rate of the training folds: a validated one sees 1 of 4 validated, a refuted 2 of 4.
    assert [h["base_rate"] for h in report["hypotheses"]] == pytest.approx(
        [0.25, 0.5, 0.25, 0.5, 0.5]
    )
    theorist = [t for t in items[0].turns if t.persona == "theorist"][-1].probability
    assert report["hypotheses"][0]["personas"]["theorist"] == theorist
    assert graded["theorist"]["kind"] == "persona" and graded["theorist"]["n"] == 5
    assert sum(b["count"] for b in graded["composite"]["reliability"]) == 5
    pairs = {(c["forecaster"], c["baseline"]): c for c in report["comparisons"]}
    ratings = ("exchange rating", "composite")
    recalibrated = tuple(f"{name}, recalibrated (training folds)" for name in ratings)
    assert set(pairs) == {
        (rating, baseline)
        for rating in (*ratings, *recalibrated)
        for baseline in ("always 0.5", "base rate (training folds)")
    }
    # Each recalibrated forecast comes from a map fitted on the other four hypotheses; its
    # AUC from maps fitted on the other three, each validated-refuted pair held out together.
    for name, key in zip(recalibrated, ("exchange_rating", "composite"), strict=True):
        raw = [h[key] for h in report["hypotheses"]]
        mapped = loo_recalibrated(raw, y)
        assert graded[name]["brier"] == pytest.approx(brier_score(mapped, y))
        table = pair_table(y, pair_recalibrated(raw, y))
        assert graded[name]["auc"] == grade(raw, y, seed=0, pair_table=table).auc
        assert graded[name]["auc_folds"] == "leave-pair-out"
    # A base rate ranks no pair: 0.5, where its leave-one-out forecasts would give 0.
    base_rate = graded["base rate (training folds)"]
    assert (base_rate["auc"], base_rate["auc_low"], base_rate["auc_high"]) == (0.5, 0.5, 0.5)
    assert base_rate["auc_folds"] == "leave-pair-out"
    assert graded["exchange rating"]["auc_folds"] == "leave-one-out"
    assert graded["theorist"]["auc_folds"] == graded["always 0.5"]["auc_folds"] == "none"
    against_half = pairs[("exchange rating", "always 0.5")]
    assert against_half["brier_difference"] == pytest.approx(
        graded["exchange rating"]["brier"] - 0.25
    )
    assert against_half["brier_difference_low"] <= against_half["brier_difference"]
    assert against_half["brier_difference"] <= against_half["brier_difference_high"]


def test_a_leaked_answer_about_the_held_out_hypothesis_moves_none_of_its_weights() -> None:
    items = forecasted_items()
    leaked = list(items)
    # The first hypothesis was validated; its personas now "know" it.
    leaked[0] = dataclasses.replace(
        items[0], turns=tuple(dataclasses.replace(t, probability=1.0) for t in items[0].turns)
    )
    honest = build_report(items, DebateConfig(), OPTIONS)["hypotheses"][0]["believability"]
    knowing = build_report(leaked, DebateConfig(), OPTIONS)
    assert knowing["hypotheses"][0]["believability"] == honest
    assert knowing["hypotheses"][1]["believability"] != honest


def _blind(database: Database, hypothesis_id: str) -> tuple[object, ...]:
    evidence = create_from_settings("evidence")
    items = run_local(database, horizon_days=1, config=DebateConfig(), backend=evidence)
    found = next(item for item in items if item.hypothesis_id == hypothesis_id)
    return found.turns, found.quality


def _prasinezumab_approved(database: Database, folder: Path, since: int) -> None:
    path = folder / f"approved-{since}.yaml"
    path.write_text(
        "version: 1\ndrugs:\n  - name: Prasinezumab\n"
        f"    status_history: [{{status: approved, since: {since}}}]\n"
    )
    import_hypotheses(database, path)


def test_a_drug_status_from_after_the_as_of_date_moves_no_blind_forecast(
    tmp_path: Path,
) -> None:
    # h-b7e4d1f6 (anti-alpha-synuclein antibodies, SNCA) was refuted in August 2022. Were the
    # SNCA antibody approved today, on a trial after that, its blind debate must not know it.
    databases = {}
    for name, since in (("as bundled", None), ("approved 2023", 2023), ("approved 2020", 2020)):
        databases[name] = migrated_sqlite(tmp_path / f"{name}.db")
        import_hypotheses(databases[name], BUNDLED)
        if since is not None:
            _prasinezumab_approved(databases[name], tmp_path, since)
    blind = {name: _blind(database, "h-b7e4d1f6") for name, database in databases.items()}
    assert blind["approved 2023"] == blind["as bundled"]
    # Known before the as-of date, the approval is what the debate should weigh.
    assert blind["approved 2020"] != blind["as bundled"]
