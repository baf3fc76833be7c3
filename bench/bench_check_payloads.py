"""Benchmark: what checking the payload subjects adds to ``POST /api/subjects/{s}/check``.

Two ``evreg serve`` processes on SQLite, each with the repository's orders contract registered
as ``orders``: one derives payload subjects (``EVREG_PAYLOAD_SUBJECTS=true``, the default: the
check also checks ``orders.placed-value``, as ``evreg check`` / ``push --dry-run`` now do), the
other does not (the baseline: the contract's own subject only, the check as it was before).
Each request sends a contract whose payload differs from every earlier one (one more currency
in the enum), so neither server answers from its report cache. Requests alternate between the
two servers; the figures are the client's wall time per request and the server's CPU time per
request (``/proc/<pid>/stat``).

    .venv/bin/python bench/bench_check_payloads.py [--runs 40]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

import httpx
import yaml

import timing
from bench_registry import EVREG, HOST, _cpu_seconds, server
from timing import REPO

CONTRACT = REPO / "contracts" / "order_placed.yaml"


def variant(document: dict[str, object], i: int) -> str:
    doc = json.loads(json.dumps(document))
    currency = doc["components"]["schemas"]["OrderPlacedPayload"]["properties"]["currency"]
    currency["enum"] = [*currency["enum"], *(f"X{n:02d}" for n in range(i + 1))]
    return json.dumps(doc)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=40)
    args = parser.parse_args()
    document = yaml.safe_load(CONTRACT.read_text())
    timing.header("POST /api/subjects/{s}/check: with payload subjects vs the contract alone")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        command = [str(EVREG), "serve", "--host", HOST, "--log-level", "warning"]
        with (
            server(
                [*command, "--database-url", f"sqlite:///{folder / 'on.db'}"],
                folder / "on.log",
                {"EVREG_PAYLOAD_SUBJECTS": "true"},
            ) as (on_url, on_pid),
            server(
                [*command, "--database-url", f"sqlite:///{folder / 'off.db'}"],
                folder / "off.log",
                {"EVREG_PAYLOAD_SUBJECTS": "false"},
            ) as (off_url, off_pid),
            httpx.Client(timeout=120) as http,
        ):
            body = {"schema": json.dumps(document), "schemaType": "ASYNCAPI"}
            for url in (on_url, off_url):
                http.post(f"{url}/subjects/orders/versions", json=body).raise_for_status()
            wall: dict[str, list[float]] = {"on": [], "off": []}
            cpu: dict[str, list[float]] = {"on": [], "off": []}
            payloads = set()
            for i in range(args.runs):
                schema = {"schema": variant(document, i), "schemaType": "ASYNCAPI"}
                for name, url, pid in (("on", on_url, on_pid), ("off", off_url, off_pid)):
                    before_cpu, start = _cpu_seconds(pid), time.perf_counter()
                    answer = http.post(f"{url}/api/subjects/orders/check", json=schema)
                    wall[name].append(time.perf_counter() - start)
                    cpu[name].append(_cpu_seconds(pid) - before_cpu)
                    answer.raise_for_status()
                    payloads.add((name, len(answer.json().get("payload_subjects", []))))
    assert payloads == {("on", 1), ("off", 0)}, payloads  # each server did what it is meant to
    rows = []
    for name, label in (("off", "contract subject only (baseline)"), ("on", "+ payload subject")):
        rows.append(
            [
                label,
                timing.ms(statistics.median(wall[name])),
                timing.ms(min(wall[name])),
                timing.ms(statistics.fmean(cpu[name])),
                str(len(wall[name])),
            ]
        )
    timing.table(["check", "median ms", "best ms", "server cpu ms/req (mean)", "N"], rows)
    print(
        "server CPU is read from /proc in clock ticks (10 ms), so per-request figures are means "
        "over N requests"
    )
    timing.footer()


if __name__ == "__main__":
    main()
