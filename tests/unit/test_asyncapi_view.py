"""Extraction rules of the AsyncAPI view: keys, oneOf, traits, dereferenced documents."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from evreg.contracts import ContractError, load_contract
from evreg.contracts.asyncapi import read_asyncapi
from evreg.contracts.model import Contract

INFO = {"title": "t", "version": "1"}


def v2(channels: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"asyncapi": "2.6.0", "info": INFO, "channels": channels, **extra}


def v3(channels: dict[str, Any], operations: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "asyncapi": "3.0.0",
        "info": INFO,
        "channels": channels,
        "operations": operations,
        **extra,
    }


def _payload(contract: Contract, key: str) -> Any:
    payload = contract.messages[key].payload
    assert payload is not None
    return payload


# -- 2.x message keys ----------------------------------------------------------------------


def test_v2_key_prefers_message_id_then_name_then_position() -> None:
    contract = load_contract(
        v2(
            {
                "a": {"publish": {"message": {"messageId": "Alpha", "name": "alpha-name"}}},
                "b": {"publish": {"message": {"name": "Beta"}}},
                "c": {"subscribe": {"message": {"payload": {"type": "string"}}}},
            }
        )
    )
    assert list(contract.messages) == ["Alpha", "Beta", "#/channels/c/subscribe/message"]
    assert contract.messages["Alpha"].name == "alpha-name"
    assert contract.operations["a/publish"].messages == ("Alpha",)
    assert contract.operations["c/subscribe"].action == "send"


def test_v2_one_of_lists_every_message() -> None:
    contract = load_contract(
        v2(
            {
                "user/events": {
                    "subscribe": {
                        "operationId": "sendUserEvents",
                        "message": {
                            "oneOf": [
                                {"$ref": "#/components/messages/UserSignedUp"},
                                {"name": "UserDeleted", "payload": {"type": "object"}},
                            ]
                        },
                    }
                }
            },
            components={"messages": {"UserSignedUp": {"payload": {"type": "object"}}}},
        )
    )
    operation = contract.operations["sendUserEvents"]
    assert operation.messages == ("UserSignedUp", "UserDeleted")
    assert contract.channels["user/events"].messages == ("UserSignedUp", "UserDeleted")
    assert contract.channels["user/events"].pointer == "#/channels/user~1events"
    deleted = contract.messages["UserDeleted"]
    assert deleted.pointer == "#/channels/user~1events/subscribe/message/oneOf/1"


def test_v2_same_name_different_message_gets_a_position_key() -> None:
    contract = load_contract(
        v2(
            {
                "a": {"publish": {"message": {"name": "Event", "payload": {"type": "string"}}}},
                "b": {"publish": {"message": {"name": "Event", "payload": {"type": "integer"}}}},
            }
        )
    )
    assert list(contract.messages) == ["Event", "#/channels/b/publish/message"]


def test_v2_duplicate_operation_id_is_an_error() -> None:
    with pytest.raises(ContractError, match="operationId 'op' is used twice") as caught:
        load_contract(
            v2({"a": {"publish": {"operationId": "op"}}, "b": {"publish": {"operationId": "op"}}})
        )
    assert caught.value.pointer == "#/channels/b/publish"


# -- traits --------------------------------------------------------------------------------

TRAIT = {
    "contentType": "application/x-trait",
    "headers": {"type": "object", "properties": {"fromTrait": {"type": "string"}}},
}
MESSAGE = {
    "contentType": "application/json",
    "headers": {"type": "object", "properties": {"fromMessage": {"type": "integer"}}},
    "traits": [{"$ref": "#/components/messageTraits/T"}],
    "payload": {"type": "string"},
}


def test_v2_trait_fields_win() -> None:
    doc = v2(
        {"a": {"publish": {"message": {"$ref": "#/components/messages/M"}}}},
        components={"messages": {"M": MESSAGE}, "messageTraits": {"T": TRAIT}},
    )
    message = load_contract(doc).messages["M"]
    assert message.content_type == "application/x-trait"
    assert message.headers is not None
    # both are objects: deep merge (JSON Merge Patch); the winner gives the pointer
    assert message.headers.schema == {
        "type": "object",
        "properties": {"fromMessage": {"type": "integer"}, "fromTrait": {"type": "string"}},
    }
    assert message.headers.pointer == "#/components/messageTraits/T/headers"


def test_v3_message_fields_win() -> None:
    doc = v3(
        {"a": {"address": "a", "messages": {"M": {"$ref": "#/components/messages/M"}}}},
        {},
        components={"messages": {"M": MESSAGE}, "messageTraits": {"T": TRAIT}},
    )
    message = load_contract(doc).messages["M"]
    assert message.content_type == "application/json"
    assert message.headers is not None
    assert message.headers.pointer == "#/components/messages/M/headers"
    schema = message.headers.schema
    assert isinstance(schema, dict)
    assert set(schema["properties"]) == {"fromMessage", "fromTrait"}


def test_trait_null_deletes_in_v2() -> None:
    """A null in a trait deletes the field (JSON Merge Patch). The official 2.x schema wants a
    schema for `headers`, so such a document is read as stored (not checked) here."""
    doc = v2(
        {"a": {"publish": {"message": {"$ref": "#/components/messages/M"}}}},
        components={
            "messages": {"M": {**MESSAGE, "summary": "kept?"}},
            "messageTraits": {"T": {"summary": None, "headers": None}},
        },
    )
    message = read_asyncapi(doc, references={}, check=False).messages["M"]
    assert message.summary is None
    assert message.headers is None


def test_v2_operation_traits_give_operation_id() -> None:
    doc = v2({"a": {"subscribe": {"traits": [{"operationId": "fromTrait", "description": "d"}]}}})
    operation = load_contract(doc).operations["fromTrait"]
    assert (operation.action, operation.description) == ("send", "d")


# -- 3.0 specifics -------------------------------------------------------------------------


def test_v3_inline_channel_message_is_keyed_by_its_map_key() -> None:
    doc = v3(
        {"c": {"address": None, "messages": {"Ping": {"payload": {"type": "string"}}}}},
        {
            "recv": {
                "action": "receive",
                "channel": {"$ref": "#/channels/c"},
                "messages": [{"$ref": "#/channels/c/messages/Ping"}],
            }
        },
    )
    contract = load_contract(doc)
    assert contract.channels["c"].address is None
    assert contract.channels["c"].messages == ("Ping",)
    assert contract.operations["recv"].messages == ("Ping",)
    assert contract.operations["recv"].action == "receive"
    assert contract.messages["Ping"].pointer == "#/channels/c/messages/Ping"


def test_v3_channel_from_components() -> None:
    doc = v3(
        {"c": {"$ref": "#/components/channels/C"}},
        {"send": {"action": "send", "channel": {"$ref": "#/channels/c"}}},
        components={
            "channels": {
                "C": {"address": "c.x", "messages": {"M": {"$ref": "#/components/messages/M"}}}
            },
            "messages": {"M": {"payload": {"type": "string"}}},
        },
    )
    contract = load_contract(doc)
    assert contract.channels["c"].address == "c.x"
    assert contract.channels["c"].pointer == "#/components/channels/C"
    assert contract.operations["send"].messages == ("M",)


def test_v3_bad_action_is_refused() -> None:
    doc = v3(
        {"c": {"address": "c"}}, {"o": {"action": "publish", "channel": {"$ref": "#/channels/c"}}}
    )
    with pytest.raises(
        ContractError, match=r"'publish' is not one of \['send', 'receive'\]"
    ) as caught:
        load_contract(doc)
    assert caught.value.pointer == "#/operations/o/action"


def test_v3_operation_channel_must_exist() -> None:
    doc = v3(
        {"c": {"address": "c"}},
        {"o": {"action": "send", "channel": {"$ref": "#/components/channels/Missing"}}},
    )
    with pytest.raises(ContractError, match="points to nothing") as caught:
        load_contract(doc)
    assert caught.value.pointer == "#/operations/o/channel/$ref"


def test_v3_message_ref_to_nowhere_names_the_pointer() -> None:
    doc = v3({"c": {"address": "c", "messages": {"M": {"$ref": "#/components/messages/Nope"}}}}, {})
    with pytest.raises(ContractError, match="'#/components/messages/Nope' points to nothing") as e:
        load_contract(doc)
    assert e.value.pointer == "#/channels/c/messages/M/$ref"


# -- dereferenced documents: the same message repeated, matched by key not position -----------


def _dereferenced_orders(orders: dict[str, Any]) -> dict[str, Any]:
    """What a dereferencing tool makes of orders: every message $ref replaced by a copy."""
    doc = copy.deepcopy(orders)
    messages = doc["components"]["messages"]
    for channel in doc["channels"].values():
        for key, message in channel["messages"].items():
            name = message["$ref"].rsplit("/", 1)[1]
            channel["messages"][key] = copy.deepcopy(messages[name])
    for operation in doc["operations"].values():
        name = operation["channel"]["$ref"].rsplit("/", 1)[1]
        operation["channel"] = copy.deepcopy(doc["channels"][name])
        if "messages" in operation:
            operation["messages"] = [
                copy.deepcopy(m) for m in operation["channel"]["messages"].values()
            ]
    return doc


def test_dereferenced_v3_document_has_each_message_once() -> None:
    orders = {
        "asyncapi": "3.0.0",
        "info": INFO,
        "channels": {
            "placed": {"address": "o.p", "messages": {"P": {"$ref": "#/components/messages/P"}}},
            "gone": {"address": "o.g", "messages": {"G": {"$ref": "#/components/messages/G"}}},
        },
        "operations": {
            "sendP": {
                "action": "send",
                "channel": {"$ref": "#/channels/placed"},
                "messages": [{"$ref": "#/channels/placed/messages/P"}],
            },
            "sendG": {"action": "send", "channel": {"$ref": "#/channels/gone"}},
        },
        "components": {
            "messages": {
                "P": {"name": "P", "payload": {"type": "object", "required": ["id"]}},
                "G": {"name": "G", "payload": {"type": "object", "required": ["why"]}},
            }
        },
    }
    plain = load_contract(orders)
    # the official 3.0 schema wants Reference Objects in operations: a dereferenced document is
    # refused as new input, but the reader still reads one (as stored by older versions)
    with pytest.raises(ContractError, match="'\\$ref' is required"):
        load_contract(_dereferenced_orders(orders))
    flat = read_asyncapi(_dereferenced_orders(orders), references={}, check=False)
    assert list(flat.messages) == ["P", "G"]
    assert {k: (o.channel, o.messages) for k, o in flat.operations.items()} == {
        "sendP": ("placed", ("P",)),
        "sendG": ("gone", ("G",)),
    }
    assert flat.channels["placed"].messages == plain.channels["placed"].messages == ("P",)
    assert _payload(flat, "P").pointer == "#/components/messages/P/payload"


def test_dereferenced_v2_message_matches_component_by_content() -> None:
    component = {"name": "Paid", "payload": {"type": "object"}}
    doc = v2(
        {"paid": {"subscribe": {"message": copy.deepcopy(component)}}},
        components={"messages": {"PaidV1": component}},
    )
    contract = load_contract(doc)
    assert list(contract.messages) == ["PaidV1"]
    assert contract.operations["paid/subscribe"].messages == ("PaidV1",)


def test_inline_message_named_like_a_component_is_that_component() -> None:
    doc = v2(
        {"paid": {"subscribe": {"message": {"name": "Paid", "x-parser": 1}}}},
        components={"messages": {"Paid": {"name": "Paid"}}},
    )
    contract = load_contract(doc)
    assert list(contract.messages) == ["Paid"]
    assert contract.messages["Paid"].pointer == "#/components/messages/Paid"


def test_yaml_aliases_share_a_message() -> None:
    text = """
asyncapi: 2.6.0
info: {title: t, version: '1'}
channels:
  a:
    publish:
      message: &m {name: Shared, payload: {type: string}}
  b:
    subscribe:
      message: *m
"""
    contract = load_contract(text)
    assert list(contract.messages) == ["Shared"]
    assert contract.channels["b"].messages == ("Shared",)
