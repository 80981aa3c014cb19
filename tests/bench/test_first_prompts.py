"""The first-prompts benchmark measures each of its three ways in a process of its own."""

from __future__ import annotations

import re
import subprocess
import sys

from bench.first_prompts import MODES


def test_each_way_is_measured_and_printed() -> None:
    printed = subprocess.run(
        [sys.executable, "-m", "bench.first_prompts", "--threads", "4", "--runs", "1"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    lines = printed.splitlines()
    assert [line.split(":")[0] for line in lines] == list(MODES)
    for line in lines:
        match = re.search(r"median ([0-9.]+)$", line)
        assert match is not None and float(match.group(1)) > 0
