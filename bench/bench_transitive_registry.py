"""Benchmark: BACKWARD_TRANSITIVE registration of a 300-property schema through ``evreg serve``,
as the history grows, and the first registration after a restart.

    .venv/bin/python bench/bench_transitive_registry.py [--versions 200] [--no-pg]
        [--compare-src DIR ...]

The schema and its evolution are ``bench_transitive``'s (300 top-level properties, nested
closed objects, ``$ref``s; each version one small compatible change), registered one version
after the other into one subject set to BACKWARD_TRANSITIVE, so registering version N checks
it against N - 1 earlier ones. The figure is the server process's CPU time per registration
(``/proc/<pid>/stat``, read before and after each request), the median of a window of 5
registrations around versions 10, 100 and 200; then the server is restarted on the same
database (every cache empty) and one more version is registered ("cold"), then three more
("warm" again: their median). Goals (issue 21): version 200 at most 1.3x version 10; cold at
most 2x warm.

``--compare-src DIR`` (the ``src`` of an earlier commit's ``git archive``, repeatable) runs the
same on a server importing evreg from DIR first: a baseline in the same run, under the same
load. SQLite, and PostgreSQL unless ``--no-pg`` (a database ``evreg_bench_<hex>`` is created
and dropped). All traffic is to 127.0.0.1.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

import httpx

import timing
from bench_registry import EVREG, HOST, _cpu_seconds, part2_database, server
from bench_transitive import versions

SUBJECT = "bench.big-transitive-value"
WINDOW = 2  # registrations on each side of a measured version


def _register(client: httpx.Client, pid: int, doc: dict[str, Any]) -> float:
    """Server CPU seconds to register ``doc``."""
    before = _cpu_seconds(pid)
    answer = client.post(
        f"/subjects/{SUBJECT}/versions", json={"schema": json.dumps(doc), "schemaType": "JSON"}
    )
    assert answer.status_code == 200, answer.text[:500]
    return _cpu_seconds(pid) - before


def run(url: str, label: str, folder: Path, count: int, src: str | None) -> list[str]:
    docs = versions(count + 4)
    log = folder / f"{label.replace(' ', '_').replace(',', '')}.log"
    command = [str(EVREG), "serve", "--host", HOST, "--database-url", url]
    env = {"PYTHONPATH": src} if src else None
    cpu: dict[int, float] = {}
    with server(command, log, env) as (base, pid), httpx.Client(base_url=base, timeout=300) as c:
        answer = c.put(f"/config/{SUBJECT}", json={"compatibility": "BACKWARD_TRANSITIVE"})
        assert answer.status_code == 200, answer.text
        for number, doc in enumerate(docs[:count], start=1):
            cpu[number] = _register(c, pid, doc)
    with server(command, log, env) as (base, pid), httpx.Client(base_url=base, timeout=300) as c:
        cold = _register(c, pid, docs[count])
        warm = statistics.median(_register(c, pid, doc) for doc in docs[count + 1 : count + 4])

    def at(number: int) -> float:
        window = [cpu[n] for n in range(number - WINDOW, number + WINDOW + 1) if n in cpu]
        return statistics.median(window) * 1000

    marks = [n for n in (10, 100, 200) if n + WINDOW <= count]
    print(f"  {label}: done, load avg {timing.load()}", flush=True)
    last = marks[-1]
    return [
        label,
        *(f"{at(n):.0f}" for n in marks),
        f"{at(last) / at(10):.2f}",
        f"{cold * 1000:.0f}",
        f"{warm * 1000:.0f}",
        f"{cold / warm:.2f}" if warm else "-",
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--versions", type=int, default=202, help="versions before the restart")
    parser.add_argument("--pg-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    parser.add_argument("--no-pg", action="store_true")
    parser.add_argument("--compare-src", action="append", default=[])
    args = parser.parse_args()
    timing.header("BACKWARD_TRANSITIVE registration of a 300-property schema (evreg serve)")
    checkouts = [(Path(src).resolve().parent.name, src) for src in args.compare_src]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for backend in ["SQLite"] if args.no_pg else ["SQLite", "PostgreSQL"]:
            for name, src in [*checkouts, ("work tree", None)]:
                label = f"{backend}, {name}"
                with part2_database(backend, folder, name, args.pg_url) as url:
                    rows.append(run(url, label, folder, args.versions, src))
    marks = [f"v{n} ms" for n in (10, 100, 200) if n + WINDOW <= args.versions]
    print()
    timing.table(
        ["server CPU per registration", *marks, f"{marks[-1][:-3]}/v10", "cold ms", "warm ms",
         "cold/warm"],
        rows,
    )  # fmt: skip
    print("v10, v100, v200: median of the registrations of versions N-2..N+2 (N-1 earlier each);")
    print("cold: the first registration after a restart on the same database; warm: the median")
    print("of the next three.")
    timing.footer()
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    raise SystemExit(main())
