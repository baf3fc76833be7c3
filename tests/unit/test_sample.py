"""sample / candidates: valid, diverse, bounded, deterministic instances of schema nodes."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from jsonschema.validators import validator_for

from evreg.contracts.compat.witness.sample import (
    Hints,
    NoSample,
    PlainContext,
    Sampler,
    candidates,
    draft_version,
    put,
    regex_strings,
    sample,
)
from evreg.contracts.model import DRAFT4, DRAFT6, DRAFT7, DRAFT2019, DRAFT2020
from evreg.contracts.patterns import PatternError


def is_valid(schema: Any, value: Any, draft: str = DRAFT2020) -> bool:
    cls = validator_for({"$schema": draft})
    return bool(cls(schema, format_checker=cls.FORMAT_CHECKER).is_valid(value))


def all_candidates(schema: Any, draft: str = DRAFT2020, **kw: Any) -> list[Any]:
    values = list(candidates(schema, draft=draft, **kw))
    for value in values:
        assert is_valid(schema, value, draft), f"{value!r} is invalid under {schema!r}"
    return values


SCHEMAS: list[Any] = [
    True,
    {},
    {"type": "null"},
    {"type": "boolean"},
    {"type": "string", "minLength": 3, "maxLength": 5},
    {"type": "string", "pattern": "^[A-Z]{3}-\\d{2,4}$"},
    {"type": "string", "format": "date-time"},
    {"type": "string", "format": "uuid"},
    {"type": "string", "format": "email", "maxLength": 20},
    {"type": "integer", "minimum": 3, "maximum": 9, "multipleOf": 3},
    {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1},
    {"type": "number", "minimum": -5.5, "multipleOf": 0.5},
    {"enum": ["a", 1, None, {"x": [1]}]},
    {"const": {"deep": [1, 2]}},
    {"type": ["string", "integer", "null"], "minimum": 10, "maxLength": 1},
    {
        "type": "object",
        "properties": {"a": {"type": "string"}, "b": {"type": "integer", "minimum": 1}},
        "required": ["a"],
        "additionalProperties": False,
    },
    {
        "type": "object",
        "patternProperties": {"^x-[a-z]+$": {"type": "integer"}},
        "additionalProperties": {"type": "string"},
        "propertyNames": {"maxLength": 8},
        "minProperties": 1,
        "maxProperties": 3,
    },
    {
        "type": "object",
        "properties": {"card": {"type": "string"}, "billing": {"type": "string"}},
        "dependentRequired": {"card": ["billing"]},
        "dependentSchemas": {"billing": {"required": ["card"]}},
    },
    {
        "type": "array",
        "items": {"type": "integer"},
        "minItems": 2,
        "maxItems": 4,
        "uniqueItems": True,
    },
    {"type": "array", "prefixItems": [{"type": "string"}, {"type": "boolean"}], "items": False},
    {"type": "array", "contains": {"type": "integer", "minimum": 5}, "minContains": 2},
    {"allOf": [{"type": "object", "required": ["a"]}, {"properties": {"a": {"const": 1}}}]},
    {"anyOf": [{"type": "string", "maxLength": 1}, {"type": "integer", "minimum": 100}]},
    {"oneOf": [{"type": "integer"}, {"type": "number", "minimum": 0}]},
    {"not": {"type": ["string", "object"]}},
    {"if": {"type": "integer"}, "then": {"minimum": 10}, "else": {"type": "string"}},
    {
        "$defs": {"Pos": {"type": "integer", "exclusiveMinimum": 0}},
        "type": "object",
        "properties": {"n": {"$ref": "#/$defs/Pos"}},
        "required": ["n"],
    },
]


@pytest.mark.parametrize("schema", SCHEMAS, ids=lambda s: json.dumps(s)[:60])
def test_sample_and_every_candidate_are_valid(schema: Any) -> None:
    first = sample(schema)
    assert is_valid(schema, first)
    values = all_candidates(schema)
    assert values[0] == first
    assert len(values) <= 200
    keys = [json.dumps(v, sort_keys=True) for v in values]
    assert len(keys) == len(set(keys)), "candidates repeat"


@pytest.mark.parametrize("schema", SCHEMAS, ids=lambda s: json.dumps(s)[:60])
def test_candidates_are_deterministic(schema: Any) -> None:
    assert list(candidates(schema)) == list(candidates(schema))


def test_strings_probe_their_length_bounds() -> None:
    lengths = {len(v) for v in all_candidates({"type": "string", "minLength": 3, "maxLength": 7})}
    assert {3, 7} <= lengths
    assert "" in all_candidates({"type": "string"})


def test_numbers_probe_their_bounds_and_fractions() -> None:
    values = all_candidates({"type": "number", "minimum": -2, "maximum": 8})
    assert {-2, 8} <= set(values)
    assert any(isinstance(v, float) for v in values)
    values = all_candidates({"type": "number", "exclusiveMaximum": 8})
    assert any(7 < v < 8 for v in values)
    assert all(isinstance(v, int) for v in all_candidates({"type": "integer", "maximum": 3}))


def test_multiple_of_candidates() -> None:
    values = all_candidates({"type": "integer", "multipleOf": 7, "minimum": 20})
    assert values[0] == 21
    assert any(v % 14 != 0 for v in values)


def test_every_enum_value_is_a_candidate() -> None:
    enum = ["a", 1, None, {"x": [1]}, [1, 2], True]
    assert all_candidates({"enum": enum}) == enum


def test_objects_with_optional_properties_present_and_absent() -> None:
    schema = {
        "type": "object",
        "properties": {"a": {"type": "string"}, "b": {"type": "integer"}},
        "required": ["a"],
    }
    shapes = {tuple(sorted(v)) for v in all_candidates(schema) if isinstance(v, dict)}
    assert {("a",), ("a", "b")} <= shapes
    assert sample(schema) == {"a": "a"}


def test_open_objects_get_an_extra_property_of_every_json_type() -> None:
    schema = {"type": "object", "properties": {"a": {"type": "string"}}}
    extras = [v["extra"] for v in all_candidates(schema) if "extra" in v]
    kinds = {type(v).__name__ for v in extras}
    assert {"str", "int", "float", "bool", "NoneType", "dict", "list"} <= kinds


def test_closed_objects_get_no_extra_property() -> None:
    schema = {
        "type": "object",
        "properties": {"a": {"type": "string"}},
        "additionalProperties": False,
    }
    assert all(set(v) <= {"a"} for v in all_candidates(schema))


def test_pattern_properties_get_matching_names() -> None:
    schema = {
        "type": "object",
        "patternProperties": {"^x-[a-z]{2,}$": {"type": "integer"}},
        "additionalProperties": False,
    }
    names = {name for v in all_candidates(schema) for name in v}
    assert names and all(re.search("^x-[a-z]{2,}$", n) for n in names)


def test_hinted_names_are_tried_with_values_of_every_type() -> None:
    schema = {"type": "object", "properties": {"a": {"type": "string"}}}
    values = [v["bar"] for v in all_candidates(schema, names=("bar",)) if "bar" in v]
    assert {type(v).__name__ for v in values} >= {"str", "int", "float", "bool", "NoneType"}


def test_arrays_probe_sizes_duplicates_and_item_types() -> None:
    schema = {"type": "array", "items": {"type": "integer"}, "maxItems": 4}
    values = all_candidates(schema)
    assert {0, 1, 4} <= {len(v) for v in values}
    assert any(len(v) != len({json.dumps(x) for x in v}) for v in values)
    untyped = all_candidates({"type": "array"})
    assert {type(v[0]).__name__ for v in untyped if v} >= {"str", "int", "NoneType", "dict"}


def test_unique_items_are_respected() -> None:
    schema = {"type": "array", "items": {"type": "boolean"}, "minItems": 2, "uniqueItems": True}
    assert sample(schema) in ([True, False], [False, True])


def test_tuples_get_extra_items_of_every_type_when_open() -> None:
    schema = {"type": "array", "prefixItems": [{"type": "string"}]}
    extra = [v[1] for v in all_candidates(schema) if len(v) == 2]
    assert {type(v).__name__ for v in extra} >= {"str", "int", "bool", "NoneType"}


def test_draft4_keywords() -> None:
    schema = {"type": "number", "maximum": 10, "exclusiveMaximum": True}
    values = all_candidates(schema, DRAFT4)
    assert 10 not in values and any(9 < v < 10 for v in values)
    tuple_schema = {"type": "array", "items": [{"type": "string"}], "additionalItems": False}
    assert all(len(v) <= 1 for v in all_candidates(tuple_schema, DRAFT4))


def test_refs_and_recursion_terminate() -> None:
    tree = {
        "$defs": {
            "Node": {
                "type": "object",
                "properties": {
                    "value": {"type": "integer"},
                    "children": {"type": "array", "items": {"$ref": "#/$defs/Node"}},
                },
                "required": ["value", "children"],
            }
        },
        "$ref": "#/$defs/Node",
    }
    assert sample(tree) == {"value": 0, "children": []}
    assert any(v["children"] for v in all_candidates(tree))


def test_unsatisfiable_schemas_raise() -> None:
    with pytest.raises(NoSample):
        sample(False)
    with pytest.raises(NoSample):
        sample({"type": "string", "minLength": 5, "maxLength": 2})
    with pytest.raises(NoSample):  # an infinitely deep required recursion
        sample({"type": "object", "properties": {"me": {"$ref": "#"}}, "required": ["me"]})
    assert list(candidates(False)) == []


def test_regex_strings_match() -> None:
    for pattern in ("^[a-z]+$", "^(EUR|USD)$", r"^\d{3}-\d{4}$", "[^abc]x", r"^\w+=\d$", "a|b|c"):
        produced = regex_strings(pattern)
        assert produced, pattern
        assert all(re.search(pattern, s) for s in produced)
    assert {len(s) for s in regex_strings("^a+$")} >= {1, 2, 3}
    assert regex_strings("(unclosed") == ()
    with pytest.raises(PatternError):  # a backreference: ECMA-262, but not in linear time
        regex_strings(r"^(\w+)=\1$")


def test_draft_versions() -> None:
    assert [draft_version(d) for d in (DRAFT4, DRAFT6, DRAFT7, DRAFT2019, DRAFT2020)] == [
        4,
        6,
        7,
        2019,
        2020,
    ]


def test_put_copies_along_the_path_only() -> None:
    base = {"a": {"b": [1, 2]}, "c": {"d": 1}}
    changed = put(base, ("a", "b", 3), "x")
    assert changed == {"a": {"b": [1, 2, None, "x"]}, "c": {"d": 1}}
    assert base == {"a": {"b": [1, 2]}, "c": {"d": 1}}
    assert changed["c"] is base["c"]


def test_with_path_builds_required_siblings() -> None:
    schema = {
        "type": "object",
        "required": ["id", "items"],
        "properties": {
            "id": {"type": "integer", "minimum": 1},
            "items": {
                "type": "array",
                "minItems": 2,
                "items": {
                    "type": "object",
                    "required": ["sku"],
                    "properties": {"sku": {"type": "string"}, "qty": {"type": "integer"}},
                },
            },
        },
    }
    ctx = PlainContext(schema)
    shells = Sampler().with_path(((schema, ctx),), ("items", 1, "qty"))
    assert shells
    filled = put(shells[0], ("items", 1, "qty"), 3)
    assert filled == {"id": 1, "items": [{"sku": "a"}, {"sku": "a", "qty": 3}]}
    assert is_valid(schema, filled)


def test_probes_lie_just_outside_the_bounds() -> None:
    schema = {
        "type": ["string", "array", "object", "number"],
        "minLength": 2,
        "maxLength": 5,
        "maxItems": 3,
        "minProperties": 1,
        "maximum": 10,
        "properties": {"a": {"type": "string"}},
        "not": {"enum": ["no", "nope"]},
    }
    probes = Sampler().probes(((schema, PlainContext(schema)),))
    assert set(probes.lengths) == {1, 6}
    assert probes.items == (4,)
    assert probes.props == (0,)
    assert {10, 11, 10.5} <= set(probes.numbers)
    assert probes.names == ("a",)
    assert probes.values == ("no", "nope")


def test_hints_steer_the_top_level_candidates() -> None:
    hints = Hints(values=("zzz",), lengths=(9,), numbers=(77,), items=(6,), props=(4,))
    strings = all_candidates({"type": "string"}, hints=hints)
    assert "zzz" in strings and "a" * 9 in strings
    assert 77 in all_candidates({"type": "integer"}, hints=hints)
    assert any(len(v) == 6 for v in all_candidates({"type": "array"}, hints=hints))
    assert any(len(v) == 4 for v in all_candidates({"type": "object"}, hints=hints))
