"""The worker's CPU per model turn: the debate phase against an instant loopback OpenAI fake.

Every bundled hypothesis is queued ``--repeats`` times (default configuration, ``openai``
backend, a fresh SQLite ledger) and each evaluation's debate phase is run in this thread, as a
worker thread runs it: load the case, render each prompt, the SDK call, validation, the turn's
transaction with its lease heartbeat. The fake answers instantly from its own threads, so the
CPU time of *this* thread (``time.thread_time``) is the worker's share alone. Prints the median
over ``--runs`` runs of CPU milliseconds per stored turn. ``--postgres`` puts the ledger on
this machine's PostgreSQL, as a deployment does (the server's own CPU is not counted).
``--prose`` has the fake answer with turns as long as a model's, with the non-ASCII characters
models write, which every later turn's prompt carries in its transcript.

    .venv/bin/python -m bench.turn_cpu [--repeats 3] [--runs 5] [--postgres] [--prose]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from contextlib import nullcontext
from pathlib import Path

from sqlalchemy import func, select

from common.settings import Settings
from debates.backends.registry import create
from debates.types import DebateConfig
from storage.db import Database
from storage.models import DebateTurn
from storage.queries import evaluations as ledger
from storage.queries.knowledge import list_hypotheses
from tests.fakes.openai_server import FakeOpenAIServer
from tests.fakes.replies import VALID_TURN, VALID_TURN_JSON
from tests.servers import fresh_postgres_database
from tests.workers.pipeline_helpers import prepared_database
from workers import offline_batch
from workers.evaluation import run_debate_phase

MODEL = "gpt-4o-mini"

# A turn as long as models write them, with the characters they use (dashes, Greek letters,
# comparison signs): every later turn reads it in the transcript.
PROSE_PARAGRAPH = (
    "The case rests on astrocytic APOE4 slowing autophagic flux — LC3-II accumulates while "
    "p62 clearance falls by roughly 30–40% — and on mTORC1 inhibition restoring it in vitro. "
    "Aβ uptake tracks the same marker, so a ≥2-fold rescue would be expected in vivo; none of "
    "the cited work measures it there, and the one human cohort is small (n ≈ 60). "
)
PROSE_TURN = json.dumps({**VALID_TURN, "argument": PROSE_PARAGRAPH * 4})


def cpu_per_turn(repeats: int, *, postgres: bool = False, prose: bool = False) -> float:
    reply = PROSE_TURN if prose else VALID_TURN_JSON
    with (
        tempfile.TemporaryDirectory() as tmp,
        FakeOpenAIServer(model=MODEL, default_content=reply) as server,
        fresh_postgres_database() if postgres else nullcontext(None) as database_url,
    ):
        settings = Settings(data_dir=Path(tmp), database_url=database_url, backend="openai")
        prepared_database(settings).dispose()
        # Opened as a worker opens it (workers.runtime): a connection in steady use is not
        # pinged before each transaction.
        database = Database(settings.resolved_database_url, ping_only_after_idle=True)
        config = DebateConfig(backend="openai", model=MODEL).as_dict()
        with database.transaction() as session:
            hypotheses = [h.id for h in list_hypotheses(session, limit=1000)]
            ids = [
                ledger.enqueue_evaluation(
                    session, hypothesis_id=h, config=config, max_attempts=3, force=True
                ).evaluation.id
                for h in hypotheses * repeats
            ]
        backend = create("openai", base_url=server.base_url, model=MODEL, api_key="k")
        started = time.thread_time()
        for evaluation_id in ids:
            [claimed] = offline_batch.claim(
                database, settings, evaluation_ids=[evaluation_id], owner="bench"
            )
            run_debate_phase(
                database, settings, claimed, owner="bench", backend_for=lambda _: backend
            )
        spent = time.thread_time() - started
        with database.sessions() as session:
            turns = session.scalar(select(func.count()).select_from(DebateTurn)) or 1
        database.dispose()
    return 1000 * spent / turns


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="evaluations per hypothesis")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument(
        "--postgres",
        action="store_true",
        help="a fresh PostgreSQL database on this machine's server instead of a SQLite file",
    )
    parser.add_argument(
        "--prose",
        action="store_true",
        help="the fake answers with turns as long as a model's (about 1,400 characters, with "
        "dashes and Greek letters) instead of its one-line default",
    )
    args = parser.parse_args(argv)
    runs = [
        cpu_per_turn(args.repeats, postgres=args.postgres, prose=args.prose)
        for _ in range(args.runs)
    ]
    shown = ", ".join(f"{r:.2f}" for r in runs)
    print(f"worker CPU per model turn (ms): {shown} -> median {statistics.median(runs):.2f}")


if __name__ == "__main__":
    main()
