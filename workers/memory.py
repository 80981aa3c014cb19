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
# cgroup v2, then v1: in a container /proc/meminfo tells the host's memory, not the limit's.
_CGROUP_FILES = (
    (Path("/sys/fs/cgroup/memory.max"), Path("/sys/fs/cgroup/memory.current")),
    (
        Path("/sys/fs/cgroup/memory/memory.limit_in_bytes"),
        Path("/sys/fs/cgroup/memory/memory.usage_in_bytes"),
    ),
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
    for limit_file, usage_file in _CGROUP_FILES:
        try:
            limit, usage = limit_file.read_text().strip(), usage_file.read_text().strip()
        except OSError:
            continue
        if limit == "max" or not limit.isdigit() or not usage.isdigit():
            return None  # no limit; v1 writes a huge number instead, which min() passes over
        return max(int(limit) - int(usage), 0)
    return None


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
