"""Benchmark: the first BACKWARD_TRANSITIVE registration after a restart against a warm one, in
process (no HTTP, no server), at version 11 and at version 201.

    .venv/bin/python bench/bench_transitive_cold.py [--restarts 5] [--no-pg]
        [--compare-src DIR ...]

The issue-21 goal (the first registration after a restart at most 2x a warm one) is measured
through ``evreg serve`` by ``bench_transitive_registry.py``, in 10 ms ticks. This one splits
the cold registration's cost in two: what any first request of a process pays (the same at
version 11 as at 201) and what the history adds. One process registers ``bench_transitive``'s
schema 200 times under one subject and 10 times under another (the same schemas with a root
``description``), both BACKWARD_TRANSITIVE. Then, ``--restarts`` times and for each subject in
turn, a fresh process (a ``RegistryService`` on the same database, the server's ``gc.freeze()``
and ``GC_THRESHOLDS`` applied) registers the subject's next version ("cold"), then its four
following ones ("warm"), each inside a transaction that is rolled back, so every restart sees
the same database; the collector is off during each registration and ``time.process_time``
is read around it. Printed: the median and minimum of the cold ones, the median of the warm
ones, cold/warm (medians), and the median CPU of the set-up the server does before it accepts
requests (``RegistryService.prepare``, where the source has it; not in the cold figure).

``--compare-src DIR`` (the ``src`` of an earlier commit's ``git archive``, repeatable): the same
with evreg imported from DIR, on a database of its own filled by it: a baseline in the same
run. SQLite, and PostgreSQL unless ``--no-pg`` (a database ``evreg_bench_<hex>`` is created and
dropped).
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
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import timing
from bench_registry import part2_database
from bench_transitive import versions
from bench_transitive_growth import rolling_back

LONG, SHORT = "bench.long-value", "bench.short-value"
EARLIER = {LONG: 200, SHORT: 10}
WARM = 4


def _docs(subject: str) -> list[dict[str, Any]]:
    docs = versions(EARLIER[subject] + 1 + WARM)
    if subject == SHORT:
        docs = [{**doc, "description": "the short history"} for doc in docs]
    return docs


def _fill(url: str) -> None:
    from evreg.registry.service import RegistryService
    from evreg.registry.store import Store
    from evreg.registry.values import SchemaInput

    store = Store(url)
    svc = RegistryService(store, cache_bytes=256 * 1024 * 1024)
    for subject, count in EARLIER.items():
        svc.set_config(subject, "BACKWARD_TRANSITIVE")
        for doc in _docs(subject)[:count]:
            svc.register(subject, SchemaInput(schema=json.dumps(doc), schema_type="JSON"))
    store.close()


def _restarted(url: str, subject: str) -> dict[str, Any]:
    """In a fresh process: the cold registration's CPU seconds, and the warm ones'."""
    from evreg.registry.app import GC_THRESHOLDS
    from evreg.registry.store import Store
    from evreg.registry.values import SchemaInput

    docs = _docs(subject)[EARLIER[subject] :]
    store = Store(url)
    svc = rolling_back(store, cache_bytes=256 * 1024 * 1024)
    svc.roll_back = True
    start = time.process_time()
    if hasattr(svc, "prepare"):  # (what the server does before it accepts requests)
        svc.prepare()
    prepared = time.process_time() - start
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)
    spent = []
    for doc in docs:
        new = SchemaInput(schema=json.dumps(doc), schema_type="JSON")
        gc.disable()
        start = time.process_time()
        svc.register(subject, new)
        spent.append(time.process_time() - start)
        gc.enable()
    store.close()
    return {"cold": spent[0], "warm": spent[1:], "prepare": prepared}


def _child(args: list[str], src: str | None) -> Any:
    env = dict(os.environ)
    if src is not None:
        env["PYTHONPATH"] = src
    found = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), *args],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(found.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--restarts", type=int, default=5, help="fresh processes per subject")
    parser.add_argument("--pg-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    parser.add_argument("--no-pg", action="store_true")
    parser.add_argument("--compare-src", action="append", default=[])
    parser.add_argument("--fill", help=argparse.SUPPRESS)  # (the database URL)
    parser.add_argument("--restarted", nargs=2, help=argparse.SUPPRESS)  # (URL, subject)
    args = parser.parse_args()
    if args.fill:
        _fill(args.fill)
        print("null")
        return 0
    if args.restarted:
        print(json.dumps(_restarted(*args.restarted)))
        return 0
    timing.header("BACKWARD_TRANSITIVE: the first registration after a restart (in process)")
    sources = [
        *((Path(s).resolve().parent.name, s) for s in args.compare_src),
        ("work tree", None),
    ]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for backend in ["SQLite"] if args.no_pg else ["SQLite", "PostgreSQL"]:
            with ExitStack() as stack:
                urls = {}
                for name, src in sources:
                    url = stack.enter_context(part2_database(backend, Path(tmp), name, args.pg_url))
                    _child(["--fill", url], src)
                    urls[name] = url
                found: dict[tuple[str, str], list[dict[str, Any]]] = {}
                for _ in range(args.restarts):  # (interleaved: the same load for each)
                    for name, src in sources:
                        for subject in (SHORT, LONG):
                            one = _child(["--restarted", urls[name], subject], src)
                            found.setdefault((name, subject), []).append(one)
                for name, _ in sources:
                    for subject in (SHORT, LONG):
                        runs = found[name, subject]
                        cold = [r["cold"] * 1000 for r in runs]
                        warm = statistics.median(w * 1000 for r in runs for w in r["warm"])
                        prepare = statistics.median(r.get("prepare", 0) * 1000 for r in runs)
                        rows.append(
                            [
                                f"{backend}, {name}, v{EARLIER[subject] + 1}",
                                f"{statistics.median(cold):.1f} / {min(cold):.1f}",
                                f"{warm:.1f}",
                                f"{statistics.median(cold) / warm:.2f}",
                                f"{prepare:.1f}",
                            ]
                        )
            print(f"  {backend}: done, load avg {timing.load()}", flush=True)
    print()
    timing.table(
        ["CPU per registration, ms", "cold median / min", "warm median", "cold/warm", "set-up"],
        rows,
    )
    print(
        f"{args.restarts} fresh processes per subject and source, interleaved; each registers"
        f" one version cold and {WARM} warm, every one rolled back; the collector off during each."
    )
    timing.footer()
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    raise SystemExit(main())
