"""CPU seconds from /proc: a process tree's, the whole machine's, and where a server runs.

Linux only; the benchmarks that read them run on this machine's servers.
"""

from __future__ import annotations

import os
from pathlib import Path

_TICK = os.sysconf("SC_CLK_TCK")


def tree_cpu_seconds(pid: int) -> float:
    """User and system CPU seconds of process ``pid`` and its descendants, live and reaped (a
    prefork worker's children do the work; PostgreSQL's backends end with their connections),
    from /proc."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
        children = [
            int(child)
            for task in Path(f"/proc/{pid}/task").iterdir()
            for child in (task / "children").read_text().split()
        ]
    except (FileNotFoundError, ProcessLookupError):
        return 0.0
    # utime, stime, cutime and cstime are the 14th to 17th fields; 12th to 15th after the
    # command's ")".
    own = sum(int(x) for x in fields[11:15]) / _TICK
    return own + sum(tree_cpu_seconds(child) for child in children)


def server_pid(command: str) -> int | None:
    """The pid of the first process whose parent is init and whose name is ``command``."""
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            name, _, rest = stat.read_text().partition(") ")
        except (FileNotFoundError, ProcessLookupError):
            continue
        if name.partition(" (")[2] == command and rest.split()[1] == "1":
            return int(stat.parent.name)
    return None


def machine_cpu_seconds() -> float:
    """Busy CPU seconds of the whole machine, every core, from /proc/stat."""
    user, nice, system, _idle, _iowait, irq, softirq = (
        int(x) for x in Path("/proc/stat").read_text().split("\n")[0].split()[1:8]
    )
    return (user + nice + system + irq + softirq) / _TICK
