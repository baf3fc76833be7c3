"""The AsyncAPI view of the two shared contracts (copied under tests/fixtures/contracts)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from evreg.contracts import ContractError, ContractKind, load_contract
from evreg.contracts.model import DRAFT2020, Contract

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "contracts"


def _load(name: str) -> Contract:
    return load_contract((FIXTURES / name).read_text(encoding="utf-8"), name=name)


@pytest.fixture(scope="module")
def orders() -> Contract:
    return _load("orders.asyncapi.yaml")


@pytest.fixture(scope="module")
def payments() -> Contract:
    return _load("payments.asyncapi.yaml")


# -- orders: AsyncAPI 3.0 ------------------------------------------------------------------


def test_orders_is_asyncapi_3(orders: Contract) -> None:
    assert orders.kind is ContractKind.ASYNCAPI
    assert orders.is_asyncapi
    assert orders.version == "3.0.0"
    assert orders.title == "Orders service"
    assert orders.source == "orders.asyncapi.yaml"
    assert orders.schema is None


def test_orders_channels_have_addresses(orders: Contract) -> None:
    assert {k: c.address for k, c in orders.channels.items()} == {
        "orderPlaced": "orders.placed",
        "orderCancelled": "orders.cancelled",
    }
    assert orders.channels["orderPlaced"].messages == ("OrderPlaced",)
    assert orders.channels["orderCancelled"].messages == ("OrderCancelled",)
    assert orders.channels["orderPlaced"].pointer == "#/channels/orderPlaced"


def test_orders_operations_send_on_their_channels(orders: Contract) -> None:
    placed = orders.operations["publishOrderPlaced"]
    cancelled = orders.operations["publishOrderCancelled"]
    assert (placed.action, placed.channel, placed.messages) == (
        "send",
        "orderPlaced",
        ("OrderPlaced",),
    )
    # no `messages` list: every message of the channel
    assert (cancelled.action, cancelled.channel, cancelled.messages) == (
        "send",
        "orderCancelled",
        ("OrderCancelled",),
    )
    assert placed.pointer == "#/operations/publishOrderPlaced"


def test_orders_messages_are_keyed_by_component(orders: Contract) -> None:
    assert list(orders.messages) == ["OrderPlaced", "OrderCancelled"]
    placed = orders.messages["OrderPlaced"]
    assert placed.name == "OrderPlaced"
    assert placed.title == "Order placed"
    assert placed.summary == "A customer placed an order and it was accepted for fulfilment."
    assert placed.content_type == "application/json"
    assert placed.pointer == "#/components/messages/OrderPlaced"
    assert len(placed.examples) == 1
    assert placed.examples[0]["name"] == "two-items"
    assert placed.examples[0]["payload"]["total"] == {"amount": "33.00", "currency": "EUR"}


def test_orders_order_placed_payload_is_found_where_it_sits(orders: Contract) -> None:
    payload = orders.messages["OrderPlaced"].payload
    assert payload is not None
    assert payload.pointer == "#/components/messages/OrderPlaced/payload"
    assert payload.schema == {"$ref": "#/components/schemas/OrderPlacedPayload"}
    assert payload.draft == DRAFT2020
    assert payload.document is orders.document
    target = payload.document["components"]["schemas"]["OrderPlacedPayload"]
    assert target["required"] == ["orderId", "customerId", "placedAt", "currency", "items", "total"]
    headers = orders.messages["OrderPlaced"].headers
    assert headers is not None
    assert headers.pointer == "#/components/messages/OrderPlaced/headers"
    assert headers.schema == {"$ref": "#/components/schemas/EventHeaders"}


def test_orders_inline_payload_and_no_headers(orders: Contract) -> None:
    cancelled = orders.messages["OrderCancelled"]
    assert cancelled.headers is None
    assert cancelled.payload is not None
    assert cancelled.payload.pointer == "#/components/messages/OrderCancelled/payload"
    assert isinstance(cancelled.payload.schema, dict)
    assert cancelled.payload.schema["required"] == ["orderId", "cancelledAt", "reason"]


# -- payments: AsyncAPI 2.6 ----------------------------------------------------------------


def test_payments_is_asyncapi_2(payments: Contract) -> None:
    assert payments.version == "2.6.0"
    assert payments.title == "Payments service"


def test_payments_channel_key_is_the_address(payments: Contract) -> None:
    assert {k: c.address for k, c in payments.channels.items()} == {
        "orders.placed": "orders.placed",
        "payments.authorized": "payments.authorized",
        "payments.failed": "payments.failed",
    }
    assert payments.channels["orders.placed"].description is not None
    assert payments.channels["orders.placed"].description.startswith("Orders accepted")


def test_payments_publish_means_receive_and_subscribe_means_send(payments: Contract) -> None:
    actions = {k: (o.action, o.channel, o.messages) for k, o in payments.operations.items()}
    assert actions == {
        "onOrderPlaced": ("receive", "orders.placed", ("OrderPlaced",)),
        "publishPaymentAuthorized": ("send", "payments.authorized", ("PaymentAuthorized",)),
        "publishPaymentFailed": ("send", "payments.failed", ("PaymentFailed",)),
    }
    assert payments.operations["onOrderPlaced"].pointer == "#/channels/orders.placed/publish"


def test_payments_message_names(payments: Contract) -> None:
    assert sorted(payments.messages) == ["OrderPlaced", "PaymentAuthorized", "PaymentFailed"]
    inline = payments.messages["OrderPlaced"]
    assert inline.pointer == "#/channels/orders.placed/publish/message"
    assert inline.payload is not None
    assert inline.payload.pointer == "#/channels/orders.placed/publish/message/payload"
    assert payments.messages["PaymentAuthorized"].title == "Payment authorised"
    # defaultContentType applies when a message has no contentType
    assert payments.messages["PaymentFailed"].content_type == "application/json"


def test_payments_trait_headers_are_merged(payments: Contract) -> None:
    for key in ("PaymentAuthorized", "PaymentFailed"):
        headers = payments.messages[key].headers
        assert headers is not None
        assert headers.pointer == "#/components/messageTraits/CommonHeaders/headers"
        assert isinstance(headers.schema, dict)
        assert headers.schema["required"] == ["correlationId"]
        assert headers.schema["properties"]["producedBy"] == {
            "type": "string",
            "default": "payments",
        }
    assert payments.messages["OrderPlaced"].headers is None


def test_dict_input_gives_the_same_view(payments: Contract) -> None:
    text = (FIXTURES / "payments.asyncapi.yaml").read_text(encoding="utf-8")
    from_dict = load_contract(yaml.safe_load(text))
    assert from_dict.fingerprint == payments.fingerprint
    assert from_dict.operations == payments.operations
    assert from_dict.channels == payments.channels
    assert from_dict.source is None


# -- versions ------------------------------------------------------------------------------


@pytest.mark.parametrize("version", ["2.0.0", "2.3.0", "2.6.0", "3.0.0", "3.1.0"])
def test_known_versions_load(version: str) -> None:
    document = {"asyncapi": version, "info": {"title": "t", "version": "1"}}
    if version.startswith("2."):
        document["channels"] = {}  # required in 2.x (the official schema says so)
    contract = load_contract(document)
    assert contract.version == version
    assert contract.channels == {}


@pytest.mark.parametrize("version", ["1.2.0", "4.0.0", "2.7.0", "3.2.0", "latest", ""])
def test_unknown_version_is_refused(version: str) -> None:
    with pytest.raises(ContractError, match="unsupported AsyncAPI version") as caught:
        load_contract({"asyncapi": version, "info": {}}, name="x.yaml")
    assert caught.value.pointer == "#/asyncapi"
    assert caught.value.source == "x.yaml"


def test_non_string_version_is_refused() -> None:
    with pytest.raises(ContractError, match="must be a string") as caught:
        load_contract("asyncapi: 3.0\ninfo: {title: t, version: '1'}\n")
    assert caught.value.pointer == "#/asyncapi"
