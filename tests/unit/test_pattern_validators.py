"""``pattern_validators.bounded``: jsonschema's validators with bounded ECMA-262 regexes.

The oracle is ``jsonschema`` itself (with Python's ``re``) on schemas whose patterns mean the
same in both dialects: the bounded classes must give the same verdicts and the same errors. On
the catastrophic patterns of issue 15 they finish where ``jsonschema`` would not.
"""

from __future__ import annotations

import re
import types
from typing import Any

import pytest
from jsonschema import validators

from evreg.contracts import patterns
from evreg.contracts.pattern_validators import bounded

DRAFTS = [
    validators.Draft4Validator,
    validators.Draft6Validator,
    validators.Draft7Validator,
    validators.Draft201909Validator,
    validators.Draft202012Validator,
]


def _reachable(func: Any) -> list[types.FunctionType]:
    """``func`` and every function it names through its globals, transitively."""
    seen: dict[int, types.FunctionType] = {}
    stack = [func]
    while stack:
        f = stack.pop()
        if not isinstance(f, types.FunctionType) or id(f) in seen:
            continue
        seen[id(f)] = f
        stack.extend(f.__globals__.get(name) for name in f.__code__.co_names)
    return list(seen.values())


@pytest.mark.parametrize("cls", DRAFTS, ids=lambda c: c.__name__)
def test_no_keyword_of_a_bounded_class_reaches_the_standard_re(cls: Any) -> None:
    """Guards the rebinding: a jsonschema release that adds a ``re`` call fails here."""
    plain_users = {
        keyword
        for keyword, func in cls.VALIDATORS.items()
        for f in _reachable(func)
        if "re" in f.__code__.co_names and f.__globals__.get("re") is re
    }
    assert {"pattern", "patternProperties", "additionalProperties"} <= plain_users  # the bug
    safe = bounded(cls)
    for keyword, func in safe.VALIDATORS.items():
        for f in _reachable(func):
            if "re" in f.__code__.co_names:
                assert f.__globals__.get("re") is not re, (keyword, f.__qualname__)
            assert f.__name__ != "find_additional_properties", keyword  # joins with "|"
    assert safe.FORMAT_CHECKER.checkers["regex"][0] is patterns.is_ecma
    assert set(safe.FORMAT_CHECKER.checkers) == set(cls.FORMAT_CHECKER.checkers)


SCHEMAS: list[dict[str, Any]] = [
    {"type": "string", "pattern": "^[a-z]+$"},
    {"pattern": "b"},
    {"properties": {"a": {"pattern": "^x"}}, "patternProperties": {"^p_": {"type": "integer"}}},
    {"patternProperties": {"^a": {"type": "string"}, "b$": {"minLength": 2}}},
    {"patternProperties": {"^a": {}}, "additionalProperties": False},
    {
        "properties": {"z": {}},
        "patternProperties": {"^a": {}, "^b": {}},
        "additionalProperties": {"type": "integer"},
    },
    {"allOf": [{"patternProperties": {"^a": {}}}], "unevaluatedProperties": False},
    {
        "anyOf": [{"patternProperties": {"^x-": {"type": "string"}}}, {"required": ["q"]}],
        "unevaluatedProperties": {"type": "integer"},
    },
    {
        "if": {"patternProperties": {"^i": {"type": "integer"}}},
        "then": {"patternProperties": {"^t": {}}},
        "unevaluatedProperties": False,
    },
    {"propertyNames": {"pattern": "^[a-c]+$"}},
]
INSTANCES: list[Any] = [
    "abc",
    "aBc",
    "",
    "b",
    {},
    {"a": "xy"},
    {"a": "yx"},
    {"p_1": 1, "p_2": "no"},
    {"ab": "s", "bb": "1"},
    {"ab": 1, "cb": "x"},
    {"a": 1, "b": 2, "c": 3, "z": "s"},
    {"a1": 1, "q": 2, "x-y": "s"},
    {"i1": 1, "t": 2, "u": 3},
    {"i1": "s", "t": 2},
    {"abc": 1, "abd": 2},
    3,
]


@pytest.mark.parametrize("cls", DRAFTS, ids=lambda c: c.__name__)
def test_same_verdicts_and_errors_as_jsonschema_on_safe_patterns(cls: Any) -> None:
    safe = bounded(cls)
    compared = 0
    for schema in SCHEMAS:
        plain_validator = cls(schema, format_checker=cls.FORMAT_CHECKER)
        safe_validator = safe(schema, format_checker=safe.FORMAT_CHECKER)
        for instance in INSTANCES:
            expected = sorted(e.message for e in plain_validator.iter_errors(instance))
            assert sorted(e.message for e in safe_validator.iter_errors(instance)) == expected, (
                schema,
                instance,
            )
            compared += 1
    assert compared == len(SCHEMAS) * len(INSTANCES)


@pytest.mark.parametrize("cls", DRAFTS, ids=lambda c: c.__name__)
def test_catastrophic_patterns_finish_in_every_keyword(cls: Any) -> None:
    safe = bounded(cls)
    schema = {
        "type": "object",
        "properties": {"s": {"type": "string", "pattern": "^(a+)+$"}},
        "patternProperties": {"^(x+x+)+y": {"type": "integer"}},
        "additionalProperties": False,
        "unevaluatedProperties": False,
    }
    event = {"s": "a" * 50_000 + "!", "x" * 50_000: "not an integer"}
    errors = [e.validator for e in safe(schema).iter_errors(event)]
    assert "pattern" in errors
    assert "additionalProperties" in errors
    if "unevaluatedProperties" in safe.VALIDATORS:
        assert "unevaluatedProperties" in errors


def test_format_regex_is_ecma_262_in_bounded_classes() -> None:
    plain = validators.Draft202012Validator
    safe = bounded(plain)
    schema = {"format": "regex"}
    assert safe(schema, format_checker=safe.FORMAT_CHECKER).is_valid("^\\p{L}+$")
    assert not plain(schema, format_checker=plain.FORMAT_CHECKER).is_valid("^\\p{L}+$")
    assert not safe(schema, format_checker=safe.FORMAT_CHECKER).is_valid("(?P<x>a)")


def test_a_budget_error_leaves_iter_errors() -> None:
    safe = bounded(validators.Draft202012Validator)
    validator = safe({"items": {"pattern": "^(a+)+$"}})
    with patterns.budget(10_000), pytest.raises(patterns.PatternBudgetError) as caught:
        list(validator.iter_errors(["a" * 1000] * 100))
    assert caught.value.pattern == "^(a+)+$"


def test_a_refused_pattern_leaves_iter_errors() -> None:
    """A stored schema may hold a pattern evreg refuses now: that is an error, not 'no match'."""
    safe = bounded(validators.Draft202012Validator)
    with pytest.raises(patterns.PatternError, match="backreferences"):
        safe({"pattern": "(a)\\1"}).is_valid("aa")
