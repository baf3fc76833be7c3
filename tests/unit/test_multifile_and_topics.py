"""Multi-file documents embedded into one (``contracts.multifile``) and the topic a payload
subject is named after (``contracts.topics``)."""

from __future__ import annotations

from typing import Any

import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from evreg.contracts import ContractError, load_contract, multifile
from evreg.contracts.pointer import resolve
from evreg.contracts.topics import topic_name

MAIN: dict[str, Any] = {
    "asyncapi": "3.0.0",
    "info": {"title": "Lights", "version": "1"},
    "channels": {
        "c": {
            "address": "lights/{id}",
            "messages": {"m": {"$ref": "../common/messages.yaml#/lightMeasured"}},
        }
    },
    "operations": {"send": {"action": "send", "channel": {"$ref": "#/channels/c"}}},
}
FILES: dict[str, Any] = {
    "../common/messages.yaml": {
        "lightMeasured": {"name": "lightMeasured", "payload": {"$ref": "schemas.yaml#/P"}}
    },
    "../common/schemas.yaml": {
        "P": {"type": "object", "properties": {"at": {"$ref": "#/T"}}},
        "T": {"type": "string", "format": "date-time"},
    },
}


def test_embedded_refs_point_where_the_file_refs_pointed() -> None:
    bundled = multifile.embed(MAIN, FILES, "lights.yaml")
    ref = bundled["channels"]["c"]["messages"]["m"]["$ref"]
    assert ref == "#/x-evreg-files/..~1common~1messages.yaml/lightMeasured"
    message = resolve(bundled, ref)
    assert message == {
        "name": "lightMeasured",
        "payload": {"$ref": "#/x-evreg-files/..~1common~1schemas.yaml/P"},
    }
    # the oracle: a JSON Schema validator resolving the file refs itself (referencing, one
    # resource per file) and the embedded document agree on what the payload accepts
    registry: Registry[Any] = Registry().with_resources(
        (
            f"file:///p/common/{n.rsplit('/', 1)[1]}",
            Resource.from_contents(v, default_specification=DRAFT202012),
        )
        for n, v in FILES.items()
    )
    original = Draft202012Validator({"$ref": "file:///p/common/schemas.yaml#/P"}, registry=registry)
    embedded = Draft202012Validator(
        {
            "$ref": "#/x-evreg-files/..~1common~1schemas.yaml/P",
            **{"x-evreg-files": bundled["x-evreg-files"]},
        }
    )
    for event in ({"at": "2026-01-01T00:00:00Z"}, {"at": 5}, {}):
        assert original.is_valid(event) == embedded.is_valid(event)
    contract = load_contract(bundled)
    (key,) = contract.channels["c"].messages
    payload = contract.messages[key].payload
    assert payload is not None
    assert payload.pointer == "#/x-evreg-files/..~1common~1messages.yaml/lightMeasured/payload"


def test_a_ref_to_a_file_not_read_is_an_error() -> None:
    with pytest.raises(ContractError, match="not read"):
        multifile.embed(MAIN, {"../common/messages.yaml": FILES["../common/messages.yaml"]})


def test_bundled_place_names_the_file() -> None:
    at = "#/x-evreg-files/..~1common~1schemas.yaml/P/type"
    assert multifile.bundled_place(at) == ("../common/schemas.yaml", "#/P/type")
    assert multifile.bundled_place("#/channels/c") is None


def _v3(servers: dict[str, Any], address: str, channel_servers: list[str] | None = None) -> Any:
    channel: dict[str, Any] = {
        "address": address,
        "messages": {"m": {"payload": {"type": "string"}}},
    }
    if channel_servers is not None:
        channel["servers"] = [{"$ref": f"#/servers/{s}"} for s in channel_servers]
    return load_contract(
        {
            "asyncapi": "3.0.0",
            "info": {"title": "t", "version": "1"},
            "servers": servers,
            "channels": {"c": channel},
            "operations": {"o": {"action": "send", "channel": {"$ref": "#/channels/c"}}},
        }
    )


@pytest.mark.parametrize(
    ("servers", "address", "channel_servers", "topic"),
    [
        ({}, "lights/{streetlightId}/measured", None, "lights.streetlightId.measured"),
        ({}, "/", None, "c"),
        ({"k": {"host": "kafka:9092", "protocol": "kafka"}}, "orders.{region}", None,
         "orders.region"),
        ({"w": {"host": "ws.postman-echo.com", "protocol": "wss"}}, "/", None,
         "ws.postman-echo.com"),
        ({"w": {"host": "api.gemini.com", "pathname": "/v1", "protocol": "wss"}},
         "/marketdata/{symbol}", None, "api.gemini.com.v1.marketdata.symbol"),
        ({"m": {"host": "mqtt.local", "protocol": "mqtt"}, "w": {"host": "h", "protocol": "ws"}},
         "a/b", ["m"], "a.b"),
        ({"m": {"host": "mqtt.local", "protocol": "mqtt"}, "w": {"host": "h", "protocol": "ws"}},
         "/a", ["w"], "h.a"),
    ],
)  # fmt: skip
def test_topic_names(
    servers: dict[str, Any], address: str, channel_servers: list[str] | None, topic: str
) -> None:
    contract = _v3(servers, address, channel_servers)
    assert topic_name(contract, contract.channels["c"]) == topic


def test_two_websocket_apis_on_slash_get_different_topics() -> None:
    a = _v3({"s": {"host": "ws.one.example", "protocol": "wss"}}, "/")
    b = _v3({"s": {"host": "stream.two.example", "protocol": "ws"}}, "/")
    assert topic_name(a, a.channels["c"]) != topic_name(b, b.channels["c"])
