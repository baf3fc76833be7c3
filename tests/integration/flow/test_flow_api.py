"""The event-flow map and consumer-aware checks against a real registry (uvicorn + the app
factory), on SQLite and on PostgreSQL (a fresh database per module and backend).

orders (AsyncAPI 3.0) sends ``OrderPlaced`` on ``orders.placed``; payments (AsyncAPI 2.6)
receives it and requires ``orderId`` and ``total``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from test_cli_helpers import Registry, fresh_database

FIXTURES = Path(__file__).parents[2] / "fixtures" / "flow"
ORDERS = (FIXTURES / "orders.asyncapi.yaml").read_text()
NO_TOTAL = (FIXTURES / "orders.no-total.asyncapi.yaml").read_text()
OPTIONAL = (FIXTURES / "orders.optional-field.asyncapi.yaml").read_text()
PAYMENTS = (FIXTURES / "payments.asyncapi.yaml").read_text()


def _body(text_: str) -> dict[str, Any]:
    return {"schema": text_, "schemaType": "ASYNCAPI"}


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def registry(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[httpx.Client]:
    """``evreg serve`` on a fresh database with orders v1 and payments v1 registered."""
    folder = tmp_path_factory.mktemp("flow")
    with fresh_database(request.param, folder) as url:
        server = Registry(url, folder).start()
        try:
            with httpx.Client(base_url=server.url, timeout=60) as client:
                for subject, doc in (("orders", ORDERS), ("payments", PAYMENTS)):
                    response = client.post(f"/subjects/{subject}/versions", json=_body(doc))
                    assert response.status_code == 200, response.text
                yield client
        finally:
            server.stop()


def test_flow_graph_has_the_orders_to_payments_edge(registry: httpx.Client) -> None:
    graph = registry.get("/api/flow").json()
    names = {a["name"] for a in graph["applications"]}
    assert {"Orders service", "Payments service"} <= names
    edge = next(e for e in graph["edges"] if e["channel"] == "orders.placed")
    assert edge["from"] == "Orders service"
    assert edge["to"] == "Payments service"
    assert edge["messages"] == ["OrderPlaced"]
    assert edge["fromContract"] == {"subject": "orders", "version": 1}
    assert edge["toContract"] == {"subject": "payments", "version": 1}
    channel = next(c for c in graph["channels"] if c["address"] == "orders.placed")
    assert channel["senders"] == ["Orders service"]
    assert channel["receivers"] == ["Payments service"]


def test_application_view(registry: httpx.Client) -> None:
    payments = registry.get("/api/applications/Payments service").json()
    received = {r["channel"]: r for r in payments["receives"]}
    assert received["orders.placed"]["senders"] == ["Orders service"]
    assert {s["channel"] for s in payments["sends"]} == {"payments.authorized", "payments.failed"}
    missing = registry.get("/api/applications/nobody")
    assert missing.status_code == 404
    assert missing.json()["error_code"] == 404


def test_dropping_total_is_reported_against_payments_with_a_witness(
    registry: httpx.Client,
) -> None:
    result = registry.post("/api/subjects/orders/consumer-check", json=_body(NO_TOTAL)).json()
    assert result["mode"] == "warn"
    assert not result["ok"]
    [item] = result["findings"]
    assert item["consumer"] == "Payments service"
    assert item["producer"] == "Orders service"
    assert item["channel"] == "orders.placed"
    assert item["message"] == "OrderPlaced"
    assert item["side"] == "producer"
    assert "expects `total`" in item["text"]
    assert "v2 of `OrderPlaced`" in item["text"]
    witness = item["finding"]["witness"]
    assert isinstance(witness, dict) and "total" not in witness and "orderId" in witness


def test_an_optional_field_is_not_reported(registry: httpx.Client) -> None:
    result = registry.post("/api/subjects/orders/consumer-check", json=_body(OPTIONAL)).json()
    assert result["ok"] and result["findings"] == []


def test_can_i_deploy(registry: httpx.Client) -> None:
    yes = registry.post("/api/can-i-deploy", json=_body(OPTIONAL)).json()
    assert yes["ok"] and yes["application"] == "Orders service"
    no = registry.post("/api/can-i-deploy", json=_body(NO_TOTAL)).json()
    assert not no["ok"]
    assert no["findings"][0]["consumer"] == "Payments service"


def test_a_consumer_that_cannot_read_the_producer_is_reported(registry: httpx.Client) -> None:
    # payments now also requires `coupon`, which orders does not guarantee
    stricter = PAYMENTS.replace(
        "required: [orderId, total]", "required: [orderId, total, coupon]"
    ).replace(
        "            orderId: {type: string, format: uuid}\n            total:",
        "            orderId: {type: string, format: uuid}\n"
        "            coupon: {type: string}\n            total:",
        1,
    )
    assert stricter != PAYMENTS
    result = registry.post("/api/subjects/payments/consumer-check", json=_body(stricter)).json()
    [item] = result["findings"]
    assert item["side"] == "consumer"
    assert item["consumer"] == "Payments service" and item["producer"] == "Orders service"
    assert "expects `coupon`" in item["text"]


def test_warn_registers_and_block_refuses_with_409(registry: httpx.Client) -> None:
    assert registry.get("/api/config/consumer-checks").json() == {"consumerChecks": "warn"}
    put = registry.put("/api/config/consumer-checks/orders", json={"consumerChecks": "block"})
    assert put.status_code == 200, put.text
    assert registry.get("/api/config/consumer-checks/orders").json() == {"consumerChecks": "block"}
    refused = registry.post("/subjects/orders/versions", json=_body(NO_TOTAL))
    assert refused.status_code == 409, refused.text
    error = refused.json()
    assert error["error_code"] == 409
    for needle in ("Payments service", "orders.placed", "OrderPlaced", "total"):
        assert needle in error["message"]
    assert [v for v in registry.get("/subjects/orders/versions").json()] == [1]
    bad = registry.put("/api/config/consumer-checks/orders", json={"consumerChecks": "maybe"})
    assert bad.status_code == 422
    # back to warn (the subject's own setting removed): the same push is accepted, and the
    # payload subject of orders.placed follows
    assert registry.delete("/api/config/consumer-checks/orders").status_code == 200
    again = registry.delete("/api/config/consumer-checks/orders")  # nothing left to delete
    assert (again.status_code, again.json()["error_code"]) == (404, 40408)
    assert "subject-level consumerChecks" in again.json()["message"], again.text
    accepted = registry.post("/subjects/orders/versions", json=_body(NO_TOTAL))
    assert accepted.status_code == 200, accepted.text
    assert set(accepted.json()) == {"id"}
    graph = registry.get("/api/flow").json()
    edge = next(e for e in graph["edges"] if e["channel"] == "orders.placed")
    assert edge["fromContract"] == {"subject": "orders", "version": 2}
    json.dumps(graph)
