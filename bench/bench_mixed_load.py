"""Benchmark: mixed load against two registry processes on one PostgreSQL database.

    .venv/bin/python bench/bench_mixed_load.py [--seconds 60] [--workers 8]
        [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/test]

Creates a fresh database on that server (dropped afterwards), starts two ``uvicorn`` registry
processes on it, seeds 50 subjects, then runs the load from a separate process (``--workers``
threads, alternating between the two registries): 90% ``GET /schemas/ids/{id}``, 9%
``POST /compatibility/subjects/{s}/versions/latest``, 1% registrations of a new compatible
version. Prints throughput, p50/p99 latency per kind, the error count (any status other than
200), and the resident memory (RSS) of each registry process before, every minute, and after.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url


def _port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _schema(subject: int, version: int) -> str:
    props = {f"p{j}": {"type": "string"} for j in range(version + 1)}
    props["s"] = {"const": subject}
    return json.dumps({"type": "object", "properties": props, "additionalProperties": False})


def _worker(args: tuple[list[str], float, int, list[int], int]) -> dict[str, Any]:
    urls, seconds, threads, ids, seed = args
    rng = random.Random(seed)
    lat: dict[str, list[float]] = {"read": [], "check": [], "register": []}
    errors = 0
    next_version: dict[int, int] = {}

    local = threading.local()

    def one(i: int) -> tuple[str, float, bool]:
        base = urls[i % len(urls)]
        roll = rng.random()
        if not hasattr(local, "client"):
            local.client = httpx.Client(timeout=30)  # one keep-alive client per thread
        client = local.client
        start = time.perf_counter()
        if roll < 0.90:
            kind = "read"
            r = client.get(f"{base}/schemas/ids/{rng.choice(ids)}")
        elif roll < 0.99:
            kind = "check"
            s = rng.randrange(50)
            r = client.post(
                f"{base}/compatibility/subjects/bench-{s}-value/versions/latest",
                json={"schema": _schema(s, 100), "schemaType": "JSON"},
            )
        else:
            kind = "register"
            s = seed * 1000 + i
            v = next_version.get(s, 0)
            next_version[s] = v + 1
            r = client.post(
                f"{base}/subjects/load-{s}-value/versions",
                json={"schema": _schema(s, v), "schemaType": "JSON"},
            )
        return kind, time.perf_counter() - start, r.status_code == 200

    deadline = time.monotonic() + seconds
    counter = 0
    with ThreadPoolExecutor(threads) as pool:
        while time.monotonic() < deadline:
            batch = list(range(counter, counter + threads))
            counter += threads
            for kind, took, ok in pool.map(one, batch):
                lat[kind].append(took)
                errors += 0 if ok else 1
    return {"lat": lat, "errors": errors}


def _pct(values: list[float], p: float) -> float:
    if not values:
        return 0.0
    values = sorted(values)
    return values[min(len(values) - 1, int(p * len(values)))] * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument(
        "--database-url",
        default=os.environ.get(
            "EVREG_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
        ),
    )
    opts = parser.parse_args()
    name = f"evreg_bench_{uuid.uuid4().hex[:12]}"
    admin = create_engine(opts.database_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(opts.database_url).set(database=name).render_as_string(hide_password=False)
    procs: list[subprocess.Popen[bytes]] = []
    try:
        urls = []
        for _ in range(2):
            port = _port()
            env = {**os.environ, "EVREG_DATABASE_URL": url, "EVREG_LOG_LEVEL": "warning"}
            cmd = [sys.executable, "-m", "uvicorn", "evreg.registry.app:create_app", "--factory"]
            cmd += ["--port", str(port), "--log-level", "warning"]
            procs.append(subprocess.Popen(cmd, env=env, stderr=subprocess.DEVNULL))
            urls.append(f"http://127.0.0.1:{port}")
            for _ in range(300):
                try:
                    if httpx.get(f"{urls[-1]}/ready", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.1)
        ids = []
        for s in range(50):
            r = httpx.post(
                f"{urls[s % 2]}/subjects/bench-{s}-value/versions",
                json={"schema": _schema(s, 0), "schemaType": "JSON"},
                timeout=30,
            )
            ids.append(int(r.json()["id"]))
        for base in urls:  # warm each process once
            for i in ids:
                httpx.get(f"{base}/schemas/ids/{i}")
        before = [_rss_mib(p.pid) for p in procs]
        samples: list[tuple[float, list[float]]] = []
        done = threading.Event()
        started = time.monotonic()

        def sample() -> None:  # the RSS of each registry every minute of the run
            while not done.wait(60):
                samples.append((time.monotonic() - started, [_rss_mib(p.pid) for p in procs]))

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        ctx = multiprocessing.get_context("spawn")
        with ctx.Pool(1) as pool:
            result = pool.apply(_worker, ((urls, opts.seconds, opts.workers, ids, 1),))
        done.set()
        sampler.join()
        after = [_rss_mib(p.pid) for p in procs]
        lat = result["lat"]
        total = sum(len(v) for v in lat.values())
        print(f"{opts.seconds:.0f} s, {opts.workers} client threads, 2 registry processes")
        print(f"requests {total}  throughput {total / opts.seconds:.0f} req/s")
        print(f"errors {result['errors']}")
        for kind, values in lat.items():
            print(
                f"{kind:9s} n={len(values):6d}  p50 {_pct(values, 0.5):7.1f} ms"
                f"  p99 {_pct(values, 0.99):7.1f} ms"
            )
        for i, (b, a) in enumerate(zip(before, after, strict=True)):
            print(f"registry {i + 1} RSS {b:.0f} MiB -> {a:.0f} MiB")
        for at, rss in samples:
            shown = "  ".join(f"registry {i + 1} {m:.0f} MiB" for i, m in enumerate(rss))
            print(f"  at {at / 60:4.1f} min: {shown}")
    finally:
        for p in procs:
            p.send_signal(signal.SIGTERM)
            p.wait(timeout=20)
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
