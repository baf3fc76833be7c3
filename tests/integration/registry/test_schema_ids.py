"""``GET /schemas/ids/{id}``, the serializers' hot path: answered before the router (see
``evreg.registry.api.ids_hot_path``) with the route's own body, content type, errors, logs,
metrics and auth; the content of an id is cached in memory, and an id that another registry
process deleted permanently stops being served within milliseconds (SQLite's data_version, read
at most once a millisecond; PostgreSQL's NOTIFY). Two real server processes share one database,
on SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import httpx
import pytest

from evreg.registry.api import ids_hot_path
from evreg.registry.service import RegistryService
from evreg.registry.store import Store
from evreg.registry.store.schema_ids import SchemaIds
from evreg.registry.values import SchemaInput

from .conftest import Server

SCHEMA = json.dumps({"type": "object", "properties": {"n": {"type": "integer"}}})
V1 = "application/vnd.schemaregistry.v1+json"
GENERIC = "application/vnd.schemaregistry+json"
BOOT = "evreg_boot-token-for-the-ids-tests-0123456789abcdef"


@pytest.fixture(scope="module")
def pair(
    module_database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Server, Server]]:
    """Two registry processes on one database."""
    logs = tmp_path_factory.mktemp("logs")
    first = Server(module_database_url, logs).start()
    second = Server(module_database_url, logs).start()
    yield first, second
    first.stop()
    second.stop()


def schema_of(subject: str) -> str:
    """Content of this subject's own (ids are shared by every subject with the same content)."""
    return json.dumps({**json.loads(SCHEMA), "title": subject})


def register(url: str, subject: str) -> int:
    r = httpx.post(
        f"{url}/subjects/{subject}/versions",
        json={"schema": schema_of(subject), "schemaType": "JSON"},
        timeout=30,
    )
    assert r.status_code == 200, r.text
    return int(r.json()["id"])


def by_id(url: str, schema_id: int | str, **headers: str) -> httpx.Response:
    return httpx.get(f"{url}/schemas/ids/{schema_id}", headers=headers, timeout=30)


def error(response: httpx.Response) -> tuple[int, int]:
    data = response.json()
    assert set(data) == {"error_code", "message"}, data
    return response.status_code, data["error_code"]


def test_answers_as_the_route_does(pair: tuple[Server, Server], subject: str) -> None:
    url = pair[0].url
    sid = register(url, subject)
    # "+7" is not the hot path's plain digits: the router's own route answers it
    for accept, media in (
        (None, V1),
        ("application/json", "application/json"),
        (f"{GENERIC}, application/json;q=0.5", GENERIC),
        ("*/*", V1),
    ):
        headers = {"Accept": accept} if accept else {}
        hot = by_id(url, sid, **headers)
        routed = by_id(url, f"+{sid}", **headers)
        for r in (hot, routed):
            assert r.status_code == 200
            assert r.headers["content-type"] == media, (accept, r.headers)
            assert r.json()["schemaType"] == "JSON"
            assert json.loads(r.json()["schema"]) == json.loads(schema_of(subject))
        assert hot.content == routed.content
        assert hot.headers["content-length"] == str(len(hot.content))
    assert by_id(url, f"{sid}?subject=anything").content == hot.content


def test_errors_are_the_routes(pair: tuple[Server, Server]) -> None:
    url = pair[0].url
    for missing in ("2147483647", "99999999999", "0", "-1", "nope"):
        r = by_id(url, missing, Accept="application/json")
        assert error(r) == (404, 40403), missing
        assert r.headers["content-type"] == "application/json"
    r = httpx.post(f"{url}/schemas/ids/1", timeout=30)
    assert r.status_code == 405


def test_a_permanent_delete_in_another_process_is_seen(
    pair: tuple[Server, Server], subject: str
) -> None:
    reader, writer = (server.url for server in pair)
    sid = register(writer, subject)
    assert by_id(reader, sid).status_code == 200  # now in the reader's cache
    assert by_id(reader, sid).status_code == 200
    # soft-deleted: still served (old events still need their schema)
    assert httpx.delete(f"{writer}/subjects/{subject}/versions/1", timeout=30).status_code == 200
    assert by_id(reader, sid).status_code == 200
    r = httpx.delete(f"{writer}/subjects/{subject}/versions/1?permanent=true", timeout=30)
    assert r.status_code == 200
    assert error(by_id(writer, sid)) == (404, 40403)  # the process that deleted: at once
    # the reader: once a millisecond has passed since it last read SQLite's data_version, or
    # once the NOTIFY of the delete reaches it (PostgreSQL); milliseconds either way
    deadline = time.monotonic() + 10
    while by_id(reader, sid).status_code == 200 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert error(by_id(reader, sid)) == (404, 40403)
    # the same content registered again gets its id back, and is served again
    assert register(writer, subject) == sid
    assert by_id(reader, sid).json()["schemaType"] == "JSON"


def _log_lines(path: Path, request_id: str) -> list[dict[str, Any]]:
    deadline = time.monotonic() + 10
    found: list[dict[str, Any]] = []
    while time.monotonic() < deadline and not found:
        found = [
            entry
            for line in path.read_text().splitlines()
            if line.startswith("{")
            for entry in [json.loads(line)]
            if entry.get("request_id") == request_id
        ]
        time.sleep(0.1)
    return found


def test_request_id_log_line_and_metrics(pair: tuple[Server, Server], subject: str) -> None:
    server = pair[0]
    sid = register(server.url, subject)
    r = by_id(server.url, sid, **{"X-Request-ID": f"ids-{sid}-ok"})
    assert r.headers["x-request-id"] == f"ids-{sid}-ok"
    made = by_id(server.url, 2147483647)
    assert len(made.headers["x-request-id"]) == 32
    [entry] = _log_lines(server.log_path, f"ids-{sid}-ok")
    assert entry["logger"] == "evreg.registry.access"
    assert (entry["route"], entry["status"], entry["path"]) == (
        "/schemas/ids/{schema_id}",
        200,
        f"/schemas/ids/{sid}",
    )
    assert entry["actor"] == "anonymous" and isinstance(entry["duration_ms"], float)
    metrics = httpx.get(f"{server.url}/metrics", timeout=30).text
    for status in (200, 404):
        line = (
            'evreg_http_requests_total{method="GET",route="/schemas/ids/{schema_id}",'
            f'status="{status}"}}'
        )
        assert line in metrics, status


def test_reads_configured_to_need_a_token(database_url: str, tmp_path: Path) -> None:
    server = Server(
        database_url,
        tmp_path,
        EVREG_AUTH="required",
        EVREG_AUTH_READS="token",
        EVREG_BOOTSTRAP_TOKEN=BOOT,
    ).start()
    try:
        boot = {"Authorization": f"Bearer {BOOT}"}
        r = httpx.post(
            f"{server.url}/subjects/ids-auth-value/versions",
            json={"schema": SCHEMA, "schemaType": "JSON"},
            headers=boot,
            timeout=30,
        )
        sid = r.json()["id"]
        anonymous = by_id(server.url, sid)
        assert error(anonymous) == (401, 40101)
        assert "Bearer" in anonymous.headers["www-authenticate"]
        assert error(by_id(server.url, sid, Authorization="Bearer evreg_forged")) == (401, 40101)
        assert by_id(server.url, sid, **boot).json()["schemaType"] == "JSON"
    finally:
        server.stop()


# ------------------------------------------------ coalesced existence checks, in process


class _Gated(SchemaIds[Any]):
    """The real check, which holds its answer back until told (to order events)."""

    def __init__(self, engine: Any) -> None:
        super().__init__(engine, 16)
        self.statements: list[list[int]] = []
        self.gate = threading.Event()

    def in_use_many(self, schema_ids: Sequence[int]) -> set[int]:
        found = super().in_use_many(schema_ids)
        self.statements.append(list(schema_ids))
        self.gate.wait(30)
        return found


@pytest.fixture
def svc(database_url: str) -> Iterator[RegistryService]:
    store = Store(database_url)
    yield RegistryService(store)
    store.close()


def test_coalesced_checks_never_answer_from_a_statement_older_than_the_request(
    svc: RegistryService,
) -> None:
    ids = [
        svc.register(f"coalesce-{n}", SchemaInput(schema_of(f"coalesce-{n}"))).id for n in range(3)
    ]
    gated = _Gated(svc.store.engine)
    executor = ids_hot_path.executor()
    batches = ids_hot_path.ExistenceBatches(gated, executor)

    async def scenario() -> tuple[list[bool], list[bool]]:
        first = asyncio.ensure_future(batches.in_use(ids[0]))
        while not gated.statements:  # the first statement has run and holds its answer
            await asyncio.sleep(0.01)
        await asyncio.to_thread(svc.delete_version, "coalesce-0", 1)
        await asyncio.to_thread(svc.delete_version, "coalesce-0", 1, permanent=True)
        later = [asyncio.ensure_future(batches.in_use(i)) for i in (*ids, *ids, 424242)]
        await asyncio.sleep(0.05)
        gated.gate.set()
        return [await first], list(await asyncio.gather(*later))

    try:
        before, after = asyncio.run(scenario())
    finally:
        executor.shutdown()
    # the first request was answered by a statement that ran before the delete: served
    assert before == [True]
    # the requests that came after the delete wait for a statement of their own: 40403
    assert after == [False, True, True, False, True, True, False]
    # and they shared it: two statements for eight requests
    assert gated.statements == [[ids[0]], [*ids, 424242]]
