"""Hostile input against the registry API, the loader and the CLI: a clear 4xx / exit 2, nothing
stored.

Each file of ``corpus/`` is listed in ``corpus/manifest.json`` with its kind and the expected
status and error code. For every file the whole database (every row of every table) is dumped
before and after: it must be unchanged. Inputs too big to commit (a 50 MiB body, 100,000
properties, a 100,000-value enum) are generated here, and go through the registry, the loader
and (100,000 properties) the CLI like the others.
"""

from __future__ import annotations

import contextlib
import json
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from evreg import ContractError, load_contract

from .conftest import CORPUS, Server, dump

MANIFEST: list[dict[str, Any]] = json.loads((CORPUS / "manifest.json").read_text())
SUBJECT = "adversarial-value"
VALID = json.dumps({"type": "object", "properties": {"id": {"type": "string"}}})
CT = "application/vnd.schemaregistry.v1+json"


class Listener:
    """A TCP listener that records every connection it accepts (it must get none)."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.port = int(self.sock.getsockname()[1])
        self.connections = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.connections += 1
            conn.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        self.sock.close()


@pytest.fixture(scope="module")
def listener() -> Iterator[Listener]:
    lst = Listener()
    yield lst
    lst.close()
    assert lst.connections == 0, "a $ref made the registry, loader or CLI open a connection"


@pytest.fixture(scope="module")
def registry(backend_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    # a body limit of 4 MiB (the default is 1 MiB), so that 100,000 properties (3 MB) reach
    # the schema size bounds instead of the body limit
    srv = Server(
        backend_url, tmp_path_factory.mktemp("logs"), EVREG_MAX_BODY_BYTES=str(4 * 1024 * 1024)
    ).start()
    r = httpx.post(
        f"{srv.url}/subjects/{SUBJECT}/versions", json={"schema": VALID, "schemaType": "JSON"}
    )
    assert r.status_code == 200, r.text
    yield srv
    srv.stop()


def _content(entry: dict[str, Any], port: int) -> bytes:
    data = (CORPUS / entry["file"]).read_bytes()
    if entry.get("listener"):
        data = data.replace(b"{PORT}", str(port).encode())
    return data


def _check(response: httpx.Response, status: int, code: int | None) -> None:
    assert response.status_code == status, response.text[:500]
    assert response.headers["content-type"].startswith(("application/", "text/plain")), (
        response.headers
    )
    if status >= 400 and response.headers["content-type"].endswith("json"):
        body = response.json()
        assert isinstance(body.get("message"), str)
        if code is not None:
            assert body["error_code"] == code, body


def _send(server: Server, entry: dict[str, Any], data: bytes) -> httpx.Response:
    kind = entry["kind"]
    base = server.url
    if kind == "schema":
        body = {"schema": data.decode("utf-8"), "schemaType": entry.get("schemaType", "JSON")}
        return httpx.post(f"{base}/subjects/{SUBJECT}/versions", json=body, timeout=60)
    if kind == "body":
        headers = {"Content-Type": entry.get("content_type", CT)}
        return httpx.post(
            f"{base}/subjects/{SUBJECT}/versions", content=data, headers=headers, timeout=60
        )
    text = data.decode("utf-8")
    segment = text if entry.get("raw_path") else quote(text, safe="")
    if kind == "subject":
        body = {"schema": VALID, "schemaType": "JSON"}
        return httpx.post(f"{base}/subjects/{segment}/versions", json=body, timeout=60)
    assert kind == "version"
    return httpx.get(f"{base}/subjects/{SUBJECT}/versions/{segment}", timeout=60)


def test_corpus_is_large_enough() -> None:
    files = {p.name for p in CORPUS.iterdir()} - {"manifest.json"}
    assert files == {e["file"] for e in MANIFEST}
    assert len(files) >= 40


@pytest.mark.parametrize("entry", MANIFEST, ids=[e["file"] for e in MANIFEST])
def test_registry_refuses_and_stores_nothing(
    registry: Server, backend_url: str, listener: Listener, entry: dict[str, Any]
) -> None:
    before = dump(backend_url)
    response = _send(registry, entry, _content(entry, listener.port))
    _check(response, entry["status"], entry["code"])
    assert dump(backend_url) == before
    assert httpx.get(f"{registry.url}/ready").status_code == 200


SCHEMA_FILES = [e for e in MANIFEST if e["kind"] in ("schema", "body")]


@pytest.mark.parametrize("entry", SCHEMA_FILES, ids=[e["file"] for e in SCHEMA_FILES])
def test_loader_raises_only_contract_error(listener: Listener, entry: dict[str, Any]) -> None:
    data = _content(entry, listener.port)
    if entry["kind"] == "body":
        # the loader gets the raw bytes: either a clean ContractError or a (non-schema) document
        try:
            load_contract(data, name=entry["file"])
        except ContractError as error:
            assert error.message
        return
    if entry.get("loader_ok"):
        load_contract(data, name=entry["file"])
        return
    with pytest.raises(ContractError) as caught:
        load_contract(data, name=entry["file"])
    assert caught.value.message
    assert entry["file"] in str(caught.value)


CLI_FILES = [e for e in SCHEMA_FILES if e["kind"] == "schema" and not e.get("loader_ok")]


def test_cli_exits_2_on_every_hostile_contract(listener: Listener, tmp_path: Path) -> None:
    """``evreg compat F F`` on each file (one process per file: the real entry point)."""
    script = (
        "import sys\nfrom evreg.cli.main import main\ncodes = []\n"
        "for path in sys.argv[1:]:\n"
        "    codes.append(main(['compat', path, path]))\n"
        "print(codes)\n"
    )
    paths = []
    for entry in CLI_FILES:
        path = tmp_path / entry["file"]
        path.write_bytes(_content(entry, listener.port))
        paths.append(str(path))
    done = subprocess.run(
        [sys.executable, "-c", script, *paths], capture_output=True, text=True, timeout=300
    )
    codes = json.loads(done.stdout.strip().splitlines()[-1])
    assert dict(zip([e["file"] for e in CLI_FILES], codes, strict=True)) == {
        e["file"]: 2 for e in CLI_FILES
    }, done.stderr[-3000:]
    assert "Traceback" not in done.stderr


# ------------------------------------------------------------ generated (not committed) inputs


def _register(server: Server, schema: str, **kwargs: Any) -> httpx.Response:
    body = json.dumps({"schema": schema, "schemaType": "JSON"})
    return httpx.post(
        f"{server.url}/subjects/{SUBJECT}/versions",
        content=body,
        headers={"Content-Type": CT},
        timeout=120,
        **kwargs,
    )


def test_50_mib_body_is_refused_with_413(registry: Server, backend_url: str) -> None:
    before = dump(backend_url)
    big = "x" * (50 * 1024 * 1024)
    try:
        response = _register(registry, json.dumps({"title": big}))
    except httpx.HTTPError:
        response = None  # the server may close the connection after refusing: acceptable
    if response is not None:
        _check(response, 413, 42209)
    assert dump(backend_url) == before
    assert httpx.get(f"{registry.url}/ready").status_code == 200


def _properties(count: int, **more: Any) -> str:
    props = {f"p{i}": {"type": "string"} for i in range(count)}
    return json.dumps({"type": "object", "properties": props, **more})


def test_100000_properties_are_refused_with_the_pointer(registry: Server, backend_url: str) -> None:
    """100,000 properties (3 MB, under this server's 4 MiB body limit): over the default bound
    of 10,000 per object, so 422/42201 naming ``#/properties``, nothing stored."""
    text = _properties(100_000)
    before = dump(backend_url)
    response = _register(registry, text)
    _check(response, 422, 42201)
    message = response.json()["message"]
    assert "#/properties" in message and "100,000 properties" in message, message
    assert dump(backend_url) == before
    assert httpx.get(f"{registry.url}/ready").status_code == 200


def test_100000_properties_are_refused_by_the_loader_and_the_cli(tmp_path: Path) -> None:
    """The same schema without a server (so once, not per store): the loader raises the
    ContractError the registry answers with, and ``evreg compat`` exits 2 naming the file and
    the pointer."""
    text = _properties(100_000)
    with pytest.raises(ContractError) as caught:
        load_contract(text, name="big.json")
    assert (caught.value.source, caught.value.pointer) == ("big.json", "#/properties")

    path = tmp_path / "big.json"
    path.write_text(text)
    done = subprocess.run(
        [str(Path(sys.executable).parent / "evreg"), "compat", str(path), str(path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2, done.stderr[-2000:]
    assert f"{path}" in done.stderr and "#/properties" in done.stderr, done.stderr[-2000:]
    assert "Traceback" not in done.stderr


def test_10000_properties_register(registry: Server) -> None:
    """At the bound (10,000 properties) a schema registers after a 9,999-property one (a closed
    object gaining an optional property: BACKWARD compatible): big but allowed
    (bench/bench_big_schemas.py times it)."""
    subject = "big-allowed-value"
    url = f"{registry.url}/subjects/{subject}/versions"
    for count in (9_999, 10_000):
        body = {"schema": _properties(count, additionalProperties=False), "schemaType": "JSON"}
        r = httpx.post(url, json=body, timeout=120)
        assert r.status_code == 200, r.text[:300]
    assert httpx.get(url, timeout=30).json() == [1, 2]


def test_huge_enum_generated(registry: Server, backend_url: str) -> None:
    """A 100,000-value enum in a subject of its own: registered (or refused) without a 5xx."""
    text = json.dumps({"enum": list(range(100_000))})
    r = httpx.post(
        f"{registry.url}/subjects/huge-enum-value/versions",
        json={"schema": text, "schemaType": "JSON"},
        timeout=120,
    )
    assert r.status_code < 500, r.text[:300]
    with contextlib.suppress(ContractError):
        load_contract(text)


def test_sql_metacharacters_in_a_legal_subject_are_stored_literally(
    registry: Server, backend_url: str
) -> None:
    subject = "x'; DROP TABLE subject_versions; -- \" OR 1=1 ;\\"
    r = httpx.post(
        f"{registry.url}/subjects/{quote(subject, safe='')}/versions",
        json={"schema": VALID, "schemaType": "JSON"},
    )
    assert r.status_code == 200, r.text
    assert subject in httpx.get(f"{registry.url}/subjects").json()
    tables = set(dump(backend_url))
    assert {"schemas", "subject_versions", "audit_log", "api_tokens"} <= tables
