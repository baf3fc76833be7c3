"""The Confluent REST API over plain HTTP: shapes, content types, error codes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from .conftest import Server

REPO = Path(__file__).resolve().parents[3]
V1 = json.dumps(
    {"type": "object", "properties": {"a": {"type": "string"}}, "additionalProperties": False}
)
V2 = json.dumps(
    {
        "type": "object",
        "properties": {"a": {"type": "string"}, "b": {"type": "integer"}},
        "additionalProperties": False,
    }
)
BAD = json.dumps(
    {"type": "object", "properties": {"a": {"type": "integer"}}, "additionalProperties": False}
)
CT = "application/vnd.schemaregistry.v1+json"


@pytest.fixture
def http(server: Server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=30) as client:
        yield client


def body(schema: str, schema_type: str | None = "JSON", **extra: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"schema": schema, **extra}
    if schema_type is not None:
        out["schemaType"] = schema_type
    return out


def error(response: httpx.Response) -> tuple[int, int]:
    data = response.json()
    assert set(data) == {"error_code", "message"}, data
    assert isinstance(data["message"], str) and data["message"]
    return response.status_code, data["error_code"]


def test_register_and_read_shapes(http: httpx.Client, subject: str) -> None:
    r = http.post(f"/subjects/{subject}/versions", json=body(V1), headers={"Content-Type": CT})
    assert r.status_code == 200 and r.headers["content-type"] == CT
    sid = r.json()["id"]
    assert r.json() == {"id": sid}
    got = http.get(f"/subjects/{subject}/versions/latest").json()
    assert got == {
        "subject": subject,
        "version": 1,
        "id": sid,
        "schemaType": "JSON",
        "schema": got["schema"],
    }
    assert json.loads(got["schema"]) == json.loads(V1)
    assert http.get(f"/subjects/{subject}/versions/1").json() == got
    assert http.get(f"/subjects/{subject}/versions/-1").json() == got
    raw = http.get(f"/subjects/{subject}/versions/1/schema")
    assert raw.json() == json.loads(V1)
    by_id = http.get(f"/schemas/ids/{sid}").json()
    assert by_id == {"schemaType": "JSON", "schema": got["schema"]}
    assert http.get(f"/schemas/ids/{sid}/schema").json() == json.loads(V1)
    assert subject in http.get(f"/schemas/ids/{sid}/subjects").json()
    assert {"subject": subject, "version": 1} in http.get(f"/schemas/ids/{sid}/versions").json()
    looked = http.post(f"/subjects/{subject}", json=body(V1)).json()
    assert looked == got
    assert http.get(f"/subjects/{subject}/versions/1/referencedby").json() == []


def test_listing_endpoints(http: httpx.Client, subject: str) -> None:
    http.post(f"/subjects/{subject}/versions", json=body(V1)).raise_for_status()
    assert http.get("/schemas/types").json() == ["JSON", "ASYNCAPI", "AVRO"]
    assert http.get("/contexts").json() == ["."]
    assert http.get("/").json() == {}
    assert http.get("/subjects", params={"subjectPrefix": subject[:12]}).json() == [subject]
    assert http.get(f"/subjects/{subject}/versions").json() == [1]
    http.post(f"/subjects/{subject}/versions", json=body(V2)).raise_for_status()
    listed = http.get("/schemas", params={"subjectPrefix": subject}).json()
    assert [(s["subject"], s["version"]) for s in listed] == [(subject, 1), (subject, 2)]
    latest = http.get("/schemas", params={"subjectPrefix": subject, "latestOnly": "true"}).json()
    assert [s["version"] for s in latest] == [2]
    assert latest[0]["schemaType"] == "JSON"


def test_content_negotiation(http: httpx.Client, subject: str) -> None:
    for accept, expected in [
        ("application/json", "application/json"),
        ("application/vnd.schemaregistry+json", "application/vnd.schemaregistry+json"),
        (CT, CT),
        ("*/*", CT),
        ("text/html, application/json;q=0.5", "application/json"),
        ("", CT),
    ]:
        r = http.get("/schemas/types", headers={"Accept": accept})
        assert r.headers["content-type"] == expected, accept
    for content_type in [
        CT,
        "application/vnd.schemaregistry+json",
        "application/json",
        "application/octet-stream",
    ]:
        r = http.post(
            f"/subjects/{subject}/versions",
            content=json.dumps(body(V1)),
            headers={"Content-Type": content_type},
        )
        assert r.status_code == 200, (content_type, r.text)


def test_error_codes(http: httpx.Client, subject: str) -> None:
    assert error(http.get(f"/subjects/{subject}/versions")) == (404, 40401)
    http.post(f"/subjects/{subject}/versions", json=body(V1)).raise_for_status()
    assert error(http.get(f"/subjects/{subject}/versions/7")) == (404, 40402)
    assert error(http.get("/schemas/ids/987654")) == (404, 40403)
    assert error(http.get("/schemas/ids/nope")) == (404, 40403)
    assert error(http.post(f"/subjects/{subject}/versions", json=body(BAD))) == (409, 409)
    # no schemaType: AVRO, as on Confluent's registry; a record without fields is no Avro schema
    r = http.post(f"/subjects/{subject}/versions", json=body('{"type":"record","name":"x"}', None))
    assert error(r) == (422, 42201)
    assert "#: an Avro record needs `fields`" in r.json()["message"]
    r = http.post(f"/subjects/{subject}/versions", json=body("syntax = 'proto3';", "PROTOBUF"))
    assert error(r) == (422, 42201)
    assert "Invalid schema type PROTOBUF" in r.json()["message"]
    assert error(http.post(f"/subjects/{subject}/versions", json=body("{nope"))) == (422, 42201)
    assert error(http.get(f"/subjects/{subject}/versions/0")) == (422, 42202)
    assert error(http.get(f"/subjects/{subject}/versions/lat")) == (422, 42202)
    assert error(http.put(f"/config/{subject}", json={"compatibility": "SIDEWAYS"})) == (422, 42203)
    assert error(http.put(f"/mode/{subject}", json={"mode": "SOMETIMES"})) == (422, 42204)
    assert error(http.get(f"/config/{subject}")) == (404, 40408)
    assert error(http.get(f"/mode/{subject}")) == (404, 40409)
    assert error(http.get("/no/such/route")) == (404, 404)


def test_not_found_and_invalid_level_messages_are_confluents(
    http: httpx.Client, subject: str
) -> None:
    """The messages of 40401, 40402 and 42203 as Confluent's registry words them
    (``Errors.SUBJECT_NOT_FOUND_MESSAGE_FORMAT``, ``VERSION_NOT_FOUND_MESSAGE_FORMAT``,
    ``RestInvalidCompatibilityException``), for a client or script that matches the text: the
    clients tested here (confluent-kafka, python-schema-registry-client) read only the status
    and error_code."""
    missing = http.get(f"/subjects/{subject}/versions")
    assert missing.json() == {"error_code": 40401, "message": f"Subject '{subject}' not found."}
    http.post(f"/subjects/{subject}/versions", json=body(V1)).raise_for_status()
    version = http.get(f"/subjects/{subject}/versions/7")
    assert version.json() == {"error_code": 40402, "message": "Version 7 not found."}
    level = http.put(f"/config/{subject}", json={"compatibility": "SIDEWAYS"})
    assert level.json() == {
        "error_code": 42203,
        "message": "Invalid compatibility level. Valid values are none, backward, forward, "
        "full, backward_transitive, forward_transitive, and full_transitive",
    }


def test_soft_and_permanent_delete_codes(http: httpx.Client, subject: str) -> None:
    http.post(f"/subjects/{subject}/versions", json=body(V1)).raise_for_status()
    http.post(f"/subjects/{subject}/versions", json=body(V2)).raise_for_status()
    assert error(http.delete(f"/subjects/{subject}", params={"permanent": "true"})) == (404, 40405)
    assert error(http.delete(f"/subjects/{subject}/versions/1", params={"permanent": "true"})) == (
        404,
        40407,
    )
    assert http.delete(f"/subjects/{subject}/versions/1").json() == 1
    assert error(http.delete(f"/subjects/{subject}/versions/1")) == (404, 40406)
    assert http.get(f"/subjects/{subject}/versions", params={"deleted": "true"}).json() == [1, 2]
    assert http.delete(f"/subjects/{subject}").json() == [2]
    assert error(http.delete(f"/subjects/{subject}")) == (404, 40404)
    assert (
        http.get(f"/subjects/{subject}/versions/1", params={"deleted": "true"}).status_code == 200
    )
    assert http.delete(f"/subjects/{subject}", params={"permanent": "true"}).json() == [1, 2]
    assert error(http.delete(f"/subjects/{subject}")) == (404, 40401)


def test_deleted_only_in_either_spelling(http: httpx.Client, subject: str) -> None:
    """Confluent's registry reads `deletedOnly`; confluent-kafka sends `deleted_only`."""
    gone = f"{subject}-gone"
    for name in (subject, gone):
        http.post(f"/subjects/{name}/versions", json=body(V1)).raise_for_status()
    http.post(f"/subjects/{subject}/versions", json=body(V2)).raise_for_status()
    assert http.delete(f"/subjects/{subject}/versions/1").json() == 1
    assert http.delete(f"/subjects/{gone}").json() == [1]
    versions = f"/subjects/{subject}/versions"
    assert http.get(versions).json() == [2]
    for spelling in ("deletedOnly", "deleted_only"):
        assert http.get(versions, params={spelling: "true"}).json() == [1]
        listed = http.get("/subjects", params={spelling: "true"}).json()
        assert gone in listed and subject not in listed
    assert error(http.get(versions, params={"deletedOnly": "maybe"})) == (422, 422)


def test_malformed_bodies_get_the_confluent_error_shape(http: httpx.Client, subject: str) -> None:
    url = f"/subjects/{subject}/versions"
    headers = {"Content-Type": CT}
    assert error(http.post(url, content=b"{not json", headers=headers)) == (400, 400)
    assert error(http.post(url, content=b"", headers=headers)) == (400, 400)
    assert error(http.post(url, content=b"[1, 2]", headers=headers)) == (422, 422)
    assert error(http.post(url, json={"schema": 42})) == (422, 422)
    assert error(http.post(url, json={"schema": V1, "references": "x"})) == (422, 422)
    assert error(http.post(url, json={})) == (422, 42201)
    assert error(http.put("/config", content=b"\xff\xfe", headers=headers)) == (400, 400)
    assert error(http.get("/subjects", params={"deleted": "maybe"})) == (422, 422)


def test_body_size_limit(http: httpx.Client, subject: str) -> None:
    """The default limit is 1 MiB: just under it registers, just over it is refused."""
    url = f"/subjects/{subject}/versions"

    def padded(size: int) -> bytes:
        empty = json.dumps(body(json.dumps({"description": ""}))).encode()
        return json.dumps(body(json.dumps({"description": "x" * (size - len(empty))}))).encode()

    assert len(padded(1024 * 1024)) == 1024 * 1024
    assert http.post(url, content=padded(1024 * 1024), headers={"Content-Type": CT}).is_success
    over = padded(1024 * 1024 + 1)
    assert error(http.post(url, content=over, headers={"Content-Type": CT})) == (413, 42209)
    big = json.dumps(body(json.dumps({"description": "x" * (5 * 1024 * 1024)})))
    assert error(http.post(url, content=big, headers={"Content-Type": CT})) == (413, 42209)

    def chunks() -> Iterator[bytes]:  # no Content-Length: the server must count
        for _ in range(80):
            yield b" " * 65536

    r = http.post(f"/subjects/{subject}/versions", content=chunks(), headers={"Content-Type": CT})
    assert error(r) == (413, 42209)


def test_compatibility_endpoints(http: httpx.Client, subject: str) -> None:
    url = f"/compatibility/subjects/{subject}/versions"
    assert http.post(url, json=body(V1)).json() == {"is_compatible": True}
    assert error(http.post(f"{url}/latest", json=body(V1))) == (404, 40401)
    http.post(f"/subjects/{subject}/versions", json=body(V1)).raise_for_status()
    assert http.post(f"{url}/latest", json=body(V2)).json() == {"is_compatible": True}
    verbose = http.post(f"{url}/1", params={"verbose": "true"}, json=body(BAD)).json()
    assert verbose["is_compatible"] is False
    assert any("TYPE_" in m for m in verbose["messages"])
    assert error(http.post(f"{url}/9", json=body(V2))) == (404, 40402)


def test_config_and_mode_routes(http: httpx.Client, subject: str) -> None:
    assert http.get("/config").json()["compatibilityLevel"] in {"BACKWARD", "FULL", "NONE"}
    assert http.put(f"/config/{subject}", json={"compatibility": "full"}).json() == {
        "compatibility": "FULL"
    }
    assert http.get(f"/config/{subject}").json() == {"compatibilityLevel": "FULL"}
    r = http.put(f"/config/{subject}", json={"compatibilityPolicy": "LENIENT"})
    assert r.json() == {"compatibilityPolicy": "LENIENT"}
    assert http.get(f"/config/{subject}").json() == {
        "compatibilityLevel": "FULL",
        "compatibilityPolicy": "LENIENT",
    }
    assert http.delete(f"/config/{subject}").json()["compatibilityLevel"] == "FULL"
    fallback = http.get(f"/config/{subject}", params={"defaultToGlobal": "true"}).json()
    assert fallback["compatibilityLevel"] == http.get("/config").json()["compatibilityLevel"]

    assert http.get("/mode").json() == {"mode": "READWRITE"}
    assert http.put(f"/mode/{subject}", json={"mode": "READONLY"}).json() == {"mode": "READONLY"}
    assert error(http.post(f"/subjects/{subject}/versions", json=body(V1))) == (422, 42205)
    assert http.get(f"/mode/{subject}").json() == {"mode": "READONLY"}
    assert http.delete(f"/mode/{subject}").json() == {"mode": "READONLY"}
    assert http.get(f"/mode/{subject}", params={"defaultToGlobal": "true"}).json() == {
        "mode": "READWRITE"
    }
    assert http.post(f"/subjects/{subject}/versions", json=body(V1)).status_code == 200


def test_asyncapi_contract(http: httpx.Client, subject: str) -> None:
    text = (REPO / "contracts" / "order_placed.yaml").read_text()
    r = http.post(f"/subjects/{subject}/versions", json=body(text, "ASYNCAPI"))
    assert r.status_code == 200, r.text
    got = http.get(f"/subjects/{subject}/versions/latest").json()
    assert got["schemaType"] == "ASYNCAPI"
    assert json.loads(got["schema"])["asyncapi"] == "3.0.0"
    assert error(http.post(f"/subjects/{subject}/versions", json=body(text, "JSON"))) == (
        422,
        42201,
    )


def test_openapi_document(http: httpx.Client) -> None:
    doc = http.get("/openapi.json").json()
    assert "/subjects/{subject}/versions" in doc["paths"]
    post = doc["paths"]["/subjects/{subject}/versions"]["post"]
    assert "requestBody" in post
    assert {"200", "400", "409", "422", "413", "500"} <= set(post["responses"])


def test_inputs_the_database_cannot_hold(http: httpx.Client, subject: str) -> None:
    """Found by schemathesis: NUL bytes and out-of-range integers never reach the database. A
    path holding a NUL names nothing a store can hold: 422/42208 for reads too (api/guards)."""
    assert error(http.get("/subjects/a%00b/versions")) == (422, 42208)
    assert error(http.get("/config/a%00b")) == (422, 42208)
    assert error(http.put("/config/a%00b", json={"compatibility": "NONE"})) == (422, 42208)
    assert error(http.post("/subjects/a%00b/versions", json=body(V1))) == (422, 42208)
    assert error(http.get("/schemas/ids/99999999999")) == (404, 40403)
    assert error(http.get("/api/audit", params={"after": 99999999999})) == (422, 422)
    ref = {"name": "x.json", "subject": subject, "version": 2**40}
    r = http.post(f"/subjects/{subject}/versions", json=body(V1, references=[ref]))
    assert error(r) == (422, 422)
    ref = {"name": "x\u0000.json", "subject": subject, "version": 1}
    r = http.post(f"/subjects/{subject}/versions", json=body(V1, references=[ref]))
    assert error(r) == (422, 422)
    assert error(http.post(f"/subjects/{subject}/versions", json=body(V1, id=2**40))) == (422, 422)
    assert http.get("/subjects", params={"subjectPrefix": "a\u0000"}).json() == []


def test_paging_beyond_a_java_int_is_refused(http: httpx.Client, subject: str) -> None:
    """Found by schemathesis: an offset SQLite cannot bind gave 500 once paging moved into SQL."""
    http.post(f"/subjects/{subject}/versions", json=body(V1)).raise_for_status()
    huge = 2**63
    for path in ("/subjects", f"/subjects/{subject}/versions", "/schemas"):
        for param in ("offset", "limit"):
            assert error(http.get(path, params={param: huge})) == (422, 422), (path, param)
    # the largest Java int is still a valid page: past the end, so empty
    assert http.get("/subjects", params={"offset": 2**31 - 1}).json() == []
    assert http.get("/subjects", params={"limit": 2**31 - 1, "subjectPrefix": subject}).json() == [
        subject
    ]
