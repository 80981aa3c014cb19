"""The memory budget of the tournament's fits: from the setting, or from what the kernel and
the cgroup leave, and the refusal's sentence."""

from __future__ import annotations

from pathlib import Path

import pytest

from common.settings import Settings, get_settings
from workers import memory
from workers.memory import OverBudgetError, available_bytes, budget_bytes, check_fit

GB = 2**30


def _settings(**overrides: object) -> Settings:
    return get_settings().model_copy(update=overrides)


@pytest.fixture
def machine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A /proc and /sys of our own: 8 GB available, no cgroup files."""
    meminfo = tmp_path / "meminfo"
    meminfo.write_text("MemTotal:       16777216 kB\nMemAvailable:    8388608 kB\n")
    monkeypatch.setattr(memory, "_MEMINFO", meminfo)
    v2 = (tmp_path / "memory.max", tmp_path / "memory.current")
    v1 = (tmp_path / "limit_in_bytes", tmp_path / "usage_in_bytes")
    monkeypatch.setattr(memory, "_CGROUP_FILES", (v2, v1))
    return tmp_path


def test_without_a_cgroup_limit_the_kernels_available_memory_counts(machine: Path) -> None:
    assert available_bytes() == 8 * GB
    (machine / "memory.max").write_text("max\n")  # cgroup v2 with no limit
    (machine / "memory.current").write_text(f"{GB}\n")
    assert available_bytes() == 8 * GB


def test_a_cgroup_limit_tighter_than_the_machine_counts(machine: Path) -> None:
    (machine / "memory.max").write_text(f"{4 * GB}\n")
    (machine / "memory.current").write_text(f"{GB}\n")
    assert available_bytes() == 3 * GB
    (machine / "memory.max").unlink()  # cgroup v1 only
    (machine / "limit_in_bytes").write_text(f"{2 * GB}\n")
    (machine / "usage_in_bytes").write_text(f"{GB // 2}\n")
    assert available_bytes() == 3 * GB // 2


def test_nothing_to_read_means_no_budget_and_no_refusal(machine: Path) -> None:
    (machine / "meminfo").unlink()
    assert available_bytes() is None
    assert budget_bytes(_settings()) == (None, "unknown")
    check_fit("the refit of 40,000 hypotheses", 100 * GB, _settings())  # nothing to compare


def test_the_budget_is_half_what_is_available_unless_set(machine: Path) -> None:
    budget, source = budget_bytes(_settings())
    assert budget == 4 * GB
    assert source == "half the 8.0 GB available; HYPOSCORE_TOURNAMENT_MEMORY_MB sets it"
    budget, source = budget_bytes(_settings(tournament_memory_mb=12_288))
    assert budget == 12 * GB and source == "set by HYPOSCORE_TOURNAMENT_MEMORY_MB"


def test_a_fit_over_the_budget_is_refused_with_what_it_needs_and_what_sets_it(
    machine: Path,
) -> None:
    check_fit("the refit of 20,000 hypotheses", 4 * GB, _settings())  # exactly the budget
    with pytest.raises(OverBudgetError) as refused:
        check_fit("the refit of 30,000 hypotheses", 15 * GB // 2, _settings())
    assert str(refused.value) == (
        "the refit of 30,000 hypotheses would need about 7.5 GB of memory, over the 4.0 GB it "
        "may take (half the 8.0 GB available; HYPOSCORE_TOURNAMENT_MEMORY_MB sets it)"
    )
    with pytest.raises(OverBudgetError, match=r"over the 512 MB it may take \(set by "):
        check_fit("a round among 9,000 hypotheses", GB, _settings(tournament_memory_mb=512))


def test_this_machine_has_a_budget() -> None:
    """On Linux, as CI runs, the budget is read from the machine, not left unknown."""
    budget, _ = budget_bytes(_settings())
    assert budget is not None and budget > 0
