"""Headers in consumer-aware checks, and who may set ``consumerChecks``, against a real
``evreg serve`` (SQLite).

Headers: the shared orders contract sends ``OrderPlaced`` with headers requiring ``eventId`` and
``correlationId``; payments, as shared, declares no headers on the message it receives, so this
file's payments requires ``correlationId`` there. A producer that drops that header (or every
header) is reported against payments; one that keeps it is not.
Auth: setting the mode, globally or per subject, takes an ``admin`` token; reading it does not.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from test_cli_helpers import Registry

SHARED = Path(__file__).parents[2] / "fixtures" / "flow"  # copies of ../shared/contracts
ORDERS = (SHARED / "orders.asyncapi.yaml").read_text()
PAYMENTS = (SHARED / "payments.asyncapi.yaml").read_text()
PAYMENTS_WITH_HEADERS = PAYMENTS.replace(
    "        name: OrderPlaced\n",
    "        name: OrderPlaced\n"
    "        headers:\n"
    "          type: object\n"
    "          required: [correlationId]\n"
    "          properties:\n"
    "            correlationId: {type: string}\n",
    1,
)
NO_CORRELATION = ORDERS.replace(
    "      required: [eventId, correlationId]", "      required: [eventId]"
).replace("        correlationId:\n          type: string\n", "", 1)
NO_HEADERS = ORDERS.replace(
    "      headers:\n        $ref: '#/components/schemas/EventHeaders'\n", ""
)


def _body(text: str) -> dict[str, Any]:
    return {"schema": text, "schemaType": "ASYNCAPI"}


def test_the_variants_are_what_they_say() -> None:
    assert PAYMENTS_WITH_HEADERS != PAYMENTS
    assert "correlationId" not in NO_CORRELATION.split("EventHeaders:")[1].split("Money:")[0]
    assert "headers:" not in NO_HEADERS.split("components:")[1].split("schemas:")[0]


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    folder = tmp_path_factory.mktemp("flow-headers")
    server = Registry(f"sqlite:///{folder / 'evreg.db'}", folder).start()
    try:
        with httpx.Client(base_url=server.url, timeout=60) as client:
            for subject, doc in (("orders", ORDERS), ("payments", PAYMENTS_WITH_HEADERS)):
                response = client.post(f"/subjects/{subject}/versions", json=_body(doc))
                assert response.status_code == 200, response.text
            yield client
    finally:
        server.stop()


def test_a_producer_that_keeps_the_header_breaks_nobody(registry: httpx.Client) -> None:
    edge = next(e for e in registry.get("/api/flow").json()["edges"] if e["to"] != "Orders")
    assert (edge["from"], edge["to"], edge["broken"]) == (
        "Orders service",
        "Payments service",
        False,
    )
    same = registry.post("/api/subjects/orders/consumer-check", json=_body(ORDERS)).json()
    assert same["ok"], same


def test_dropping_a_required_header_is_reported_with_a_witness(registry: httpx.Client) -> None:
    result = registry.post("/api/subjects/orders/consumer-check", json=_body(NO_CORRELATION))
    assert result.status_code == 200, result.text
    [item] = result.json()["findings"]
    assert item["part"] == "headers"
    assert (item["consumer"], item["producer"], item["channel"], item["message"]) == (
        "Payments service",
        "Orders service",
        "orders.placed",
        "OrderPlaced",
    )
    assert item["text"].startswith(
        "Payments service expects header `correlationId`, Orders service v2 of `OrderPlaced`"
    )
    assert (
        item["finding"]["path"]
        == "#/components/messages/OrderPlaced/headers/properties/correlationId"
    )
    witness = item["finding"]["witness"]
    assert isinstance(witness, dict) and "correlationId" not in witness


def test_dropping_every_header_is_reported(registry: httpx.Client) -> None:
    result = registry.post("/api/can-i-deploy", json=_body(NO_HEADERS)).json()
    assert not result["ok"]
    headers = [f for f in result["findings"] if f["part"] == "headers"]
    assert headers, result
    assert "expects headers on `OrderPlaced`" in headers[0]["text"]
    assert "the new version no longer declares a headers schema" in headers[0]["text"]


def test_a_consumer_requiring_a_header_nobody_sends_is_reported(registry: httpx.Client) -> None:
    stricter = PAYMENTS_WITH_HEADERS.replace(
        "          required: [correlationId]\n"
        "          properties:\n"
        "            correlationId: {type: string}\n",
        "          required: [correlationId, tenantId]\n"
        "          properties:\n"
        "            correlationId: {type: string}\n"
        "            tenantId: {type: string}\n",
        1,
    )
    assert stricter != PAYMENTS_WITH_HEADERS
    result = registry.post("/api/subjects/payments/consumer-check", json=_body(stricter)).json()
    [item] = result["findings"]
    assert (item["side"], item["part"]) == ("consumer", "headers")
    assert "expects header `tenantId`" in item["text"]


def test_the_map_marks_the_edge_once_the_header_is_gone(registry: httpx.Client) -> None:
    pushed = registry.post("/subjects/orders/versions", json=_body(NO_CORRELATION))
    assert pushed.status_code == 200, pushed.text  # warn: registered, reported
    edge = next(e for e in registry.get("/api/flow").json()["edges"])
    assert edge["broken"] and edge["fromContract"]["version"] == 2
    assert [f["part"] for f in edge["findings"]] == ["headers"]


def test_soft_deleting_the_version_puts_the_previous_one_back(registry: httpx.Client) -> None:
    assert registry.delete("/subjects/orders/versions/2").status_code == 200
    [edge] = registry.get("/api/flow").json()["edges"]
    assert edge["fromContract"] == {"subject": "orders", "version": 1}
    assert not edge["broken"]
    assert registry.delete("/subjects/payments/versions/1").status_code == 200
    graph = registry.get("/api/flow").json()
    assert graph["edges"] == []
    assert {a["name"] for a in graph["applications"]} == {"Orders service"}


# ---------------------------------------------------------------- who may set the mode


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_setting_consumer_checks_needs_an_admin_token(tmp_path: Path) -> None:
    server = Registry(f"sqlite:///{tmp_path / 'auth.db'}", tmp_path).start()
    try:
        with httpx.Client(base_url=server.url, timeout=60) as http:
            admin = http.post("/api/tokens", json={"name": "root", "role": "admin"}).json()
            writer = http.post(
                "/api/tokens", json={"name": "ci", "role": "write"}, headers=_bearer(admin["token"])
            ).json()["token"]
            body = {"consumerChecks": "block"}
            routes = [
                ("PUT", "/api/config/consumer-checks"),
                ("PUT", "/api/config/consumer-checks/orders"),
                ("DELETE", "/api/config/consumer-checks/orders"),
            ]
            for method, path in routes:
                json_body = body if method == "PUT" else None
                anonymous = http.request(method, path, json=json_body)
                assert anonymous.status_code == 401, (method, path)
                assert anonymous.json()["error_code"] == 40101
                assert "admin" in anonymous.json()["message"]
                assert set(anonymous.json()) == {"error_code", "message"}
                forbidden = http.request(method, path, json=json_body, headers=_bearer(writer))
                assert forbidden.status_code == 403, (method, path)
                assert forbidden.json()["error_code"] == 40301
                assert "role write" in forbidden.json()["message"]
            # nothing changed
            assert http.get("/api/config/consumer-checks").json() == {"consumerChecks": "warn"}
            assert http.get("/api/config/consumer-checks/orders").json() == {
                "consumerChecks": "warn"
            }
            for method, path in routes:
                json_body = body if method == "PUT" else None
                done = http.request(method, path, json=json_body, headers=_bearer(admin["token"]))
                assert done.status_code == 200, (method, path, done.text)
            assert http.get("/api/config/consumer-checks").json() == {"consumerChecks": "block"}
            audit = http.get("/api/audit", params={"subject": "orders"}).json()["events"]
            assert {e["actor"] for e in audit} == {"token:root"}
    finally:
        server.stop()
