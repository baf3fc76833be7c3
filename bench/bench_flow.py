"""Benchmark: the event-flow map over HTTP, ``/api/flow`` (the graph with every edge checked)
and ``/ui/flow`` (the same, laid out and drawn as SVG), against ``GET /health`` (a bare route,
the baseline for HTTP and process overhead) in the same run, on one ``evreg serve`` (SQLite).

The registry holds N synthetic applications: application i sends ``OrderPlaced``-like events on
``ch.i`` and receives on ``ch.{i-1}`` and ``ch.{i-2}``, so the map has about 2N edges; every
fifth receiver requires a field its senders do not send (broken edges). "warm" reads repeat
the same map (every cache filled); "after a push" reads once after one application pushed a
new version (its edges are checked again). Figures: the client's wall time per request and the
server's CPU time per request (``/proc/<pid>/stat``, 10 ms ticks, so means over N requests).

    .venv/bin/python bench/bench_flow.py [--sizes 10 30 60] [--runs 20]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

import httpx

import timing
from bench_registry import EVREG, HOST, _cpu_seconds, server


def contract(i: int, version: int = 1) -> str:
    """Application ``app-i``: sends on ``ch.i``, receives on ``ch.{i-1}`` and ``ch.{i-2}``."""
    required = ["id", "total"] + (["extra"] if i % 5 == 4 else [])
    sent = {
        "type": "object",
        "required": ["id", "total", "at"],
        "properties": {
            "id": {"type": "string"},
            "total": {"type": "number", "minimum": 0},
            "at": {"type": "string", "format": "date-time"},
            "note": {"type": "string", "maxLength": 10},
        },
    }
    read = {
        "type": "object",
        "required": required,
        "properties": {"id": {"type": "string"}, "total": {"type": "number"}},
    }
    if i % 5 == 4:
        read["properties"]["extra"] = {"type": "string"}  # type: ignore[index]
    channels = {"out": {"address": f"ch.{i}", "messages": {"Event": {"payload": sent}}}}
    operations = {"send": {"action": "send", "channel": {"$ref": "#/channels/out"}}}
    for k in (1, 2):
        if i - k >= 0:
            # a receiver's only message on a channel is paired with whatever is sent there
            channels[f"in{k}"] = {
                "address": f"ch.{i - k}",
                "messages": {f"Read{k}": {"name": f"Read{k}", "payload": read}},
            }
            operations[f"on{k}"] = {"action": "receive", "channel": {"$ref": f"#/channels/in{k}"}}
    for message in channels["out"]["messages"].values():
        message["name"] = "Event"
    return json.dumps(
        {
            "asyncapi": "3.0.0",
            "info": {"title": f"app-{i}", "version": f"{version}.0.0"},
            "channels": channels,
            "operations": operations,
        }
    )


def timed(http: httpx.Client, url: str, pid: int, runs: int) -> tuple[list[float], list[float]]:
    wall, cpu = [], []
    for _ in range(runs):
        before, start = _cpu_seconds(pid), time.perf_counter()
        http.get(url).raise_for_status()
        wall.append(time.perf_counter() - start)
        cpu.append(_cpu_seconds(pid) - before)
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 30, 60])
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    timing.header("GET /ui/flow and /api/flow vs GET /health, N applications (SQLite)")
    rows = []
    for n in args.sizes:
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            command = [str(EVREG), "serve", "--host", HOST, "--log-level", "warning"]
            with (
                server(
                    [*command, "--database-url", f"sqlite:///{folder / 'flow.db'}"],
                    folder / "serve.log",
                    {"EVREG_PAYLOAD_SUBJECTS": "false"},
                ) as (url, pid),
                httpx.Client(timeout=300) as http,
            ):
                for i in range(n):
                    body = {"schema": contract(i), "schemaType": "ASYNCAPI"}
                    http.post(f"{url}/subjects/app-{i}/versions", json=body).raise_for_status()
                graph = http.get(f"{url}/api/flow").json()  # fills the caches
                edges = len(graph["edges"])
                broken = sum(e["broken"] for e in graph["edges"])
                http.get(f"{url}/ui/flow").raise_for_status()
                results = {
                    "GET /health (baseline)": timed(http, f"{url}/health", pid, args.runs),
                    "GET /api/flow, warm": timed(http, f"{url}/api/flow", pid, args.runs),
                    "GET /ui/flow, warm": timed(http, f"{url}/ui/flow", pid, args.runs),
                }
                cold: tuple[list[float], list[float]] = ([], [])
                for r in range(max(3, args.runs // 4)):
                    i = n // 2
                    body = {"schema": contract(i, version=2 + r), "schemaType": "ASYNCAPI"}
                    http.post(f"{url}/subjects/app-{i}/versions", json=body).raise_for_status()
                    wall, cpu = timed(http, f"{url}/ui/flow", pid, 1)
                    cold[0].extend(wall)
                    cold[1].extend(cpu)
                results["GET /ui/flow, after a push"] = cold
                for label, (wall, cpu) in results.items():
                    rows.append(
                        [
                            f"{n} apps, {edges} edges ({broken} broken): {label}",
                            timing.ms(statistics.median(wall)),
                            timing.ms(min(wall)),
                            timing.ms(statistics.fmean(cpu)),
                            str(len(wall)),
                        ]
                    )
    timing.table(["request", "median ms", "best ms", "server cpu ms/req (mean)", "N"], rows)
    print("server CPU is read from /proc in clock ticks (10 ms): per-request figures are means")
    timing.footer()


if __name__ == "__main__":
    main()
