"""Payload and headers schemas of AsyncAPI messages: formats, drafts, checks, references."""

from __future__ import annotations

from typing import Any

import pytest

from evreg.contracts import ContractError, load_contract
from evreg.contracts.model import AVRO, DRAFT4, DRAFT7, DRAFT2020

INFO = {"title": "t", "version": "1"}


def v3_with(message: dict[str, Any], **components: Any) -> dict[str, Any]:
    return {
        "asyncapi": "3.0.0",
        "info": INFO,
        "channels": {"c": {"address": "c", "messages": {"M": {"$ref": "#/components/messages/M"}}}},
        "components": {"messages": {"M": message}, **components},
    }


def v2_with(message: dict[str, Any], **components: Any) -> dict[str, Any]:
    return {
        "asyncapi": "2.6.0",
        "info": INFO,
        "channels": {"c": {"publish": {"message": {"$ref": "#/components/messages/M"}}}},
        "components": {"messages": {"M": message}, **components},
    }


def test_v3_multi_format_payload_is_unwrapped() -> None:
    schema = {"type": "object", "properties": {"id": {"type": "string"}}}
    message = {
        "payload": {
            "schemaFormat": "application/schema+json;version=draft-07",
            "schema": schema,
        }
    }
    payload = load_contract(v3_with(message)).messages["M"].payload
    assert payload is not None
    assert payload.schema == schema
    assert payload.pointer == "#/components/messages/M/payload/schema"
    assert payload.draft == DRAFT7


def test_v3_multi_format_behind_a_ref() -> None:
    message = {"payload": {"$ref": "#/components/schemas/Wrapped"}}
    wrapped = {
        "schemaFormat": "application/vnd.aai.asyncapi+yaml;version=3.0.0",
        "schema": {"type": "string"},
    }
    payload = load_contract(v3_with(message, schemas={"Wrapped": wrapped})).messages["M"].payload
    assert payload is not None
    assert payload.pointer == "#/components/schemas/Wrapped/schema"
    assert payload.schema == {"type": "string"}
    assert payload.draft == DRAFT2020


def test_v3_multi_format_headers_are_unwrapped() -> None:
    message = {
        "headers": {
            "schemaFormat": "application/schema+yaml;version=draft-04",
            "schema": {"type": "object"},
        }
    }
    headers = load_contract(v3_with(message)).messages["M"].headers
    assert headers is not None
    assert (headers.pointer, headers.draft) == ("#/components/messages/M/headers/schema", DRAFT4)


@pytest.mark.parametrize(
    ("schema_format", "family"),
    [
        ("application/vnd.google.protobuf;version=3", "Protobuf"),
        ("application/raml+yaml;version=1.0", "RAML"),
    ],
)
def test_v3_non_json_schema_payload_is_refused(schema_format: str, family: str) -> None:
    message = {"payload": {"schemaFormat": schema_format, "schema": {"type": "record"}}}
    with pytest.raises(ContractError, match=f"not JSON Schema: {family}") as caught:
        load_contract(v3_with(message), name="avro.yaml")
    assert caught.value.pointer == "#/components/messages/M/payload/schemaFormat"
    assert str(caught.value).startswith("avro.yaml at #/components/messages/M/payload/schemaFormat")


USER = {"type": "record", "name": "User", "fields": [{"name": "id", "type": "long"}]}


@pytest.mark.parametrize(
    "schema_format",
    [
        "application/vnd.apache.avro;version=1.9.0",
        "application/vnd.apache.avro+json;version=1.9.0",
        "application/vnd.apache.avro+yaml;version=1.9.0",
        "application/vnd.apache.avro",
    ],
)
def test_v3_avro_payload_is_read_as_avro(schema_format: str) -> None:
    message = {"payload": {"schemaFormat": schema_format, "schema": USER}}
    payload = load_contract(v3_with(message)).messages["M"].payload
    assert payload is not None
    assert (payload.pointer, payload.draft) == ("#/components/messages/M/payload/schema", AVRO)
    assert payload.schema == USER


def test_v2_message_schema_format_avro_is_read_as_avro() -> None:
    message = {"schemaFormat": "application/vnd.apache.avro;version=1.9.0", "payload": "string"}
    payload = load_contract(v2_with(message)).messages["M"].payload
    assert payload is not None and (payload.schema, payload.draft) == ("string", AVRO)


def test_an_invalid_avro_payload_names_its_place() -> None:
    bad = {"type": "record", "name": "User", "fields": [{"name": "id", "type": "lng"}]}
    message = {"payload": {"schemaFormat": "application/vnd.apache.avro;version=1.9.0",
                           "schema": bad}}  # fmt: skip
    with pytest.raises(ContractError, match="invalid Avro schema: unknown type lng") as caught:
        load_contract(v3_with(message), name="users.yaml")
    assert caught.value.pointer == "#/components/messages/M/payload/schema"
    assert caught.value.source == "users.yaml"


def test_v2_message_schema_format_sets_the_draft() -> None:
    message = {
        "schemaFormat": "application/schema+json;version=draft-07",
        "payload": {"type": "object"},
    }
    payload = load_contract(v2_with(message)).messages["M"].payload
    assert payload is not None
    assert payload.draft == DRAFT7
    assert payload.pointer == "#/components/messages/M/payload"


def test_payload_dollar_schema_wins() -> None:
    message = {"payload": {"$schema": "http://json-schema.org/draft-04/schema#", "type": "object"}}
    payload = load_contract(v3_with(message)).messages["M"].payload
    assert payload is not None
    assert payload.draft == DRAFT4


def test_unknown_json_schema_version_in_format_is_refused() -> None:
    message = {
        "payload": {"schemaFormat": "application/schema+json;version=draft-03", "schema": {}}
    }
    with pytest.raises(ContractError, match="unsupported JSON Schema version"):
        load_contract(v3_with(message))


def test_invalid_payload_schema_names_the_keyword() -> None:
    message = {"payload": {"type": "object", "properties": {"n": {"minimum": "zero"}}}}
    with pytest.raises(ContractError, match="'zero' is not of type 'number'") as caught:
        load_contract(v3_with(message))
    assert caught.value.pointer == "#/components/messages/M/payload/properties/n/minimum"


def test_invalid_referenced_component_schema_is_found() -> None:
    message = {"payload": {"$ref": "#/components/schemas/P"}}
    schemas = {"P": {"type": "object", "properties": {"m": {"$ref": "#/components/schemas/M"}}}}
    schemas["M"] = {"type": "strung"}
    with pytest.raises(ContractError, match="invalid JSON Schema") as caught:
        load_contract(v3_with(message, schemas=schemas))
    assert caught.value.pointer == "#/components/schemas/M/type"


def test_payload_ref_to_nowhere_is_refused() -> None:
    message = {"payload": {"type": "object", "properties": {"x": {"$ref": "#/nowhere"}}}}
    with pytest.raises(ContractError, match="'#/nowhere' points to nothing") as caught:
        load_contract(v2_with(message))
    assert caught.value.pointer == "#/components/messages/M/payload/properties/x/$ref"


def test_external_payload_ref_resolves_from_references() -> None:
    message = {"payload": {"$ref": "common.yaml#/Money"}}
    common = "Money:\n  type: object\n  required: [amount]\n"
    contract = load_contract(v3_with(message), references={"common.yaml": common})
    payload = contract.messages["M"].payload
    assert payload is not None
    assert payload.schema == {"$ref": "common.yaml#/Money"}
    assert payload.resources == {
        "common.yaml": {"Money": {"type": "object", "required": ["amount"]}}
    }
    assert contract.resources == payload.resources


def test_external_payload_ref_without_references_is_refused() -> None:
    message = {"payload": {"$ref": "https://schemas.example.com/money.json"}}
    with pytest.raises(ContractError, match="never fetches") as caught:
        load_contract(v3_with(message))
    assert caught.value.pointer == "#/components/messages/M/payload/$ref"


def test_external_message_ref_resolves_from_references() -> None:
    doc = {
        "asyncapi": "3.0.0",
        "info": INFO,
        "channels": {"c": {"address": "c", "messages": {"M": {"$ref": "shared.json#/Msg"}}}},
    }
    shared = {"Msg": {"name": "Shared", "payload": {"type": "string"}}}
    contract = load_contract(doc, references={"shared.json": shared})
    assert list(contract.messages) == ["M"]
    message = contract.messages["M"]
    assert (message.name, message.pointer) == ("Shared", "shared.json#/Msg")
    assert message.payload is not None
    assert message.payload.pointer == "shared.json#/Msg/payload"


def test_circular_message_ref_is_refused() -> None:
    doc = v3_with({"$ref": "#/components/messages/N"})
    doc["components"]["messages"]["N"] = {"$ref": "#/components/messages/M"}
    with pytest.raises(ContractError, match="circular"):
        load_contract(doc)


def test_non_object_payload_is_refused() -> None:
    with pytest.raises(ContractError, match=r"must be a schema .*, not a string") as caught:
        load_contract(v2_with({"payload": "string"}))
    assert caught.value.pointer == "#/components/messages/M/payload"
