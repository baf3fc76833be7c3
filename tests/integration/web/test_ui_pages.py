"""The web UI's pages and /api/ui twins in process (no browser): escaping, security headers,
search, sorting and pagination in SQL, a fixed number of queries per page, the audit filters."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event

from evreg.registry.app import create_app
from evreg.registry.settings import Settings
from evreg.registry.web.routes import CSP

REPO = Path(__file__).resolve().parents[3]
EVIL = "<script>alert('pwned')</script>"
EVIL_SUBJECT = "evil<img src=x onerror=alert(1)>"


def _schema(title: str, description: str, *extras: str) -> str:
    """A closed object schema: adding a property to it is a compatible change."""
    extras = extras or ("x",)
    return json.dumps(
        {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "title": title,
            "description": description,
            "type": "object",
            "additionalProperties": False,
            "properties": {e: {"type": "string", "description": description} for e in extras},
            "examples": [{extras[0]: description}],
        }
    )


@pytest.fixture
def client(database_url: str) -> Iterator[TestClient]:
    """The app in process, on SQLite and on PostgreSQL."""
    with TestClient(create_app(Settings(database_url=database_url))) as test_client:
        yield test_client
        test_client.app.state.service.store.close()  # type: ignore[attr-defined]


def _register(client: TestClient, subject: str, schema: str, kind: str = "JSON") -> int:
    answer = client.post(
        f"/subjects/{subject}/versions", json={"schema": schema, "schemaType": kind}
    )
    assert answer.status_code == 200, answer.text
    return int(answer.json()["id"])


def _load_examples(client: TestClient) -> None:
    for path in sorted((REPO / "contracts").iterdir()):
        kind = "ASYNCAPI" if path.suffix == ".yaml" else "JSON"
        _register(client, path.name.split(".", 1)[0], path.read_text(), kind)


def test_contract_text_is_escaped_everywhere(client: TestClient) -> None:
    quoted = "evil%3Cimg%20src%3Dx%20onerror%3Dalert%281%29%3E"
    _register(client, EVIL_SUBJECT, _schema(EVIL, EVIL, "<b>bold</b>"))
    client.put(f"/config/{quoted}", json={"compatibility": "NONE"})
    _register(client, EVIL_SUBJECT, _schema(EVIL, EVIL, "<i>it</i>"))  # a breaking change
    for url in (
        "/ui/",
        "/ui/?q=pwned",
        f"/ui/subjects/{quoted}",
        f"/ui/subjects/{quoted}/versions/1",
        f"/ui/subjects/{quoted}/diff?from=1&to=2",
        f"/ui/audit?subject={quoted}",
    ):
        page = client.get(url)
        assert page.status_code == 200, url
        assert "<script>alert" not in page.text, url
        assert "<img src=x" not in page.text, url
        assert "<b>bold</b>" not in page.text and "<i>it</i>" not in page.text, url
        assert "&lt;" in page.text, url
        assert page.headers["content-security-policy"] == CSP
    version = client.get(f"/ui/subjects/{quoted}/versions/1").text
    assert "&lt;script&gt;alert(&#39;pwned&#39;)&lt;/script&gt;" in version
    assert version.count("<script") == 1  # ours: <script src="/ui/static/ui.js" defer>
    diff = client.get(f"/ui/subjects/{quoted}/diff?from=1&to=2&level=BACKWARD").text
    assert "PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL" in diff
    assert "&lt;b&gt;bold&lt;/b&gt;" in diff  # in the pointer, the message and the witness


def test_security_headers_and_error_pages(client: TestClient) -> None:
    for url in ("/ui/", "/ui/audit", "/ui/subjects/nope", "/ui/subjects/nope/versions/0"):
        page = client.get(url)
        assert page.headers["content-type"].startswith("text/html")
        assert page.headers["content-security-policy"] == CSP
        assert page.headers["x-content-type-options"] == "nosniff"
        assert page.headers["x-frame-options"] == "DENY"
    missing = client.get("/ui/subjects/nope")
    assert missing.status_code == 404 and "Subject &#39;nope&#39; not found" in missing.text
    assert client.get("/ui/subjects/nope/versions/0").status_code == 422
    assert client.get("/ui", follow_redirects=False).headers["location"] == "/ui/"
    css = client.get("/ui/static/ui.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    assert client.get("/ui/static/ui.js").status_code == 200


def test_search_reaches_names_titles_messages_channels_and_descriptions(
    client: TestClient,
) -> None:
    _load_examples(client)

    def found(q: str) -> list[str]:
        answer = client.get("/api/ui/subjects", params={"q": q})
        assert answer.status_code == 200
        return [s["subject"] for s in answer.json()["subjects"]]

    assert "order_placed" in found("OrderPlaced")  # message name
    assert "order_placed" in found("orders.placed")  # channel address
    assert "order_placed" in found("stock is reserved")  # a message summary
    assert "order_placed" in found("deduplicate on it")  # a property description
    assert found("orders.placed-value") == ["orders.placed-value"]  # subject name
    assert "customer_registered" in found("customer")
    assert found("100%") == [] and found("_") != []  # LIKE wildcards are literal
    assert found("no such thing anywhere") == []
    assert client.get("/api/ui/subjects", params={"q": "a\x00b"}).json()["total"] == 0
    hit = client.get("/api/ui/subjects", params={"q": "OrderPlaced"}).json()["subjects"][0]
    assert hit["subject"] == "order_placed"
    assert hit["title"] == "orders"
    assert hit["excerpt"] == "components/messages/OrderPlaced/name: OrderPlaced"
    page = client.get("/ui/?q=OrderPlaced").text
    assert "components/messages/OrderPlaced/name: OrderPlaced" in page


def test_sorting_and_pagination_happen_in_sql(client: TestClient) -> None:
    for n in range(7):
        subject = f"s{n}"
        _register(client, subject, _schema(f"T{n}", "d", "a"))
        if n % 3:
            _register(client, subject, _schema(f"T{n}", "d", "a", "b"))
    client.put("/config/s3", json={"compatibility": "FULL"})
    first = client.get("/api/ui/subjects", params={"size": 3}).json()
    assert first["total"] == 7 and first["pages"] == 3
    assert [s["subject"] for s in first["subjects"]] == ["s0", "s1", "s2"]
    last = client.get("/api/ui/subjects", params={"size": 3, "page": 3}).json()
    assert [s["subject"] for s in last["subjects"]] == ["s6"]
    past = client.get("/api/ui/subjects", params={"size": 3, "page": 9}).json()
    assert past["subjects"] == [] and past["total"] == 7
    by_version = client.get("/api/ui/subjects", params={"sort": "version", "order": "desc"})
    rows = by_version.json()["subjects"]
    assert [r["version"] for r in rows] == sorted((r["version"] for r in rows), reverse=True)
    assert rows[0]["version"] == 2 and rows[0]["versions"] == 2
    by_level = client.get("/api/ui/subjects", params={"sort": "level", "order": "desc"}).json()
    assert by_level["subjects"][0] == {**by_level["subjects"][0], "subject": "s3", "level": "FULL"}
    assert client.get("/api/ui/subjects", params={"sort": "nope"}).status_code == 422
    html = client.get("/ui/?size=3&page=2").text
    assert 'rel="prev"' in html and 'rel="next"' in html and "page 2 of 3" in html
    assert client.get("/ui/?page=zz&sort=nope").status_code == 200  # lenient in the UI


def test_each_page_costs_a_fixed_number_of_queries(client: TestClient) -> None:
    engine = client.app.state.service.store.engine  # type: ignore[attr-defined]
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(str(args[2]))

    def queries_for(url: str) -> int:
        statements.clear()
        event.listen(engine, "before_cursor_execute", count)
        try:
            assert client.get(url).status_code == 200
        finally:
            event.remove(engine, "before_cursor_execute", count)
        return len(statements)

    _register(client, "first", _schema("T", "d"))
    few = {u: queries_for(u) for u in ("/ui/", "/ui/?q=T", "/ui/audit")}
    for n in range(60):
        _register(client, f"more-{n:02d}", _schema(f"T{n}", "d", f"p{n}"))
    many = {u: queries_for(u) for u in few}
    assert many == few, statements


def test_subject_and_version_pages(client: TestClient) -> None:
    _load_examples(client)
    subject = client.get("/api/ui/subjects/order_placed").json()
    assert subject["schemaType"] == "ASYNCAPI" and subject["title"] == "orders"
    assert subject["payloadSubjects"] == [
        {
            "subject": "orders.placed-value",
            "channel": "orderPlaced",
            "messages": ["OrderPlaced"],
            "registered": True,
        }
    ]
    assert subject["versions"][0]["actor"] == "anonymous"
    payload = client.get("/api/ui/subjects/orders.placed-value").json()
    assert payload["derivedFrom"][0]["subject"] == "order_placed"
    version = client.get("/api/ui/subjects/order_placed/versions/latest").json()
    message = version["messages"][0]
    assert message["name"] == "OrderPlaced"
    rows = {r["name"]: r for r in message["payload"]["rows"]}
    assert rows["currency"]["required"] is True
    assert rows["items[].quantity"]["constraints"] == ["minimum: 1", "maximum: 1000"]
    assert rows["couponCode"]["type"] == "string | null"
    headers = {r["name"]: r for r in message["headers"]["rows"]}
    assert headers["eventId"]["description"] == "Unique per event; consumers deduplicate on it."
    assert version["examples"][0]["name"] == "two-items-card"
    json_version = client.get("/api/ui/subjects/customer_registered/versions/1").json()
    assert json_version["schema"]["rows"] and json_version["messages"] == []
    assert client.get("/api/ui/subjects/nope").status_code == 404
    assert client.get("/api/ui/subjects/order_placed/versions/9").status_code == 404
    assert client.get("/api/ui/subjects/order_placed/versions/0").status_code == 422


def test_audit_filters(client: TestClient) -> None:
    _register(client, "a-value", _schema("A", "d"))
    client.put("/config/a-value", json={"compatibility": "FULL"})
    token = client.post("/api/tokens", json={"name": "bob", "role": "admin"}).json()["token"]
    auth = {"Authorization": f"Bearer {token}"}
    client.delete("/config/a-value", headers=auth)
    events = client.get("/api/ui/audit").json()["events"]
    assert [e["action"] for e in events][:3] == ["config.delete", "token.create", "config.set"]
    by_bob = client.get("/api/ui/audit", params={"actor": "bob"}).json()["events"]
    assert [e["action"] for e in by_bob] == ["config.delete"]
    configs = client.get("/api/ui/audit", params={"action": "config"}).json()["events"]
    assert {e["action"] for e in configs} == {"config.set", "config.delete"}
    exact = client.get("/api/ui/audit", params={"action": "config.set"}).json()["events"]
    assert [e["action"] for e in exact] == ["config.set"]
    paged = client.get("/api/ui/audit", params={"limit": 2}).json()
    older = client.get("/api/ui/audit", params={"limit": 2, "before": paged["older"]}).json()
    assert {e["id"] for e in paged["events"]}.isdisjoint({e["id"] for e in older["events"]})
    html = client.get("/ui/audit?actor=bob").text
    assert "config.delete" in html and "schema.register" not in html
