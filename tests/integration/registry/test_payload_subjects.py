"""Pushing an AsyncAPI contract registers each sent payload as ``<address>-value``, atomically."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import jsonschema
import pytest
import yaml

from evreg import load_contract
from evreg.registry import errors
from evreg.registry.payloads import standalone
from evreg.registry.service import RegistryService, SchemaInput
from evreg.registry.store import Store
from evreg.registry.store import queries as q

REPO = Path(__file__).resolve().parents[3]
ORDERS = (REPO / "contracts" / "order_placed.yaml").read_text()


def asyncapi(text: str) -> SchemaInput:
    return SchemaInput(schema=text, schema_type="ASYNCAPI")


@pytest.fixture
def svc(database_url: str) -> Iterator[RegistryService]:
    store = Store(database_url)
    yield RegistryService(store)
    store.close()


def test_contract_push_registers_payload_subjects(svc: RegistryService) -> None:
    contract = svc.register("orders", asyncapi(ORDERS))
    assert svc.list_subjects() == ["orders", "orders.placed-value"]
    payload = svc.get_version("orders.placed-value", "latest")
    assert payload.schema_type == "JSON"
    schema = json.loads(payload.schema)
    assert "#/components" not in payload.schema  # standalone: refs bundled under $defs
    example = yaml.safe_load(ORDERS)["components"]["messages"]["OrderPlaced"]["examples"][0]
    jsonschema.validate(example["payload"], schema)
    with svc.store.read() as session:
        events = [e for e in q.audit_events(session) if e.subject == "orders.placed-value"]
    assert events[0].after["derivedFrom"]["subject"] == "orders"
    assert events[0].after["derivedFrom"]["version"] == contract.version
    # pushing the same contract again changes nothing
    svc.register("orders", asyncapi(ORDERS))
    assert svc.list_versions("orders.placed-value") == [1]


def test_an_incompatible_payload_rolls_back_the_whole_push(svc: RegistryService) -> None:
    svc.register("orders", asyncapi(ORDERS))
    svc.set_config("orders", "NONE")  # the contract subject accepts anything...
    doc = yaml.safe_load(ORDERS)
    doc["components"]["schemas"]["OrderPlacedPayload"]["properties"]["orderId"] = {
        "type": "integer"
    }
    with pytest.raises(errors.IncompatibleSchema, match=r"orders\.placed-value"):
        svc.register("orders", asyncapi(yaml.safe_dump(doc)))  # ...the payload subject does not
    assert svc.list_versions("orders") == [1]
    assert svc.list_versions("orders.placed-value") == [1]


def test_consumers_do_not_register_payloads_of_others(svc: RegistryService) -> None:
    payments = (REPO / "contracts" / "payment_events.yaml").read_text()
    svc.register("payments", asyncapi(payments))
    assert "orders.placed-value" not in svc.list_subjects()  # payments only reads it
    assert {"payments.captured-value", "payments.failed-value"} <= set(svc.list_subjects())


def test_payload_subjects_can_be_switched_off(database_url: str) -> None:
    store = Store(database_url)
    try:
        svc = RegistryService(store, payload_subjects=False)
        svc.register("orders", asyncapi(ORDERS))
        assert svc.list_subjects() == ["orders"]
    finally:
        store.close()


def test_standalone_bundles_local_refs_cycles_and_several_messages() -> None:
    doc = {
        "asyncapi": "3.0.0",
        "info": {"title": "t", "version": "1"},
        "channels": {
            "c": {
                "address": "tree.events",
                "messages": {
                    "A": {"$ref": "#/components/messages/A"},
                    "B": {"$ref": "#/components/messages/B"},
                },
            }
        },
        "operations": {
            "s": {
                "action": "send",
                "channel": {"$ref": "#/channels/c"},
                "messages": [
                    {"$ref": "#/channels/c/messages/A"},
                    {"$ref": "#/channels/c/messages/B"},
                ],
            }
        },
        "components": {
            "messages": {
                "A": {"payload": {"$ref": "#/components/schemas/Node"}},
                "B": {"payload": {"type": "object", "properties": {"n": {"type": "integer"}}}},
            },
            "schemas": {
                "Node": {
                    "type": "object",
                    "properties": {
                        "children": {
                            "type": "array",
                            "items": {"$ref": "#/components/schemas/Node"},
                        }
                    },
                }
            },
        },
    }
    contract = load_contract(doc)
    refs = [m.payload for m in contract.messages.values() if m.payload is not None]
    schema = standalone(refs)
    text = json.dumps(schema)
    assert "#/components" not in text
    assert "anyOf" in schema and "Node" in schema["$defs"]
    validator = jsonschema.Draft202012Validator(schema)
    assert validator.is_valid({"children": [{"children": []}]})
    assert validator.is_valid({"n": 1})
    load_contract(schema)  # and the registry can load it as a JSON Schema contract
