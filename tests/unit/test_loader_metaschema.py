"""The fast meta-schemas behave as jsonschema's own check_schema does."""

from __future__ import annotations

from typing import Any

import pytest
from jsonschema import validators
from jsonschema.exceptions import SchemaError, best_match

from evreg.contracts import ContractError
from evreg.contracts.jsonschema_doc import DRAFT_NAMES, check_schema, forget_checked_schemas
from evreg.contracts.metaschema import fast_meta_schema, flat_meta_schema
from evreg.contracts.model import DRAFT2019, DRAFT2020

SAMPLES: list[Any] = [
    {"type": "foo"},
    {"type": 5},
    {"properties": {"a": {"minimum": "x"}}},
    {"required": "a"},
    {"$defs": {"a": {"enum": 3}}},
    {"definitions": {"x": {"type": "nope"}}},
    {"items": [{"type": 1}]},
    {"items": {"type": 1}},
    {"prefixItems": {}},
    {"pattern": "["},
    {"dependencies": {"a": 5}},
    {"allOf": []},
    {"anyOf": [{"maxLength": -1}]},
    {"$anchor": "1bad"},
    {"unevaluatedProperties": 3},
    {"contentSchema": {"type": 2}},
    {"$id": 3},
    {"additionalProperties": {"type": "x"}},
    {"format": 3},
    {"deprecated": "yes"},
    {"$vocabulary": {"x": 1}},
    {"properties": {"a": {"properties": {"b": {"oneOf": [{"type": "string"}, {"minItems": -2}]}}}}},
    {"if": {"const": 1}, "then": {"multipleOf": 0}},
    {"minimum": 1, "exclusiveMinimum": True},
    3,
    True,
    {"type": "object", "properties": {"a": {"type": ["string", "null"], "maxLength": 3}}},
]


def _expected(draft: str, schema: Any) -> tuple[str, list[Any]] | None:
    """jsonschema's verdict (check_schema), and its best_match error on the official meta-schema.

    evreg reports best_match (the most specific error) rather than check_schema's first one.
    """
    cls = validators.validator_for({"$schema": draft})
    try:
        cls.check_schema(schema)
    except SchemaError:
        official = cls(cls.META_SCHEMA, format_checker=cls.FORMAT_CHECKER)
        error = best_match(official.iter_errors(schema))
        assert error is not None
        return error.message, list(error.absolute_path)
    return None


@pytest.mark.parametrize("draft", list(DRAFT_NAMES))
@pytest.mark.parametrize("schema", SAMPLES, ids=[repr(s)[:40] for s in SAMPLES])
def test_same_verdict_message_and_path_as_jsonschema(draft: str, schema: Any) -> None:
    expected = _expected(draft, schema)
    forget_checked_schemas()
    try:
        check_schema(schema, draft, at="#")
    except ContractError as error:
        assert expected is not None, f"refused a schema jsonschema accepts: {error}"
        message, path = expected
        assert error.message.endswith(message)
        assert error.pointer == "#" + "".join(f"/{p}" for p in path)
    else:
        assert expected is None, f"accepted a schema jsonschema refuses: {expected}"


@pytest.mark.parametrize("draft", [DRAFT2019, DRAFT2020])
def test_2019_and_2020_meta_schemas_are_flattened(draft: str) -> None:
    flat = flat_meta_schema(draft)
    assert flat is not None
    assert "allOf" not in flat
    assert {"properties", "items", "unevaluatedProperties", "type"} <= set(flat["properties"])


def test_fast_meta_schema_keeps_only_refs_that_carry_constraints() -> None:
    annotations = {"$ref", "default", "description", "title", "$comment", "deprecated"}
    for draft in DRAFT_NAMES:
        seen: set[int] = set()
        stack: list[Any] = [fast_meta_schema(draft)]
        while stack:
            node = stack.pop()
            if id(node) in seen:
                continue
            seen.add(id(node))
            if isinstance(node, dict):
                if str(node.get("$ref", "")).startswith("#"):
                    assert set(node) - annotations, (draft, node)
                stack.extend(node.values())
            elif isinstance(node, list):
                stack.extend(node)


def test_deep_but_allowed_schema_checks_without_recursion_error() -> None:
    schema: Any = {"type": "string"}
    for _ in range(63):  # 127 levels of objects
        schema = {"properties": {"a": schema}}
    for draft in DRAFT_NAMES:
        check_schema(schema, draft, at="#")  # raises on failure
