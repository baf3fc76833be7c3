"""Benchmark: the registry's CPU per cheap request (the kinds schemathesis's coverage phase sends).

    .venv/bin/python bench/bench_cheap_requests.py [--compare-src DIR] [--rounds 5] [--n 2000]

Starts ``evreg serve`` on a fresh SQLite file for the work tree and, with ``--compare-src DIR``
(the ``src`` folder of a checkout of an earlier commit, e.g. a ``git archive`` of main), a
second one importing evreg from DIR; registers one JSON Schema in each; then, ``--rounds``
times, alternating the servers, sends ``--n`` requests one after the other over one keep-alive
connection, cycling over a fixed mix of cheap requests (missing subjects and ids, bodies and
query parameters refused, anonymous writes and deletes, valid reads), and reads the server's
CPU time (``/proc/PID/stat``, user + system) before and after. Prints the server's CPU per
request for each round and each server, the medians and their ratio, and the statuses seen
(which must be the same for both). Never asserts anything.

``--use-cases``: instead, the CPU of the use cases behind these requests, called in process
(no HTTP, no thread hop) on a fresh SQLite file, 2,000 calls each; with ``--compare-src`` the
baseline and the work tree alternate, ``--rounds`` times each, each in its own process.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from contextlib import ExitStack, suppress
from pathlib import Path
from typing import Any

import httpx

import timing
from bench_registry import EVREG, HOST, _cpu_seconds, server

SUBJECT = "bench.cheap-value"
SCHEMA = {"type": "object", "properties": {"a": {"type": "string"}}}

# (method, path, body): body is JSON-encoded unless bytes; None: no body
MIX: list[tuple[str, str, Any]] = [
    ("GET", "/subjects/missing-subject/versions", None),  # 404
    ("GET", "/subjects/missing-subject/versions/1", None),  # 404
    ("GET", "/schemas/ids/987654", None),  # 404
    ("GET", "/subjects?deleted=maybe", None),  # 422: query parameter
    ("GET", "/subjects/missing-subject/versions/-7", None),  # 422: path parameter
    ("POST", "/subjects/x/versions", {"schema": 1}),  # 422: body, anonymous write
    ("POST", "/subjects/x/versions", b"{not json"),  # 400/422: not JSON
    ("POST", "/subjects/x/versions", {"schema": "{}", "unknown": True}),  # 422: unknown field
    ("POST", "/api/subjects/x/check", {"schemaType": "JSON"}),  # 422: evreg's API, read
    ("POST", f"/subjects/{SUBJECT}", {"schema": 5}),  # 422: lookup body
    ("PUT", "/config/x", {"compatibility": "SIDEWAYS"}),  # 422: anonymous admin
    ("DELETE", "/subjects/missing-subject", None),  # 404: anonymous admin
    ("GET", "/subjects", None),  # 200
    ("GET", f"/subjects/{SUBJECT}/versions", None),  # 200
    ("GET", f"/subjects/{SUBJECT}/versions/latest", None),  # 200
    ("GET", "/config", None),  # 200
]


def _send(client: httpx.Client, method: str, path: str, body: Any) -> int:
    if body is None:
        return client.request(method, path).status_code
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    headers = {"Content-Type": "application/vnd.schemaregistry.v1+json"}
    return client.request(method, path, content=content, headers=headers).status_code


def batch(client: httpx.Client, pid: int, n: int) -> tuple[float, Counter[tuple[str, int]]]:
    """Server CPU seconds per request over ``n`` requests, and the statuses per kind."""
    statuses: Counter[tuple[str, int]] = Counter()
    cpu0 = _cpu_seconds(pid)
    for i in range(n):
        method, path, body = MIX[i % len(MIX)]
        statuses[(f"{method} {path}", _send(client, method, path, body))] += 1
    return (_cpu_seconds(pid) - cpu0) / n, statuses


def use_cases_here(n: int = 2000) -> None:
    """Time the use cases in this process (evreg imported from wherever ``sys.path`` says)."""
    from evreg.registry import errors
    from evreg.registry.app import create_app
    from evreg.registry.inputs import parse_version
    from evreg.registry.settings import Settings
    from evreg.registry.values import SchemaInput

    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(Settings(database_url=f"sqlite:///{tmp}/r.db"))
        svc = app.state.service
        given = SchemaInput(json.dumps(SCHEMA), "JSON", (), None, None)
        svc.register(SUBJECT, given, actor="bench")
        calls = {
            "list_versions (missing)": lambda: svc.list_versions("missing-subject"),
            "list_versions": lambda: svc.list_versions(SUBJECT),
            "get_version (missing)": lambda: svc.get_version("missing-subject", parse_version("1")),
            "get_version latest": lambda: svc.get_version(SUBJECT, parse_version("latest")),
            "list_subjects": lambda: svc.list_subjects(),
            "delete_subject (missing)": lambda: svc.delete_subject(
                "missing-subject", permanent=False, actor="bench"
            ),
            "get_schema (missing id)": lambda: svc.get_schema(987654),
        }
        cells = []
        for name, call in calls.items():
            started = time.process_time()
            for _ in range(n):
                with suppress(errors.RegistryError):
                    call()
            cells.append(f"{name} {(time.process_time() - started) / n * 1e6:.0f}")
        print("; ".join(cells), flush=True)


def use_cases(trees: list[tuple[str, str | None]], rounds: int) -> None:
    for round_ in range(1, rounds + 1):
        for label, src in trees:
            env = {**os.environ, **({"PYTHONPATH": src} if src else {})}
            answer = subprocess.run(
                [sys.executable, __file__, "--use-cases-here"],
                env=env,
                capture_output=True,
                text=True,
                check=True,
            )
            print(f"round {round_}, {label} (us CPU per call): {answer.stdout.strip()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--compare-src", help="a baseline's src folder (imported by its server)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--n", type=int, default=2000, help="requests per round and server")
    parser.add_argument("--use-cases", action="store_true", help="the use cases in process")
    parser.add_argument("--use-cases-here", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.use_cases_here:
        use_cases_here()
        return
    trees: list[tuple[str, str | None]] = [("work tree", None)]
    if args.compare_src:
        trees.insert(0, ("baseline", str(Path(args.compare_src).resolve())))
    if args.use_cases:
        use_cases(trees, args.rounds)
        return
    print(f"load {timing.load()}", flush=True)
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        folder = Path(tmp)
        clients: dict[str, tuple[httpx.Client, int]] = {}
        for label, src in trees:
            name = label.replace(" ", "-")
            url = f"sqlite:///{folder / f'{name}.db'}"
            command = [str(EVREG), "serve", "--host", HOST, "--database-url", url]
            env = {"PYTHONPATH": src} if src else None
            base, pid = stack.enter_context(server(command, folder / f"{name}.log", env))
            client = stack.enter_context(httpx.Client(base_url=base, timeout=30))
            answer = client.post(
                f"/subjects/{SUBJECT}/versions",
                json={"schema": json.dumps(SCHEMA), "schemaType": "JSON"},
            )
            assert answer.status_code == 200, answer.text
            batch(client, pid, 10 * len(MIX))  # warm up
            clients[label] = (client, pid)
        per: dict[str, list[float]] = {label: [] for label, _ in trees}
        seen: dict[str, Counter[tuple[str, int]]] = {label: Counter() for label, _ in trees}
        for round_ in range(1, args.rounds + 1):
            cells = []
            for label, _ in trees:
                client, pid = clients[label]
                cpu, statuses = batch(client, pid, args.n)
                per[label].append(cpu)
                seen[label] += statuses
                cells.append(f"{label} {cpu * 1e6:.0f} us")
            print(f"round {round_}: " + ", ".join(cells) + f"  (load {timing.load()})", flush=True)
    print(f"\nserver CPU per request, median of {args.rounds} rounds of {args.n}:")
    for label, values in per.items():
        print(f"  {label}: {statistics.median(values) * 1e6:.0f} us "
              f"(min {min(values) * 1e6:.0f}, max {max(values) * 1e6:.0f})")  # fmt: skip
    if len(per) == 2:
        ratio = statistics.median(per["baseline"]) / statistics.median(per["work tree"])
        pairs = [b / w for b, w in zip(per["baseline"], per["work tree"], strict=True)]
        print(f"  baseline / work tree: {ratio:.2f}x (per round {min(pairs):.2f}-{max(pairs):.2f})")
        if seen["baseline"] != seen["work tree"]:
            print("  STATUSES DIFFER:")
            for key in sorted(set(seen["baseline"]) | set(seen["work tree"])):
                base, work = seen["baseline"][key], seen["work tree"][key]
                if base != work:
                    print(f"    {key}: baseline {base}, work tree {work}")
    print("\nstatuses (work tree):")
    for (kind, status), count in sorted(seen["work tree"].items()):
        print(f"  {status} {kind} x{count}")


if __name__ == "__main__":
    sys.exit(main())
