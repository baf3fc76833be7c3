"""Request ids, JSON access logs and /metrics, on a real server."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from .conftest import Server

SCHEMA = json.dumps({"type": "object"})


@pytest.fixture
def http(server: Server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=30) as client:
        yield client


def test_request_id_is_echoed_or_made(http: httpx.Client) -> None:
    r = http.get("/subjects", headers={"X-Request-ID": "abc-123"})
    assert r.headers["x-request-id"] == "abc-123"
    made = http.get("/subjects", headers={"X-Request-ID": "bad id with spaces"})
    assert made.headers["x-request-id"] != "bad id with spaces"
    assert len(made.headers["x-request-id"]) == 32
    assert http.get("/no/such/route").headers["x-request-id"]


def test_access_log_is_json_with_request_id(http: httpx.Client, server: Server) -> None:
    http.get("/schemas/types", headers={"X-Request-ID": "log-me-42"})
    deadline = time.monotonic() + 10
    lines: list[dict[str, object]] = []
    while time.monotonic() < deadline:
        lines = [
            json.loads(line)
            for line in Path(server.log_path).read_text().splitlines()
            if line.startswith("{")
        ]
        if any(entry.get("request_id") == "log-me-42" for entry in lines):
            break
        time.sleep(0.2)
    [entry] = [e for e in lines if e.get("request_id") == "log-me-42"]
    assert entry["logger"] == "evreg.registry.access"
    assert entry["route"] == "/schemas/types"
    assert entry["status"] == 200
    assert isinstance(entry["duration_ms"], float)


def test_metrics(http: httpx.Client, subject: str) -> None:
    http.post(f"/subjects/{subject}/versions", json={"schema": SCHEMA, "schemaType": "JSON"})
    http.get(f"/subjects/{subject}/versions/latest")
    r = http.get("/metrics")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    text = r.text
    assert (
        'evreg_http_requests_total{method="GET",route="/subjects/{subject}/versions/{version}",status="200"}'
        in text
    )
    assert "evreg_http_request_duration_seconds_bucket" in text
    assert "evreg_reports_cache_misses" in text


def _sample(text: str, name: str) -> float:
    [line] = [x for x in text.splitlines() if x.startswith(name + " ")]
    return float(line.rsplit(" ", 1)[1])


def test_metrics_count_registrations_and_compatibility_failures(
    http: httpx.Client, subject: str
) -> None:
    def metrics() -> dict[str, float]:
        text = http.get("/metrics").text
        return {
            "registered": _sample(text, "evreg_registrations_total"),
            "refused": _sample(text, 'evreg_compatibility_failures_total{operation="register"}'),
            "checked": _sample(text, 'evreg_compatibility_failures_total{operation="check"}'),
        }

    closed = {
        "type": "object",
        "properties": {"a": {"type": "string"}},
        "additionalProperties": False,
    }
    narrower = {**closed, "properties": {"a": {"type": "integer"}}}
    before = metrics()
    versions = f"/subjects/{subject}/versions"
    r = http.post(versions, json={"schema": json.dumps(closed), "schemaType": "JSON"})
    assert r.status_code == 200
    # the same schema again is no new version
    assert http.post(versions, json={"schema": json.dumps(closed), "schemaType": "JSON"}).is_success
    refused = http.post(versions, json={"schema": json.dumps(narrower), "schemaType": "JSON"})
    assert refused.status_code == 409
    check = http.post(
        f"/compatibility/subjects/{subject}/versions/latest",
        json={"schema": json.dumps(narrower), "schemaType": "JSON"},
    )
    assert check.json()["is_compatible"] is False
    ok = http.post(
        f"/compatibility/subjects/{subject}/versions/latest",
        json={"schema": json.dumps(closed), "schemaType": "JSON"},
    )
    assert ok.json()["is_compatible"] is True
    api_check = http.post(
        f"/api/subjects/{subject}/check",
        json={"schema": json.dumps(narrower), "schemaType": "JSON"},
    )
    assert api_check.json()["is_compatible"] is False  # evreg's check counts as a check too
    after = metrics()
    assert {k: after[k] - before[k] for k in before} == {
        "registered": 1,
        "refused": 1,
        "checked": 2,
    }
