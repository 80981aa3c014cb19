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
    """A /proc and /sys of our own: 8 GB available, no cgroup files, the process in the
    hierarchies' roots."""
    meminfo = tmp_path / "meminfo"
    meminfo.write_text("MemTotal:       16777216 kB\nMemAvailable:    8388608 kB\n")
    monkeypatch.setattr(memory, "_MEMINFO", meminfo)
    (tmp_path / "cgroup").write_text("0::/\n")
    monkeypatch.setattr(memory, "_PROC_CGROUP", tmp_path / "cgroup")
    v2, v1 = tmp_path / "v2", tmp_path / "v1"
    v2.mkdir()
    v1.mkdir()
    monkeypatch.setattr(
        memory,
        "_CGROUP_MOUNTS",
        (
            (v2, "memory.max", "memory.current"),
            (v1, "memory.limit_in_bytes", "memory.usage_in_bytes"),
        ),
    )
    return tmp_path


def _limit(level: Path, limit: int | str, usage: int, *, v1: bool = False) -> None:
    level.mkdir(parents=True, exist_ok=True)
    names = (
        ("memory.limit_in_bytes", "memory.usage_in_bytes")
        if v1
        else ("memory.max", "memory.current")
    )
    (level / names[0]).write_text(f"{limit}\n")
    (level / names[1]).write_text(f"{usage}\n")


def test_without_a_cgroup_limit_the_kernels_available_memory_counts(machine: Path) -> None:
    assert available_bytes() == 8 * GB
    _limit(machine / "v2", "max", GB)  # cgroup v2 with no limit
    _limit(machine / "v1", 2**63 - 4096, GB, v1=True)  # v1 writes a huge number instead
    assert available_bytes() == 8 * GB


def test_a_cgroup_limit_tighter_than_the_machine_counts(machine: Path) -> None:
    _limit(machine / "v2", 4 * GB, GB)
    assert available_bytes() == 3 * GB
    (machine / "v2" / "memory.max").unlink()  # cgroup v1 only
    _limit(machine / "v1", 2 * GB, GB // 2, v1=True)
    assert available_bytes() == 3 * GB // 2


def test_a_limit_on_a_slice_above_the_process_counts(machine: Path) -> None:
    """A systemd service in a slice with MemoryMax=, on a bare host: the limit is neither on
    the hierarchy's root nor on the service's own cgroup."""
    (machine / "cgroup").write_text("0::/hyposcore.slice/worker.service\n")
    _limit(machine / "v2" / "hyposcore.slice", 3 * GB, GB)
    _limit(machine / "v2" / "hyposcore.slice" / "worker.service", "max", GB // 2)
    assert available_bytes() == 2 * GB
    _limit(machine / "v2" / "hyposcore.slice" / "worker.service", GB, GB // 2)
    assert available_bytes() == GB // 2  # the tightest level counts


def test_cgroup_v1_reads_the_memory_controllers_path(machine: Path) -> None:
    (machine / "cgroup").write_text(
        "4:memory:/process_api/c67a3d\n2:cpu,cpuacct:/elsewhere\n0::/\n"
    )
    _limit(machine / "v1" / "process_api", 2**63 - 4096, GB, v1=True)
    _limit(machine / "v1" / "process_api" / "c67a3d", GB, GB // 4, v1=True)
    assert available_bytes() == 3 * GB // 4


def test_a_container_that_sees_only_its_own_cgroup_reads_the_root(machine: Path) -> None:
    """Without a cgroup namespace /proc/self/cgroup names the host's path, but the container
    sees only its own cgroup, mounted as the root."""
    (machine / "cgroup").write_text("0::/system.slice/docker-0a1b.scope\n")
    _limit(machine / "v2", 2 * GB, GB // 2)
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
