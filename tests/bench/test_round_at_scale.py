from pathlib import Path

import pytest

from bench import round_at_scale
from scoring.bt_ratings import rate_bytes
from scoring.pairing import round_bytes
from storage.db import Database
from storage.queries.tournament import eligible_groups, match_log


def test_the_ledger_shares_one_disease_and_ten_to_a_gene(tmp_path: Path) -> None:
    ledger = tmp_path / "ledger.db"
    round_at_scale.build(ledger, 40, 100)
    database = Database(f"sqlite:///{ledger}")
    with database.sessions() as session:
        groups = eligible_groups(session)
        matches = match_log(session)
    assert sorted(len(group) for group in groups) == [10, 10, 10, 10, 40]
    assert len(matches) == 100
    assert {m.verdict_ab for m in matches} == {"first", "second"}
    assert all(m.verdict_ba is None for m in matches)  # one call each


def test_each_stage_reports_what_it_did_from_its_own_process(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.argv", ["round_at_scale", "--entrants", "30", "--matches-each", "4"])
    round_at_scale.main()
    rows = capsys.readouterr().out.splitlines()[2:]
    assert [row.split("|")[4].strip() for row in rows] == ["groups", "refit", "round"]
    assert [row.split("|")[8].strip() for row in rows] == ["4 groups", "30 rated", "8 judged"]
    # beside each fit, what the scheduled pass estimates it needs before it starts
    refit, round_ = (
        rate_bytes(entrants=30, matches=120),
        round_bytes(entrants=30, matches=120, top_k=False),
    )
    assert [row.split("|")[7].strip() for row in rows] == [
        "",
        f"{refit / 2**20:,.0f}",
        f"{round_ / 2**20:,.0f}",
    ]
