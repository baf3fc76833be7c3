"""Pushing an AsyncAPI contract registers each sent payload as a JSON subject, named by a
strategy (``<address>-value`` by default), atomically."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from evreg import load_contract
from evreg.registry import errors
from evreg.registry.payloads import standalone
from evreg.registry.service import RegistryService
from evreg.registry.settings import Settings
from evreg.registry.store import Store
from evreg.registry.store import audit as audit_log
from evreg.registry.usecases.views import Views
from evreg.registry.values import SchemaInput

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
        events = [e for e in audit_log.audit_events(session) if e.subject == "orders.placed-value"]
    assert events[0].after["derivedFrom"]["subject"] == "orders"
    assert events[0].after["derivedFrom"]["version"] == contract.version
    # pushing the same contract again changes nothing
    svc.register("orders", asyncapi(ORDERS))
    assert svc.list_versions("orders.placed-value") == [1]


def test_a_push_loads_the_contract_once(
    svc: RegistryService, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The contract's text is loaded once per push (its payload subjects are derived from it
    before the write transaction, and that load is used inside it), and each payload schema
    once; with consumer checks on ``block`` too, which check the same loaded contract."""
    import evreg.registry.usecases.prepare as prepare_module

    loaded: list[str] = []
    real = prepare_module.load_contract

    def counted(text: str, **kwargs: Any) -> Any:
        loaded.append(text)
        return real(text, **kwargs)

    monkeypatch.setattr(prepare_module, "load_contract", counted)
    svc.set_consumer_checks(None, "block")
    svc.register("orders", asyncapi(ORDERS))
    assert loaded.count(ORDERS) == 1
    assert len(loaded) == 2  # the contract, and its one payload subject's schema
    assert svc.list_subjects() == ["orders", "orders.placed-value"]


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


# ---------------------------------------------------------------- naming strategies

# A shop whose `shop.orders` channel carries two messages: OrderPlaced, whose payload ($ref)
# has a title, and OrderCancelled, whose inline payload has none (its message name is used);
# `shop.audit` carries AuditNote, with neither title nor name (its key is used). The shop only
# receives on `shop.returns`: that payload is someone else's and is never registered.
SHOP = {
    "asyncapi": "3.0.0",
    "info": {"title": "shop", "version": "1"},
    "channels": {
        "orders": {
            "address": "shop.orders",
            "messages": {
                "OrderPlaced": {"$ref": "#/components/messages/OrderPlaced"},
                "OrderCancelled": {"$ref": "#/components/messages/OrderCancelled"},
            },
        },
        "audit": {
            "address": "shop.audit",
            "messages": {"AuditNote": {"$ref": "#/components/messages/AuditNote"}},
        },
        "returns": {
            "address": "shop.returns",
            "messages": {"Returned": {"$ref": "#/components/messages/Returned"}},
        },
    },
    "operations": {
        "sendOrders": {"action": "send", "channel": {"$ref": "#/channels/orders"}},
        "sendAudit": {"action": "send", "channel": {"$ref": "#/channels/audit"}},
        "onReturn": {"action": "receive", "channel": {"$ref": "#/channels/returns"}},
    },
    "components": {
        "messages": {
            "OrderPlaced": {
                "name": "orderPlaced",
                "payload": {"$ref": "#/components/schemas/Placed"},
            },
            "OrderCancelled": {
                "name": "orderCancelled",
                "payload": {
                    "type": "object",
                    "properties": {"orderId": {"type": "string"}, "reason": {"type": "string"}},
                    "required": ["orderId"],
                },
            },
            "AuditNote": {
                "payload": {"type": "object", "properties": {"note": {"type": "string"}}}
            },
            "Returned": {
                "name": "returned",
                "payload": {"type": "object", "properties": {"rma": {"type": "string"}}},
            },
        },
        "schemas": {
            "Placed": {
                "title": "OrderPlaced",
                "type": "object",
                "properties": {"orderId": {"type": "string"}, "total": {"type": "number"}},
                "required": ["orderId"],
            }
        },
    },
}
PLACED = {"orderId": "o-1", "total": 12.5}
CANCELLED = {"orderId": "o-1", "reason": "changed my mind"}
NOTE = {"note": "hello"}
# strategy -> {subject: (examples it accepts, examples it rejects)}
EXPECTED: dict[str, dict[str, tuple[list[Any], list[Any]]]] = {
    "topic-name": {
        "shop.audit-value": ([NOTE], [{"note": 1}]),
        "shop.orders-value": ([PLACED, CANCELLED], [{"orderId": 1}]),
    },
    "record-name": {
        "AuditNote": ([NOTE], [{"note": 1}]),
        "OrderPlaced": ([PLACED], [{"orderId": "o", "total": "x"}]),
        "orderCancelled": ([CANCELLED], [{"orderId": "o", "reason": 3}]),
    },
    "topic-record-name": {
        "shop.audit-AuditNote": ([NOTE], [{"note": 1}]),
        "shop.orders-OrderPlaced": ([PLACED], [{"orderId": "o", "total": "x"}]),
        "shop.orders-orderCancelled": ([CANCELLED], [{"orderId": "o", "reason": 3}]),
    },
}
# where each strategy puts OrderCancelled's payload
CANCELLED_SUBJECT = {
    "topic-name": "shop.orders-value",
    "record-name": "orderCancelled",
    "topic-record-name": "shop.orders-orderCancelled",
}


def shop(**changes: Any) -> SchemaInput:
    doc = copy.deepcopy(SHOP)
    for path, value in changes.items():
        *parents, last = path.split("__")
        node = doc
        for key in parents:
            node = node[key]
        node[last] = value
    return asyncapi(json.dumps(doc))


@pytest.mark.parametrize("strategy", list(EXPECTED))
def test_each_strategy_registers_its_subjects(svc: RegistryService, strategy: str) -> None:
    contract = svc.register("shop", shop(), payload_strategy=strategy)
    expected = EXPECTED[strategy]
    assert svc.list_subjects() == sorted(["shop", *expected])
    for subject, (accepted, rejected) in expected.items():
        stored = svc.get_version(subject, "latest")
        assert stored.schema_type == "JSON"
        schema = json.loads(stored.schema)
        assert "#/components" not in stored.schema
        # one payload per subject, except topic-name's channel of two messages
        assert ("anyOf" in schema) == (len(accepted) > 1)
        validator = jsonschema.Draft202012Validator(schema)
        for event in accepted:
            assert validator.is_valid(event), (subject, event)
        for event in rejected:
            assert not validator.is_valid(event), (subject, event)
        with svc.store.read() as session:
            (event,) = [e for e in audit_log.audit_events(session) if e.subject == subject]
        origin = event.after["derivedFrom"]
        assert (origin["subject"], origin["version"]) == ("shop", contract.version)
        assert origin["strategy"] == strategy
    # pushing it again registers nothing new
    svc.register("shop", shop(), payload_strategy=strategy)
    assert all(svc.list_versions(s) == [1] for s in expected)


def test_the_registry_default_strategy_and_the_views(database_url: str) -> None:
    store = Store(database_url)
    try:
        svc = RegistryService(store, payload_strategy="record-name")
        svc.register("shop", shop())  # no strategy given: the registry's
        assert set(EXPECTED["record-name"]) < set(svc.list_subjects())
        view = Views(svc).asyncapi("shop", "latest")
        channels = {c["key"]: c for c in view["channels"]}
        assert channels["orders"]["payloadSubjects"] == ["OrderPlaced", "orderCancelled"]
        assert channels["orders"]["payloadSubject"] is None  # two: no single one
        assert channels["audit"]["payloadSubject"] == "AuditNote"
        assert channels["returns"]["payloadSubjects"] == []  # only received
        svc.register(
            "other", shop(info={"title": "o", "version": "2"}), payload_strategy="topic-name"
        )
        assert "shop.orders-value" in svc.list_subjects()  # a push may override it
    finally:
        store.close()


@pytest.mark.parametrize("strategy", list(EXPECTED))
def test_a_breaking_payload_change_stores_nothing(svc: RegistryService, strategy: str) -> None:
    svc.register("shop", shop(), payload_strategy=strategy)
    svc.set_config("shop", "NONE")  # the contract's own subject accepts anything
    before = {s: svc.list_versions(s) for s in svc.list_subjects()}
    cancelled = copy.deepcopy(SHOP["components"]["messages"]["OrderCancelled"])
    cancelled["payload"]["properties"]["reason"] = {"type": "integer"}  # breaks old events
    placed = copy.deepcopy(SHOP["components"]["schemas"]["Placed"])
    placed["description"] = "An accepted order."  # a compatible change, refused with it
    v2 = shop(components__messages__OrderCancelled=cancelled, components__schemas__Placed=placed)
    refused = CANCELLED_SUBJECT[strategy]
    with pytest.raises(errors.IncompatibleSchema, match=re.escape(f'"{refused}"')):
        svc.register("shop", v2, payload_strategy=strategy)
    assert {s: svc.list_versions(s) for s in svc.list_subjects()} == before

    # the check says the same, with the finding's path in the contract
    checked = svc.check_against("shop", v2, payload_strategy=strategy)
    verdicts = {p.subject: p.result.is_compatible for p in checked.payloads}
    assert verdicts == {s: s != refused for s in EXPECTED[strategy]}
    (bad,) = [p for p in checked.payloads if p.subject == refused]
    (finding,) = [f for f in bad.result.findings if f.breaking]
    assert bad.address == finding.channel == "shop.orders"
    if strategy == "topic-name":  # an alternative of the channel's anyOf changed: the channel
        assert (finding.path, finding.message_name) == ("#/channels/orders", None)
    else:  # one message per subject: the finding sits in that message's payload
        assert finding.path == "#/components/messages/OrderCancelled/payload/properties/reason"
        assert finding.message_name == "OrderCancelled"


def test_an_unknown_strategy_is_refused_naming_the_parameter(svc: RegistryService) -> None:
    with pytest.raises(errors.MalformedRequest, match="payloadSubjectStrategy='topic'") as info:
        svc.register("shop", shop(), payload_strategy="topic")
    assert info.value.status == 422
    assert svc.list_subjects() == []
    with pytest.raises(errors.MalformedRequest, match="payloadSubjectStrategy"):
        svc.check_against("shop", shop(), payload_strategy="")
    with pytest.raises(ValueError, match="EVREG_PAYLOAD_SUBJECT_STRATEGY='recordname'"):
        Settings.from_env({"EVREG_PAYLOAD_SUBJECT_STRATEGY": "recordname"})
    assert Settings.from_env({}).payload_strategy == "topic-name"


def test_two_payloads_with_one_record_name_are_refused(svc: RegistryService) -> None:
    """Two different payloads titled alike would be two schemas for one subject."""
    cancelled = copy.deepcopy(SHOP["components"]["messages"]["OrderCancelled"])
    cancelled["payload"]["title"] = "OrderPlaced"
    clash = shop(components__messages__OrderCancelled=cancelled)
    with pytest.raises(errors.InvalidSchema, match=r"OrderPlaced.*OrderCancelled"):
        svc.register("shop", clash, payload_strategy="record-name")
    assert svc.list_subjects() == []
    with pytest.raises(errors.InvalidSchema, match="topic-record-name"):  # on one channel too
        svc.register("shop", clash, payload_strategy="topic-record-name")
    assert svc.list_subjects() == []
    svc.register("shop", clash, payload_strategy="topic-name")  # one anyOf: no clash
    assert "shop.orders-value" in svc.list_subjects()
