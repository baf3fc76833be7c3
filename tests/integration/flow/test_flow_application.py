"""``--application`` / ``?application=``: a contract that names no application (no
``x-evreg-application``, no ``info.title``) is the application it was pushed for, else its
subject; a name in the document wins. Against a real ``evreg serve`` (SQLite): the API, then the
``evreg`` executable (push, check, can-i-deploy)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from test_cli_helpers import Registry, run

FIXTURES = Path(__file__).parents[2] / "fixtures" / "flow"
ORDERS = (FIXTURES / "orders.asyncapi.yaml").read_text()
UNTITLED = (FIXTURES / "billing.untitled.asyncapi.yaml").read_text()
# the same application, now requiring a field orders does not send
GREEDY = UNTITLED.replace("required: [orderId]", "required: [orderId, vatNumber]").replace(
    "          orderId: {type: string}\n",
    "          orderId: {type: string}\n          vatNumber: {type: string}\n",
)


def _body(text: str) -> dict[str, Any]:
    return {"schema": text, "schemaType": "ASYNCAPI"}


def _receivers(client: httpx.Client) -> set[str]:
    return {e["to"] for e in client.get("/api/flow").json()["edges"]}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Registry, Path]]:
    folder = tmp_path_factory.mktemp("flow-application")
    shutil.copy(FIXTURES / "billing.untitled.asyncapi.yaml", folder / "accounts.asyncapi.yaml")
    (folder / "greedy.asyncapi.yaml").write_text(GREEDY)
    registry = Registry(f"sqlite:///{folder / 'evreg.db'}", folder).start()
    try:
        response = httpx.post(
            f"{registry.url}/subjects/orders/versions", json=_body(ORDERS), timeout=60
        )
        assert response.status_code == 200, response.text
        yield registry, folder
    finally:
        registry.stop()


@pytest.fixture
def client(server: tuple[Registry, Path]) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server[0].url, timeout=60) as http:
        yield http


def test_api_the_query_parameter_names_an_untitled_contract(client: httpx.Client) -> None:
    assert "GREEDY" not in GREEDY and GREEDY != UNTITLED
    # without it, the subject names the application
    plain = client.post("/subjects/anonymous-billing/versions", json=_body(UNTITLED))
    assert plain.status_code == 200, plain.text
    assert "anonymous-billing" in _receivers(client)
    client.delete("/subjects/anonymous-billing").raise_for_status()
    # with it, the map knows the application by that name, and the change is audited
    named = client.post(
        "/subjects/billing/versions", params={"application": "Billing"}, json=_body(UNTITLED)
    )
    assert named.status_code == 200, named.text
    assert set(named.json()) == {"id"}  # the Confluent response, unchanged
    assert "Billing" in _receivers(client)
    assert client.get("/api/applications/Billing").json()["receives"][0]["subject"] == "billing"
    events = client.get("/api/audit", params={"subject": "billing"}).json()["events"]
    assert any(
        e["action"] == "application.set" and e["after"] == {"application": "Billing"}
        for e in events
    )
    # check routes take it too; without it, the name the subject was pushed with applies
    for params in ({"application": "Billing"}, {}):
        checked = client.post(
            "/api/subjects/billing/consumer-check", params=params, json=_body(GREEDY)
        ).json()
        assert checked["application"] == "Billing"
        [item] = checked["findings"]
        assert item["text"].startswith("Billing expects `vatNumber`, Orders service v1")
    deploy = client.post("/api/can-i-deploy", params={"application": "Billing"}, json=_body(GREEDY))
    assert deploy.json()["application"] == "Billing" and not deploy.json()["ok"]


def test_api_a_name_in_the_document_wins(client: httpx.Client) -> None:
    titled = UNTITLED.replace("  title: ''\n", "  title: Invoicing\n", 1)
    done = client.post(
        "/subjects/invoicing/versions", params={"application": "Ignored"}, json=_body(titled)
    )
    assert done.status_code == 200, done.text
    receivers = _receivers(client)
    assert "Invoicing" in receivers and "Ignored" not in receivers


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("", "must not be empty"),
        ("   ", "must not be empty"),
        ("x" * 201, "the limit is 200"),
        ("bad\nname", "control characters"),
        ("bad\x85name", "control characters"),  # C1 too, as the OpenAPI pattern says
    ],
)
def test_api_a_bad_name_is_refused_and_changes_nothing(
    client: httpx.Client, value: str, problem: str
) -> None:
    refused = client.post(
        "/subjects/refused/versions", params={"application": value}, json=_body(UNTITLED)
    )
    assert refused.status_code == 422, refused.text
    body = refused.json()
    assert body["error_code"] == 422
    assert (
        body["message"].startswith("Query parameter application") and problem in (body["message"])
    )
    assert client.get("/subjects/refused/versions").status_code == 404
    checked = client.post(
        "/api/subjects/refused/consumer-check", params={"application": value}, json=_body(GREEDY)
    )
    assert checked.status_code == 422


def test_cli_push_check_and_can_i_deploy_with_application(
    server: tuple[Registry, Path],
) -> None:
    registry, folder = server
    pushed = run(
        "push",
        "accounts.asyncapi.yaml",
        "--application",
        "Accounts",
        "--registry",
        registry.url,
        cwd=folder,
    )
    assert pushed.returncode == 0, pushed.stdout + pushed.stderr
    edges = httpx.get(f"{registry.url}/api/flow", timeout=30).json()["edges"]
    assert any(e["to"] == "Accounts" and e["toContract"]["subject"] == "accounts" for e in edges)

    deploy = run(
        "can-i-deploy",
        "greedy.asyncapi.yaml",
        "--application",
        "Accounts",
        "--registry",
        registry.url,
        cwd=folder,
    )
    assert deploy.returncode == 1, deploy.stdout + deploy.stderr
    assert deploy.stdout.startswith("NO  Accounts")
    assert "Accounts expects `vatNumber`" in deploy.stdout

    checked = run(
        "check",
        "greedy.asyncapi.yaml",
        "--application",
        "Ledger",
        "--registry",
        registry.url,
        cwd=folder,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr  # warn
    assert "Ledger expects `vatNumber`" in checked.stdout
