"""How long does publishing scores into 17,000 gene pages take, and does a no-op write nothing?

Each run builds, untimed, a fresh world in a temp folder: N synthetic gene pages made from the
MTOR seed page (its symbol replaced, 1-4 hypotheses each, one of them missing from the page so
the first publish has a row to add) in a folder page store, and a SQLite database holding their
genes, hypotheses, gene links, one score snapshot per hypothesis, and the pages as imported.
Then it times, with ``wiki.publish.publish_pages``:

  a. the first full publish (every page is rewritten, written and gets revisions 0 and 1);
  b. a republish with no score change, which must write no file (the store's write count and
     every file's mtime are checked);
  c. a republish after 1% of the hypotheses got a new snapshot, which must change exactly the
     pages that show them;
  d. a republish after every hypothesis got a new snapshot, which must change every page (each
     is rewritten, written and gets one new revision).

Medians over the runs are printed as a Markdown table for BENCHMARKS.md.

    .venv/bin/python -m bench.publish_pages --pages 17000 --runs 3
"""

from __future__ import annotations

import argparse
import hashlib
import random
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import insert

from storage.db import Database
from storage.models import (
    Gene,
    GenePage,
    Hypothesis,
    ScoreSnapshot,
    ScoringConfig,
    hypothesis_genes,
)
from wiki.publish import PublishReport, publish_pages
from wiki.store import FolderPageStore

SEED = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "pages" / "mtor_seed.txt"
SEED_INFOBOX_CELL = (
    '<td><a href="/hypothesis/h-51e7234f" style="color:#ce93d8" title="Score: 0.80">'
    "APOE-Dependent Autophagy Restoration...</a></td>"
)
SEED_EXCHANGE_LINE = (
    "- [APOE-Dependent Autophagy Restoration](/hypothesis/h-51e7234f) — "
    '<span style="color:#81c784;font-weight:600">0.73</span> · Target: MTOR'
)
CONFIG_HASH = "b" * 64
T0 = datetime(2026, 6, 1, tzinfo=UTC)


@dataclass(frozen=True)
class World:
    root: Path
    database: Database
    store: FolderPageStore
    hypotheses: dict[str, str]  # hypothesis id -> page name


@dataclass(frozen=True)
class Timings:
    first: float
    noop: float
    changed: float
    all_changed: float
    pages_changed_first: int
    pages_changed_noop: int
    pages_changed_after: int
    expected_after: int
    pages_changed_all: int


def synthetic_page(seed: str, symbol: str, ids: list[str], shown: int) -> str:
    """The seed page about ``symbol``, showing the first ``shown`` of ``ids`` in both places."""
    anchors = ", ".join(
        f'<a href="/hypothesis/{h}" style="color:#ce93d8" title="Score: 0.5{i}">Hypothesis {h}</a>'
        for i, h in enumerate(ids[:shown])
    )
    lines = "\n".join(
        f"- [Hypothesis {h}](/hypothesis/{h}) — "
        f'<span style="color:#81c784;font-weight:600">0.4{i}</span> · Target: {symbol}'
        for i, h in enumerate(ids[:shown])
    )
    text = seed.replace(SEED_INFOBOX_CELL, f"<td>{anchors}</td>")
    text = text.replace(SEED_EXCHANGE_LINE, lines)
    return text.replace("MTOR", symbol)


def build_world(root: Path, pages: int, rng: random.Random) -> World:
    seed = SEED.read_bytes().decode("utf-8")
    assert SEED_INFOBOX_CELL in seed and SEED_EXCHANGE_LINE in seed
    store = FolderPageStore(root / "pages")
    database = Database(f"sqlite:///{root / 'bench.db'}")
    database.upgrade()
    genes, hyps, links, snapshots, imported = [], [], [], [], []
    owner: dict[str, str] = {}
    for index in range(pages):
        symbol = f"G{index:05d}"
        name = symbol.lower()
        ids = [f"h-{index:05d}-{j}" for j in range(rng.randint(1, 4))]
        text = synthetic_page(seed, symbol, ids, shown=max(1, len(ids) - 1))
        store.write(name, text)
        genes.append({"id": index + 1, "symbol": symbol})
        imported.append(
            {
                "name": name,
                "gene_id": index + 1,
                "content": text,
                "content_sha256": hashlib.sha256(text.encode()).hexdigest(),
                "imported_at": T0,
            }
        )
        for hypothesis_id in ids:
            owner[hypothesis_id] = name
            hyps.append({"id": hypothesis_id, "title": f"Hypothesis {hypothesis_id}"})
            links.append({"hypothesis_id": hypothesis_id, "gene_id": index + 1})
            snapshots.append(_snapshot(hypothesis_id, 1, rng))
    with database.transaction() as session:
        session.execute(insert(ScoringConfig), [{"hash": CONFIG_HASH, "weights": {"x": 1.0}}])
        session.execute(insert(Gene), genes)
        session.execute(insert(GenePage), imported)
        session.execute(insert(Hypothesis), hyps)
        session.execute(insert(hypothesis_genes), links)
        session.execute(insert(ScoreSnapshot), snapshots)
    return World(root, database, store, owner)


def _snapshot(hypothesis_id: str, version: int, rng: random.Random) -> dict[str, object]:
    composite = rng.uniform(0.2, 0.9)
    return {
        "hypothesis_id": hypothesis_id,
        "version": version,
        "composite": composite,
        "composite_low": composite - 0.07,
        "composite_high": composite + 0.07,
        "coverage": 1.0,
        "market_price": rng.uniform(0.1, 0.95),
        "config_hash": CONFIG_HASH,
        "created_at": T0,
    }


def _new_snapshots(
    world: World, hypothesis_ids: list[str], versions: dict[str, int], rng: random.Random
) -> None:
    """Give each of ``hypothesis_ids`` its next snapshot version (untimed)."""
    rows = []
    for hypothesis_id in hypothesis_ids:
        versions[hypothesis_id] += 1
        rows.append(_snapshot(hypothesis_id, versions[hypothesis_id], rng))
    with world.database.transaction() as session:
        session.execute(insert(ScoreSnapshot), rows)


def _mtimes(root: Path) -> dict[Path, int]:
    return {path: path.stat().st_mtime_ns for path in root.rglob("*") if path.is_file()}


def _timed(action: Callable[[], PublishReport]) -> tuple[float, PublishReport]:
    start = time.perf_counter()
    report = action()
    return time.perf_counter() - start, report


def run_once(pages: int, seed: int, keep: bool) -> Timings:
    rng = random.Random(seed)
    root = Path(tempfile.mkdtemp(prefix="hyposcore-bench-publish-"))
    try:
        world = build_world(root, pages, rng)
        publish = lambda: publish_pages(world.database, world.store, now=T0)  # noqa: E731
        first, report = _timed(publish)
        assert report.failed == 0 and report.changed == pages, report.summary()

        writes, mtimes = world.store.writes, _mtimes(world.store.root)
        noop, quiet = _timed(publish)
        assert quiet.changed == 0 and quiet.failed == 0, quiet.summary()
        assert world.store.writes == writes, "a republish with no score change wrote files"
        assert _mtimes(world.store.root) == mtimes, "a republish with no change touched files"

        versions = dict.fromkeys(world.hypotheses, 1)
        moved = rng.sample(sorted(world.hypotheses), k=max(1, len(world.hypotheses) // 100))
        _new_snapshots(world, moved, versions, rng)
        expected = len({world.hypotheses[h] for h in moved})
        after, changed = _timed(publish)
        assert changed.failed == 0 and changed.changed == expected, changed.summary()

        _new_snapshots(world, sorted(world.hypotheses), versions, rng)
        revisions = {page.name: page.revision for page in changed.pages}
        every, rewritten = _timed(publish)
        assert rewritten.failed == 0 and rewritten.changed == pages, rewritten.summary()
        assert all(page.written for page in rewritten.pages), "a changed page was not written"
        assert all(page.revision == (revisions[page.name] or 0) + 1 for page in rewritten.pages), (
            "a changed page did not get exactly one new revision"
        )
        world.database.dispose()
        return Timings(
            first=first,
            noop=noop,
            changed=after,
            all_changed=every,
            pages_changed_first=report.changed,
            pages_changed_noop=quiet.changed,
            pages_changed_after=changed.changed,
            expected_after=expected,
            pages_changed_all=rewritten.changed,
        )
    finally:
        if keep:
            print(f"kept {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=17_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", action="store_true", help="Keep the temp folders.")
    args = parser.parse_args()
    results = []
    for run in range(args.runs):
        timings = run_once(args.pages, args.seed + run, args.keep)
        results.append(timings)
        print(
            f"run {run + 1}: first {timings.first:.1f} s, no-op republish {timings.noop:.2f} s, "
            f"1% changed {timings.changed:.2f} s "
            f"({timings.pages_changed_after} pages changed, {timings.expected_after} expected), "
            f"all changed {timings.all_changed:.2f} s ({timings.pages_changed_all} pages changed)",
            flush=True,
        )
    print()
    print(f"| publish of {args.pages:,} pages | median of {args.runs} runs | runs |")
    print("| --- | --- | --- |")
    for label, values in (
        ("a. first publish (all pages rewritten)", [t.first for t in results]),
        ("b. republish, no score change (0 files written)", [t.noop for t in results]),
        ("c. republish after 1% of snapshots changed", [t.changed for t in results]),
        ("d. republish after every snapshot changed (all pages)", [t.all_changed for t in results]),
    ):
        runs = ", ".join(f"{v:.2f}" for v in values)
        print(f"| {label} | **{statistics.median(values):.2f} s** | {runs} |")


if __name__ == "__main__":
    main()
