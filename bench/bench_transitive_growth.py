"""Benchmark: what a BACKWARD_TRANSITIVE registration costs at version 201 against version 11,
in process (no HTTP, no server), with the collector's pauses left out.

    .venv/bin/python bench/bench_transitive_growth.py [--runs 25] [--no-pg]
        [--compare-src DIR ...]

The issue-21 goal (version 200 at most 1.3x version 10) is measured through ``evreg serve`` by
``bench_transitive_registry.py``, whose figure counts in 10 ms ticks and carries the server's
garbage collections. This one isolates the history's cost: a ``RegistryService`` (the server's
``gc.freeze()`` and ``GC_THRESHOLDS`` applied) holds ``bench_transitive``'s schema at 200
versions under one subject and at 10 under another (the same schemas with a root
``description``), both BACKWARD_TRANSITIVE. Each round registers one more version of each,
interleaved, inside a transaction that is then rolled back, so the histories stay at 200 and
10; each attempt's schema has a root ``description`` of its own, so no pair report is cached
from an earlier attempt (as for a new version). Both new versions make version 201's change
(an optional property added, ``evolve(..., 200)``): each holds one property no stored version
holds, whose entry the registration stores (``stored_outlines``), as a real new version does
(version 11 made by ``evolve(..., 10)`` would hold only contents the long history stored, and
skip that write). The collector is off during each registration
(its pauses are the other script's business), and ``time.process_time`` is read around it.
Printed: the median and the minimum of each, and their ratios. (Version 201's schema is ~8%
larger than version 11's, as in the other script: that is counted too.)

``--compare-src DIR`` (the ``src`` of an earlier commit's ``git archive``, repeatable) runs the
same in a process importing evreg from DIR first: a baseline in the same run. SQLite, and
PostgreSQL unless ``--no-pg`` (a database ``evreg_bench_<hex>`` is created and dropped).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

import timing
from bench_registry import part2_database
from bench_transitive import evolve, versions

LONG, SHORT = "bench.long-value", "bench.short-value"
EARLIER_LONG, EARLIER_SHORT = 200, 10


class _RolledBack(Exception):
    pass


def rolling_back(store: Any, **settings: Any) -> Any:
    """A ``RegistryService`` on ``store`` whose write transactions, once its ``roll_back`` is
    set, are rolled back at their end (the registration's work done); evreg imported here, from
    the tree the process runs (``--compare-src``)."""
    from evreg.registry.service import RegistryService

    class RollingBack(RegistryService):
        roll_back = False

        def writing(self, *subjects: str) -> AbstractContextManager[Any]:
            if not self.roll_back:
                return super().writing(*subjects)

            @contextmanager
            def rolled_back() -> Iterator[Any]:
                try:
                    with super(RollingBack, self).writing(*subjects) as work:
                        yield work
                        raise _RolledBack
                except _RolledBack:
                    pass

            return rolled_back()

    return RollingBack(store, **settings)


def _child(url: str, runs: int) -> dict[str, list[float]]:
    from evreg.registry.app import GC_THRESHOLDS
    from evreg.registry.store import Store
    from evreg.registry.values import SchemaInput

    def text(doc: dict[str, Any]) -> SchemaInput:
        return SchemaInput(schema=json.dumps(doc), schema_type="JSON")

    docs = versions(EARLIER_LONG + 1)
    short = [{**doc, "description": "the short history"} for doc in docs[:EARLIER_SHORT]]
    short.append(evolve(short[-1], EARLIER_LONG))  # (version 201's change: see above)
    store = Store(url)
    svc = rolling_back(store, cache_bytes=256 * 1024 * 1024)
    for subject, history in ((LONG, docs[:-1]), (SHORT, short[:-1])):
        svc.set_config(subject, "BACKWARD_TRANSITIVE")
        for doc in history:
            svc.register(subject, text(doc))
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)
    svc.roll_back = True
    out: dict[str, list[float]] = {"v11": [], "v201": []}
    for attempt in range(runs + 3):
        for label, subject, doc in (("v11", SHORT, short[-1]), ("v201", LONG, docs[-1])):
            new = text({**doc, "description": f"attempt {attempt}"})
            gc.disable()
            start = time.process_time()
            svc.register(subject, new)
            spent = time.process_time() - start
            gc.enable()
            if attempt >= 3:  # (the first ones warm what a new version warms)
                out[label].append(spent)
    store.close()
    return out


def _row(label: str, short: list[float], long: list[float]) -> list[str]:
    med_s, med_l = statistics.median(short), statistics.median(long)
    min_s, min_l = min(short), min(long)
    return [
        label,
        f"{med_s * 1000:.1f} / {min_s * 1000:.1f}",
        f"{med_l * 1000:.1f} / {min_l * 1000:.1f}",
        f"{(med_l - med_s) * 1000:.1f}",
        f"{med_l / med_s:.3f} / {min_l / min_s:.3f}",
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=25, help="registrations of each per source")
    parser.add_argument("--pg-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    parser.add_argument("--no-pg", action="store_true")
    parser.add_argument("--compare-src", action="append", default=[])
    parser.add_argument("--child", help=argparse.SUPPRESS)  # (the database URL)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(_child(args.child, args.runs)))
        return 0
    timing.header("BACKWARD_TRANSITIVE registration at version 201 against 11 (in process)")
    rows = []
    here = Path(__file__).resolve()
    sources = [
        *((Path(s).resolve().parent.name, s) for s in args.compare_src),
        ("work tree", None),
    ]
    with tempfile.TemporaryDirectory() as tmp:
        for backend in ["SQLite"] if args.no_pg else ["SQLite", "PostgreSQL"]:
            for name, src in sources:
                env = dict(os.environ)
                if src is not None:
                    env["PYTHONPATH"] = src
                label = f"{backend}, {name}"
                with part2_database(backend, Path(tmp), name, args.pg_url) as url:
                    found = subprocess.run(
                        [sys.executable, str(here), "--child", url, "--runs", str(args.runs)],
                        env=env,
                        check=True,
                        capture_output=True,
                        text=True,
                    )
                times = json.loads(found.stdout.strip().splitlines()[-1])
                rows.append(_row(label, times["v11"], times["v201"]))
                print(f"  {label}: done, load avg {timing.load()}", flush=True)
    print()
    timing.table(
        ["CPU per registration, ms", "v11 median / min", "v201 median / min", "v201 - v11",
         "v201/v11 median / min"],
        rows,
    )  # fmt: skip
    print(
        f"{args.runs} registrations of each, interleaved, each rolled back; the collector off"
        " during each."
    )
    timing.footer()
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    raise SystemExit(main())
