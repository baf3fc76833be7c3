"""Benchmark: hostile requests against one ``evreg serve``, with ``/health`` and RSS watched.

    .venv/bin/python bench/bench_hostile.py [--seconds 60] [--workers 4] [--baseline 10]
        [--database-url sqlite:///... | postgresql+psycopg://postgres@127.0.0.1:5432/test]

Starts ``evreg serve`` on a fresh database (a SQLite file in a temporary folder, or a new
PostgreSQL database ``evreg_bench_<hex>`` on the given server, dropped afterwards) and seeds a
FULL subject holding ``{"type": "string", "pattern": "^(a+)+$"}`` (issue 15) and a target for
references. Then, in the same run:

1. baseline: ``--baseline`` seconds of ``GET /health`` every 20 ms with nothing else running;
2. load: ``--workers`` threads for ``--seconds`` seconds, each request one of
   - ``POST /api/subjects/{s}/check`` with an enum of 40 ``a`` and a ``!`` (and of 100,000),
   - ``POST /compatibility/subjects/{s}/versions/latest`` with the same,
   - ``POST /subjects/{s}/versions`` registering the pattern over an enum (BACKWARD),
   - ``POST /api/subjects/{s}/check`` with 1,000 ``references`` (the bound) and with 2,000
     (refused),
   while ``GET /health`` is asked every 20 ms as in the baseline.

Prints the requests per kind with their statuses and latencies, ``/health``'s latency (p50,
p99, max) in the baseline and under load, the server's CPU seconds, and its RSS at the start,
every 10 s and at the end. Never asserts anything.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from servers import RegistryProcess, without_evreg_env

EVIL = "a" * 40 + "!"
LONG_EVIL = "a" * 100_000 + "!"


def _rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextmanager
def _database(url: str | None, folder: Path) -> Iterator[str]:
    if url is None or url.startswith("sqlite"):
        yield url or f"sqlite:///{folder / 'bench.db'}"
        return
    name = f"evreg_bench_{uuid.uuid4().hex[:12]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        yield make_url(url).set(database=name).render_as_string(hide_password=False)
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


def _body(schema: Any, **extra: Any) -> dict[str, Any]:
    return {"schemaType": "JSON", "schema": json.dumps(schema), **extra}


class Health:
    """``GET /health`` every 20 ms from a process of its own (``--probe URL``): probes from a
    thread of this process would also wait for this process's own interpreter lock, held while
    its workers encode and send 100 KB bodies, and count that as the server's latency."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.latencies: list[float] = []
        self.failures = 0
        self._probe: subprocess.Popen[str] | None = None

    def __enter__(self) -> Health:
        self._probe = subprocess.Popen(
            [sys.executable, __file__, "--probe", self.url],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self._probe.stdout is not None
        self._probe.stdout.readline()  # "started": its first probe answered
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._probe is not None
        out, _ = self._probe.communicate("stop\n", timeout=120)
        found = json.loads(out)
        self.latencies, self.failures = found["latencies"], found["failures"]

    def line(self, label: str) -> str:
        ms = sorted(x * 1000 for x in self.latencies)
        if not ms:
            return f"{label:>10}: no probe"
        p99 = ms[min(len(ms) - 1, int(len(ms) * 0.99))]
        return (
            f"{label:>10}: {len(ms):5d} probes  p50 {statistics.median(ms):7.1f} ms  "
            f"p99 {p99:7.1f} ms  max {ms[-1]:7.1f} ms  failed {self.failures}"
        )


def probe(url: str) -> None:
    """The probe process: ``GET /health`` every 20 ms until a line arrives on stdin, then the
    latencies (seconds) and the failures as JSON on stdout."""
    stop = threading.Event()
    threading.Thread(target=lambda: (sys.stdin.readline(), stop.set()), daemon=True).start()
    latencies: list[float] = []
    failures = 0
    with httpx.Client(timeout=30) as client:
        client.get(f"{url}/health")
        print("started", flush=True)
        while not stop.is_set():
            start = time.perf_counter()
            try:
                ok = client.get(f"{url}/health").status_code == 200
            except httpx.HTTPError:
                ok = False
            latencies.append(time.perf_counter() - start)
            failures += not ok
            stop.wait(0.02)
    print(json.dumps({"latencies": latencies, "failures": failures}), flush=True)


def _seed(url: str) -> dict[str, str]:
    names = {k: f"hostile-{k}-{uuid.uuid4().hex[:6]}" for k in ("full", "target", "backward")}
    with httpx.Client(base_url=url, timeout=120) as http:
        http.put(f"/config/{names['full']}", json={"compatibility": "FULL"})
        for subject, schema in (
            (names["full"], {"type": "string", "pattern": "^(a+)+$"}),
            (names["target"], {"type": "string"}),
        ):
            r = http.post(f"/subjects/{subject}/versions", json=_body(schema))
            assert r.status_code == 200, r.text
    return names


JSON = {"Content-Type": "application/json"}
PATTERN_BODY = json.dumps(_body({"type": "string", "pattern": "^(a+)+$"})).encode()


def _requests(names: dict[str, str]) -> list[tuple[str, str, str, bytes]]:
    """Each kind of request, its body encoded once (the load is the server's, not the
    encoding of 100 KB bodies in this process)."""
    evil = {"type": "string", "enum": [EVIL]}
    long_evil = {"type": "string", "enum": [LONG_EVIL]}
    refs = [{"name": f"r{i}.json", "subject": names["target"], "version": 1} for i in range(2000)]
    full, target = names["full"], names["target"]
    kinds = [
        ("check 40+1", "POST", f"/api/subjects/{full}/check", _body(evil)),
        ("check 100k+1", "POST", f"/api/subjects/{full}/check", _body(long_evil)),
        ("confluent", "POST", f"/compatibility/subjects/{full}/versions/latest", _body(evil)),
        ("register", "POST", "/subjects/{new}/versions", _body(evil)),
        ("refs 1000", "POST", f"/api/subjects/{target}/check", _body({}, references=refs[:1000])),
        ("refs 2000", "POST", f"/api/subjects/{target}/check", _body({}, references=refs)),
    ]
    return [(label, method, path, json.dumps(body).encode()) for label, method, path, body in kinds]


def _load(url: str, names: dict[str, str], seconds: float, workers: int) -> dict[str, Any]:
    kinds = _requests(names)
    statuses: dict[str, Counter[int]] = defaultdict(Counter)
    latencies: dict[str, list[float]] = defaultdict(list)
    deadline = time.monotonic() + seconds
    lock = threading.Lock()

    def worker(offset: int) -> None:
        i = offset
        with httpx.Client(base_url=url, timeout=300) as http:
            while time.monotonic() < deadline:
                label, method, path, body = kinds[i % len(kinds)]
                i += 1
                if "{new}" in path:  # registration: an enum, then the pattern over it
                    subject = f"hostile-reg-{uuid.uuid4().hex[:8]}"
                    http.post(f"/subjects/{subject}/versions", content=body, headers=JSON)
                    path = f"/subjects/{subject}/versions"
                    body = PATTERN_BODY
                start = time.perf_counter()
                try:
                    status = http.request(method, path, content=body, headers=JSON).status_code
                except httpx.HTTPError:
                    status = -1
                with lock:
                    statuses[label][status] += 1
                    latencies[label].append(time.perf_counter() - start)

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {"statuses": statuses, "latencies": latencies}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--baseline", type=float, default=10)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--probe", help=argparse.SUPPRESS)  # the /health probe process
    args = parser.parse_args()
    if args.probe:
        probe(args.probe)
        return
    print(f"# bench_hostile.py  {time.strftime('%Y-%m-%d %H:%M:%S %Z')}")
    print(f"# {platform.node()}  Python {platform.python_version()}  loadavg {os.getloadavg()}")
    with tempfile.TemporaryDirectory() as tmp, _database(args.database_url, Path(tmp)) as db:
        server = RegistryProcess(db, Path(tmp) / "server.log", env=without_evreg_env())
        server.start()
        assert server.process is not None
        pid = server.process.pid
        try:
            kind = "PostgreSQL" if db.startswith("postgresql") else "SQLite"
            print(f"# evreg serve on {kind}, pid {pid}, {args.workers} workers")
            names = _seed(server.url)
            rss = [(0.0, _rss_mib(pid))]
            with Health(server.url) as idle:
                time.sleep(args.baseline)
            cpu0, t0 = _cpu_seconds(pid), time.monotonic()
            sampling = threading.Event()

            def sample() -> None:
                while not sampling.wait(10):
                    rss.append((time.monotonic() - t0, _rss_mib(pid)))

            sampler = threading.Thread(target=sample, daemon=True)
            sampler.start()
            with Health(server.url) as busy:
                result = _load(server.url, names, args.seconds, args.workers)
            sampling.set()
            sampler.join()
            rss.append((time.monotonic() - t0, _rss_mib(pid)))
            cpu = _cpu_seconds(pid) - cpu0
        finally:
            server.stop()
    print("\n/health latency")
    print(idle.line("baseline"))
    print(busy.line("under load"))
    print(f"\nrequests during {args.seconds:g} s (server CPU {cpu:.1f} s)")
    for label, counts in result["statuses"].items():
        ms = sorted(x * 1000 for x in result["latencies"][label])
        shown = ", ".join(f"{status}: {n}" for status, n in sorted(counts.items()))
        print(
            f"  {label:>13}: {len(ms):5d}  p50 {statistics.median(ms):8.1f} ms  "
            f"max {ms[-1]:8.1f} ms  ({shown})"
        )
    print("\nserver RSS (MiB) by second of the load")
    print("  " + "  ".join(f"{t:4.0f}s {m:6.1f}" for t, m in rss))
    print(f"# loadavg at the end {os.getloadavg()}")


if __name__ == "__main__":
    main()
