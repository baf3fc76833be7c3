"""The payload formats: one interface, JSON Schema and Avro behind it, checked against their own
libraries (jsonschema and fastavro), not against evreg."""

from __future__ import annotations

import json

import fastavro
import jsonschema
from fastavro.schema import to_parsing_canonical_form

from evreg.contracts import load_contract
from evreg.contracts.model import AVRO, ContractKind, SchemaRef
from evreg.contracts.payload_format import AVRO_FORMAT, JSON_SCHEMA, format_of

RECORD = {
    "type": "record",
    "name": "Order",
    "namespace": "shop",
    "doc": "dropped by the canonical form",
    "fields": [{"name": "id", "type": "long"}, {"name": "note", "type": ["null", "string"]}],
}
OBJECT = {"type": "object", "properties": {"id": {"type": "integer"}}, "required": ["id"]}


def _avro() -> SchemaRef:
    contract = load_contract(json.dumps(RECORD), kind=ContractKind.AVRO)
    assert contract.schema is not None
    return contract.schema


def _json() -> SchemaRef:
    contract = load_contract(json.dumps(OBJECT))
    assert contract.schema is not None
    return contract.schema


def test_each_schema_has_its_format() -> None:
    assert format_of(_avro()) is AVRO_FORMAT and _avro().draft == AVRO
    assert format_of(_json()) is JSON_SCHEMA
    assert (AVRO_FORMAT.schema_type, JSON_SCHEMA.schema_type) == ("AVRO", "JSON")


def test_canonical_forms_are_the_libraries() -> None:
    assert AVRO_FORMAT.canonical_form(_avro()) == to_parsing_canonical_form(RECORD)
    assert JSON_SCHEMA.canonical_form(_json()) == json.dumps(
        OBJECT, sort_keys=True, separators=(",", ":")
    )


def test_validation_agrees_with_the_libraries() -> None:
    schema = fastavro.parse_schema(RECORD)
    for value in ({"id": 1, "note": None}, {"id": 1, "note": "x"}, {"id": "1", "note": None}, {}):
        expected = fastavro.validation.validate(value, schema, raise_errors=False, strict=True)
        assert (AVRO_FORMAT.validate(_avro(), value) == []) is expected
        expected = jsonschema.Draft202012Validator(OBJECT).is_valid(value)
        assert (JSON_SCHEMA.validate(_json(), value) == []) is expected


def test_both_give_the_json_schema_of_their_values() -> None:
    assert JSON_SCHEMA.as_json_schema(_json()) == OBJECT
    shown = AVRO_FORMAT.as_json_schema(_avro())
    validator = jsonschema.Draft7Validator(shown)
    assert validator.is_valid({"id": 1, "note": None})
    assert not validator.is_valid({"id": 1})  # a field without default is required
    assert not validator.is_valid({"id": 2**63, "note": None})  # past a long
