"""Benchmark: BACKWARD_TRANSITIVE registration of a 300-property schema through ``evreg serve``,
as the history grows, and the first registration after a restart.

    .venv/bin/python bench/bench_transitive_registry.py [--versions 200] [--no-pg]
        [--compare-src DIR ...]

The schema and its evolution are ``bench_transitive``'s (300 top-level properties, nested
closed objects, ``$ref``s; each version one small compatible change), registered one version
after the other into one subject set to BACKWARD_TRANSITIVE, so registering version N checks
it against N - 1 earlier ones. The figure is the server process's CPU time per registration
(``/proc/<pid>/stat``, read before and after each request). ``/proc`` counts in 10 ms ticks, so
one registration reads 40 or 50 ms for the same work: each level is the **mean** of a window of
9 consecutive registrations (the window's ticks telescope: the error of the mean is at most
10 ms / 9), with the spread (min-max) of the single ones. Version 100 is the window around it;
versions 10 and 200 are measured at the same time, under the same load: the window around
version 200 is registered interleaved with a second subject's versions 6..14 (the same
schemas with a root ``description``, so no pair is cached from the first subject). Then the
server is restarted on the same database (every cache empty) and one more version is
registered ("cold"), then four more ("warm" again), ``--restarts`` times (default 3): cold and
warm are the means over the restarts, with their spread. The servers' contract cache is set
to 256 MiB (``EVREG_CACHE_BYTES``; the default holds ~212 of these contracts), so the figures
are the history's cost, not the cache bound's. Goals (issue 21): version 200 at most 1.3x
version 10; cold at most 2x warm.

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
SHORT = "bench.short-transitive-value"  # the version-10 window's subject
# every contract of both histories fits the contract cache (the default 64 MiB holds ~212 of
# these): what is measured is the history's cost, not the cache's bound
ENV = {"EVREG_CACHE_BYTES": str(256 * 1024 * 1024)}
WINDOW = 4  # registrations on each side of a measured version
WARM = 4  # registrations after each cold one


def _register(client: httpx.Client, pid: int, subject: str, doc: dict[str, Any]) -> float:
    """Server CPU seconds to register ``doc``."""
    before = _cpu_seconds(pid)
    answer = client.post(
        f"/subjects/{subject}/versions", json={"schema": json.dumps(doc), "schemaType": "JSON"}
    )
    assert answer.status_code == 200, answer.text[:500]
    return _cpu_seconds(pid) - before


def run(
    url: str, label: str, folder: Path, count: int, src: str | None, restarts: int
) -> list[str]:
    docs = versions(count + restarts * (1 + WARM))
    short = [{**doc, "description": "the short history"} for doc in docs[: 10 + WINDOW]]
    log = folder / f"{label.replace(' ', '_').replace(',', '')}.log"
    command = [str(EVREG), "serve", "--host", HOST, "--database-url", url]
    env = {**(ENV | ({"PYTHONPATH": src} if src else {}))}
    cpu: dict[int, float] = {}
    short_cpu: list[float] = []
    last = count - 2 * WINDOW - 1  # the long history's last version before the final window
    with server(command, log, env) as (base, pid), httpx.Client(base_url=base, timeout=300) as c:
        for subject in (SUBJECT, SHORT):
            answer = c.put(f"/config/{subject}", json={"compatibility": "BACKWARD_TRANSITIVE"})
            assert answer.status_code == 200, answer.text
        for number, doc in enumerate(docs[:last], start=1):
            cpu[number] = _register(c, pid, SUBJECT, doc)
        for doc in short[: 10 - WINDOW - 1]:
            _register(c, pid, SHORT, doc)
        # the two windows interleaved, so that both are measured under the same load
        for old, doc in zip(short[10 - WINDOW - 1 :], docs[last:count], strict=True):
            short_cpu.append(_register(c, pid, SHORT, old))
            cpu[len(cpu) + 1] = _register(c, pid, SUBJECT, doc)
    colds: list[float] = []
    warms: list[float] = []
    for restart in range(restarts):
        first = count + restart * (1 + WARM)
        with (
            server(command, log, env) as (base, pid),
            httpx.Client(base_url=base, timeout=300) as c,
        ):
            colds.append(_register(c, pid, SUBJECT, docs[first]))
            warms.extend(
                _register(c, pid, SUBJECT, doc) for doc in docs[first + 1 : first + 1 + WARM]
            )

    def at(number: int) -> list[float]:
        if number == 10:
            return [x * 1000 for x in short_cpu]
        return [cpu[n] * 1000 for n in range(number - WINDOW, number + WINDOW + 1) if n in cpu]

    def trimmed(values: list[float]) -> float:
        return (
            statistics.fmean(sorted(values)[:-1]) if len(values) > 2 else statistics.fmean(values)
        )

    def shown(values: list[float]) -> str:
        mean = statistics.fmean(values)
        return f"{mean:.1f} / {trimmed(values):.1f} ({min(values):.0f}-{max(values):.0f})"

    marks = [n for n in (10, 100, 200) if n + WINDOW <= count]
    print(f"  {label}: done, load avg {timing.load()}", flush=True)
    cold, warm = statistics.fmean(colds) * 1000, statistics.fmean(warms) * 1000
    return [
        label,
        *(shown(at(n)) for n in marks),
        f"{statistics.fmean(at(marks[-1])) / statistics.fmean(at(10)):.2f}"
        f" / {trimmed(at(marks[-1])) / trimmed(at(10)):.2f}",
        shown([x * 1000 for x in colds]),
        shown([x * 1000 for x in warms]),
        f"{cold / warm:.2f}" if warm else "-",
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--versions", type=int, default=204, help="versions before the restart")
    parser.add_argument("--restarts", type=int, default=3, help="cold registrations measured")
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
                    rows.append(run(url, label, folder, args.versions, src, args.restarts))
    marks = [f"v{n} ms" for n in (10, 100, 200) if n + WINDOW <= args.versions]
    print()
    timing.table(
        ["server CPU per registration", *marks, f"{marks[-1][:-3]}/v10", "cold ms", "warm ms",
         "cold/warm"],
        rows,
    )  # fmt: skip
    print("each figure: mean / mean without the largest value (min-max of the single ones);")
    print(
        f"v10, v100, v200: the registrations of versions N-{WINDOW}..N+{WINDOW} (N-1 earlier each;"
    )
    print("v10 a second subject's, interleaved with v200's); cold: the first registration after a")
    print(
        f"restart on the same database, {args.restarts} restarts; warm: the {WARM} after each cold"
    )
    print("one. The largest value left out is, at version 200, typically a generation-1 garbage")
    print(
        "collection (~200 ms, the young objects of the last ten generation-0 ones) falling in it."
    )
    timing.footer()
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    raise SystemExit(main())
