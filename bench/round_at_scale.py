"""The tournament's scheduled work on a large ledger: reading who may meet whom, the refit of
the ratings of record, and one round of pairing and judging.

Builds a SQLite ledger of N open hypotheses that all share one disease (as a wiki on one
disease would: every pair of them is eligible), ten to a gene, with 20 random one-call matches
per hypothesis, then runs each stage in a fresh process and reports its seconds and the
process's peak resident memory, beside what the scheduled pass estimates it needs before it
starts (``workers.memory``). The round judges with the configured backend (the offline
one by default), eight pairs in rank mode, or in top-k mode with ``--top-k``.

    OPENBLAS_NUM_THREADS=1 .venv/bin/python -m bench.round_at_scale --entrants 2000,4000,10000
"""

from __future__ import annotations

import argparse
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import insert

from bench.ratings_speed import entrant_names, match_log
from common.settings import get_settings
from scoring.bt_ratings import rate_bytes
from scoring.pairing import round_bytes
from storage.db import Database
from storage.models import Disease, Gene, Hypothesis, TournamentMatch
from storage.models.knowledge import hypothesis_diseases, hypothesis_genes
from storage.queries.tournament import eligible_groups
from workers import maintenance

STAGES = ("groups", "refit", "round")


def build(path: Path, entrants: int, matches: int, seed: int = 0) -> None:
    """The ledger, its matches ``bench.ratings_speed``'s random log."""
    database = Database(f"sqlite:///{path}")
    database.upgrade()
    ids = entrant_names(entrants)
    genes = max(entrants // 10, 1)
    with database.core_transaction() as connection:
        connection.execute(insert(Disease), [{"id": 1, "slug": "one-disease", "name": "One"}])
        connection.execute(insert(Gene), [{"id": g + 1, "symbol": f"G{g}"} for g in range(genes)])
        connection.execute(insert(Hypothesis), [{"id": h, "title": h, "statement": h} for h in ids])
        connection.execute(
            insert(hypothesis_diseases), [{"hypothesis_id": h, "disease_id": 1} for h in ids]
        )
        connection.execute(
            insert(hypothesis_genes),
            [{"hypothesis_id": h, "gene_id": i % genes + 1} for i, h in enumerate(ids)],
        )
        connection.execute(
            insert(TournamentMatch),
            [
                {
                    "hypothesis_a": match.a,
                    "hypothesis_b": match.b,
                    "outcome": match.outcome,
                    "verdict_ab": "first" if match.outcome == "a" else "second",
                    "judge": "bench",
                }
                for match in match_log(entrants, matches, seed)
            ],
        )
    database.dispose()


def run_stage(stage: str, path: Path, top_k: int) -> str:
    """One stage in this process; returns what it did."""
    database = Database(f"sqlite:///{path}")
    if stage == "groups":
        with database.sessions() as session:
            groups = eligible_groups(session)
        return f"{len(groups)} groups"
    if stage == "refit":
        return f"{maintenance.refit_ratings(database, get_settings())} rated"
    settings = get_settings().model_copy(update={"tournament_pairs": 8, "tournament_top_k": top_k})
    return f"{maintenance.tournament_round(database, settings)} judged"


def measure(stage: str, path: Path, top_k: int) -> tuple[float, float, str]:
    """Seconds (the stage's own, after start-up and imports), peak resident MB and the stage's
    report, from a fresh process."""
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.round_at_scale",
            "--stage",
            stage,
            "--ledger",
            str(path),
            "--top-k",
            str(top_k),
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    said, seconds, peak = done.stdout.strip().rsplit(" ", 2)
    return float(seconds), float(peak), said


def _estimate_mb(stage: str, entrants: int, matches: int, top_k: int) -> str:
    """What the scheduled pass estimates before it starts (workers.memory checks it)."""
    if stage == "refit":
        needed = rate_bytes(entrants=entrants, matches=matches)
    elif stage == "round":
        needed = round_bytes(entrants=entrants, matches=matches, top_k=top_k > 0)
    else:
        return ""
    return f"{needed / 2**20:,.0f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entrants", default="2000,4000", help="comma-separated sizes")
    parser.add_argument("--matches-each", type=int, default=20, help="matches per hypothesis")
    parser.add_argument("--top-k", type=int, default=0, help="the round's top k (0: rank mode)")
    parser.add_argument("--stage", choices=STAGES, help=argparse.SUPPRESS)
    parser.add_argument("--ledger", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.stage:
        began = time.perf_counter()
        said = run_stage(args.stage, args.ledger, args.top_k)
        seconds = time.perf_counter() - began
        print(said, seconds, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
        return
    print(
        "| entrants | eligible pairs | matches | stage | seconds | peak MB | estimate MB | result |"
    )
    print("| ---: | ---: | ---: | --- | ---: | ---: | ---: | --- |")
    for entrants in (int(n) for n in args.entrants.split(",")):
        folder = Path(tempfile.mkdtemp(prefix="round-at-scale-"))
        try:
            ledger = folder / "ledger.db"
            matches = entrants * args.matches_each
            build(ledger, entrants, matches)
            pairs = entrants * (entrants - 1) // 2
            for stage in STAGES:
                seconds, peak, said = measure(stage, ledger, args.top_k)
                estimate = _estimate_mb(stage, entrants, matches, args.top_k)
                print(
                    f"| {entrants:,} | {pairs:,} | {matches:,} | {stage} | {seconds:.2f} "
                    f"| {peak:,.0f} | {estimate} | {said} |",
                    flush=True,
                )
        finally:
            shutil.rmtree(folder)


if __name__ == "__main__":
    main()
