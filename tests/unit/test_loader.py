"""load_contract for plain JSON Schema documents: drafts, meta-schema checks, input kinds."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from evreg.contracts import ContractError, ContractKind, load_contract
from evreg.contracts.model import DRAFT4, DRAFT6, DRAFT7, DRAFT2019, DRAFT2020

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "contracts"


def test_sensor_reading_fixture() -> None:
    text = (FIXTURES / "iot" / "sensor_reading.schema.json").read_text(encoding="utf-8")
    contract = load_contract(text, name="sensor_reading.schema.json")
    assert contract.kind is ContractKind.JSON
    assert not contract.is_asyncapi
    assert contract.version == DRAFT2020
    assert contract.title == "SensorReading"
    assert contract.source == "sensor_reading.schema.json"
    assert contract.schema is not None
    assert contract.schema.pointer == "#"
    assert contract.schema.draft == DRAFT2020
    assert contract.schema.schema is contract.document
    assert contract.schema.document is contract.document
    assert contract.document["required"] == ["deviceId", "observedAt", "metrics"]
    assert contract.channels == {} and contract.messages == {} and contract.operations == {}


def test_notification_fixture_is_draft_07_yaml() -> None:
    text = (FIXTURES / "social" / "notification_requested.schema.yaml").read_text("utf-8")
    contract = load_contract(text)
    assert contract.version == DRAFT7
    assert contract.title == "NotificationRequested"
    assert contract.document["properties"]["channels"]["default"] == ["in_app"]
    assert contract.schema is not None and contract.schema.draft == DRAFT7


@pytest.mark.parametrize(
    ("declared", "draft"),
    [
        ("http://json-schema.org/draft-04/schema#", DRAFT4),
        ("http://json-schema.org/draft-06/schema#", DRAFT6),
        ("http://json-schema.org/draft-07/schema#", DRAFT7),
        ("http://json-schema.org/draft-07/schema", DRAFT7),
        ("https://json-schema.org/draft-07/schema#", DRAFT7),
        ("https://json-schema.org/draft/2019-09/schema", DRAFT2019),
        ("https://json-schema.org/draft/2020-12/schema", DRAFT2020),
        ("https://json-schema.org/draft/2020-12/schema#", DRAFT2020),
    ],
)
def test_draft_is_detected_from_dollar_schema(declared: str, draft: str) -> None:
    contract = load_contract({"$schema": declared, "type": "object"})
    assert contract.version == draft
    assert contract.schema is not None and contract.schema.draft == draft


def test_default_draft_is_2020_12() -> None:
    contract = load_contract('{"type": "string", "title": "Name"}')
    assert contract.version == DRAFT2020
    assert contract.title == "Name"


@pytest.mark.parametrize("declared", ["http://json-schema.org/draft-03/schema#", "nope", 7])
def test_unknown_dialect_is_refused(declared: Any) -> None:
    with pytest.raises(ContractError, match="unsupported JSON Schema dialect") as caught:
        load_contract({"$schema": declared})
    assert caught.value.pointer == "#/$schema"


@pytest.mark.parametrize(
    ("schema", "pointer", "message"),
    [
        # draft-04: exclusiveMinimum is a boolean
        (
            {"$schema": DRAFT4, "properties": {"n": {"minimum": 1, "exclusiveMinimum": 3}}},
            "#/properties/n/exclusiveMinimum",
            "3 is not of type 'boolean'",
        ),
        # draft-07: a number there is fine, a string is not
        (
            {"$schema": DRAFT7, "properties": {"n": {"exclusiveMinimum": "3"}}},
            "#/properties/n/exclusiveMinimum",
            "'3' is not of type 'number'",
        ),
        (
            {"$schema": DRAFT2019, "items": [{"type": "x"}]},
            "#/items/0/type",
            "is not valid under any of the given schemas",
        ),
        # 2020-12: array form of items is gone
        ({"items": [{"type": "string"}]}, "#/items", "is not of type 'object', 'boolean'"),
        ({"required": "id"}, "#/required", "'id' is not of type 'array'"),
        ({"$defs": {"A": {"minLength": -1}}}, "#/$defs/A/minLength", "less than the minimum"),
        ({"properties": {"p": {"pattern": "(unclosed"}}}, "#/properties/p/pattern", "regex"),
    ],
)
def test_meta_schema_errors_name_the_keyword(schema: Any, pointer: str, message: str) -> None:
    with pytest.raises(ContractError, match="invalid JSON Schema") as caught:
        load_contract(schema, name="s.json")
    assert caught.value.pointer == pointer
    assert message in caught.value.message
    assert caught.value.source == "s.json"


def test_same_invalid_schema_fails_every_time() -> None:
    for _ in range(2):
        with pytest.raises(ContractError, match="invalid JSON Schema"):
            load_contract({"type": "strung"})


def test_draft_04_refuses_boolean_subschemas() -> None:
    with pytest.raises(ContractError) as caught:
        load_contract({"$schema": DRAFT4, "properties": {"a": True}})
    assert caught.value.pointer == "#/properties/a"


@pytest.mark.parametrize("value", [True, False, "true", b"false"])
def test_boolean_schemas(value: Any) -> None:
    contract = load_contract(value)
    assert contract.kind is ContractKind.JSON
    assert contract.document in (True, False)
    assert contract.schema is not None and contract.schema.schema is contract.document


@pytest.mark.parametrize("text", ["[1, 2]", "42", "just text", "null"])
def test_top_level_must_be_an_object(text: str) -> None:
    with pytest.raises(ContractError, match="top level must be an object") as caught:
        load_contract(text, name="top.yaml")
    assert caught.value.pointer == "#"
    assert caught.value.source == "top.yaml"


@pytest.mark.parametrize("value", [42, 1.5, ["a"], None])
def test_other_python_values_are_refused(value: Any) -> None:
    with pytest.raises(ContractError, match="cannot load"):
        load_contract(value)


def test_a_loaded_contract_is_returned_as_is() -> None:
    contract = load_contract({"type": "string"})
    assert load_contract(contract) is contract


def test_bytes_with_bom_and_utf16() -> None:
    doc = {"title": "Café", "type": "object"}
    text = json.dumps(doc, ensure_ascii=False)
    for data in (b"\xef\xbb\xbf" + text.encode(), text.encode("utf-16")):
        contract = load_contract(data)
        assert contract.title == "Café"
    assert load_contract("\ufeff" + text).title == "Café"


def test_dict_input_is_copied_and_checked() -> None:
    doc: dict[str, Any] = {"type": "object", "properties": {"a": {"type": "string"}}}
    contract = load_contract(doc)
    doc["properties"]["a"]["type"] = "integer"
    assert contract.document["properties"]["a"]["type"] == "string"


@pytest.mark.parametrize(
    ("doc", "pointer", "message"),
    [
        ({"properties": {1: {}}}, "#/properties", "key 1 is not a string"),
        ({"enum": [float("nan")]}, "#/enum/0", "nan is not a JSON number"),
        ({"enum": [{1, 2}]}, "#/enum/0", "set is not a JSON value"),
        ({"const": b"x"}, "#/const", "bytes"),
    ],
)
def test_non_json_dict_input_is_refused(doc: Any, pointer: str, message: str) -> None:
    with pytest.raises(ContractError) as caught:
        load_contract(doc)
    assert caught.value.pointer == pointer
    assert message in caught.value.message


def test_cyclic_dict_input_is_refused() -> None:
    doc: dict[str, Any] = {"type": "object", "properties": {}}
    doc["properties"]["self"] = doc
    with pytest.raises(ContractError, match="cycle") as caught:
        load_contract(doc)
    assert caught.value.pointer == "#/properties/self"


def test_tuples_in_dict_input_become_lists() -> None:
    contract = load_contract({"enum": ("a", "b")})
    assert contract.document == {"enum": ["a", "b"]}
