"""Who can do what: tokens and roles, constant-time token checks, tokens never logged, CSP on
HTML, no unescaped echo of input. One registry with ``EVREG_AUTH=required`` per backend."""

from __future__ import annotations

import inspect
import json
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest

from evreg.registry import auth

from .conftest import Server, dump

ADMIN = "evreg_adversarial-bootstrap-secret-0123456789abcdef"
SCHEMA = json.dumps({"type": "object"})


@pytest.fixture(scope="module")
def secured(backend_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    srv = Server(
        backend_url,
        tmp_path_factory.mktemp("logs"),
        EVREG_AUTH="required",
        EVREG_BOOTSTRAP_TOKEN=ADMIN,
        EVREG_LOG_LEVEL="debug",
    ).start()
    yield srv
    srv.stop()


def _token(server: Server, role: str) -> str:
    r = httpx.post(
        f"{server.url}/api/tokens",
        json={"name": f"t-{role}", "role": role},
        headers={"Authorization": f"Bearer {ADMIN}"},
    )
    assert r.status_code in (200, 201), r.text
    return str(r.json()["token"])


def _h(token: str | None) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"} if token else {}


def test_roles(secured: Server, backend_url: str) -> None:
    read, write = _token(secured, "read"), _token(secured, "write")
    url = f"{secured.url}/subjects/sec-value/versions"
    body = {"schema": SCHEMA, "schemaType": "JSON"}
    before = dump(backend_url)
    for token, status in [(None, 401), ("evreg_forged", 401), (read, 403)]:
        r = httpx.post(url, json=body, headers=_h(token))
        assert r.status_code == status, r.text
        assert r.headers["content-type"].endswith("json")
    assert dump(backend_url) == before, "a refused write changed the database"
    assert httpx.post(url, json=body, headers=_h(write)).status_code == 200
    for method, path in [
        ("PUT", "/config"),
        ("PUT", "/mode"),
        ("DELETE", "/subjects/sec-value?permanent=true"),
        ("GET", "/api/tokens"),
    ]:
        r = httpx.request(
            method,
            f"{secured.url}{path}",
            json={"compatibility": "NONE", "mode": "READONLY"},
            headers=_h(write),
        )
        assert r.status_code == 403, (method, path, r.text)
    assert httpx.get(f"{secured.url}/config").json()["compatibilityLevel"] == "BACKWARD"


def test_tokens_are_looked_up_by_hash_and_never_logged(secured: Server) -> None:
    # constant time: the presented token is hashed and the hash looked up (no == on secrets)
    source = inspect.getsource(auth.Tokens.authenticate)
    assert "hash_token(token)" in source
    write = _token(secured, "write")
    httpx.get(f"{secured.url}/subjects", headers=_h(write))
    httpx.post(f"{secured.url}/subjects/x/versions", json={}, headers=_h("evreg_wrong-token"))
    basic = httpx.BasicAuth("ci", write)
    httpx.get(f"{secured.url}/subjects", auth=basic)
    log = Path(secured.log_path).read_text()
    for secret in (ADMIN, write, "evreg_wrong-token"):
        assert secret not in log
        assert auth.hash_token(secret) not in log


def test_error_messages_are_json_and_do_not_echo_markup(secured: Server) -> None:
    subject = "<script>alert(1)</script>"
    for r in (
        httpx.get(f"{secured.url}/subjects/{quote(subject, safe='')}/versions"),
        httpx.get(f"{secured.url}/subjects/{quote(subject, safe='')}/versions/nope"),
        httpx.get(f"{secured.url}/no/such/{quote(subject, safe='')}"),
    ):
        assert r.status_code >= 400
        assert r.headers["content-type"].split(";")[0].endswith("json"), r.headers
        assert "text/html" not in r.headers["content-type"]
        json.loads(r.text)


def test_html_pages_carry_a_content_security_policy(secured: Server) -> None:
    r = httpx.get(f"{secured.url}/ui", follow_redirects=True)
    if r.status_code == 404:
        pytest.skip("no /ui on this build: the web UI is not mounted yet")
    if "text/html" in r.headers.get("content-type", ""):
        csp = r.headers.get("content-security-policy", "")
        assert "default-src" in csp and "unsafe-inline" not in csp.split("script-src")[-1][:60]
