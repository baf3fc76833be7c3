"""Changes no event can show, recognised by where they are: the finding says why it has no
witness instead of searching (``witness/reasons.py``). Each reason is checked against
``jsonschema`` (the oracle): writer and reader agree on every value tried; and the same change
where an event can show it still gets its witness."""

from __future__ import annotations

from typing import Any

import pytest
from jsonschema import Draft7Validator, Draft202012Validator

from evreg import check_compatibility
from evreg.contracts.compat.diff import diff_schemas
from evreg.contracts.compat.witness import WitnessFinder
from evreg.contracts.model import DRAFT7, DRAFT2020, SchemaRef

VALUES: list[Any] = [
    None,
    0,
    1.5,
    "a",
    [],
    ["a"],
    [1, "a"],
    ["a", "b", 3],
    [True, None, {}, []],
    {},
    {"foo": "a"},
    {"foo": 1, "bar": "x"},
]


def ref(schema: dict[str, Any]) -> SchemaRef:
    """The schema as a contract's document, read as draft-07 unless it says otherwise."""
    doc = {"$schema": DRAFT7, **schema}
    return SchemaRef(doc, "#", doc, doc["$schema"], {})


def d2020(schema: dict[str, Any]) -> dict[str, Any]:
    return {"$schema": DRAFT2020, **schema}


@pytest.mark.parametrize(
    ("old", "new", "rule", "reason"),
    [
        (
            {"additionalItems": True},
            {"additionalItems": False},
            "ADDITIONAL_ITEMS_REMOVED",
            "`additionalItems` applies only after an `items` array",
        ),
        (
            {"type": "array", "items": {"type": "string"}, "additionalItems": {"type": "string"}},
            {"type": "array", "items": {"type": "string"}, "additionalItems": {"type": "number"}},
            "TYPE_CHANGED",
            "`additionalItems` applies only after an `items` array",
        ),
        (
            {"dependencies": {"foo": {"type": "string"}}},
            {"dependencies": {"foo": {"type": "number"}}},
            "TYPE_CHANGED",
            "dependency schema for `foo` accepts no object",
        ),
        (
            d2020({"type": "array", "items": {}, "unevaluatedItems": True}),
            d2020({"type": "array", "items": {}, "unevaluatedItems": {"type": "integer"}}),
            "UNEVALUATED_ITEMS_NARROWED",
            "an `items` beside it evaluates every item",
        ),
    ],
)
def test_a_change_no_event_can_show_says_why(
    old: dict[str, Any], new: dict[str, Any], rule: str, reason: str
) -> None:
    cls = Draft202012Validator if old.get("$schema") == DRAFT2020 else Draft7Validator
    writer, reader = cls(old), cls(new)
    assert all(reader.is_valid(v) for v in VALUES if writer.is_valid(v))
    report = check_compatibility(old, new, default_dialect="draft-07")
    (finding,) = report.breaking  # the policy's verdict (Confluent's for additionalItems) is kept
    assert finding.rule == rule
    assert not finding.has_witness
    assert finding.witness_note is not None
    assert finding.witness_note.startswith("no event can show this change: ")
    assert reason in finding.witness_note


@pytest.mark.parametrize(
    ("old", "new"),
    [
        # after a tuple, additionalItems judges the items past it
        (
            {"type": "array", "items": [{}], "additionalItems": {"type": "string"}},
            {"type": "array", "items": [{}], "additionalItems": {"type": "number"}},
        ),
        # the reader has a tuple: the writer's long arrays meet its additionalItems
        ({"additionalItems": False}, {"items": [{}], "additionalItems": False}),
        # unevaluatedItems with no items beside it judges the items
        (
            d2020({"type": "array", "unevaluatedItems": True}),
            d2020({"type": "array", "unevaluatedItems": {"type": "integer"}}),
        ),
        # unevaluatedProperties with no additionalProperties beside it judges the properties
        (
            d2020({"type": "object", "unevaluatedProperties": True}),
            d2020({"type": "object", "unevaluatedProperties": False}),
        ),
        # a dependency schema some object satisfies
        (
            {"dependencies": {"foo": {"type": "object", "required": ["bar"]}}},
            {"dependencies": {"foo": {"type": "string"}}},
        ),
    ],
)
def test_the_same_change_where_an_event_shows_it_has_a_witness(
    old: dict[str, Any], new: dict[str, Any]
) -> None:
    writer, reader = ref(old), ref(new)
    finder = WitnessFinder(writer, reader)
    changes = [c for c in diff_schemas(writer, reader)]
    assert changes
    found = [finder.find(c) for c in changes]
    witnesses = [r.value for r in found if r.found]
    assert witnesses, [r.note for r in found]
    cls = Draft202012Validator if old.get("$schema") == DRAFT2020 else Draft7Validator
    for event in witnesses:
        assert cls(old).is_valid(event)
        assert not cls(new).is_valid(event)
