"""The CPU a burst's first prompts cost a fresh worker process: threads rendering together.

A debates worker's threads begin their first debates at once. Each measurement runs in a new
process (the compiled templates are per process), loads the bundled cases, then starts
``--threads`` threads that each build and render one first-round prompt, released together by
a barrier; it prints the process CPU those renders took. Three ways, in turn, each ``--runs``
times, and the median of each:

- ``jinja``: jinja's own Environment, as before ``debates.templating`` (every thread that
  finds a template uncompiled compiles it);
- ``once``: ``CompileOnceEnvironment``, nothing compiled yet (one thread compiles each);
- ``warm``: the templates compiled first, as ``workers.warmup`` does before the first message.

    .venv/bin/python -m bench.first_prompts [--threads 32] [--runs 5]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import threading
import time

from jinja2 import Environment

MODES = ("jinja", "once", "warm")


def measure(mode: str, threads: int) -> float:
    """Process CPU ms of ``threads`` first prompts rendered together, in this process."""
    from debates import prompts
    from debates.backends.llm_common import prompt_parts
    from tests.debates.bundled import bundled_cases

    cases = list(bundled_cases().values())
    if mode == "jinja":
        fresh = prompts.environment()
        plain = Environment(  # plain-text prompts, as in debates.prompts
            loader=fresh.loader,
            undefined=fresh.undefined,
            trim_blocks=True,
            lstrip_blocks=True,
            auto_reload=False,
        )
        prompts.environment = lambda: plain  # type: ignore[assignment,return-value]
    elif mode == "warm":
        prompts.environment().precompile()
    start = threading.Barrier(threads + 1)

    def render(index: int) -> None:
        case = cases[index % len(cases)]
        start.wait()
        request = prompts.build_turn_request(
            case,
            "theorist",
            round=1,
            phase="opening",
            transcript=(),
            panel=("theorist", "skeptic", "domain_expert", "synthesizer"),
            fence_token=f"F{index:015d}",
        )
        prompt_parts(request)

    workers = [threading.Thread(target=render, args=(i,)) for i in range(threads)]
    for worker in workers:
        worker.start()
    before = time.process_time()
    start.wait()
    for worker in workers:
        worker.join()
    return (time.process_time() - before) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=32)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--mode", choices=MODES, help=argparse.SUPPRESS)  # one measurement
    args = parser.parse_args()
    if args.mode:
        print(f"{measure(args.mode, args.threads):.3f}")
        return
    figures: dict[str, list[float]] = {mode: [] for mode in MODES}
    for _ in range(args.runs):
        for mode in MODES:
            command = [sys.executable, "-m", "bench.first_prompts", "--mode", mode]
            printed = subprocess.run(
                [*command, "--threads", str(args.threads)],
                check=True,
                capture_output=True,
                text=True,
            ).stdout
            figures[mode].append(float(printed.split()[-1]))
    for mode in MODES:
        runs = ", ".join(f"{x:.0f}" for x in figures[mode])
        print(
            f"{mode}: CPU ms of {args.threads} first prompts: {runs} median "
            f"{statistics.median(figures[mode]):.1f}"
        )


if __name__ == "__main__":
    main()
