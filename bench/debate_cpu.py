"""CPU time of one offline debate (the ``evidence`` backend), over every bundled hypothesis.

Imports the bundled hypotheses into a temporary SQLite database, builds each case as a worker
does, then debates all of them ``--repeats`` times with the default evaluation configuration.
Every repeat debates fresh copies of the cases, as each evaluation loads its case anew, so
nothing a case remembers from one debate speeds up the next. Reports the median and the best
CPU time per debate; ``--profile N`` prints the N costliest functions of one more repeat.

    .venv/bin/python -m bench.debate_cpu --repeats 30 --profile 25
"""

from __future__ import annotations

import argparse
import copy
import cProfile
import pstats
import statistics
import time
from pathlib import Path
from tempfile import TemporaryDirectory

from common.settings import Settings
from debates.backends.registry import create
from debates.case import Case
from debates.runner import run_debate
from debates.types import DebateConfig
from storage.queries.knowledge import list_hypotheses
from tests.workers.pipeline_helpers import prepared_database
from workers.cases import load_case
from workers.dispatch import debate_config


def bundled_cases(data_dir: Path) -> list[Case]:
    settings = Settings(data_dir=data_dir, database_url=None)
    database = prepared_database(settings)
    with database.sessions() as session:
        ids = sorted(h.id for h in list_hypotheses(session, limit=1000))
        return [load_case(session, hypothesis_id=i) for i in ids]


def debate_all(cases: list[Case], config: DebateConfig) -> float:
    """CPU seconds to debate every case once, each on a backend of its own."""
    started = time.process_time()
    for case in cases:
        run_debate(case, config=config, backend=create("evidence"))
    return time.process_time() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--profile", type=int, default=0, metavar="N")
    args = parser.parse_args()
    with TemporaryDirectory() as tmp:
        cases = bundled_cases(Path(tmp))
    config = DebateConfig.from_dict(debate_config(Settings()))
    debate_all(copy.deepcopy(cases), config)  # warm up imports and template compilation
    per_debate = [
        debate_all(copy.deepcopy(cases), config) / len(cases) for _ in range(args.repeats)
    ]
    print(f"{len(cases)} hypotheses, {args.repeats} repeats, config {config}")
    print(
        f"CPU per debate: median {statistics.median(per_debate) * 1e3:.3f} ms, "
        f"best {min(per_debate) * 1e3:.3f} ms"
    )
    if args.profile:
        fresh = copy.deepcopy(cases)
        profile = cProfile.Profile()
        profile.runcall(debate_all, fresh, config)
        pstats.Stats(profile).sort_stats("tottime").print_stats(args.profile)


if __name__ == "__main__":
    main()
