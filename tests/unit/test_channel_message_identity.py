"""Which message is which: 3.0 channel message keys are local to their channel (2.x: names).

Two channels may carry different inline messages under one key and one name; a diff compares
each channel's message with the same channel's message in the other version.
"""

from __future__ import annotations

import copy
from typing import Any

from evreg.contracts import load_contract
from evreg.contracts.asyncapi import read_asyncapi
from evreg.contracts.compat import check_compatibility

INFO = {"title": "t", "version": "1"}


def _obj(**properties: str) -> dict[str, Any]:
    return {"type": "object", "properties": {k: {"type": t} for k, t in properties.items()}}


def _v3(*channels: tuple[str, dict[str, Any]]) -> dict[str, Any]:
    return {
        "asyncapi": "3.0.0",
        "info": INFO,
        "channels": {
            key: {"address": f"events.{key}", "messages": messages} for key, messages in channels
        },
    }


def _two_channels() -> dict[str, Any]:
    return _v3(
        ("a", {"M": {"name": "Event", "payload": _obj(x="string")}}),
        ("b", {"M": {"name": "Event", "payload": _obj(y="integer")}}),
    )


def _rules(old: Any, new: Any, level: str = "FULL") -> set[tuple[str, str]]:
    return {(f.rule, f.path) for f in check_compatibility(old, new, level).findings}


def test_same_key_on_two_channels_loads_as_two_messages() -> None:
    contract = load_contract(_two_channels())
    a, b = contract.channels["a"], contract.channels["b"]
    assert a.messages != b.messages
    assert a.local_keys == (("M", a.messages[0]),)
    assert b.local_keys == (("M", b.messages[0]),)
    payload_a = contract.messages[a.messages[0]].payload
    payload_b = contract.messages[b.messages[0]].payload
    assert payload_a is not None and payload_a.pointer == "#/channels/a/messages/M/payload"
    assert payload_b is not None and payload_b.pointer == "#/channels/b/messages/M/payload"


def test_same_key_on_two_channels_is_compatible_with_itself() -> None:
    doc = _two_channels()
    assert _rules(doc, copy.deepcopy(doc)) == set()
    report = check_compatibility([doc, doc], doc, "FULL_TRANSITIVE")
    assert report.is_compatible and not report.findings


def test_same_name_on_two_v2_channels_is_compatible_with_itself() -> None:
    doc = {
        "asyncapi": "2.6.0",
        "info": INFO,
        "channels": {
            "a": {"subscribe": {"message": {"name": "Event", "payload": _obj(x="string")}}},
            "b": {"publish": {"message": {"name": "Event", "payload": _obj(y="integer")}}},
        },
    }
    assert _rules(doc, copy.deepcopy(doc)) == set()


def test_changing_one_channels_payload_is_reported_there_only() -> None:
    old = _two_channels()
    new = copy.deepcopy(old)
    new["channels"]["a"]["messages"]["M"]["payload"]["properties"]["x"]["type"] = "integer"
    report = check_compatibility(old, new, "BACKWARD")
    assert {(f.rule, f.path, f.channel) for f in report.findings} == {
        ("TYPE_CHANGED", "#/channels/a/messages/M/payload/properties/x", "events.a")
    }


def test_a_colliding_channel_added_renames_nothing_on_the_other() -> None:
    # nameless messages: the channel's own key is their identity, even when the loader keys the
    # later one apart from the earlier one (the first channel now takes the plain key `M`)
    old = _v3(("b", {"M": {"payload": _obj(y="integer")}}))
    new = _v3(
        ("a", {"M": {"payload": _obj(x="string")}}),
        ("b", {"M": {"payload": _obj(y="integer")}}),
    )
    assert load_contract(old).channels["b"].messages != load_contract(new).channels["b"].messages
    assert {rule for rule, _ in _rules(old, new)} == {"CHANNEL_ADDED"}


def test_message_pointer_uses_the_channels_own_key() -> None:
    component = {"name": "Placed", "payload": _obj(id="string")}
    old = _v3(("orders", {}))
    old["components"] = {"messages": {"OrderPlaced": component}}
    new = copy.deepcopy(old)
    new["channels"]["orders"]["messages"]["placed"] = {"$ref": "#/components/messages/OrderPlaced"}
    assert _rules(old, new) == {("MESSAGE_ADDED", "#/channels/orders/messages/placed")}


def test_a_message_moved_to_another_channel_keeps_its_payload_compared() -> None:
    old = _v3(("a", {"M": {"name": "Event", "payload": _obj(x="string")}}), ("b", {}))
    new = _v3(("a", {}), ("b", {"M": {"name": "Event", "payload": _obj(x="integer")}}))
    assert _rules(old, new, "BACKWARD") == {
        ("MESSAGE_REMOVED", "#/channels/a/messages/M"),
        ("MESSAGE_ADDED", "#/channels/b/messages/M"),
        ("TYPE_CHANGED", "#/channels/b/messages/M/payload/properties/x"),
    }


def test_a_shared_component_is_one_message_on_every_channel() -> None:
    doc = _v3(
        ("a", {"E": {"$ref": "#/components/messages/E"}}),
        ("b", {"Other": {"$ref": "#/components/messages/E"}}),
    )
    doc["components"] = {"messages": {"E": {"name": "E", "payload": _obj(x="string")}}}
    contract = load_contract(doc)
    assert list(contract.messages) == ["E"]
    assert contract.channels["b"].local_keys == (("Other", "E"),)
    new = copy.deepcopy(doc)
    new["components"]["messages"]["E"]["payload"]["properties"]["x"]["type"] = "integer"
    report = check_compatibility(doc, new, "BACKWARD")
    # compared once, not once per channel
    assert [(f.rule, f.path) for f in report.findings] == [
        ("TYPE_CHANGED", "#/components/messages/E/payload/properties/x")
    ]


def _identical_on_two_v2_channels() -> dict[str, Any]:
    message = {"name": "Event", "payload": _obj(x="string")}
    return {
        "asyncapi": "2.6.0",
        "info": INFO,
        "channels": {
            "a": {"subscribe": {"message": copy.deepcopy(message)}},
            "b": {"subscribe": {"message": copy.deepcopy(message)}},
        },
    }


def test_identical_inline_messages_on_two_channels_are_two_messages() -> None:
    message = {"name": "Event", "payload": _obj(x="string")}
    v3 = _v3(("a", {"M": copy.deepcopy(message)}), ("b", {"M": copy.deepcopy(message)}))
    for doc, at in ((v3, "messages/M"), (_identical_on_two_v2_channels(), "subscribe/message")):
        contract = load_contract(doc)
        a, b = contract.channels["a"].messages, contract.channels["b"].messages
        assert len(contract.messages) == 2 and a != b
        assert contract.messages[b[0]].pointer == f"#/channels/b/{at}"
        # either way round, a change to b's message is reported at b's message
        changed = copy.deepcopy(doc)
        node = changed["channels"]["b"]
        node = node["messages"]["M"] if "messages" in node else node["subscribe"]["message"]
        node["payload"]["properties"]["x"]["type"] = "integer"
        for old, new in ((doc, changed), (changed, doc)):
            assert _rules(old, new, "BACKWARD") == {
                ("TYPE_CHANGED", f"#/channels/b/{at}/payload/properties/x")
            }


def test_dereferenced_operation_message_is_its_own_channels_message() -> None:
    message = {"name": "Event", "payload": _obj(x="string")}
    doc = _v3(("a", {"M": copy.deepcopy(message)}), ("b", {"M": copy.deepcopy(message)}))
    doc["operations"] = {
        "sendB": {
            "action": "send",
            "channel": copy.deepcopy(doc["channels"]["b"]),
            "messages": [copy.deepcopy(message)],
        }
    }
    contract = read_asyncapi(doc, references={}, check=False)  # spec-invalid: see the view tests
    assert contract.operations["sendB"].channel == "b"
    assert contract.operations["sendB"].messages == contract.channels["b"].messages
