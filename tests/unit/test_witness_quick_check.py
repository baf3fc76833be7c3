"""QuickCheck: whenever it is sure, it agrees with the real validator (same registry, same draft).

The quick check only sorts candidates for the witness search; these tests pin that its sure
answers (True / False) are the ones ``jsonschema`` gives, over hand-written schemas of every
draft and over every schema of the shared and golden compatibility cases.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from evreg.contracts.compat.proofs.quick_check import QuickCheck, quick_check
from evreg.contracts.compat.witness.candidates import Sampler
from evreg.contracts.compat.witness.sides import Side
from evreg.contracts.model import DRAFT4, DRAFT6, DRAFT7, DRAFT2019, DRAFT2020, SchemaRef
from evreg.contracts.patterns import PatternError

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared" / "compat-cases" / "confluent"
GOLDEN = ROOT / "tests" / "golden" / "rules"

VALUES: list[Any] = [
    None,
    True,
    False,
    0,
    1,
    -1,
    2,
    3,
    10,
    1.0,
    1.5,
    -0.5,
    1e6,
    2**53 + 1,
    "",
    "a",
    "ab",
    "abc",
    "hello world",
    "2024-01-01",
    "not-a-date",
    "a@example.com",
    [],
    [1],
    [1, 1],
    [1, True],
    [1, "a", None],
    ["a", "b", "c", "d"],
    [[1], [1]],
    [{"a": 1}, {"a": 1}],
    {},
    {"a": 1},
    {"a": "x", "b": 2},
    {"foo": 1},
    {"foo": "x", "bar": 1},
    {"extra": None},
    {"a": {"b": [1, 2]}},
    {"id": 1, "name": "n", "tags": ["a"]},
]

SCHEMAS: list[tuple[str, Any]] = [
    (DRAFT4, {"type": "integer"}),
    (DRAFT4, {"type": "number", "minimum": 1, "exclusiveMinimum": True}),
    (DRAFT4, {"type": "number", "maximum": 2, "exclusiveMaximum": True}),
    (DRAFT4, {"items": [{"type": "integer"}], "additionalItems": False}),
    (DRAFT4, {"dependencies": {"foo": ["bar"], "bar": {"required": ["foo"]}}}),
    (DRAFT4, {"id": "http://x/root", "definitions": {"a": {"type": "string"}}}),
    (DRAFT6, {"const": 1}),
    (DRAFT6, {"exclusiveMinimum": 1, "exclusiveMaximum": 3}),
    (DRAFT6, {"contains": {"type": "string"}}),
    (DRAFT6, {"propertyNames": {"maxLength": 1}}),
    (DRAFT6, {"items": True, "additionalItems": False}),
    (DRAFT7, {"if": {"type": "string"}, "then": {"minLength": 2}, "else": {"type": "array"}}),
    (
        DRAFT7,
        {"$ref": "#/definitions/a", "type": "array", "definitions": {"a": {"type": "string"}}},
    ),
    (DRAFT7, {"format": "date"}),
    (DRAFT7, {"type": "string", "format": "email"}),
    (DRAFT7, {"pattern": "^a", "minLength": 2, "maxLength": 3}),
    (DRAFT7, {"multipleOf": 0.5}),
    (DRAFT7, {"multipleOf": 3}),
    (DRAFT7, {"enum": [1, "a", None, [1], {"a": 1}]}),
    (DRAFT7, {"enum": [True]}),
    (DRAFT7, {"uniqueItems": True}),
    (DRAFT7, {"minItems": 1, "maxItems": 2}),
    (DRAFT7, {"minProperties": 1, "maxProperties": 1}),
    (DRAFT7, {"type": ["string", "null"]}),
    (DRAFT7, {"type": ["no-such-type", "string"]}),
    (DRAFT7, {"anyOf": [{"type": "string"}, {"type": "integer"}]}),
    (DRAFT7, {"oneOf": [{"type": "number"}, {"type": "integer"}]}),
    (DRAFT7, {"allOf": [{"required": ["a"]}, {"properties": {"a": {"type": "string"}}}]}),
    (DRAFT7, {"not": {"type": "object"}}),
    (
        DRAFT7,
        {
            "type": "object",
            "properties": {"a": {"type": "string"}, "b": {"type": "integer"}},
            "patternProperties": {"^f": {"type": "integer"}},
            "additionalProperties": {"type": "null"},
            "required": ["a"],
        },
    ),
    (DRAFT7, {"properties": {"a": {"$id": "http://x/a", "$ref": "#/definitions/no"}}}),
    (DRAFT2019, {"$ref": "#/$defs/a", "type": "array", "$defs": {"a": {"minItems": 1}}}),
    (DRAFT2019, {"contains": {"type": "integer"}, "minContains": 2, "maxContains": 2}),
    (DRAFT2019, {"dependentRequired": {"foo": ["bar"]}, "dependentSchemas": {"a": False}}),
    (DRAFT2019, {"items": [{"type": "integer"}], "additionalItems": {"type": "string"}}),
    (DRAFT2019, {"properties": {"a": True}, "unevaluatedProperties": False}),
    (DRAFT2020, {"prefixItems": [{"type": "integer"}], "items": False}),
    (DRAFT2020, {"prefixItems": [{"type": "integer"}], "items": {"type": "string"}}),
    (DRAFT2020, {"$dynamicRef": "#meta"}),
    (DRAFT2020, {"type": "integer", "minimum": 1.5}),
    (DRAFT2020, {"type": "object", "additionalProperties": False}),
    (DRAFT2020, False),
    (DRAFT2020, True),
]


def _pairs(draft: str, schema: Any) -> tuple[Side, Any]:
    side = Side(SchemaRef(schema, "#", schema, draft), "quick", formats=True)
    root = side.root()
    assert root is not None
    return side, root


def _disagreements(draft: str, schema: Any, extra: tuple[Any, ...] = ()) -> list[str]:
    """Sure answers of the quick check that differ from the real validator's."""
    side, (node, scope) = _pairs(draft, schema)
    sampler = Sampler(draft, side.memo)
    values = [*VALUES, *extra, *list(sampler.candidates(((node, scope),)))[:60]]
    out = []
    for value in values:
        sure = scope.sure(node, value)
        if sure is None:
            continue
        try:
            real = scope.validates(node, value)
        except Exception:  # the real validator cannot decide either: any answer sorts
            continue
        if sure != real:
            out.append(f"{value!r}: quick={sure} jsonschema={real}")
    return out


@pytest.mark.parametrize(("draft", "schema"), SCHEMAS, ids=lambda v: json.dumps(v)[:60])
def test_sure_answers_agree_with_jsonschema(draft: str, schema: Any) -> None:
    assert _disagreements(draft, schema) == []


def _case_schemas() -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    for name in ("diff-schema-examples.json", "diff-combined-schema-examples.json"):
        path = SHARED / name
        if path.is_file():
            for case in json.loads(path.read_text(encoding="utf-8")):
                for key in ("original_schema", "update_schema"):
                    schema = case[key]
                    if isinstance(schema, dict) and "$schema" not in schema:
                        schema = {"$schema": DRAFT7, **schema}
                    out.append((DRAFT7, schema))
    for path in sorted(GOLDEN.glob("*/case.yaml")):
        case = yaml.safe_load(path.read_text(encoding="utf-8"))
        olds = case["old"] if isinstance(case["old"], list) else [case["old"]]
        for schema in [*olds, case["new"]]:
            draft = schema.get("$schema", DRAFT2020) if isinstance(schema, dict) else DRAFT2020
            out.append((draft, schema))
    return out


def test_sure_answers_agree_on_every_case_schema() -> None:
    schemas = _case_schemas()
    assert len(schemas) > 200
    problems = {json.dumps(s)[:120]: p for d, s in schemas if (p := _disagreements(d, s))}
    assert problems == {}


def test_a_pattern_that_cannot_be_evaluated_is_an_error_for_both() -> None:
    """Not a "not sure": the check fails with the pattern named (the registry answers 422)."""
    for pattern in ("(unclosed", r"^(\w+)=\1$"):  # not ECMA-262; a backreference
        _, (node, scope) = _pairs(DRAFT7, {"pattern": pattern})
        with pytest.raises(PatternError):
            scope.sure(node, "a")
        with pytest.raises(PatternError):
            scope.validates(node, "a")


def test_what_it_does_not_model_is_left_to_jsonschema() -> None:
    _, (node, scope) = _pairs(DRAFT2019, {"unevaluatedProperties": False})
    assert scope.sure(node, {"a": 1}) is None
    assert scope.sure(node, 1) is None  # the keyword alone makes it unsure
    _, (node, scope) = _pairs(DRAFT2020, {"$dynamicRef": "#x", "type": "string"})
    assert scope.sure(node, 1) is False  # a keyword it models fails: sure anyway
    assert scope.sure(node, "a") is None
    nested = {"properties": {"a": {"$id": "http://x/a.json", "$ref": "#/definitions/b"}}}
    _, (node, scope) = _pairs(DRAFT2019, nested)
    assert scope.sure(node, {"a": 1}) is None  # a $ref under another base URI
    assert scope.sure(node, {"b": 1}) is True  # not reached
    _, (node, scope) = _pairs(DRAFT7, {"type": "strin"})
    assert scope.sure(node, "a") is None  # jsonschema raises UnknownType


def test_formats_are_asserted_only_when_asked() -> None:
    schema = {"format": "date"}
    asserting = quick_check(DRAFT7, formats=True)
    lenient = quick_check(DRAFT7, formats=False)
    scope: Any = None  # no $ref to resolve
    assert asserting.check(schema, scope, "not-a-date") is False
    assert asserting.check(schema, scope, "2024-01-01") is True
    assert lenient.check(schema, scope, "not-a-date") is True
    assert quick_check(DRAFT7, formats=True) is asserting  # one per dialect


def test_refs_resolve_through_the_scope_and_recursion_is_bounded() -> None:
    tree = {
        "$ref": "#/definitions/node",
        "definitions": {
            "node": {
                "type": "object",
                "properties": {"kids": {"type": "array", "items": {"$ref": "#/definitions/node"}}},
            }
        },
    }
    _, (node, scope) = _pairs(DRAFT7, tree)
    assert scope.sure(node, {"kids": [{"kids": []}]}) is True
    assert scope.sure(node, {"kids": [{"kids": [1]}]}) is False
    deep: Any = {"kids": []}
    for _ in range(60):
        deep = {"kids": [deep]}
    assert scope.sure(node, deep) is None  # too deep to be sure: the real validator decides
    assert scope.validates(node, deep) is True
    loop = {"$ref": "#"}
    _, (node, scope) = _pairs(DRAFT2020, loop)
    assert scope.sure(node, 1) is None


def test_a_check_never_raises() -> None:
    check = QuickCheck(DRAFT7, formats=True)
    broken: list[Any] = [
        {"minLength": "x"},
        {"required": "a"},
        {"properties": []},
        {"enum": {"a": 1}},
        {"multipleOf": 0},
        {"items": "x"},
        {"$ref": 5},
    ]
    for schema in broken:
        for value in VALUES:
            assert check.check(schema, None, value) in (True, False, None)  # type: ignore[arg-type]
