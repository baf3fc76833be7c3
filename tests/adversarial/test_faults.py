"""Faults: kill -9 in the middle of a burst of registrations, a PostgreSQL outage, and a second
registry process that goes on serving when the first one dies.

- ``KILL_ROUNDS`` (20) rounds per backend: a burst of registrations from a few threads, SIGKILL
  of the registry in the middle of it, restart: every acknowledged (subject, version, id) is
  there and identical, no version is half-written (its schema row exists and loads), ids are
  unique per content, version numbers of each subject are 1..n without duplicates.
- Outage of one database on a server that stays up: connections of the registry to its
  PostgreSQL database are terminated (``pg_terminate_backend``) and new ones refused (``ALTER
  DATABASE ... ALLOW_CONNECTIONS false``): writes answer 503/50001 (never a wrong 2xx),
  ``/ready`` answers 503; once connections are allowed again the registry recovers by itself
  (``/ready`` 200, writes succeed). A real restart of a whole server is in test_pg_restart.py.
- Two registry processes on one PostgreSQL database, one killed mid-write: the other serves.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from .conftest import KILL_ROUNDS, Server, new_database


def _schema(i: int) -> str:
    # a closed object gaining an optional property: BACKWARD compatible with every earlier one
    props = {f"p{j}": {"type": "string"} for j in range(i + 1)}
    return json.dumps({"type": "object", "properties": props, "additionalProperties": False})


def _burst(
    server: Server, acked: list[tuple[str, int, str]], stop: threading.Event, tag: str
) -> None:
    subject = f"burst-{tag}-value"
    i = 0
    with httpx.Client(timeout=5) as client:
        while not stop.is_set() and i < 200:
            schema = _schema(i)
            try:
                r = client.post(
                    f"{server.url}/subjects/{subject}/versions",
                    json={"schema": schema, "schemaType": "JSON"},
                )
            except httpx.HTTPError:
                return
            if r.status_code == 200:
                acked.append((subject, r.json()["id"], schema))
            i += 1


def _verify(server: Server, acked: list[tuple[str, int, str]]) -> None:
    with httpx.Client(timeout=30) as client:
        for subject, schema_id, schema in acked:
            r = client.post(
                f"{server.url}/subjects/{subject}", json={"schema": schema, "schemaType": "JSON"}
            )
            assert r.status_code == 200, (subject, r.text)
            assert r.json()["id"] == schema_id
            by_id = client.get(f"{server.url}/schemas/ids/{schema_id}")
            assert by_id.status_code == 200
            assert json.loads(by_id.json()["schema"]) == json.loads(schema)
        everything = client.get(f"{server.url}/schemas", params={"deleted": "true"}).json()
    per_subject: dict[str, list[int]] = {}
    content_ids: dict[str, int] = {}
    for row in everything:
        per_subject.setdefault(row["subject"], []).append(row["version"])
        assert content_ids.setdefault(row["schema"], row["id"]) == row["id"], "one id per content"
    for versions in per_subject.values():
        assert sorted(versions) == list(range(1, len(versions) + 1)), versions
    assert len(set(content_ids.values())) == len(content_ids), "ids unique"


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_kill_9_mid_burst_loses_nothing(kind: str, tmp_path: Path) -> None:
    with new_database(kind, tmp_path) as url:
        acked: list[tuple[str, int, str]] = []
        for round_ in range(KILL_ROUNDS):
            server = Server(url, tmp_path).start()
            stop = threading.Event()
            threads = [
                threading.Thread(target=_burst, args=(server, acked, stop, f"{round_}-{t}"))
                for t in range(3)
            ]
            before = len(acked)
            for t in threads:
                t.start()
            deadline = time.monotonic() + 20
            while len(acked) == before and time.monotonic() < deadline:
                time.sleep(0.01)
            time.sleep(0.02 * (round_ % 7))  # then kill at a different point of the burst
            server.kill()
            stop.set()
            for t in threads:
                t.join(timeout=30)
        assert acked, "no registration was acknowledged at all"
        server = Server(url, tmp_path).start()
        try:
            _verify(server, acked)
        finally:
            server.stop()


def _pg_admin(url: str) -> tuple[object, str]:
    parsed = make_url(url)
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    return admin, str(parsed.database)


def _outage(admin: object, name: str, allow: bool) -> None:
    with admin.connect() as conn:  # type: ignore[attr-defined]
        conn.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS {str(allow).lower()}'))
        if not allow:
            conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = :name AND pid <> pg_backend_pid()"
                ),
                {"name": name},
            )


def test_postgres_outage_answers_503_and_recovers(tmp_path: Path) -> None:
    with new_database("postgresql", tmp_path) as url:
        admin, name = _pg_admin(url)
        server = Server(url, tmp_path).start()
        try:
            body = {"schema": _schema(0), "schemaType": "JSON"}
            assert (
                httpx.post(f"{server.url}/subjects/o-value/versions", json=body).status_code == 200
            )
            _outage(admin, name, allow=False)
            try:
                ready = httpx.get(f"{server.url}/ready", timeout=30)
                assert ready.status_code == 503, ready.text
                down = httpx.post(
                    f"{server.url}/subjects/o-value/versions",
                    json={"schema": _schema(1), "schemaType": "JSON"},
                    timeout=30,
                )
                assert down.status_code == 503, down.text
                assert down.json()["error_code"] == 50001
            finally:
                _outage(admin, name, allow=True)
            deadline = time.monotonic() + 30
            while httpx.get(f"{server.url}/ready", timeout=10).status_code != 200:
                assert time.monotonic() < deadline, "the registry did not recover"
                time.sleep(0.2)
            again = httpx.post(
                f"{server.url}/subjects/o-value/versions",
                json={"schema": _schema(1), "schemaType": "JSON"},
                timeout=30,
            )
            assert again.status_code == 200, again.text
            versions = httpx.get(f"{server.url}/subjects/o-value/versions").json()
            assert versions == [1, 2]
        finally:
            server.stop()
            admin.dispose()  # type: ignore[attr-defined]


def test_second_process_serves_when_first_is_killed_mid_write(tmp_path: Path) -> None:
    with new_database("postgresql", tmp_path) as url:
        first = Server(url, tmp_path).start()
        second = Server(url, tmp_path).start()
        try:
            acked: list[tuple[str, int, str]] = []
            stop = threading.Event()
            writer = threading.Thread(target=_burst, args=(first, acked, stop, "a"))
            writer.start()
            deadline = time.monotonic() + 20
            while not acked and time.monotonic() < deadline:
                time.sleep(0.01)
            first.kill()
            stop.set()
            writer.join(timeout=30)
            tag = uuid.uuid4().hex[:6]
            for i in range(5):
                r = httpx.post(
                    f"{second.url}/subjects/after-{tag}-value/versions",
                    json={"schema": _schema(i), "schemaType": "JSON"},
                    timeout=30,
                )
                assert r.status_code == 200, r.text
            assert httpx.get(f"{second.url}/ready").status_code == 200
            _verify(second, acked)
        finally:
            first.stop()
            second.stop()
