"""How much memory the tournament's fits may take on this machine, and the check before one.

A fit holds (n + 1)-square arrays (``scoring.bt_posterior.fit_bytes``): 0.8 GB each at 10,000
hypotheses, 7 GB at 30,000. Started without room, it fails after minutes with numpy's "Unable
to allocate", or the kernel kills the worker, and beat sends it again next interval. So the
scheduled passes first compare the estimate with a budget and, over it, refuse with a sentence
that says what to change.
"""

from __future__ import annotations

from pathlib import Path

from common.settings import Settings

# Of the memory available when a fit starts, the share it may take (half, as the refusal
# says): the debates on the same machine, the database and the page cache need the rest.
AVAILABLE_SHARE = 0.5
_MEMINFO = Path("/proc/meminfo")
# In a container or a systemd slice /proc/meminfo tells the host's memory, not the limit's.
# The limit may sit on this process's own cgroup or on any above it (a slice's MemoryMax), so
# every level from its own up to the hierarchy's root is read: cgroup v2, then v1's memory
# controller, each as (where the hierarchy is mounted, limit file, usage file).
_PROC_CGROUP = Path("/proc/self/cgroup")
_CGROUP_MOUNTS = (
    (Path("/sys/fs/cgroup"), "memory.max", "memory.current"),
    (Path("/sys/fs/cgroup/memory"), "memory.limit_in_bytes", "memory.usage_in_bytes"),
)


class OverBudgetError(Exception):
    """A fit whose estimated memory is over the budget; its message says what to change."""


def available_bytes() -> int | None:
    """The memory this process could still take: the kernel's estimate of what is available,
    less if a cgroup limit leaves less; None where neither can be read (not Linux)."""
    found = [b for b in (_meminfo_available(), _cgroup_headroom()) if b is not None]
    return min(found) if found else None


def _meminfo_available() -> int | None:
    try:
        lines = _MEMINFO.read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        if line.startswith("MemAvailable:"):
            return int(line.split()[1]) * 1024  # the kernel counts in KiB
    return None


def _cgroup_headroom() -> int | None:
    """The least room left under any cgroup limit above this process; None where none is set."""
    v2_path, v1_path = _own_cgroups()
    rooms = [
        room
        for (mount, limit_name, usage_name), own in zip(
            _CGROUP_MOUNTS, (v2_path, v1_path), strict=True
        )
        for level in _levels(mount, own)
        if (room := _headroom(level / limit_name, level / usage_name)) is not None
    ]
    return min(rooms) if rooms else None


def _own_cgroups() -> tuple[str, str]:
    """This process's cgroup path in the v2 hierarchy and in v1's memory controller ("/" where
    /proc/self/cgroup does not say: the root, which is a container's own cgroup)."""
    v2 = v1 = "/"
    try:
        lines = _PROC_CGROUP.read_text().splitlines()
    except OSError:
        return v2, v1
    for line in lines:
        number, controllers, path = line.split(":", 2) if line.count(":") >= 2 else ("", "", "")
        if number == "0" and controllers == "":
            v2 = path or "/"
        elif "memory" in controllers.split(","):
            v1 = path or "/"
    return v2, v1


def _levels(mount: Path, own: str) -> list[Path]:
    """The cgroup directories from ``own`` up to the mount's root that this process can see.
    Without a cgroup namespace a container sees its host path in /proc/self/cgroup but only
    its own cgroup, mounted as the root; the levels missing under the mount are skipped."""
    parts = [part for part in own.split("/") if part and part not in (".", "..")]
    levels = [mount.joinpath(*parts[:depth]) for depth in range(len(parts), -1, -1)]
    return [level for level in levels if level.is_dir()]


def _headroom(limit_file: Path, usage_file: Path) -> int | None:
    try:
        limit, usage = limit_file.read_text().strip(), usage_file.read_text().strip()
    except OSError:
        return None
    if not limit.isdigit() or not usage.isdigit():
        return None  # "max": no limit; v1 writes a huge number instead, which min() passes over
    return max(int(limit) - int(usage), 0)


def budget_bytes(settings: Settings) -> tuple[int | None, str]:
    """The most a fit may take, and where that figure comes from (for the refusal's
    sentence); None when nothing sets it."""
    if settings.tournament_memory_mb is not None:
        return settings.tournament_memory_mb * 2**20, "set by HYPOSCORE_TOURNAMENT_MEMORY_MB"
    available = available_bytes()
    if available is None:
        return None, "unknown"
    return int(available * AVAILABLE_SHARE), (
        f"half the {_gigabytes(available)} available; HYPOSCORE_TOURNAMENT_MEMORY_MB sets it"
    )


def check_fit(what: str, needed: int, settings: Settings) -> None:
    """Raise ``OverBudgetError`` if ``what`` (a phrase: "the refit of 31,200 hypotheses") is
    estimated to need more than the budget."""
    budget, source = budget_bytes(settings)
    if budget is not None and needed > budget:
        raise OverBudgetError(
            f"{what} would need about {_gigabytes(needed)} of memory, over the "
            f"{_gigabytes(budget)} it may take ({source})"
        )


def _gigabytes(count: int) -> str:
    return f"{count / 2**30:.1f} GB" if count >= 2**30 else f"{count / 2**20:.0f} MB"
