"""WitnessFinder: every witness is re-validated here, independently, with jsonschema."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from jsonschema.validators import validator_for
from referencing import Registry
from referencing.jsonschema import specification_with

from evreg.contracts.compat.diff import EXTRA_PROPERTY
from evreg.contracts.compat.report import Change
from evreg.contracts.compat.witness import WitnessFinder, WitnessResult
from evreg.contracts.model import DRAFT4, DRAFT7, DRAFT2020, SchemaRef

CASES = Path(__file__).resolve().parents[3] / "shared" / "compat-cases" / "confluent"


def ref(
    schema: Any,
    draft: str = DRAFT2020,
    pointer: str = "#",
    document: Any = None,
    resources: dict[str, Any] | None = None,
) -> SchemaRef:
    doc = schema if document is None else document
    return SchemaRef(schema, pointer, doc, draft, resources or {})


def valid(instance: Any, side: SchemaRef) -> bool:
    """Independent check: the real validator of the side's draft, refs against its document."""
    spec = specification_with(side.draft)
    registry: Registry[Any] = Registry().with_resource(
        "urn:test", spec.create_resource(side.document)
    )
    for name, doc in side.resources.items():
        registry = registry.with_resource(name, spec.create_resource(doc))
    cls = validator_for({"$schema": side.draft})
    if side.pointer in ("", "#"):  # the document is the schema (its own $id, if any, applies)
        return bool(cls(side.document, registry=registry).is_valid(instance))
    return bool(cls({"$ref": f"urn:test{side.pointer}"}, registry=registry).is_valid(instance))


def search(
    writer: SchemaRef | Any,
    reader: SchemaRef | Any,
    rule: str,
    path: str = "#/",
    writer_node: str | None = "#",
    reader_node: str | None = "#",
    instance_path: tuple[str | int, ...] = (),
    old: Any = None,
    new: Any = None,
) -> tuple[WitnessResult, SchemaRef, SchemaRef]:
    w = writer if isinstance(writer, SchemaRef) else ref(writer)
    r = reader if isinstance(reader, SchemaRef) else ref(reader)
    change = Change(
        rule,
        path,
        old,
        new,
        writer_node=writer_node,
        reader_node=reader_node,
        instance_path=instance_path,
    )
    return WitnessFinder(w, r).find(change), w, r


def witness(writer: SchemaRef | Any, reader: SchemaRef | Any, rule: str, **kw: Any) -> Any:
    result, w, r = search(writer, reader, rule, **kw)
    assert result.found, result.note
    assert result.note is None
    assert valid(result.value, w), f"witness {result.value!r} is invalid under the writer"
    assert not valid(result.value, r), f"witness {result.value!r} is valid under the reader"
    return result.value


def no_witness(writer: SchemaRef | Any, reader: SchemaRef | Any, rule: str, **kw: Any) -> str:
    result, _, _ = search(writer, reader, rule, **kw)
    assert not result.found
    assert result.value is None
    assert result.note
    return result.note


def obj(props: dict[str, Any], required: tuple[str, ...] = (), **kw: Any) -> dict[str, Any]:
    return {"type": "object", "properties": props, "required": list(required), **kw}


# -- types, strings, numbers --------------------------------------------------------------------


def test_type_changed_in_a_property_keeps_required_siblings() -> None:
    w = obj({"id": {"type": "string", "format": "uuid"}, "foo": {"type": "string"}}, ("id", "foo"))
    r = obj({"id": {"type": "string", "format": "uuid"}, "foo": {"type": "integer"}}, ("id", "foo"))
    event = witness(
        w,
        r,
        "TYPE_CHANGED",
        path="#/properties/foo",
        writer_node="#/properties/foo",
        reader_node="#/properties/foo",
        instance_path=("foo",),
    )
    assert isinstance(event["foo"], str)
    assert set(event) == {"id", "foo"}


@pytest.mark.parametrize(
    ("old", "new", "check"),
    [
        (["string", "null"], "string", lambda v: v is None),
        ("number", "integer", lambda v: isinstance(v, float) and not v.is_integer()),
        (["integer", "boolean"], "integer", lambda v: isinstance(v, bool)),
    ],
)
def test_type_narrowed(old: Any, new: Any, check: Any) -> None:
    assert check(witness({"type": old}, {"type": new}, "TYPE_NARROWED"))


def test_max_length_decreased() -> None:
    event = witness(
        {"type": "string", "maxLength": 12},
        {"type": "string", "maxLength": 10},
        "MAX_LENGTH_DECREASED",
        path="#/maxLength",
        old=12,
        new=10,
    )
    assert len(event) in (11, 12)


def test_min_length_increased() -> None:
    event = witness(
        {"type": "string", "minLength": 2},
        {"type": "string", "minLength": 5},
        "MIN_LENGTH_INCREASED",
    )
    assert 2 <= len(event) < 5


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("^[a-z]+$", "^[a-m]+$"),  # a character class shrank
        ("^[a-z]+$", "^[a-z]{1,3}$"),  # a repetition bound appeared
        ("^(EUR|USD|GBP)$", "^(EUR|USD)$"),  # an alternative went away
        ("^[0-9]{4}-[0-9]{2}$", "^[0-9]{4}$"),
    ],
)
def test_pattern_changed(old: str, new: str) -> None:
    witness(
        {"type": "string", "pattern": old}, {"type": "string", "pattern": new}, "PATTERN_CHANGED"
    )


def test_pattern_added() -> None:
    witness(
        {"type": "string", "minLength": 1},
        {"type": "string", "minLength": 1, "pattern": "^[A-Z]{3}$"},
        "PATTERN_ADDED",
    )


@pytest.mark.parametrize(
    ("rule", "old", "new"),
    [
        ("MAXIMUM_DECREASED", {"maximum": 100}, {"maximum": 99.5}),
        ("MAXIMUM_ADDED", {}, {"maximum": 1000}),
        ("MINIMUM_INCREASED", {"minimum": 1}, {"minimum": 2}),
        ("MINIMUM_ADDED", {}, {"minimum": 0}),
        ("EXCLUSIVE_MAXIMUM_DECREASED", {"exclusiveMaximum": 10}, {"exclusiveMaximum": 9.99}),
        ("EXCLUSIVE_MINIMUM_INCREASED", {"exclusiveMinimum": 0}, {"exclusiveMinimum": 0.5}),
        ("EXCLUSIVE_MAXIMUM_ADDED", {"maximum": 10}, {"maximum": 10, "exclusiveMaximum": 10}),
        ("EXCLUSIVE_MINIMUM_ADDED", {"minimum": 0}, {"exclusiveMinimum": 0}),
        ("MULTIPLE_OF_CHANGED", {"multipleOf": 3}, {"multipleOf": 5}),
        ("MULTIPLE_OF_ADDED", {}, {"multipleOf": 0.5}),
        ("MULTIPLE_OF_EXPANDED", {"multipleOf": 0.1}, {"multipleOf": 0.2}),
    ],
)
def test_number_bounds(rule: str, old: dict[str, Any], new: dict[str, Any]) -> None:
    witness({"type": "number", **old}, {"type": "number", **new}, rule)


def test_integer_multiple_of_changed_needs_a_common_multiple_avoided() -> None:
    event = witness(
        {"type": "integer", "minimum": 1, "multipleOf": 4},
        {"type": "integer", "minimum": 1, "multipleOf": 6},
        "MULTIPLE_OF_CHANGED",
    )
    assert event % 4 == 0 and event % 6 != 0


def test_draft4_writer_and_2020_reader() -> None:
    w = ref({"type": "number", "maximum": 10, "exclusiveMaximum": True}, DRAFT4)
    r = ref({"type": "number", "exclusiveMaximum": 9})
    event = witness(w, r, "EXCLUSIVE_MAXIMUM_DECREASED")
    assert 9 <= event < 10


# -- objects ------------------------------------------------------------------------------------


def test_required_attribute_added() -> None:
    w = obj({"foo": {"type": "string"}, "bar": {"type": "integer"}}, ("bar",))
    r = obj({"foo": {"type": "string"}, "bar": {"type": "integer"}}, ("bar", "foo"))
    event = witness(w, r, "REQUIRED_ATTRIBUTE_ADDED", path="#/required/foo", new="foo")
    assert "foo" not in event


def test_required_property_added_to_unopen_content_model() -> None:
    w = obj({"a": {"type": "string"}}, ("a",), additionalProperties=False)
    r = obj(
        {"a": {"type": "string"}, "b": {"type": "string"}}, ("a", "b"), additionalProperties=False
    )
    witness(w, r, "REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL", path="#/properties/b")


def test_optional_property_added_to_open_content_model_carries_it_with_a_wrong_type() -> None:
    w = obj({"foo": {"type": "string"}})
    r = obj({"foo": {"type": "string"}, "bar": {"type": "number"}})
    event = witness(w, r, "OPTIONAL_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL", path="#/properties/bar")
    assert "bar" in event
    assert not isinstance(event["bar"], int | float) or isinstance(event["bar"], bool)


def test_property_removed_from_closed_content_model() -> None:
    w = obj({"a": {"type": "string"}, "b": {"type": "string"}}, additionalProperties=False)
    r = obj({"a": {"type": "string"}}, additionalProperties=False)
    assert "b" in witness(w, r, "PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL", path="#/properties/b")


def test_additional_properties_removed() -> None:
    w = obj({"a": {"type": "string"}})
    r = obj({"a": {"type": "string"}}, additionalProperties=False)
    event = witness(w, r, "ADDITIONAL_PROPERTIES_REMOVED", path="#/additionalProperties")
    assert set(event) - {"a"}


def test_additional_properties_narrowed() -> None:
    w = obj({}, additionalProperties={"type": ["string", "number"]})
    r = obj({}, additionalProperties={"type": "string"})
    witness(w, r, "ADDITIONAL_PROPERTIES_NARROWED", path="#/additionalProperties")


def test_change_inside_additional_properties_names_a_real_property() -> None:
    w = obj({"a": {"type": "string"}}, additionalProperties={"type": "string"})
    r = obj({"a": {"type": "string"}}, additionalProperties={"type": "integer"})
    event = witness(
        w,
        r,
        "TYPE_CHANGED",
        path="#/additionalProperties",
        writer_node="#/additionalProperties",
        reader_node="#/additionalProperties",
        instance_path=(EXTRA_PROPERTY,),
    )
    assert EXTRA_PROPERTY not in event and "a" not in event


def test_change_inside_pattern_properties_uses_a_matching_name() -> None:
    w = obj({}, patternProperties={"^x-": {"type": "string"}}, additionalProperties=False)
    r = obj({}, patternProperties={"^x-": {"type": "integer"}}, additionalProperties=False)
    event = witness(
        w,
        r,
        "TYPE_CHANGED",
        path="#/patternProperties/^x-",
        writer_node="#/patternProperties/^x-",
        reader_node="#/patternProperties/^x-",
        instance_path=(EXTRA_PROPERTY,),
    )
    assert all(name.startswith("x-") for name in event)


def test_property_added_not_covered_by_partially_open_content_model() -> None:
    w = obj({"a": {"type": "string"}}, additionalProperties={"type": "string"})
    r = obj(
        {"a": {"type": "string"}, "bar": {"type": "integer"}},
        additionalProperties={"type": "string"},
    )
    event = witness(
        w, r, "PROPERTY_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL", path="#/properties/bar"
    )
    assert isinstance(event["bar"], str)


def test_max_and_min_properties() -> None:
    w, r = obj({}, maxProperties=3), obj({}, maxProperties=2)
    assert len(witness(w, r, "MAX_PROPERTIES_DECREASED")) == 3
    w, r = obj({"a": {"type": "string"}}), obj({"a": {"type": "string"}}, minProperties=1)
    assert witness(w, r, "MIN_PROPERTIES_ADDED") == {}


@pytest.mark.parametrize(
    ("draft", "keyword"), [(DRAFT7, "dependencies"), (DRAFT2020, "dependentRequired")]
)
def test_dependency_array_added(draft: str, keyword: str) -> None:
    props = {"foo": {"type": "number"}, "bar": {"type": "string"}}
    w = ref({"properties": props}, draft)
    r = ref({"properties": props, keyword: {"bar": ["foo"]}}, draft)
    event = witness(w, r, "DEPENDENCY_ARRAY_ADDED", path=f"#/{keyword}/bar")
    assert "bar" in event and "foo" not in event


def test_dependency_schema_added_for_an_undeclared_property() -> None:
    w = ref({"dependencies": {"foo": {"type": "string"}}}, DRAFT7)
    r = ref({"dependencies": {"bar": {"type": "string"}}}, DRAFT7)
    assert "bar" in witness(w, r, "DEPENDENCY_SCHEMA_ADDED", path="#/dependencies/bar")


# -- enums and combinators ----------------------------------------------------------------------


def test_enum_narrowed() -> None:
    event = witness(
        {"enum": ["red", "green", "blue"]}, {"enum": ["red", "green"]}, "ENUM_ARRAY_NARROWED"
    )
    assert event == "blue"


def test_const_changed_in_a_property() -> None:
    w = obj({"foo": {"const": "red"}}, ("foo",))
    r = obj({"foo": {"const": "blue"}}, ("foo",))
    event = witness(
        w,
        r,
        "ENUM_ARRAY_CHANGED",
        path="#/properties/foo/const",
        writer_node="#/properties/foo",
        reader_node="#/properties/foo",
        instance_path=("foo",),
    )
    assert event == {"foo": "red"}


def test_sum_type_narrowed() -> None:
    w = {"anyOf": [{"type": "string"}, {"type": "number"}, {"type": "null"}]}
    r = {"anyOf": [{"type": "string"}, {"type": "null"}]}
    assert isinstance(witness(w, r, "SUM_TYPE_NARROWED"), int | float)


def test_combined_type_subschemas_changed() -> None:
    w = {"oneOf": [{"type": "string"}, obj({"a": {"type": "integer"}}, ("a",))]}
    r = {"oneOf": [{"type": "string"}, obj({"a": {"type": "string"}}, ("a",))]}
    event = witness(w, r, "COMBINED_TYPE_SUBSCHEMAS_CHANGED")
    assert isinstance(event, dict) and isinstance(event["a"], int)


def test_combined_type_changed_anyof_to_oneof() -> None:
    w = {"anyOf": [{"type": "integer"}, {"type": "number", "minimum": 0}]}
    r = {"oneOf": [{"type": "integer"}, {"type": "number", "minimum": 0}]}
    event = witness(w, r, "COMBINED_TYPE_CHANGED")
    assert isinstance(event, int) and event >= 0  # matches both branches


def test_product_type_extended() -> None:
    w = {"allOf": [{"type": "string"}]}
    r = {"allOf": [{"type": "string"}, {"maxLength": 3}]}
    witness(w, r, "PRODUCT_TYPE_EXTENDED")


def test_not_type_extended() -> None:
    event = witness(
        {"not": {"type": "string"}}, {"not": {"type": ["string", "number"]}}, "NOT_TYPE_EXTENDED"
    )
    assert isinstance(event, int | float) and not isinstance(event, bool)


def test_a_value_missing_from_a_long_enum_is_found() -> None:
    values = [f"v{i}" for i in range(500)]
    event = witness(
        obj({"c": {"enum": values}}, ("c",)),
        obj({"c": {"enum": values[:-1]}}, ("c",)),
        "ENUM_ARRAY_NARROWED",
        path="#/properties/c/enum",
        writer_node="#/properties/c",
        reader_node="#/properties/c",
        instance_path=("c",),
    )
    assert event == {"c": "v499"}


def test_pattern_with_lookaheads() -> None:
    strong = "^(?=.*[A-Z])(?=.*\\d).{8,}$"
    stronger = "^(?=.*[A-Z])(?=.*\\d).{10,}$"
    event = witness(
        {"type": "string", "pattern": strong},
        {"type": "string", "pattern": stronger},
        "PATTERN_CHANGED",
    )
    assert len(event) in (8, 9)


def test_unevaluated_properties_removed() -> None:
    base = {"type": "object", "allOf": [{"properties": {"a": {"type": "string"}}}]}
    event = witness(
        base, {**base, "unevaluatedProperties": False}, "UNEVALUATED_PROPERTIES_REMOVED"
    )
    assert set(event) - {"a"}


def test_min_contains_increased() -> None:
    arr = {"type": "array", "contains": {"type": "integer"}}
    witness({**arr, "minContains": 1}, {**arr, "minContains": 2}, "MIN_CONTAINS_INCREASED")


@pytest.mark.parametrize(
    ("rule", "old", "new", "size"),
    [
        ("MAX_LENGTH_ADDED", {"type": "string"}, {"maxLength": 40}, len),
        ("MAX_ITEMS_ADDED", {"type": "array"}, {"maxItems": 20}, len),
        ("MAX_PROPERTIES_ADDED", {"type": "object"}, {"maxProperties": 25}, len),
        ("MAXIMUM_ADDED", {"type": "integer"}, {"maximum": 5000}, abs),
    ],
)
def test_bounds_added_are_probed_just_past_the_reader_bound(
    rule: str, old: dict[str, Any], new: dict[str, Any], size: Any
) -> None:
    event = witness(old, {**old, **new}, rule)
    bound = next(iter(new.values()))
    assert abs(size(event) - bound) == 1


def test_not_extended_with_an_enum_value() -> None:
    event = witness(
        {"not": {"enum": ["test", "staging"]}},
        {"not": {"enum": ["test", "staging", "dev"]}},
        "NOT_TYPE_EXTENDED",
        path="#/not",
    )
    assert event == "dev"


def test_not_extended_with_a_pattern() -> None:
    witness(
        {"type": "string", "not": {"pattern": "^tmp-"}},
        {"type": "string", "not": {"pattern": "^(tmp|old)-"}},
        "NOT_TYPE_EXTENDED",
        path="#/not",
    )


# -- arrays -------------------------------------------------------------------------------------


def test_max_items_decreased_and_min_items_increased() -> None:
    arr = {"type": "array", "items": {"type": "string"}}
    assert len(witness({**arr, "maxItems": 5}, {**arr, "maxItems": 3}, "MAX_ITEMS_DECREASED")) > 3
    assert len(witness({**arr, "minItems": 1}, {**arr, "minItems": 2}, "MIN_ITEMS_INCREASED")) == 1


def test_unique_items_added() -> None:
    arr = {"type": "array", "items": {"type": "integer"}}
    event = witness(arr, {**arr, "uniqueItems": True}, "UNIQUE_ITEMS_ADDED")
    assert len(event) != len({json.dumps(v) for v in event})


def test_schema_added_for_items() -> None:
    event = witness(
        {"type": "array"},
        {"type": "array", "items": {"type": "string"}},
        "SCHEMA_ADDED",
        path="#/items",
        writer_node=None,
        reader_node="#/items",
        instance_path=(0,),
    )
    assert not isinstance(event[0], str)


def test_tuple_item_added_to_open_content_model() -> None:
    w = {"type": "array", "prefixItems": [{"type": "string"}]}
    r = {"type": "array", "prefixItems": [{"type": "string"}, {"type": "number"}]}
    witness(w, r, "ITEM_ADDED_TO_OPEN_CONTENT_MODEL", path="#/prefixItems/1")


def test_tuple_item_removed_from_closed_content_model_draft7() -> None:
    items = [{"type": "string"}, {"type": "number"}]
    w = ref({"type": "array", "items": items, "additionalItems": False}, DRAFT7)
    r = ref({"type": "array", "items": items[:1], "additionalItems": False}, DRAFT7)
    assert len(witness(w, r, "ITEM_REMOVED_FROM_CLOSED_CONTENT_MODEL", path="#/items/1")) == 2


def test_tuple_item_type_changed() -> None:
    w = {"type": "array", "prefixItems": [{"type": "string"}, {"type": "integer"}], "minItems": 2}
    r = {"type": "array", "prefixItems": [{"type": "string"}, {"type": "string"}], "minItems": 2}
    event = witness(
        w,
        r,
        "TYPE_CHANGED",
        path="#/prefixItems/1",
        writer_node="#/prefixItems/1",
        reader_node="#/prefixItems/1",
        instance_path=(1,),
    )
    assert isinstance(event[0], str) and isinstance(event[1], int)


def test_additional_items_removed_draft7() -> None:
    w = ref({"type": "array", "items": [{"type": "string"}]}, DRAFT7)
    r = ref({"type": "array", "items": [{"type": "string"}], "additionalItems": False}, DRAFT7)
    assert len(witness(w, r, "ADDITIONAL_ITEMS_REMOVED", path="#/additionalItems")) >= 2


def test_additional_items_narrowed_at_the_extra_position() -> None:
    w = ref({"type": "array", "items": [{"type": "string"}], "additionalItems": {}}, DRAFT7)
    r = ref(
        {"type": "array", "items": [{"type": "string"}], "additionalItems": {"type": "string"}},
        DRAFT7,
    )
    witness(w, r, "ADDITIONAL_ITEMS_NARROWED", path="#/additionalItems", instance_path=())


# -- where the node sits: nesting, $refs, recursion, documents ----------------------------------

ORDER_V1: dict[str, Any] = {
    "type": "object",
    "required": ["id", "customer"],
    "properties": {
        "id": {"type": "string", "format": "uuid"},
        "customer": {
            "type": "object",
            "required": ["name", "tags"],
            "properties": {
                "name": {"type": "string", "minLength": 1},
                "tags": {
                    "type": "array",
                    "minItems": 1,
                    "uniqueItems": True,
                    "items": {"type": "string", "maxLength": 12},
                },
            },
        },
    },
}


def test_nested_change_fills_required_siblings_on_the_way() -> None:
    reader = json.loads(json.dumps(ORDER_V1))
    reader["properties"]["customer"]["properties"]["tags"]["items"]["maxLength"] = 10
    node = "#/properties/customer/properties/tags/items"
    event = witness(
        ORDER_V1,
        reader,
        "MAX_LENGTH_DECREASED",
        path=f"{node}/maxLength",
        writer_node=node,
        reader_node=node,
        instance_path=("customer", "tags", 0),
    )
    assert set(event) == {"id", "customer"}
    assert event["customer"]["name"]
    assert len(event["customer"]["tags"][0]) > 10


def test_without_nodes_the_root_candidates_still_find_a_witness() -> None:
    reader = json.loads(json.dumps(ORDER_V1))
    reader["properties"]["customer"]["required"].append("vip")
    witness(ORDER_V1, reader, "REQUIRED_ATTRIBUTE_ADDED", writer_node=None, reader_node=None)


def test_unresolvable_writer_node_falls_back_to_enclosing_levels() -> None:
    w = obj({"a": {"type": "string"}}, ("a",))
    r = obj({"a": {"type": "integer"}}, ("a",))
    witness(
        w, r, "TYPE_CHANGED", writer_node="#/nowhere", reader_node="#/nowhere", instance_path=("a",)
    )


def test_node_behind_a_ref() -> None:
    def schema(amount: str) -> dict[str, Any]:
        money = obj(
            {"amount": {"type": amount}, "currency": {"type": "string"}}, ("amount", "currency")
        )
        return {
            **obj({"total": {"$ref": "#/definitions/Money"}}, ("total",)),
            "definitions": {"Money": money},
        }

    event = witness(
        ref(schema("number"), DRAFT7),
        ref(schema("integer"), DRAFT7),
        "TYPE_NARROWED",
        path="#/properties/total/properties/amount",
        writer_node="#/definitions/Money/properties/amount",
        reader_node="#/definitions/Money/properties/amount",
        instance_path=("total", "amount"),
    )
    assert isinstance(event["total"]["amount"], float) and "currency" in event["total"]


def category(id_type: str) -> dict[str, Any]:
    return {
        "$schema": DRAFT4,
        "type": "object",
        "properties": {
            "categories": {"type": "array", "items": {"$ref": "#/definitions/Category"}}
        },
        "required": ["categories"],
        "definitions": {
            "Category": {
                "type": "object",
                "properties": {
                    "category_id": {"type": id_type},
                    "categories": {"type": "array", "items": {"$ref": "#/definitions/Category"}},
                },
                "required": ["category_id", "categories"],
            }
        },
    }


def test_recursive_schema_terminates() -> None:
    event = witness(
        ref(category("integer"), DRAFT4),
        ref(category("string"), DRAFT4),
        "TYPE_CHANGED",
        path="#/definitions/Category/properties/category_id",
        writer_node="#/definitions/Category/properties/category_id",
        reader_node="#/definitions/Category/properties/category_id",
        instance_path=("categories", 0, "categories", 0, "category_id"),
    )
    inner = event["categories"][0]["categories"][0]
    assert isinstance(inner["category_id"], int) and inner["categories"] == []


def test_recursive_schema_without_a_witness_terminates_with_a_note() -> None:
    doc = category("integer")
    note = no_witness(ref(doc, DRAFT4), ref(json.loads(json.dumps(doc)), DRAFT4), "TITLE_CHANGED")
    assert "no event can show this change" in note  # proven: the reader accepts all of it


def asyncapi(amount: str) -> dict[str, Any]:
    money = obj(
        {"amount": {"type": amount}, "currency": {"type": "string"}}, ("amount", "currency")
    )
    return {
        "asyncapi": "3.0.0",
        "info": {"title": "Orders", "version": "1.0.0"},
        "components": {
            "schemas": {"Money": money},
            "messages": {
                "OrderPlaced": {
                    "payload": obj(
                        {"id": {"type": "string"}, "total": {"$ref": "#/components/schemas/Money"}},
                        ("id", "total"),
                    )
                }
            },
        },
    }


def test_asyncapi_payload_with_a_components_ref() -> None:
    pointer = "#/components/messages/OrderPlaced/payload"
    w_doc, r_doc = asyncapi("number"), asyncapi("integer")
    node = "#/components/schemas/Money/properties/amount"
    event = witness(
        ref(w_doc["components"]["messages"]["OrderPlaced"]["payload"], DRAFT7, pointer, w_doc),
        ref(r_doc["components"]["messages"]["OrderPlaced"]["payload"], DRAFT7, pointer, r_doc),
        "TYPE_NARROWED",
        path=f"{pointer}/properties/total/properties/amount",
        writer_node=node,
        reader_node=node,
        instance_path=("total", "amount"),
    )
    assert set(event) == {"id", "total"}
    assert not float(event["total"]["amount"]).is_integer()


def test_refs_into_external_resources_and_a_root_id() -> None:
    common = {"$defs": {"Code": {"type": "string", "maxLength": 8}}}
    short = {"$defs": {"Code": {"type": "string", "maxLength": 4}}}

    def schema() -> dict[str, Any]:
        return {
            "$id": "https://example.com/schemas/order.json",
            **obj({"code": {"$ref": "common.json#/$defs/Code"}}, ("code",)),
        }

    w = ref(schema(), resources={"https://example.com/schemas/common.json": common})
    r = ref(schema(), resources={"https://example.com/schemas/common.json": short})
    event = witness(w, r, "MAX_LENGTH_DECREASED", writer_node="#", reader_node="#")
    assert len(event["code"]) > 4


def test_external_resource_by_name_with_its_own_internal_ref() -> None:
    def common(limit: int) -> dict[str, Any]:
        return {
            "$defs": {
                "Tag": {"$ref": "#/$defs/Short"},
                "Short": {"type": "string", "maxLength": limit},
            }
        }

    schema = obj({"tag": {"$ref": "common.json#/$defs/Tag"}}, ("tag",))
    w = ref(schema, resources={"common.json": common(6)})
    r = ref(schema, resources={"common.json": common(3)})
    assert len(witness(w, r, "MAX_LENGTH_DECREASED")["tag"]) > 3


def test_path_through_a_one_of_uses_the_branch_declaring_the_property() -> None:
    def schema(size: str) -> dict[str, Any]:
        return {
            "oneOf": [
                obj({"kind": {"const": "a"}}, ("kind",)),
                obj({"kind": {"const": "b"}, "size": {"type": size}}, ("kind", "size")),
            ]
        }

    event = witness(
        schema("integer"),
        schema("string"),
        "TYPE_CHANGED",
        path="#/oneOf/1/properties/size",
        writer_node="#/oneOf/1/properties/size",
        reader_node="#/oneOf/1/properties/size",
        instance_path=("size",),
    )
    assert event["kind"] == "b" and isinstance(event["size"], int)


# -- no witness, verify, determinism ------------------------------------------------------------


def test_equivalent_patterns_have_no_witness() -> None:
    note = no_witness(
        {"type": "string", "pattern": "^a+$"},
        {"type": "string", "pattern": "^aa*$"},
        "PATTERN_CHANGED",
        path="#/pattern",
    )
    assert "no event valid under the writer schema and rejected by the reader" in note
    assert "may be safe" in note


def test_dependencies_keyword_is_not_a_2020_keyword_so_nothing_breaks() -> None:
    props = {"foo": {"type": "number"}, "bar": {"type": "string"}}
    no_witness(
        {"properties": props},
        {"properties": props, "dependencies": {"bar": ["foo"]}},
        "DEPENDENCY_ARRAY_ADDED",
    )


def test_a_writer_accepting_nothing_says_so() -> None:
    note = no_witness(False, {"type": "string"}, "TYPE_CHANGED")
    assert "could be built" in note


def test_an_unresolvable_root_says_so() -> None:
    w = ref({"type": "string"}, pointer="#/nowhere")
    assert "could not be resolved" in no_witness(w, {"type": "integer"}, "TYPE_CHANGED")


def test_verify() -> None:
    finder = WitnessFinder(ref({"type": "string"}), ref({"type": "string", "maxLength": 2}))
    assert finder.verify("abc")
    assert not finder.verify("ab")  # valid under both
    assert not finder.verify(3)  # invalid under both


def test_writer_formats_are_asserted() -> None:
    finder = WitnessFinder(ref({"type": "string", "format": "date"}), ref({"type": "integer"}))
    assert finder.verify("2024-01-01")
    assert not finder.verify("not a date")


def test_results_are_deterministic_and_isolated() -> None:
    reader = json.loads(json.dumps(ORDER_V1))
    reader["additionalProperties"] = False
    reader["properties"]["customer"]["properties"]["tags"]["maxItems"] = 1
    change = Change("MAX_ITEMS_ADDED", "#/properties/customer/properties/tags/maxItems")
    finder = WitnessFinder(ref(ORDER_V1), ref(reader))
    first = finder.find(change)
    assert first.found
    first.value["mutated"] = True
    assert finder.find(change) == WitnessFinder(ref(ORDER_V1), ref(reader)).find(change)
    assert "mutated" not in finder.find(change).value


@pytest.mark.skipif(not CASES.is_dir(), reason=f"{CASES} is absent (shared Confluent cases)")
@pytest.mark.parametrize("draft", [DRAFT7, DRAFT2020])
def test_every_witness_for_the_confluent_cases_verifies(draft: str) -> None:
    from evreg.contracts.compat.diff import diff_schemas
    from evreg.contracts.compat.rules import RULES

    breaking = found = 0
    for name in ("diff-schema-examples.json", "diff-combined-schema-examples.json"):
        for case in json.loads((CASES / name).read_text()):
            w, r = (ref(case[k], draft) for k in ("original_schema", "update_schema"))
            finder = WitnessFinder(w, r)
            for change in diff_schemas(w, r):
                if RULES[change.rule].strict_ok:
                    continue
                breaking += 1
                result = finder.find(change)
                if result.found:
                    found += 1
                    assert valid(result.value, w) and not valid(result.value, r), case[
                        "description"
                    ]
                else:
                    assert result.note
    assert breaking and found >= 0.8 * breaking


def test_a_root_that_cannot_be_read_gives_a_note_not_an_error() -> None:
    """The roots are read inside the search, whose errors become the finding's note: a check
    never fails because a witness search could not start (an `$id` that is no string, beside a
    `$ref` that makes the side resolve its documents)."""
    writer = ref({"$id": 5, "type": "string", "properties": {"a": {"$ref": "#/$defs/x"}}})
    result, _, _ = search(writer, {"type": "integer"}, "TYPE_CHANGED")
    assert not result.found
    assert result.note is not None and result.note.startswith("the witness search failed")
