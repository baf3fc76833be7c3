"""Tokens and roles: Bearer and Basic, auto and required modes, hashed storage."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from confluent_kafka.schema_registry import Schema, SchemaRegistryClient
from confluent_kafka.schema_registry.error import SchemaRegistryError
from sqlalchemy import create_engine, text

from evreg.registry.auth import credentials, hash_token, required_role

from .conftest import Server

BOOT = "evreg_bootstrap-secret-for-tests-0123456789"
SCHEMA = json.dumps({"type": "object", "properties": {"id": {"type": "string"}}})
BODY = {"schema": SCHEMA, "schemaType": "JSON"}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def required_server(database_url: str, tmp_path: Path) -> Iterator[Server]:
    server = Server(
        database_url, tmp_path, EVREG_AUTH="required", EVREG_BOOTSTRAP_TOKEN=BOOT
    ).start()
    yield server
    server.stop()


def test_required_mode_roles(required_server: Server, database_url: str) -> None:
    with httpx.Client(base_url=required_server.url, timeout=30) as http:
        r = http.post("/subjects/a-value/versions", json=BODY)
        assert (r.status_code, r.json()["error_code"]) == (401, 40101)
        assert "Bearer" in r.headers["www-authenticate"]
        assert http.get("/subjects").status_code == 200  # reads stay open
        assert http.get("/health").status_code == 200

        writer = http.post(
            "/api/tokens", json={"name": "ci", "role": "write"}, headers=bearer(BOOT)
        ).json()["token"]
        reader = http.post(
            "/api/tokens", json={"name": "dash", "role": "read"}, headers=bearer(BOOT)
        ).json()["token"]
        assert writer.startswith("evreg_") and writer != reader

        assert (
            http.post("/subjects/a-value/versions", json=BODY, headers=bearer(writer)).status_code
            == 200
        )
        r = http.post("/subjects/a-value/versions", json=BODY, headers=bearer(reader))
        assert (r.status_code, r.json()["error_code"]) == (403, 40301)
        # config, mode and deletes need admin: a write token is refused and changes nothing
        for method, path, body in (
            ("PUT", "/config", {"compatibility": "NONE"}),
            ("PUT", "/config/a-value", {"compatibility": "NONE"}),
            ("PUT", "/mode/a-value", {"mode": "READONLY"}),
            ("DELETE", "/subjects/a-value", None),
            ("DELETE", "/subjects/a-value/versions/1", None),
        ):
            r = http.request(method, path, json=body, headers=bearer(writer))
            assert (r.status_code, r.json()["error_code"]) == (403, 40301), (method, path)
        assert http.get("/config/a-value").status_code == 404  # no subject config was set
        assert http.get("/subjects/a-value/versions").json() == [1]
        assert (
            http.put(
                "/config/a-value", json={"compatibility": "NONE"}, headers=bearer(BOOT)
            ).status_code
            == 200
        )
        assert http.delete("/subjects/a-value", headers=bearer(BOOT)).status_code == 200
        r = http.delete("/subjects/a-value", params={"permanent": "true"}, headers=bearer(BOOT))
        assert r.status_code == 200
        # lookups and compatibility tests are reads
        assert http.post("/compatibility/subjects/a-value/versions", json=BODY).status_code == 200

        r = http.post("/subjects/a-value/versions", json=BODY, headers=bearer("evreg_wrong"))
        assert (r.status_code, r.json()["error_code"]) == (401, 40101)

        listed = http.get("/api/tokens", headers=bearer(BOOT)).json()
        assert [t["name"] for t in listed] == ["bootstrap", "ci", "dash"]
        assert all("token" not in t for t in listed)
        ci = next(t for t in listed if t["name"] == "ci")
        assert http.delete(f"/api/tokens/{ci['id']}", headers=bearer(BOOT)).json()["revoked"]
        r = http.post("/subjects/b-value/versions", json=BODY, headers=bearer(writer))
        assert r.status_code == 401  # revoked

        actors = {
            e["actor"]
            for e in http.get("/api/audit", params={"subject": "a-value"}).json()["events"]
        }
        assert actors == {"token:ci", "token:bootstrap"}

    engine = create_engine(database_url)
    with engine.connect() as conn:
        stored = [row[0] for row in conn.execute(text("SELECT token_sha256 FROM api_tokens"))]
    engine.dispose()
    assert hash_token(writer) in stored and writer not in stored and BOOT not in stored


def test_basic_auth_with_confluent_client(required_server: Server) -> None:
    client = SchemaRegistryClient(
        {"url": required_server.url, "max.retries": 0, "basic.auth.user.info": f"admin:{BOOT}"}
    )
    assert client.register_schema("c-value", Schema(SCHEMA, "JSON")) > 0
    anonymous = SchemaRegistryClient({"url": required_server.url, "max.retries": 0})
    with pytest.raises(SchemaRegistryError) as info:
        anonymous.register_schema("d-value", Schema(SCHEMA, "JSON"))
    assert info.value.error_code == 40101


def test_auto_mode_is_open_until_an_admin_token_exists(database_url: str, tmp_path: Path) -> None:
    server = Server(database_url, tmp_path).start()
    try:
        with httpx.Client(base_url=server.url, timeout=30) as http:
            assert http.post("/subjects/a-value/versions", json=BODY).status_code == 200
            admin = http.post("/api/tokens", json={"name": "me", "role": "admin"}).json()["token"]
            r = http.post("/subjects/a-value/versions", json=BODY)
            assert r.status_code == 401
            assert (
                http.post(
                    "/subjects/a-value/versions", json=BODY, headers=bearer(admin)
                ).status_code
                == 200
            )
            assert http.post("/api/tokens", json={"name": "x", "role": "read"}).status_code == 401
        assert "no authentication" in server.log_path.read_text().lower()
    finally:
        server.stop()


def test_required_roles_table() -> None:
    assert required_role("GET", "/subjects") == "read"
    assert required_role("POST", "/subjects/x") == "read"
    assert required_role("POST", "/subjects/x/versions") == "write"
    assert required_role("POST", "/compatibility/subjects/x/versions") == "read"
    assert required_role("POST", "/api/subjects/x/check") == "read"
    # config, mode and deletes are admin's (issue 3); soft deletes too
    assert required_role("DELETE", "/subjects/x") == "admin"
    assert required_role("DELETE", "/subjects/x/versions/1") == "admin"
    assert required_role("PUT", "/config") == "admin"
    assert required_role("PUT", "/config/x") == "admin"
    assert required_role("DELETE", "/config/x") == "admin"
    assert required_role("PUT", "/mode") == "admin"
    assert required_role("PUT", "/mode/x") == "admin"
    assert required_role("GET", "/config/x") == "read"
    assert required_role("PUT", "/configuration") == "write"  # not /config: no route, 404s
    assert required_role("GET", "/api/tokens") == "admin"


def test_credentials_parsing() -> None:
    import base64

    assert credentials(None) is None
    assert credentials("Bearer abc") == "abc"
    basic = base64.b64encode(b"user:secret").decode()
    assert credentials(f"Basic {basic}") == "secret"
    with pytest.raises(Exception, match="scheme"):
        credentials("Digest x")


def test_reads_can_require_a_token(database_url: str, tmp_path: Path) -> None:
    server = Server(
        database_url,
        tmp_path,
        EVREG_AUTH="required",
        EVREG_AUTH_READS="token",
        EVREG_BOOTSTRAP_TOKEN=BOOT,
    ).start()
    try:
        with httpx.Client(base_url=server.url, timeout=30) as http:
            r = http.get("/subjects")
            assert (r.status_code, r.json()["error_code"]) == (401, 40101)
            r = http.post("/compatibility/subjects/x/versions", json=BODY)
            assert r.status_code == 401
            reader = http.post(
                "/api/tokens", json={"name": "dash", "role": "read"}, headers=bearer(BOOT)
            ).json()["token"]
            assert http.get("/subjects", headers=bearer(reader)).json() == []
            for open_path in ("/health", "/ready", "/metrics", "/openapi.json"):
                assert http.get(open_path).status_code == 200, open_path
    finally:
        server.stop()
