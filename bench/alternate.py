"""Older code against this code, one run each in turn: the only fair comparison on a noisy machine.

This machine's speed swings by a third within minutes, so two benchmark runs an hour apart
compare the machine, not the code. This runs a benchmark module from an older checkout (a
``git worktree``) and from this one alternately, ``--pairs`` times, each in a fresh process,
reads the figure each prints last (the number after its last "median"), and prints every pair,
both medians and the median of the pairs' ratios.

    git worktree add /tmp/base <commit>
    .venv/bin/python -m bench.alternate --base /tmp/base --pairs 8 -- \\
        bench.turn_cpu --runs 3 --repeats 4
    .venv/bin/python -m bench.alternate --base /tmp/base --pairs 4 --line throughput -- \\
        bench.llm_debates --concurrency 64 --workers 2 --repeats 1

Both sides should run the same benchmark: copy this checkout's benchmark file into the older
one when it lacks the file or its options.
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent
_FIGURE = re.compile(r"median\s+([0-9.]+)")


def figure(checkout: Path, module: str, options: list[str], line: str | None = None) -> float:
    """The last median ``module`` prints (on the last line containing ``line``, if given),
    run with this interpreter from ``checkout``."""
    printed = subprocess.run(
        [sys.executable, "-m", module, *options],
        cwd=checkout,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    if line is not None:
        printed = "\n".join(text for text in printed.splitlines() if line in text)
    found = _FIGURE.findall(printed)
    if not found:
        raise SystemExit(f"{module} printed no median in {checkout}:\n{printed}")
    return float(found[-1])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", type=Path, required=True, help="the older checkout")
    parser.add_argument("--pairs", type=int, default=8)
    parser.add_argument(
        "--line", help="read the median on the last line containing this (default: any line)"
    )
    parser.add_argument("module", help="the benchmark module, e.g. bench.turn_cpu")
    parser.add_argument("options", nargs=argparse.REMAINDER, help="the benchmark's options")
    args = parser.parse_args(argv)
    options = [o for o in args.options if o != "--"]
    rows = []
    for _ in range(args.pairs):
        before = figure(args.base, args.module, options, args.line)
        after = figure(HERE, args.module, options, args.line)
        rows.append((before, after))
        print(f"before {before:.3f}  this code {after:.3f}  ratio {after / before:.3f}", flush=True)
    print(
        f"median before {statistics.median(b for b, _ in rows):.3f}, "
        f"this code {statistics.median(a for _, a in rows):.3f}; "
        f"median ratio {statistics.median(a / b for b, a in rows):.3f}"
    )


if __name__ == "__main__":
    main()
