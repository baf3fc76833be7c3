"""The witness validators build a sub-schema's validator once: same verdicts and errors."""

from __future__ import annotations

from typing import Any

import pytest
from jsonschema import Draft7Validator, Draft202012Validator, validators
from jsonschema.exceptions import UnknownType

from evreg.contracts.child_validators import reusing_children

SCHEMAS: list[tuple[Any, Any, list[Any]]] = [
    (
        Draft7Validator,
        {
            "type": "object",
            "properties": {
                "a": {"type": "string", "maxLength": 2},
                "b": {"type": "array", "items": [{"type": "integer"}], "additionalItems": False},
                "c": {"anyOf": [{"type": "null"}, {"$ref": "#/definitions/n"}]},
                "d": {"$id": "http://example.com/d", "type": "object", "required": ["x"]},
            },
            "definitions": {"n": {"type": "number", "minimum": 3}},
        },
        [
            {"a": "ab", "b": [1], "c": 4, "d": {"x": 1}},
            {"a": "abc", "b": [1, 2], "c": 2, "d": {}},
            {"a": 1, "b": ["x"], "c": "s"},
            [],
        ],
    ),
    (
        Draft202012Validator,
        {
            "$defs": {"s": {"type": "string", "pattern": "^a"}},
            "prefixItems": [{"$ref": "#/$defs/s"}, {"oneOf": [{"const": 1}, {"const": 2}]}],
            "items": {"not": {"type": "null"}},
            "unevaluatedItems": False,
        },
        [["ab", 1], ["b", 3, None], ["a", 2, "z", True], "x"],
    ),
]


def _errors(validator: Any, instance: Any) -> list[tuple[Any, ...]]:
    return [
        (e.message, list(e.path), list(e.schema_path), e.validator, e.validator_value)
        for e in validator.iter_errors(instance)
    ]


@pytest.mark.parametrize(("base", "schema", "instances"), SCHEMAS)
def test_the_same_verdicts_and_errors(base: Any, schema: Any, instances: list[Any]) -> None:
    plain = base(schema)
    reusing = reusing_children(validators.extend(base, {}))(schema)
    for _ in range(2):  # the second time with the sub-schema validators reused
        for instance in instances:
            assert reusing.is_valid(instance) == plain.is_valid(instance)
            assert _errors(reusing, instance) == _errors(plain, instance)


@pytest.mark.parametrize("schema", [True, False, {}, {"type": "string"}, {"not": {}}])
@pytest.mark.parametrize("instance", ["s", 1, None, {"a": [1]}])
def test_is_valid_answers_as_jsonschema_without_building_the_first_error_in_full(
    schema: Any, instance: Any
) -> None:
    plain = Draft7Validator(schema)
    reusing = reusing_children(validators.extend(Draft7Validator, {}))(schema)
    assert reusing.is_valid(instance) is plain.is_valid(instance)


def test_is_valid_raises_as_jsonschema_does() -> None:
    """A keyword that raises (a type name no draft knows) raises the same from both, and the
    keywords before it are asked first."""
    schema = {"maxLength": 1, "type": "no-such-type"}
    plain = Draft7Validator(schema)
    reusing = reusing_children(validators.extend(Draft7Validator, {}))(schema)
    assert not plain.is_valid("long") and not reusing.is_valid("long")  # maxLength first
    with pytest.raises(UnknownType):
        plain.is_valid("s")
    with pytest.raises(UnknownType):
        reusing.is_valid("s")


def test_a_sub_schema_validator_is_built_once(monkeypatch: pytest.MonkeyPatch) -> None:
    cls = reusing_children(validators.extend(Draft7Validator, {}))
    built: list[Any] = []
    evolve = cls.evolve
    monkeypatch.setattr(
        cls, "evolve", lambda self, **kw: built.append(kw["schema"]) or evolve(self, **kw)
    )
    schema = {"properties": {"a": {"type": "string"}, "b": {"items": {"type": "integer"}}}}
    validator = cls(schema)
    assert validator.is_valid({"a": "s", "b": [1, 2]})
    assert built == [{"type": "string"}, schema["properties"]["b"], {"type": "integer"}]
    assert not validator.is_valid({"a": 2, "b": ["y"]})
    assert validator.is_valid({"a": "t", "b": [3]})
    assert len(built) == 3  # reused, not built again


def test_a_class_is_made_to_reuse_children_once() -> None:
    """The meta-schema check and the witness validators make the same (cached) classes reuse
    their children: a second call leaves the class as it is (no descend around a descend)."""
    made = reusing_children(validators.extend(Draft7Validator, {}))
    descend = made.descend
    assert reusing_children(made) is made and made.descend is descend
