"""$ref handling: local, recursive, circular, and external refs that are never fetched."""

from __future__ import annotations

import builtins
import json
import socket
import subprocess
import sys
from typing import Any

import pytest

from evreg.contracts import ContractError, load_contract
from evreg.contracts.model import DRAFT7


def _error(source: Any, **kwargs: Any) -> ContractError:
    with pytest.raises(ContractError) as caught:
        load_contract(source, **kwargs)
    return caught.value


def test_recursive_schema_is_fine() -> None:
    tree = {
        "$defs": {
            "node": {
                "type": "object",
                "properties": {
                    "value": {"type": "integer"},
                    "children": {"type": "array", "items": {"$ref": "#/$defs/node"}},
                },
            }
        },
        "$ref": "#/$defs/node",
    }
    assert load_contract(tree).document == tree
    # a property pointing at the root
    assert load_contract({"type": "object", "properties": {"next": {"$ref": "#"}}}).title is None


def test_anchors_resolve() -> None:
    doc = {
        "$defs": {"id": {"$anchor": "ident", "type": "string"}},
        "properties": {"a": {"$ref": "#ident"}},
    }
    assert load_contract(doc).document == doc


@pytest.mark.parametrize(
    ("doc", "pointer"),
    [
        ({"$ref": "#"}, "#/$ref"),
        ({"$defs": {"a": {"$ref": "#/$defs/b"}, "b": {"$ref": "#/$defs/a"}}}, "#/$defs/a/$ref"),
        (
            {"properties": {"x": {"$ref": "#/$defs/a"}}, "$defs": {"a": {"$ref": "#/$defs/a"}}},
            "#/properties/x/$ref",
        ),
        # annotations beside $ref do not make it a schema
        (
            {
                "$defs": {
                    "a": {"$ref": "#/$defs/b", "description": "A"},
                    "b": {"$ref": "#/$defs/a", "title": "B"},
                }
            },
            "#/$defs/a/$ref",
        ),
    ],
)
def test_circular_refs_that_never_reach_a_schema_are_refused(doc: Any, pointer: str) -> None:
    error = _error(doc, name="loop.json")
    assert "circular $ref" in error.message
    assert error.pointer == pointer
    assert error.source == "loop.json"


def test_draft_07_ignores_siblings_of_ref_so_this_is_a_loop() -> None:
    doc = {
        "$schema": DRAFT7,
        "definitions": {"a": {"$ref": "#/definitions/a", "type": "string"}},
        "properties": {"p": {"$ref": "#/definitions/a"}},
    }
    assert "circular" in _error(doc).message


def test_local_ref_to_nowhere_names_ref_and_pointer() -> None:
    error = _error({"properties": {"a": {"$ref": "#/$defs/missing"}}})
    assert error.message == "$ref '#/$defs/missing' points to nothing"
    assert error.pointer == "#/properties/a/$ref"


def test_non_string_ref_is_refused() -> None:
    error = _error({"properties": {"a": {"$ref": 5}}})
    assert error.pointer == "#/properties/a/$ref"


@pytest.mark.parametrize(
    "ref",
    [
        "https://schemas.example.com/money.json",
        "http://localhost:1/x.json#/Money",
        "file:///etc/passwd",
        "common.json#/Money",
        "../shared/contracts/iot/sensor_reading.schema.json",
    ],
)
def test_external_refs_are_never_fetched(ref: str, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_io(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError(f"I/O attempted: {args!r}")

    monkeypatch.setattr(socket, "socket", no_io)
    monkeypatch.setattr(socket, "create_connection", no_io)
    monkeypatch.setattr(builtins, "open", no_io)
    error = _error({"properties": {"m": {"$ref": ref}}}, name="s.json")
    assert "never fetches" in error.message
    assert repr(ref) in error.message
    assert error.pointer == "#/properties/m/$ref"


def test_external_ref_resolves_from_references_text_or_dict() -> None:
    doc = {"properties": {"m": {"$ref": "common.json#/$defs/Money"}}}
    common = '{"$defs": {"Money": {"type": "object", "required": ["amount"]}}}'
    for reference in (common, common.encode(), {"$defs": {"Money": {"type": "object"}}}):
        contract = load_contract(doc, references={"common.json": reference})
        assert contract.resources["common.json"]["$defs"]["Money"]["type"] == "object"
        assert contract.schema is not None
        assert contract.schema.resources is contract.resources


def test_a_loaded_contract_can_be_a_reference() -> None:
    common = load_contract({"$defs": {"Id": {"type": "string", "minLength": 1}}})
    doc = {"properties": {"id": {"$ref": "common.json#/$defs/Id"}}}
    contract = load_contract(doc, references={"common.json": common})
    assert contract.resources == {"common.json": common.document}


def test_references_resolve_relative_to_the_document_id() -> None:
    doc = {
        "$id": "https://example.com/schemas/order.json",
        "properties": {"m": {"$ref": "money.json"}},
    }
    contract = load_contract(doc, references={"money.json": {"type": "string"}})
    assert contract.resources == {"money.json": {"type": "string"}}
    by_uri = {"https://example.com/schemas/money.json": {"type": "string"}}
    assert load_contract(doc, references=by_uri).resources == by_uri


def test_reference_chains_between_references() -> None:
    doc = {"properties": {"m": {"$ref": "a.json"}}}
    refs = {"a.json": {"properties": {"b": {"$ref": "b.json"}}}, "b.json": {"type": "string"}}
    assert load_contract(doc, references=refs).resources == refs
    missing = _error(doc, references={"a.json": refs["a.json"]})
    assert "'b.json'" in missing.message
    assert missing.pointer == "a.json#/properties/b/$ref"


def test_invalid_referenced_schema_is_reported_in_the_reference() -> None:
    doc = {"properties": {"m": {"$ref": "common.json#/Money"}}}
    error = _error(doc, references={"common.json": {"Money": {"type": 12}}})
    assert error.pointer == "common.json#/Money/type"
    assert "invalid JSON Schema" in error.message


def test_reference_text_errors_name_the_reference() -> None:
    error = _error({"$ref": "common.yaml"}, name="main.yaml", references={"common.yaml": "a: [1"})
    assert error.source == "common.yaml"
    assert (error.line, error.column) == (2, 1)  # the end of the text, where `]` is missing


def test_bundled_meta_schemas_resolve_offline() -> None:
    doc = {"properties": {"schema": {"$ref": "https://json-schema.org/draft/2020-12/schema"}}}
    assert load_contract(doc).document == doc


def test_a_cycle_through_combinators_is_refused_by_the_compatibility_check() -> None:
    """``X = anyOf [string, X]`` reads no part of the value between ``X`` and ``X`` (a validator
    recurses forever on a non-string): the check refuses it at the place, where it exceeded the
    recursion limit before (soundness fuzz pair 5345 of the 10,000-pair run)."""
    from evreg.contracts.compat import check_compatibility

    old = {"type": "object", "properties": {"text": {"type": "string"}}, "required": ["text"]}
    new = {
        "$defs": {"X0": {"anyOf": [{"type": "string"}, {"$ref": "#/$defs/X0"}]}},
        "type": "object",
        "properties": {"text": {"$ref": "#/$defs/X0"}},
        "required": ["text"],
    }
    for level in ("BACKWARD", "FORWARD"):
        with pytest.raises(ContractError) as caught:
            check_compatibility(old, new, level=level)
        assert caught.value.pointer == "#/$defs/X0"
        assert "refers to itself" in caught.value.message


_X = {"anyOf": [{"type": "string"}, {"$ref": "#/$defs/X"}]}
_IN_PLACE_CYCLES = [  # (schema, the pointer the cycle comes back to)
    ({"$defs": {"X": _X}, "$ref": "#/$defs/X"}, "#/$defs/X"),
    ({"allOf": [{"$ref": "#"}]}, "#"),
    ({"$defs": {"N": {"not": {"$ref": "#/$defs/N"}}}, "$ref": "#/$defs/N"}, "#/$defs/N"),
    (
        {"$defs": {"A": {"oneOf": [{"$ref": "#/$defs/B"}]}, "B": {"if": {"$ref": "#/$defs/A"}}}}
        | {"$ref": "#/$defs/A"},
        "#/$defs/A",
    ),
    (
        {"$defs": {"D": {"dependentSchemas": {"a": {"$ref": "#/$defs/D"}}}}}
        | {"$ref": "#/$defs/D"},
        "#/$defs/D",
    ),
    (
        {"$schema": "http://json-schema.org/draft-07/schema#"}
        | {"definitions": {"T": {"then": {"$ref": "#/definitions/T"}, "if": True}}}
        | {"$ref": "#/definitions/T"},
        "#/definitions/T",
    ),
]
_NOT_CYCLES = [
    {"type": "object", "properties": {"child": {"$ref": "#"}}},  # a tree: reads a part
    {"$defs": {"L": {"type": "array", "items": {"anyOf": [{"$ref": "#/$defs/L"}]}}}}
    | {"$ref": "#/$defs/L"},
    # draft-07 ignores the siblings of $ref: the allOf back to the root is never applied
    {"$schema": "http://json-schema.org/draft-07/schema#"}
    | {
        "definitions": {"S": {"type": "string"}},
        "$ref": "#/definitions/S",
        "allOf": [{"$ref": "#"}],
    },
]


def _jsonschema_recurses(schema: dict[str, Any], value: Any) -> bool:
    """The oracle: does jsonschema itself recurse until RecursionError validating ``value``?
    (Asked in a fresh interpreter: in one that has already hit the limit, the answer varied.)"""
    code = (
        "import json, sys, jsonschema\n"
        "schema, value = json.loads(sys.stdin.read())\n"
        "try:\n"
        "    jsonschema.validators.validator_for(schema)(schema).is_valid(value)\n"
        "except RecursionError:\n"
        "    sys.exit(3)\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", code], input=json.dumps([schema, value]), text=True, check=False
    )
    assert run.returncode in (0, 3), run
    return run.returncode == 3


@pytest.mark.parametrize(("schema", "at"), _IN_PLACE_CYCLES)
def test_a_cycle_that_reads_no_part_of_the_value_is_refused_at_load(
    schema: dict[str, Any], at: str
) -> None:
    """Refused where it is loaded (a registry would otherwise store it and fail every later
    check against it), at the place the cycle comes back to; jsonschema recurses forever on it."""
    error = _error(schema)
    assert error.pointer == at
    assert "refers to itself" in error.message
    assert _jsonschema_recurses(schema, {"a": 1})


@pytest.mark.parametrize("schema", _NOT_CYCLES)
def test_recursion_through_a_part_of_the_value_is_not_a_cycle(schema: dict[str, Any]) -> None:
    assert load_contract(schema).document == schema
    assert not _jsonschema_recurses(schema, {"child": {"child": [[[1]]]}})
