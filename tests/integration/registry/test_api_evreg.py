"""evreg's own /api routes: check, diff, AsyncAPI view, search, audit log and its SSE stream."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import jsonschema
import pytest

from .conftest import Server

REPO = Path(__file__).resolve().parents[3]
OPEN_V1 = json.dumps({"type": "object", "properties": {"id": {"type": "string"}}})
OPEN_V2 = json.dumps(
    {"type": "object", "properties": {"id": {"type": "string"}, "x": {"type": "string"}}}
)


@pytest.fixture
def http(server: Server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=30) as client:
        yield client


def register(http: httpx.Client, subject: str, schema: str, schema_type: str = "JSON") -> int:
    r = http.post(
        f"/subjects/{subject}/versions", json={"schema": schema, "schemaType": schema_type}
    )
    assert r.status_code == 200, r.text
    return int(r.json()["id"])


def test_check_returns_findings_with_witnesses(http: httpx.Client, subject: str) -> None:
    register(http, subject, OPEN_V1)
    r = http.post(f"/api/subjects/{subject}/check", json={"schema": OPEN_V2, "schemaType": "JSON"})
    report = r.json()
    assert report["is_compatible"] is False and report["policy"] == "STRICT"
    [finding] = [f for f in report["findings"] if f["breaking"]]
    assert finding["rule"] == "OPTIONAL_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL"
    assert finding["path"] == "#/properties/x"
    assert finding["version"] == 1
    assert isinstance(finding["witness"]["x"], (int, float, bool, list, dict, type(None)))
    lenient = http.post(
        f"/api/subjects/{subject}/check",
        params={"policy": "LENIENT"},
        json={"schema": OPEN_V2, "schemaType": "JSON"},
    ).json()
    assert lenient["is_compatible"] is True
    assert [f["rule"] for f in lenient["findings"]] == [
        "OPTIONAL_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL"
    ]
    r = http.post(
        f"/api/subjects/{subject}/check",
        params={"level": "SIDEWAYS"},
        json={"schema": OPEN_V2, "schemaType": "JSON"},
    )
    assert (r.status_code, r.json()["error_code"]) == (422, 42203)


def test_diff_between_versions(http: httpx.Client, subject: str) -> None:
    register(http, subject, OPEN_V1)
    http.put(f"/config/{subject}", json={"compatibilityPolicy": "LENIENT"}).raise_for_status()
    register(http, subject, OPEN_V2)
    report = http.get(f"/api/subjects/{subject}/diff", params={"from": 1, "to": "latest"}).json()
    assert report["is_compatible"] is True
    assert report["findings"][0]["rule"] == "OPTIONAL_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL"
    strict = http.get(
        f"/api/subjects/{subject}/diff", params={"from": 1, "to": 2, "policy": "STRICT"}
    ).json()
    assert strict["is_compatible"] is False
    [breaking] = [f for f in strict["findings"] if f["breaking"]]
    assert breaking["path"] == "#/properties/x"
    assert "x" in breaking["witness"]  # an event version 1 accepts and version 2 refuses
    r = http.get(f"/api/subjects/{subject}/diff", params={"from": 1, "to": 9})
    assert r.json()["error_code"] == 40402


def test_asyncapi_view(http: httpx.Client, subject: str) -> None:
    register(http, subject, (REPO / "contracts" / "order_placed.yaml").read_text(), "ASYNCAPI")
    view = http.get(f"/api/subjects/{subject}/versions/latest/asyncapi").json()
    assert view["asyncapi"] == "3.0.0"
    assert [c["address"] for c in view["channels"]] == ["orders.placed"]
    assert view["channels"][0]["payloadSubject"] == "orders.placed-value"
    assert [o["action"] for o in view["operations"]] == ["send"]
    assert view["messages"][0]["payload"] == "#/components/messages/OrderPlaced/payload"
    r = http.get("/api/subjects/orders.placed-value/versions/latest/asyncapi")
    assert (r.status_code, r.json()["error_code"]) == (422, 42201)


def test_search(http: httpx.Client, subject: str) -> None:
    marker = subject.split("-")[1]
    register(http, subject, json.dumps({"type": "object", "title": f"needle{marker}"}))
    by_name = http.get("/api/search", params={"q": marker}).json()
    assert {"subject": subject, "match": "subject"}.items() <= by_name[0].items()
    by_text = http.get("/api/search", params={"q": f"NEEDLE{marker}"}).json()
    assert [h["subject"] for h in by_text] == [subject]
    assert http.get("/api/search", params={"q": ""}).json() == []


def test_audit_log_pages_and_stream(http: httpx.Client, subject: str) -> None:
    register(http, subject, OPEN_V1)
    http.put(f"/config/{subject}", json={"compatibility": "NONE"}).raise_for_status()
    page = http.get("/api/audit", params={"subject": subject}).json()
    assert [e["action"] for e in page["events"]] == ["schema.register", "config.set"]
    assert page["events"][1]["after"]["compatibilityLevel"] == "NONE"
    for event in page["events"]:  # the same form on both stores: an aware time in UTC
        assert datetime.fromisoformat(event["at"]).utcoffset() == timedelta(0), event["at"]
    first = page["events"][0]["id"]
    rest = http.get("/api/audit", params={"subject": subject, "after": first}).json()
    assert [e["id"] for e in rest["events"]] == [page["events"][1]["id"]]
    assert rest["next"] == page["events"][1]["id"]
    one = http.get("/api/audit", params={"subject": subject, "limit": 1}).json()
    assert len(one["events"]) == 1

    seen: list[dict[str, object]] = []
    events: list[dict[str, str]] = [{}]  # each event's fields, as an EventSource reads them
    with http.stream(
        "GET", "/api/audit/stream", params={"subject": subject, "after": 0, "poll": 0.2}
    ) as stream:
        assert stream.headers["content-type"].startswith("text/event-stream")
        for line in stream.iter_lines():
            if line and not line.startswith(":"):
                field, _, value = line.partition(": ")
                events[-1][field] = value
            if line.startswith("data: "):
                seen.append(json.loads(line[6:]))
                events.append({})
                if len(seen) == 2:
                    break
    assert [e["action"] for e in seen] == ["schema.register", "config.set"]
    # each event is what /openapi.json says one is (its itemSchema, and the data's contentSchema)
    documented = http.get("/openapi.json").json()["paths"]["/api/audit/stream"]["get"]
    item = documented["responses"]["200"]["content"]["text/event-stream"]["itemSchema"]
    for event in events[:2]:
        jsonschema.validate(event, item)
        jsonschema.validate(json.loads(event["data"]), item["properties"]["data"]["contentSchema"])

    # a reconnecting EventSource sends the last id it saw: the stream resumes after it
    resumed: list[dict[str, object]] = []
    with http.stream(
        "GET",
        "/api/audit/stream",
        params={"subject": subject, "poll": 0.2},
        headers={"Last-Event-ID": str(first)},
    ) as stream:
        for line in stream.iter_lines():
            if line.startswith("id: "):
                resumed.append({"id": int(line[4:])})
            if line.startswith("data: "):
                resumed[-1].update(json.loads(line[6:]))
                break
    assert resumed[0]["id"] == page["events"][1]["id"]
    assert resumed[0]["action"] == "config.set"


def _ids(text: str) -> list[int]:
    return [int(line[4:]) for line in text.splitlines() if line.startswith("id: ")]


def test_audit_stream_ends_by_itself_and_resumes_after_the_last_event_id(
    http: httpx.Client, subject: str
) -> None:
    register(http, subject, OPEN_V1)
    http.put(f"/config/{subject}", json={"compatibility": "NONE"}).raise_for_status()
    first, second = [
        e["id"] for e in http.get("/api/audit", params={"subject": subject}).json()["events"]
    ]

    # wait=0, the default: the events there are, then the stream ends (a plain GET returns)
    done = http.get("/api/audit/stream", params={"subject": subject, "poll": 0.25})
    assert done.status_code == 200
    assert done.text.startswith("retry: 250\n: evreg audit stream\n\n")  # EventSource's delay
    assert _ids(done.text) == [first, second]

    # a reconnecting EventSource asks the same URL with the last id it saw: that id wins
    again: dict[str, str | int] = {"subject": subject, "after": 0}
    resumed = http.get("/api/audit/stream", params=again, headers={"Last-Event-ID": str(first)})
    assert _ids(resumed.text) == [second]
    later = http.get(
        "/api/audit/stream",
        params={"subject": subject, "after": second},
        headers={"Last-Event-ID": str(first)},
    )
    assert _ids(later.text) == []  # the later of the two

    # with wait, a new entry during the wait is sent, and the stream ends once quiet again
    seen: list[int] = []
    with http.stream(
        "GET",
        "/api/audit/stream",
        params={"subject": subject, "after": second, "poll": 0.1, "wait": 3},
    ) as stream:
        lines = stream.iter_lines()
        assert next(lines) == "retry: 100"
        register(http, subject, OPEN_V2)
        seen.extend(_ids("\n".join(lines)))  # read to the end: it ends by itself
    [registered] = http.get("/api/audit", params={"subject": subject, "after": second}).json()[
        "events"
    ]
    assert seen == [registered["id"]]

    for wait in (-1, 30.5):
        refused = http.get("/api/audit/stream", params={"wait": wait})
        assert refused.status_code == 422, refused.text
        assert "wait" in refused.text


def test_an_empty_level_or_policy_is_refused_not_read_as_the_default(
    http: httpx.Client, subject: str
) -> None:
    """The document lists their values, and "" is none of them (schemathesis found `policy=`
    answered with the subject's policy)."""
    register(http, subject, OPEN_V1)
    body = {"schema": OPEN_V2, "schemaType": "JSON"}
    for name in ("level", "policy"):
        checked = http.post(f"/api/subjects/{subject}/check", params={name: ""}, json=body)
        diffed = http.get(f"/api/subjects/{subject}/diff", params={name: "", "to": "1"})
        for refused in (checked, diffed):
            assert refused.status_code == 422, refused.text
            assert refused.json()["error_code"] == 42203, refused.text
