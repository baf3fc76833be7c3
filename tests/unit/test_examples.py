"""The example contracts under contracts/ (what the README tells people to run) stay valid."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

import evreg
from evreg.contracts import ContractKind

CONTRACTS = Path(__file__).resolve().parents[2] / "contracts"
FILES = sorted(p for p in CONTRACTS.rglob("*") if p.is_file())

# file -> (info.title, {(action, channel address)})
ASYNCAPI = {
    "order_placed.yaml": ("orders", {("send", "orders.placed")}),
    "payment_events.yaml": (
        "payments",
        {("receive", "orders.placed"), ("send", "payments.captured"), ("send", "payments.failed")},
    ),
    "shipment_events.yaml": (
        "shipping",
        {("receive", "orders.placed"), ("send", "shipments.dispatched")},
    ),
}
JSON_SCHEMAS = {"customer_registered.schema.json"}


def parse(path: Path) -> Any:
    text = path.read_text(encoding="utf-8")
    return json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)


def validator(document: Any, pointer: str) -> Draft202012Validator:
    """A validator for the schema at ``pointer`` in ``document``, resolving local $refs."""
    registry = Registry().with_resource(
        "urn:example", Resource.from_contents(document, default_specification=DRAFT202012)
    )
    return Draft202012Validator(
        {"$ref": f"urn:example{pointer}"}, registry=registry, format_checker=FormatChecker()
    )


def test_every_example_is_listed() -> None:
    assert {p.name for p in FILES} == set(ASYNCAPI) | JSON_SCHEMAS


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_parses_and_loads(path: Path) -> None:
    document = parse(path)
    assert isinstance(document, dict)
    contract = evreg.load_contract(path.read_text(encoding="utf-8"), name=str(path))
    expected = ContractKind.ASYNCAPI if path.name in ASYNCAPI else ContractKind.JSON
    assert contract.kind is expected


@pytest.mark.parametrize("name", sorted(ASYNCAPI))
def test_asyncapi_operations(name: str) -> None:
    title, expected = ASYNCAPI[name]
    path = CONTRACTS / name
    assert parse(path)["info"]["title"] == title
    contract = evreg.load_contract(path.read_text(encoding="utf-8"), name=str(path))
    declared = {
        (op.action, contract.channels[op.channel].address) for op in contract.operations.values()
    }
    assert declared == expected
    for op in contract.operations.values():
        assert op.messages, f"{op.key} names no message"


@pytest.mark.parametrize("name", sorted(ASYNCAPI))
def test_message_examples_match_their_schemas(name: str) -> None:
    document = parse(CONTRACTS / name)
    for key, message in document["components"]["messages"].items():
        for example in message.get("examples", []):
            for part in ("payload", "headers"):
                if part in example and part in message:
                    pointer = f"#/components/messages/{key}/{part}"
                    errors = [
                        e.message for e in validator(document, pointer).iter_errors(example[part])
                    ]
                    assert not errors, f"{name} {key} example {part}: {errors}"


def test_customer_registered_examples_are_valid() -> None:
    document = parse(CONTRACTS / "customer_registered.schema.json")
    Draft202012Validator.check_schema(document)
    checker = Draft202012Validator(document, format_checker=FormatChecker())
    for example in document["examples"]:
        assert not list(checker.iter_errors(example))


@pytest.mark.parametrize(
    ("consumer", "pointer"),
    [
        ("payment_events.yaml", "#/channels/orders.placed/publish/message/payload"),
        ("shipment_events.yaml", "#/components/messages/OrderPlaced/payload"),
    ],
)
def test_consumers_accept_what_orders_sends(consumer: str, pointer: str) -> None:
    """The orders example event satisfies what each consumer of orders.placed expects."""
    orders = parse(CONTRACTS / "order_placed.yaml")
    event = orders["components"]["messages"]["OrderPlaced"]["examples"][0]["payload"]
    errors = [e.message for e in validator(parse(CONTRACTS / consumer), pointer).iter_errors(event)]
    assert not errors
