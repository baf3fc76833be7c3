"""Benchmark: the registry served by ``evreg serve`` over loopback.

    .venv/bin/python bench/bench_registry.py [--parts 1,2,3] [--pg-url URL] [--seconds 8]

1. ``GET /schemas/ids/{id}`` (every Kafka serializer's hot path) under ``wrk`` (a second
   process, one thread, 16 connections, ids cycling over 500 schemas), against a bare Starlette
   route returning a constant JSON body served by ``uvicorn.run`` with the same arguments as
   ``evreg serve`` (one worker, ``log_level="info"``, ``access_log=False``). evreg runs on
   SQLite and (unless ``--no-pg``) on PostgreSQL; the servers alternate, ``--rounds`` (3) times
   each; the server's CPU time per request is read from ``/proc``, and the ratio of CPU per
   request (baseline / evreg) is printed next to the req/s ratio: it depends far less on other
   load. The verdict is on the median round's req/s ratio (one round can land on a burst of
   other load on this 2-core machine). With ``--compare-src`` every server has its own
   database, filled with the same 500 JSON Schemas through its own API (an earlier commit
   cannot open a database migrated past its own head revision); without it, one database
   per backend is filled in bulk through the store.
2. Registering into one subject with BACKWARD_TRANSITIVE: 100 versions through the API (each
   checked against all earlier ones), then 20 more timed (versions per second), then one more
   after a restart (the compatibility cache is empty), then one checked first
   (``POST /compatibility/...``) and registered after (every pair cached), on SQLite and on
   PostgreSQL. ``--compare-src DIR`` (the ``src`` folder of a checkout of an earlier commit,
   repeatable) runs each of these first on a server that imports evreg from DIR: a baseline
   measured in the same run, under the same load.
3. 10,000 subjects x 5 versions loaded through the store in bulk (``bench_ui.populate``), then
   list, search, latest and lookup. The figures are the server's own time: the
   ``duration_ms`` of evreg's access log (its middleware, around the whole app), next to the
   client's latency on loopback.

PostgreSQL: ``--pg-url postgresql+psycopg://postgres@127.0.0.1:5432/test``; a database
``evreg_bench_<hex>`` is created there and dropped at the end. All traffic is to 127.0.0.1.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import httpx

import timing
from bench_ui import _json_schema, populate
from timing import REPO

HOST = "127.0.0.1"
EVREG = Path(sys.executable).with_name("evreg")
TICK = os.sysconf("SC_CLK_TCK")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK  # utime + stime


@contextmanager
def server(command: list[str], log: Path, env: dict[str, str] | None = None) -> Iterator[Any]:
    """Start a server process; yields (base url, pid); stops it (only this process)."""
    port = _free_port()
    with log.open("ab") as err:
        proc = subprocess.Popen(
            [*command, "--port", str(port)],
            stdout=subprocess.DEVNULL,
            stderr=err,
            env={**os.environ, **(env or {})},
        )
    base = f"http://{HOST}:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"server exited: {log.read_text()[-2000:]}")
            try:
                if httpx.get(base + "/ping", timeout=2).status_code < 500:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("server did not start in 60 s")
            time.sleep(0.2)
        yield base, proc.pid
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=15)


def evreg_server(url: str, log: Path, env: dict[str, str] | None = None) -> Any:
    return server([str(EVREG), "serve", "--host", HOST, "--database-url", url], log, env)


# -- the baseline: a bare Starlette route, served as ``evreg serve`` serves the registry ------


def baseline_app() -> Any:
    from starlette.applications import Starlette
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    body = {"schema": '{"type":"object"}', "schemaType": "JSON"}

    async def constant(request: Any) -> JSONResponse:
        return JSONResponse(body)

    return Starlette(routes=[Route("/schemas/ids/{id}", constant), Route("/ping", constant)])


def run_baseline(port: int) -> None:
    import uvicorn

    # the same arguments as evreg/cli/serve_cmd.py gives uvicorn.run
    uvicorn.run(
        "bench_registry:baseline_app",
        factory=True,
        host=HOST,
        port=port,
        log_level="info",
        access_log=False,
    )


# -- part 1 ------------------------------------------------------------------------------------

WRK_LUA = """
counter = 0
request = function()
  counter = counter + 1
  return wrk.format("GET", "/schemas/ids/" .. ((counter % {n}) + 1))
end
"""


def wrk(
    base: str, pid: int, seconds: int, script: Path, headers: dict[str, str] | None = None
) -> tuple[float, float, float, float]:
    """Requests/s, p50 ms, p99 ms, and the server's CPU ms per request."""
    cpu0 = _cpu_seconds(pid)
    done = subprocess.run(
        [
            *("wrk", "-t1", "-c16", f"-d{seconds}s", "--latency", "-s", str(script)),
            *(x for k, v in (headers or {}).items() for x in ("-H", f"{k}: {v}")),
            base,
        ],
        capture_output=True,
        text=True,
        timeout=seconds + 60,
        check=True,
    )
    cpu = _cpu_seconds(pid) - cpu0
    out = done.stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    total = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    if "Non-2xx" in out:
        raise RuntimeError(out)

    def pct(p: str) -> float:
        value, unit = re.search(rf"\s{p}%\s+([\d.]+)(us|ms|s)", out).groups()  # type: ignore[union-attr]
        return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]

    return rps, pct("50"), pct("99"), round(cpu * 1000 / max(total, 1), 3)


def part1(
    folder: Path,
    seconds: int,
    pg_url: str | None,
    rounds: int = 3,
    basic_auth: bool = False,
    compare: Sequence[tuple[str, str]] = (),
) -> None:
    """``basic_auth``: evreg requires tokens (``EVREG_AUTH=required``) and every request carries
    HTTP Basic credentials, as a Kafka client with ``basic.auth.user.info`` sends them.
    ``compare``: (name, src folder) of other checkouts, each served too (on the same databases)
    and measured in the same rounds as the work tree."""
    how = ", HTTP Basic credentials on every request" if basic_auth else ""
    print(f"## 1. GET /schemas/ids/{{id}} under wrk (1 thread, 16 connections{how})\n")
    if shutil.which("wrk") is None:
        print("wrk is not installed (apt-get install -y wrk): skipped\n")
        return
    script = folder / "ids.lua"
    script.write_text(WRK_LUA.replace("{n}", "500"))
    baseline_cmd = [sys.executable, str(Path(__file__)), "--baseline-server"]
    with ExitStack() as stack:
        backends = ["SQLite", "PostgreSQL"] if pg_url else ["SQLite"]
        servers: dict[str, tuple[str, int]] = {}
        env: dict[str, str] = {}
        headers: dict[str, str] = {}
        if basic_auth:
            token = "evreg_bench-basic-auth-" + uuid.uuid4().hex
            env = {"EVREG_AUTH": "required", "EVREG_BOOTSTRAP_TOKEN": token}
            user_info = base64.b64encode(f"bench:{token}".encode()).decode()
            headers = {"Authorization": f"Basic {user_info}"}
        checkouts: list[tuple[str, str | None]] = [*compare, ("work tree", None)]
        for name in backends:
            for checkout, src in checkouts:
                # each checkout its own database: an earlier commit's migrations stop at its
                # own head revision, so it cannot open a database the work tree migrated
                slug = checkout.replace(" ", "-")
                if name == "SQLite":
                    url = f"sqlite:///{folder / f'part1-{slug}.db'}"
                else:
                    assert pg_url is not None
                    url = stack.enter_context(pg_database(pg_url))
                if not compare:
                    populate(url, 100, 5)  # 500 schemas, in bulk through the store
                label = f"evreg {checkout} {name}" if compare else f"evreg {name}"
                served = {**env, "PYTHONPATH": src} if src else env
                log = folder / f"part1-{name}-{slug}.log"
                servers[label] = stack.enter_context(evreg_server(url, log, served))
                if compare:  # the same 500 schemas, registered through each server's API
                    populate_over_http(servers[label][0], 100, 5, headers)
        servers["baseline"] = stack.enter_context(server(baseline_cmd, folder / "baseline.log"))
        for base, pid in servers.values():  # warm: every id once (the id caches), then wrk
            with httpx.Client(base_url=base, timeout=30, headers=headers) as client:
                for schema_id in range(1, 501):
                    client.get(f"/schemas/ids/{schema_id}").raise_for_status()
            wrk(base, pid, 2, script, headers)
        rows: list[list[str]] = []
        results: dict[str, list[tuple[float, float, float, float]]] = {k: [] for k in servers}
        for round_ in range(1, rounds + 1):
            for label, (base, pid) in servers.items():
                r = wrk(base, pid, seconds, script, headers)
                results[label].append(r)
                cells = [f"{r[0]:,.0f}", f"{r[1]:.2f}", f"{r[2]:.2f}", f"{r[3]:.3f}"]
                rows.append([f"{label}, round {round_}", *cells])
            print(f"  round {round_} done, load avg {timing.load()}", flush=True)
    print()
    timing.table(["server", "req/s", "p50 ms", "p99 ms", "server cpu ms/req"], rows)
    for label in (k for k in results if k != "baseline"):
        pairs = list(zip(results[label], results["baseline"], strict=True))
        rps = [ev[0] / bl[0] for ev, bl in pairs]
        cpu = [bl[3] / ev[3] for ev, bl in pairs]
        print(
            f"{label} / baseline: req/s "
            + ", ".join(f"{r:.0%}" for r in rps)
            + f"; median {statistics.median(rps):.0%}"
            + f" (target >= 60%: {'met' if statistics.median(rps) >= 0.6 else 'NOT met'}); "
            + "CPU per request, baseline / evreg: "
            + ", ".join(f"{c:.0%}" for c in cpu)
            + f"; median {statistics.median(cpu):.0%}"
        )
    for checkout, _ in compare:
        for label in [k for k in results if k.startswith(f"evreg {checkout} ")]:
            mine = label.replace(f"evreg {checkout} ", "evreg work tree ")
            pairs = list(zip(results[mine], results[label], strict=True))
            rps = statistics.median(m[0] / b[0] for m, b in pairs)
            cpu = statistics.median(m[3] / b[3] for m, b in pairs)
            print(
                f"{mine} / {label}: req/s {rps:.0%}, CPU per request {cpu:.0%} "
                "(medians of the rounds' ratios)"
            )
    print()


def populate_over_http(base: str, subjects: int, versions: int, headers: dict[str, str]) -> None:
    """``subjects`` x ``versions`` JSON Schemas (``bench_ui._json_schema``, ids 1 to N in
    order) registered through the API, compatibility NONE: what every commit's server can
    load, whatever its database revision."""
    with httpx.Client(base_url=base, timeout=60, headers=headers) as client:
        client.put("/config", json={"compatibility": "NONE"}).raise_for_status()
        for n in range(subjects):
            for version in range(1, versions + 1):
                body = {"schema": json.dumps(_json_schema(n, version)), "schemaType": "JSON"}
                client.post(
                    f"/subjects/events.e{n:05d}-value/versions", json=body
                ).raise_for_status()


# -- part 2 ------------------------------------------------------------------------------------


def _register(client: httpx.Client, subject: str, doc: dict[str, Any]) -> float:
    body = {"schema": json.dumps(doc), "schemaType": "JSON"}
    started = time.perf_counter()
    answer = client.post(f"/subjects/{subject}/versions", json=body)
    elapsed = time.perf_counter() - started
    assert answer.status_code == 200, answer.text[:500]
    return elapsed


def _check(client: httpx.Client, subject: str, doc: dict[str, Any]) -> float:
    body = {"schema": json.dumps(doc), "schemaType": "JSON"}
    started = time.perf_counter()
    answer = client.post(f"/compatibility/subjects/{subject}/versions", json=body)
    elapsed = time.perf_counter() - started
    assert answer.status_code == 200 and answer.json()["is_compatible"], answer.text[:500]
    return elapsed


@contextmanager
def part2_database(backend: str, folder: Path, name: str, pg_url: str) -> Iterator[str]:
    if backend == "SQLite":
        yield f"sqlite:///{folder / f'part2-{name}.db'}"
    else:
        with pg_database(pg_url) as url:
            yield url


def part2(url: str, label: str, folder: Path, src: str | None = None) -> list[list[str]]:
    """``src``: import evreg from this folder in the server (a baseline), else the work tree."""
    subject = "bench.transitive-value"
    log = folder / f"part2-{label}.log"
    command = [str(EVREG), "serve", "--host", HOST, "--database-url", url]
    env = {"PYTHONPATH": src} if src else None
    times: list[float] = []
    with server(command, log, env) as (base, pid), httpx.Client(base_url=base, timeout=120) as c:
        answer = c.put(f"/config/{subject}", json={"compatibility": "BACKWARD_TRANSITIVE"})
        assert answer.status_code == 200, answer.text
        cpu0 = _cpu_seconds(pid)
        for version in range(1, 101):
            times.append(_register(c, subject, _json_schema(1, version)))
        cpu_first = _cpu_seconds(pid) - cpu0
        cpu0 = _cpu_seconds(pid)
        more = [_register(c, subject, _json_schema(1, v)) for v in range(101, 121)]
        cpu_more = _cpu_seconds(pid) - cpu0
    with server(command, log, env) as (base, pid), httpx.Client(base_url=base, timeout=120) as c:
        cpu0 = _cpu_seconds(pid)
        cold = _register(c, subject, _json_schema(1, 121))
        cpu_cold = _cpu_seconds(pid) - cpu0
        cpu0 = _cpu_seconds(pid)
        check = _check(c, subject, _json_schema(1, 122))
        cpu_check = _cpu_seconds(pid) - cpu0
        cpu0 = _cpu_seconds(pid)
        after = _register(c, subject, _json_schema(1, 122))
        cpu_after = _cpu_seconds(pid) - cpu0
    ms = timing.ms
    print(f"  {label}: done, load avg {timing.load()}", flush=True)
    return [
        [f"{label}: versions 1-100", f"{100 / sum(times):.1f}", ms(statistics.median(times)),
         ms(times[-1]), f"{cpu_first * 10:.1f}"],
        [f"{label}: versions 101-120 (100+ earlier)", f"{20 / sum(more):.1f}",
         ms(statistics.median(more)), ms(max(more)), f"{cpu_more * 50:.1f}"],
        [f"{label}: version 121 after a restart", f"{1 / cold:.1f}", ms(cold), ms(cold),
         f"{cpu_cold * 1000:.1f}"],
        [f"{label}: version 122, its check", "-", ms(check), ms(check), f"{cpu_check * 1000:.1f}"],
        [f"{label}: version 122 registered after it", f"{1 / after:.1f}", ms(after), ms(after),
         f"{cpu_after * 1000:.1f}"],
    ]  # fmt: skip


# -- part 3 ------------------------------------------------------------------------------------


def _server_times(log: Path, offset: int, path: str) -> list[float]:
    with log.open("rb") as f:
        f.seek(offset)
        lines = f.read().decode(errors="replace").splitlines()
    out = []
    for line in lines:
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if isinstance(entry, dict) and entry.get("path") == path and "duration_ms" in entry:
            out.append(float(entry["duration_ms"]))
    return out


def part3(url: str, label: str, folder: Path, subjects: int, runs: int) -> list[list[str]]:
    started = time.perf_counter()
    _, names = populate(url, subjects, 5)
    print(f"  {label}: {subjects * 5} versions loaded in {time.perf_counter() - started:.1f} s")
    s = names["json"]
    n = int(s.split(".e")[1].split("-")[0])
    lookup = {"schema": json.dumps(_json_schema(n, 3)), "schemaType": "JSON"}
    requests: list[tuple[str, str, str, dict[str, Any] | None]] = [
        ("GET /subjects", "GET", "/subjects", None),
        ("GET /api/search?q=Event number 4242", "GET", "/api/search?q=Event%20number%204242", None),
        ("GET /api/search?q=OrderPlaced (50 hits)", "GET", "/api/search?q=OrderPlaced", None),
        ("GET /api/search, no match", "GET", "/api/search?q=nothing-matches-this", None),
        ("GET /subjects/{s}/versions/latest", "GET", f"/subjects/{s}/versions/latest", None),
        ("POST /subjects/{s} (lookup, v3)", "POST", f"/subjects/{s}", lookup),
    ]
    log = folder / f"part3-{label}.log"
    rows = []
    with evreg_server(url, log) as (base, pid), httpx.Client(base_url=base, timeout=120) as c:
        for name, method, path, body in requests:
            assert c.request(method, path, json=body).status_code == 200, name  # untimed
            offset = log.stat().st_size
            client: list[float] = []
            cpu0 = _cpu_seconds(pid)
            for _ in range(runs):
                t0 = time.perf_counter()
                answer = c.request(method, path, json=body)
                client.append(time.perf_counter() - t0)
                assert answer.status_code == 200, (name, answer.text[:300])
            cpu = (_cpu_seconds(pid) - cpu0) / runs
            time.sleep(0.2)  # let the access log reach the file
            plain = path.split("?")[0]
            srv = _server_times(log, offset, plain)
            srv_med = f"{statistics.median(srv):.2f}" if srv else "-"
            srv_max = f"{max(srv):.2f}" if srv else "-"
            rows.append([f"{label}: {name}", srv_med, srv_max, f"{cpu * 1000:.1f}",
                         timing.ms(statistics.median(client)), str(runs)])  # fmt: skip
    return rows


# -- main --------------------------------------------------------------------------------------


@contextmanager
def pg_database(admin_url: str) -> Iterator[str]:
    import sqlalchemy

    name = f"evreg_bench_{uuid.uuid4().hex[:12]}"
    engine = sqlalchemy.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sqlalchemy.text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin_url.rsplit("/", 1)[0] + "/" + name
    finally:
        with engine.connect() as conn:
            conn.execute(sqlalchemy.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parts", default="1,2,3")
    parser.add_argument("--pg-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    parser.add_argument("--no-pg", action="store_true")
    parser.add_argument(
        "--basic-auth", action="store_true", help="part 1: tokens required, Basic credentials sent"
    )
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3, help="part 1: rounds per server")
    parser.add_argument("--subjects", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument(
        "--compare-src",
        action="append",
        default=[],
        help="parts 1 and 2: also run a server importing evreg from this src folder "
        "(repeatable), measured in the same run as the work tree",
    )
    parser.add_argument("--baseline-server", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.baseline_server:
        run_baseline(args.port)
        return 0
    parts = {p.strip() for p in args.parts.split(",")}
    timing.header("the registry over loopback (evreg serve, one uvicorn worker)")
    cpu_start = time.process_time()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        if "1" in parts:
            pg = None if args.no_pg else args.pg_url
            compare = [(Path(src).resolve().parent.name, src) for src in args.compare_src]
            part1(folder, args.seconds, pg, args.rounds, args.basic_auth, compare)
        if "2" in parts:
            print("## 2. registering, BACKWARD_TRANSITIVE, one subject (client wall time)\n")
            baselines = [(Path(src).resolve().parent.name, src) for src in args.compare_src]
            for name, src in baselines:
                print(f"baseline {name}: evreg imported from {src}")
            rows = []
            backends = ["SQLite"] if args.no_pg else ["SQLite", "PostgreSQL"]
            for backend in backends:
                for name, src in [*baselines, ("work tree", None)]:
                    label = f"{backend}, {name}" if args.compare_src else backend
                    with part2_database(backend, folder, name, args.pg_url) as url:
                        rows += part2(url, label, folder, src)
            print()
            timing.table(["registering", "versions/s", "median ms", "last/max ms",
                          "server cpu ms/version"], rows)  # fmt: skip
        if "3" in parts:
            print(f"## 3. {args.subjects} subjects x 5 versions\n")
            rows = part3(f"sqlite:///{folder / 'part3.db'}", "SQLite", folder,
                         args.subjects, args.runs)  # fmt: skip
            if not args.no_pg:
                with pg_database(args.pg_url) as url:
                    rows += part3(url, "PostgreSQL", folder, args.subjects, args.runs)
            print()
            timing.table(["request", "server median ms", "server max ms", "server cpu ms",
                          "client median ms", "N"], rows)  # fmt: skip
            print("server ms: evreg's access log duration_ms (whole app, middleware included);")
            print("client ms: httpx on loopback, one connection, sequential. Target: < 50 ms.\n")
    print(f"bench cpu   {time.process_time() - cpu_start:.1f} s (this process)")
    timing.footer()
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(REPO / "bench"))
    raise SystemExit(main())
