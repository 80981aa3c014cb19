"""The /proc readers the pipeline benchmarks split CPU by."""

from __future__ import annotations

import os
import subprocess
import sys

from bench.proc_cpu import machine_cpu_seconds, server_pid, tree_cpu_seconds

BURN = "import time\nwhile time.process_time() < 0.3:\n    pass\n"


def test_a_reaped_child_s_cpu_counts_in_its_parent_s_tree() -> None:
    before_tree, before_machine = tree_cpu_seconds(os.getpid()), machine_cpu_seconds()
    subprocess.run([sys.executable, "-c", BURN], check=True)
    assert tree_cpu_seconds(os.getpid()) - before_tree >= 0.25
    assert machine_cpu_seconds() - before_machine >= 0.25


def test_a_live_child_s_cpu_counts_while_it_runs() -> None:
    # The child says when it has burnt its CPU and then idles on its input, so its count
    # stays still while both trees are read.
    child = subprocess.Popen(
        [sys.executable, "-c", BURN + "print('burnt', flush=True)\ninput()\n"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None and child.stdout.readline() == "burnt\n"
        assert child.poll() is None, "the child waits on its input, so it must still run"
        assert tree_cpu_seconds(child.pid) >= 0.25
        assert tree_cpu_seconds(os.getpid()) >= tree_cpu_seconds(child.pid)
    finally:
        child.communicate("\n")


def test_gone_processes_and_absent_servers_read_as_nothing() -> None:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    assert tree_cpu_seconds(child.pid) == 0.0
    assert server_pid("no-such-server-here") is None
