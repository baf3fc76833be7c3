"""The event-flow model without a registry: applications, endpoints, reader/writer checks."""

from __future__ import annotations

from pathlib import Path

from evreg.contracts import Policy, load_contract
from evreg.contracts.compat.check import check_reader
from evreg.contracts.model import Contract
from evreg.registry import flow

FIXTURES = Path(__file__).parents[1] / "fixtures" / "flow"


def _load(name: str) -> Contract:
    return load_contract((FIXTURES / name).read_text(), name=name)


def test_application_name_prefers_the_extension_then_the_title() -> None:
    orders = _load("orders.asyncapi.yaml")
    assert flow.application_of(orders, "subject") == "Orders service"
    named = load_contract(
        (FIXTURES / "orders.asyncapi.yaml").read_text() + "x-evreg-application: orders\n"
    )
    assert flow.application_of(named, "subject") == "orders"


def test_endpoints_follow_the_described_application_side() -> None:
    payments = flow.endpoints(_load("payments.asyncapi.yaml"), "payments", 1)
    sides = {(e.action, e.address): e.message_names for e in payments}
    assert sides[("receive", "orders.placed")] == ["OrderPlaced"]  # 2.x publish
    assert sides[("send", "payments.authorized")] == ["PaymentAuthorized"]  # 2.x subscribe


def test_the_map_has_one_edge_per_sender_receiver_pair() -> None:
    found = flow.endpoints(_load("orders.asyncapi.yaml"), "orders", 3) + flow.endpoints(
        _load("payments.asyncapi.yaml"), "payments", 1
    )
    graph = flow.FlowMap(tuple(found)).to_dict()
    [edge] = graph["edges"]
    assert (edge["from"], edge["to"], edge["channel"]) == (
        "Orders service",
        "Payments service",
        "orders.placed",
    )
    assert edge["fromContract"] == {"subject": "orders", "version": 3}
    view = flow.FlowMap(tuple(found)).application("Orders service")
    assert view is not None
    assert [s["receivers"] for s in view["sends"] if s["channel"] == "orders.placed"] == [
        ["Payments service"]
    ]


def test_dropping_total_breaks_payments_with_a_witness() -> None:
    payments = flow.endpoints(_load("payments.asyncapi.yaml"), "payments", 1)
    new = flow.endpoints(_load("orders.no-total.asyncapi.yaml"), "orders", 5)
    [item] = flow.check_endpoints(new, payments, Policy.STRICT)
    assert item.consumer == "Payments service" and item.channel == "orders.placed"
    assert item.text.startswith(
        "Payments service expects `total`, Orders service v5 of `OrderPlaced`"
    )
    assert item.finding.has_witness and "total" not in item.finding.witness
    assert "consumer:'Payments service'" in flow.describe_consumer_finding(item)


def test_an_optional_field_breaks_nobody() -> None:
    payments = flow.endpoints(_load("payments.asyncapi.yaml"), "payments", 1)
    new = flow.endpoints(_load("orders.optional-field.asyncapi.yaml"), "orders", 2)
    assert flow.check_endpoints(new, payments, Policy.STRICT) == []


def test_check_reader_is_the_direct_question() -> None:
    orders = _load("orders.no-total.asyncapi.yaml").messages["OrderPlaced"].payload
    payments = _load("payments.asyncapi.yaml")
    reader = next(m.payload for m in payments.messages.values() if m.name == "OrderPlaced")
    assert orders is not None and reader is not None
    breaking = [f for f in check_reader(orders, reader) if f.breaking]
    assert [f.rule for f in breaking] == ["REQUIRED_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL"]
    assert not [f for f in check_reader(reader, reader) if f.breaking]
