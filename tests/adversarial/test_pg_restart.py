"""A real PostgreSQL restart under load, on a private PostgreSQL 15 server.

The machine's shared PostgreSQL service is never touched: the test runs ``initdb`` into a fresh
temporary directory (as the ``postgres`` OS user when run as root), starts that server on a free
port with its socket in the same directory, and runs one registry process against it. Under a
load of registrations and reads from a few threads it stops the server (``pg_ctl stop -m fast``,
then in a second round ``-m immediate``, a crash without a checkpoint), and checks that while it
is down ``/ready`` answers 503 and requests get a Confluent error body with a 5xx status (never
a 2xx, never a dropped connection); then it starts the server again and checks that the same
registry process recovers by itself (``/ready`` 200, writes succeed) and that every write it
acknowledged, before, during or after the outage, is there.

Without the PostgreSQL 15 binaries (``EVREG_PG_BINDIR``, default ``/usr/lib/postgresql/15/bin``)
the test is skipped with that reason, or fails when ``EVREG_REQUIRE_SERVICES=1``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text

from .conftest import Server, free_port
from .test_faults import _schema, _verify

BINDIR = Path(os.environ.get("EVREG_PG_BINDIR", "/usr/lib/postgresql/15/bin"))
ROUNDS = ("fast", "immediate")


class PrivatePostgres:
    """A PostgreSQL server of our own in a temporary directory (removed at the end)."""

    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="evreg-pg-"))
        self.data = self.dir / "data"
        self.log = self.dir / "server.log"
        self.port = free_port()
        self.as_user: list[str] = []
        if os.geteuid() == 0:  # initdb and postgres refuse to run as root
            self.as_user = ["runuser", "-u", "postgres", "--"]
            shutil.chown(self.dir, "postgres", "postgres")
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust", "--no-sync")

    def _run(self, tool: str, *args: str) -> None:
        command = [*self.as_user, str(BINDIR / tool), *args]
        done = subprocess.run(command, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, f"{tool} {args}: {done.stdout}{done.stderr}"

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/evreg"

    def start(self) -> None:
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1"
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", "start")

    def stop(self, mode: str) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")

    def create_database(self) -> None:
        admin = create_engine(
            f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres",
            isolation_level="AUTOCOMMIT",
        )
        try:
            with admin.connect() as conn:
                conn.execute(text("CREATE DATABASE evreg"))
        finally:
            admin.dispose()

    def remove(self) -> None:
        if (self.data / "postmaster.pid").exists():
            subprocess.run(
                [
                    *self.as_user,
                    str(BINDIR / "pg_ctl"),
                    "-D",
                    str(self.data),
                    "-m",
                    "immediate",
                    "stop",
                ],
                capture_output=True,
                timeout=60,
            )
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture
def private_postgres() -> Iterator[PrivatePostgres]:
    if not (BINDIR / "initdb").exists() or not (BINDIR / "pg_ctl").exists():
        reason = f"the PostgreSQL 15 binaries are not in {BINDIR} (set EVREG_PG_BINDIR)"
        if os.environ.get("EVREG_REQUIRE_SERVICES") == "1":
            pytest.fail(f"{reason}; EVREG_REQUIRE_SERVICES=1 makes this a failure")
        pytest.skip(reason)
    server = PrivatePostgres()
    try:
        server.start()
        server.create_database()
        yield server
    finally:
        server.remove()


@dataclass
class Load:
    """Registrations and reads from a few threads; every answer is recorded."""

    server: Server
    acked: list[tuple[str, int, str]] = field(default_factory=list)
    answers: list[tuple[float, str, int, object]] = field(default_factory=list)
    failures: list[tuple[float, str, str]] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)
    threads: list[threading.Thread] = field(default_factory=list)

    def start(self, writers: int = 2, readers: int = 1) -> Load:
        for i in range(writers):
            self.threads.append(threading.Thread(target=self._write, args=(f"w{i}",)))
        for _ in range(readers):
            self.threads.append(threading.Thread(target=self._read))
        for t in self.threads:
            t.start()
        return self

    def finish(self) -> None:
        self.stop.set()
        for t in self.threads:
            t.join(timeout=60)

    def _record(self, kind: str, response: httpx.Response) -> None:
        try:
            body: object = response.json()
        except ValueError:
            body = response.text[:200]
        self.answers.append((time.monotonic(), kind, response.status_code, body))

    def _write(self, tag: str) -> None:
        subject = f"restart-{tag}-value"
        i = 0
        with httpx.Client(timeout=30) as client:
            while not self.stop.is_set():
                schema = _schema(i)
                try:
                    r = client.post(
                        f"{self.server.url}/subjects/{subject}/versions",
                        json={"schema": schema, "schemaType": "JSON"},
                    )
                except httpx.HTTPError as exc:
                    self.failures.append((time.monotonic(), "write", repr(exc)))
                    time.sleep(0.05)
                    continue
                self._record("write", r)
                if r.status_code == 200:
                    self.acked.append((subject, r.json()["id"], schema))
                    i += 1
                else:
                    time.sleep(0.05)

    def _read(self) -> None:
        while not self.acked and not self.stop.is_set():  # schema 1 exists from then on
            time.sleep(0.01)
        with httpx.Client(timeout=30) as client:
            while not self.stop.is_set():
                try:
                    r = client.get(f"{self.server.url}/schemas/ids/1")
                except httpx.HTTPError as exc:
                    self.failures.append((time.monotonic(), "read", repr(exc)))
                    time.sleep(0.05)
                    continue
                self._record("read", r)
                time.sleep(0.01)


def _wait_for(condition: str, check: object, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not check():  # type: ignore[operator]
        assert time.monotonic() < deadline, f"timed out waiting for {condition}"
        time.sleep(0.1)


def _watch_up(registry: Server) -> float:
    text = httpx.get(f"{registry.url}/metrics", timeout=10).text
    [line] = [x for x in text.splitlines() if x.startswith("evreg_schema_ids_watch_up ")]
    return float(line.split()[1])


def test_postgres_restarted_under_load(private_postgres: PrivatePostgres, tmp_path: Path) -> None:
    registry = Server(private_postgres.url, tmp_path).start()
    load = Load(registry).start()
    try:
        for mode in ROUNDS:
            acked_before = len(load.acked)
            _wait_for("writes under load", lambda n=acked_before: len(load.acked) >= n + 10)
            private_postgres.stop(mode)
            down_at = time.monotonic()
            ready = httpx.get(f"{registry.url}/ready", timeout=30)
            assert ready.status_code == 503, ready.text
            assert ready.json()["error_code"] == 50001
            direct = httpx.post(
                f"{registry.url}/subjects/restart-probe-value/versions",
                json={"schema": _schema(0), "schemaType": "JSON"},
                timeout=30,
            )
            assert direct.status_code == 503, direct.text
            body = direct.json()
            assert body["error_code"] == 50001 and isinstance(body["message"], str), body
            # the id watch has lost its connection: reads by id go to the database (503 now)
            _wait_for("the id watch to go down", lambda: _watch_up(registry) == 0.0)
            time.sleep(1.0)  # the load keeps hitting the registry while the database is down
            private_postgres.start()
            up_at = time.monotonic()
            _wait_for(
                "/ready to say ready again",
                lambda: httpx.get(f"{registry.url}/ready", timeout=10).status_code == 200,
            )
            _wait_for("the id watch to be up again", lambda: _watch_up(registry) == 1.0)
            during = [a for a in load.answers if down_at <= a[0] <= up_at]
            assert during, "the load sent nothing while the database was down"
            for _, kind, status, answer in during:
                assert status in (200, 503), (mode, kind, status, answer)
                if status == 503:
                    assert isinstance(answer, dict) and answer.get("error_code") == 50001
            writes_during = [a for a in during if a[1] == "write"]
            assert any(a[2] == 503 for a in writes_during), writes_during[-5:]
            acked_after = len(load.acked)
            _wait_for("writes after the restart", lambda n=acked_after: len(load.acked) >= n + 10)
        assert registry.process is not None and registry.process.poll() is None
    finally:
        load.finish()
    assert not load.failures, load.failures[:5]
    assert all(a[2] in (200, 503) for a in load.answers), {a[2] for a in load.answers}
    _verify(registry, load.acked)
    registry.stop()
    statuses = [a[2] for a in load.answers]
    print(  # the figures docs/reliability.md quotes (pytest -s shows them)
        f"restart rounds {ROUNDS}: {len(statuses)} answers, {statuses.count(503)} x 503, "
        f"{len(load.acked)} writes acknowledged and all found afterwards"
    )
