"""Benchmark: big flat schemas (1,000 to 100,000 properties) through the core and the registry.

    .venv/bin/python bench/bench_big_schemas.py [--runs N] [--sizes 1000,10000,100000] [--no-http]

Core, in this process (median and best of N, CPU median), per size N:

- ``load_contract`` cold (the schema-check cache emptied first) of ``{"type": "object",
  "properties": {"p0": {"type": "string"}, ...}}`` ("same leaves") and of the same with
  ``"maxLength": i`` in each property ("distinct leaves"), without the size bounds;
- the baseline in the same run: ``json.loads`` of the same text plus jsonschema's own meta-schema
  validation (``Draft202012Validator(META_SCHEMA).iter_errors``), what loading minimally costs
  with the libraries alone;
- ``check_compatibility`` BACKWARD of the schema against itself plus one property (one
  finding) and of a one-property schema followed by it (N findings, witnesses on).

Registry (``--no-http`` skips it): a fresh ``evreg serve`` on SQLite in a subprocess,
registering a 10-property schema (the baseline), a closed 9,999-property object and 10,000
properties (the default bound) after it; then the refusal of a 100,000-property one (422).
Wall time per request and the server process's CPU time (``/proc/<pid>/stat``) for it.

Runs against whatever ``evreg`` is importable: ``PYTHONPATH=/tmp/old/src`` measures an exported
older tree (then the bounds, which it lacks, are skipped).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import jsonschema

import timing
from evreg import check_compatibility, load_contract
from evreg.contracts.jsonschema_doc import forget_checked_schemas
from timing import COLUMNS, measure, table

try:
    from evreg.contracts.limits import UNLIMITED

    NO_BOUNDS: dict[str, Any] = {"limits": UNLIMITED}
except ImportError:  # an older evreg, without bounds
    NO_BOUNDS = {}


def flat(count: int, distinct: bool = False, start: int = 0) -> dict[str, Any]:
    def leaf(i: int) -> dict[str, Any]:
        return {"type": "string", "maxLength": i} if distinct else {"type": "string"}

    props = {f"p{i}": leaf(i) for i in range(start, count)}
    return {"type": "object", "properties": props}


def closed(count: int) -> dict[str, Any]:
    """A closed object: one more optional property is a BACKWARD-compatible change."""
    return {**flat(count), "additionalProperties": False}


def _baseline(text: str) -> None:
    cls = jsonschema.Draft202012Validator
    errors = list(cls(cls.META_SCHEMA).iter_errors(json.loads(text)))
    assert not errors


def core(sizes: list[int], runs: int) -> None:
    rows: list[list[str]] = []
    for n in sizes:
        reps = max(1, runs if n <= 10_000 else runs // 3)
        for distinct in (False, True):
            text = json.dumps(flat(n, distinct))
            kind = "distinct leaves" if distinct else "same leaves"
            load = partial(load_contract, text, **NO_BOUNDS)
            t = measure(load, reps, forget_checked_schemas)
            rows.append([f"load {n:,} ({kind})", *t.cells()])
            b = measure(partial(_baseline, text), max(1, reps // 2))
            rows.append([f"  baseline json.loads + jsonschema meta {n:,}", *b.cells()])
        big = load_contract(json.dumps(flat(n)), **NO_BOUNDS)
        bigger = load_contract(json.dumps(flat(n + 1)), **NO_BOUNDS)
        small = load_contract(json.dumps(flat(1)))
        t = measure(partial(check_compatibility, big, bigger, "BACKWARD"), reps)
        rows.append([f"check {n:,} -> {n + 1:,} (1 finding)", *t.cells()])
        if NO_BOUNDS or n <= 3_000:  # an older evreg takes 50 s on 10,000 findings, hours on more
            t = measure(partial(check_compatibility, small, big, "BACKWARD"), max(1, reps // 2))
            rows.append([f"check 1 -> {n:,} ({n - 1:,} findings)", *t.cells()])
    table(("core (no size bounds)", *COLUMNS), rows)


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def http(runs: int) -> None:
    sys.path.insert(0, str(timing.REPO / "tests"))
    from servers import free_port  # the test suite's helper

    rows: list[list[str]] = []
    with tempfile.TemporaryDirectory() as tmp:
        port = free_port()
        env = {**os.environ, "EVREG_DATABASE_URL": f"sqlite:///{tmp}/bench.db"}
        env["EVREG_MAX_BODY_BYTES"] = str(4 * 1024 * 1024)  # the schemas here go up to 4 MiB
        command = [sys.executable, "-m", "uvicorn", "evreg.registry.app:create_app"]
        command += ["--factory", "--port", str(port), "--log-level", "warning"]
        server = subprocess.Popen(command, env=env, stderr=subprocess.DEVNULL)
        url = f"http://127.0.0.1:{port}"
        try:
            for _ in range(300):
                try:
                    if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.1)
            cases = [
                ("10 properties (baseline)", "small", [flat(10)], 200),
                ("9,999 properties, new subject", "big", [closed(9_999)], 200),
                ("10,000 after 9,999 (BACKWARD)", "big", [closed(10_000)], 200),
                ("100,000 properties: refused", "huge", [flat(100_000)], 422),
            ]
            for label, subject, schemas, status in cases:
                wall, cpu = [], []
                for i in range(runs):
                    doc = schemas[0]
                    if status == 200 and subject != "big":
                        doc = {**doc, "title": f"run {i}"}  # a new version every run
                    body = json.dumps({"schema": json.dumps(doc), "schemaType": "JSON"})
                    before = _cpu_seconds(server.pid)
                    start = time.perf_counter()
                    r = httpx.post(
                        f"{url}/subjects/{subject}-{i if subject == 'big' else 0}-value/versions",
                        content=body,
                        headers={"Content-Type": "application/json"},
                        timeout=600,
                    )
                    wall.append(time.perf_counter() - start)
                    cpu.append(_cpu_seconds(server.pid) - before)
                    assert r.status_code == status, r.text[:300]
                rows.append([label, *timing.Timing(tuple(wall), tuple(cpu)).cells()])
        finally:
            server.terminate()
            server.wait(timeout=30)
    print("(cpu: the server process, from /proc; wall: the client's round trip)")
    table(("registry over HTTP (SQLite)", *COLUMNS), rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=6)
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--no-http", action="store_true")
    args = parser.parse_args()
    timing.header("big flat schemas")
    core([int(s) for s in args.sizes.split(",")], args.runs)
    if not args.no_http and NO_BOUNDS:
        http(max(1, args.runs // 2))
    timing.footer()


if __name__ == "__main__":
    main()
