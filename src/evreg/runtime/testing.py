"""Hypothesis strategies for instances of a JSON Schema, for generated contract tests.

The tests ``evreg generate --lang python`` writes import ``from_schema`` from here instead of
carrying a copy (``pip install "evreg[testing]"`` adds pytest and hypothesis). It covers what
event contracts use: types, properties and required, additionalProperties, items and their
counts, enum and const, string lengths, patterns and common formats, numeric bounds and
multipleOf, oneOf, anyOf, allOf and local $ref. Every drawn value is checked with jsonschema,
so a keyword this module does not model can make it draw fewer values, never an invalid one.
(hypothesis-jsonschema does not work with current hypothesis.)
"""

from __future__ import annotations

import json
import math
import re
import string
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import jsonschema
from hypothesis import strategies as st

MAX_ITEMS = 4
MAX_DEPTH = 5

_ZONES = [UTC, timezone(timedelta(hours=2)), timezone(timedelta(hours=-5, minutes=-30))]
_DATETIMES = st.datetimes(
    min_value=datetime(1970, 1, 1),
    max_value=datetime(2100, 1, 1),
    timezones=st.sampled_from(_ZONES),
)
FORMATS: dict[str, st.SearchStrategy[str]] = {
    "uuid": st.uuids().map(str),
    "date-time": _DATETIMES.map(lambda d: d.isoformat()),
    "date": _DATETIMES.map(lambda d: d.date().isoformat()),
    "email": st.from_regex(r"[a-z]{1,8}@[a-z]{1,8}\.example", fullmatch=True),
    "uri": st.from_regex(r"https://[a-z]{1,8}\.example/[a-z0-9]{0,8}", fullmatch=True),
    "ipv4": st.ip_addresses(v=4).map(str),
    "ipv6": st.ip_addresses(v=6).map(str),
}
_SCALARS: st.SearchStrategy[Any] = st.one_of(
    st.none(), st.booleans(), st.integers(-1000, 1000), st.text(string.ascii_letters, max_size=8)
)
_TYPES = ("object", "array", "string", "integer", "number", "boolean", "null")


def from_schema(schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    """Instances of ``schema`` (a standalone schema: ``$ref`` only into itself)."""
    validator = jsonschema.validators.validator_for(schema)(schema)
    return _Builder(schema).build(schema, 0).filter(validator.is_valid)


class _Builder:
    def __init__(self, root: dict[str, Any]) -> None:
        self.root = root

    def resolve(self, ref: str) -> Any:
        node: Any = self.root
        for token in ref.lstrip("#").split("/")[1:]:
            token = token.replace("~1", "/").replace("~0", "~")
            node = node[int(token)] if isinstance(node, list) else node[token]
        return node

    def build(self, schema: Any, depth: int) -> st.SearchStrategy[Any]:
        if schema is True or schema == {}:
            return _SCALARS
        if schema is False:
            return st.nothing()
        if "$ref" in schema:
            target = self.resolve(schema["$ref"])
            rest = {k: v for k, v in schema.items() if k != "$ref"}
            if isinstance(target, dict) and not set(rest) - {"description", "title"}:
                return self.build(target, depth + 1)
            return self.build({"allOf": [target, rest]}, depth + 1)
        if "const" in schema:
            return st.just(schema["const"])
        if "enum" in schema:
            return st.sampled_from(schema["enum"])
        for key in ("oneOf", "anyOf"):
            if key in schema:
                rest = {k: v for k, v in schema.items() if k != key}
                branches = [self.build(self.merge([b, rest]), depth + 1) for b in schema[key]]
                return st.one_of(branches)
        if "allOf" in schema:
            rest = {k: v for k, v in schema.items() if k != "allOf"}
            parts = [self.deref(part) for part in schema["allOf"]]
            return self.build(self.merge([*parts, rest]), depth + 1)
        types = schema.get("type")
        if isinstance(types, str):
            types = [types]
        if types is None:
            types = [t for t in _TYPES if self.hints(schema, t)] or ["null", "boolean", "string"]
        return st.one_of([self.typed(schema, t, depth) for t in types])

    def deref(self, schema: Any) -> Any:
        while isinstance(schema, dict) and set(schema) == {"$ref"}:
            schema = self.resolve(schema["$ref"])
        return schema

    @staticmethod
    def merge(parts: list[Any]) -> Any:
        out: dict[str, Any] = {}
        for part in parts:
            if not isinstance(part, dict):
                continue
            for key, value in part.items():
                if key == "properties" and isinstance(out.get(key), dict):
                    out[key] = {**out[key], **value}
                elif key == "required" and isinstance(out.get(key), list):
                    out[key] = [*out[key], *value]
                else:
                    out.setdefault(key, value)
        return out

    @staticmethod
    def hints(schema: dict[str, Any], kind: str) -> bool:
        keys = {
            "object": {"properties", "required", "additionalProperties"},
            "array": {"items", "prefixItems", "minItems", "maxItems"},
            "string": {"pattern", "minLength", "maxLength", "format"},
            "number": {"minimum", "maximum", "multipleOf"},
        }.get(kind, set())
        return bool(keys & set(schema))

    def typed(self, schema: dict[str, Any], kind: str, depth: int) -> st.SearchStrategy[Any]:
        if kind == "null":
            return st.none()
        if kind == "boolean":
            return st.booleans()
        if kind == "string":
            return self.string(schema)
        if kind in ("integer", "number"):
            return self.number(schema, integer=kind == "integer")
        if kind == "array":
            return self.array(schema, depth)
        if kind == "object":
            return self.object(schema, depth)
        return st.nothing()

    @staticmethod
    def string(schema: dict[str, Any]) -> st.SearchStrategy[str]:
        low = int(schema.get("minLength", 0))
        high = int(schema.get("maxLength", 10**6))
        pattern = schema.get("pattern")
        fmt = FORMATS.get(str(schema.get("format")))
        if fmt is not None:
            base = fmt
        elif isinstance(pattern, str):
            # ECMA-262 "$" never matches before a final newline, Python's does
            base = st.from_regex(pattern).filter(lambda s: "\n" not in s)
        else:
            base = st.text(min_size=low, max_size=min(high, low + 12))
        if isinstance(pattern, str):
            base = base.filter(lambda s: re.search(pattern, s) is not None)
        return base.filter(lambda s: low <= len(s) <= high)

    @staticmethod
    def number(schema: dict[str, Any], *, integer: bool) -> st.SearchStrategy[Any]:
        def bound(keyword: str) -> Decimal | None:
            value = schema.get(keyword)
            ok = isinstance(value, int | float) and not isinstance(value, bool)
            return Decimal(str(value)) if ok else None

        low, high = bound("minimum"), bound("maximum")
        ex_low, ex_high = bound("exclusiveMinimum"), bound("exclusiveMaximum")
        step = bound("multipleOf")
        if integer:
            step = Decimal(1) if step is None else step
        if step is not None and step > 0:
            first, last = -(10**6), 10**6
            if low is not None:
                first = math.ceil(low / step)
            if ex_low is not None:
                first = max(first, math.floor(ex_low / step) + 1)
            if high is not None:
                last = math.floor(high / step)
            if ex_high is not None:
                last = min(last, math.ceil(ex_high / step) - 1)
            multiples = st.integers(first, last).map(lambda k: k * step)
            if integer or step == step.to_integral_value():
                return multiples.map(int)
            return multiples.map(float)
        floor = max([v for v in (low, ex_low) if v is not None], default=Decimal(-(10**6)))
        ceiling = min([v for v in (high, ex_high) if v is not None], default=Decimal(10**6))
        return st.floats(
            float(floor),
            float(ceiling),
            exclude_min=ex_low is not None and floor == ex_low,
            exclude_max=ex_high is not None and ceiling == ex_high,
            allow_nan=False,
            allow_infinity=False,
        )

    def array(self, schema: dict[str, Any], depth: int) -> st.SearchStrategy[list[Any]]:
        low = int(schema.get("minItems", 0))
        high = int(schema.get("maxItems", low + MAX_ITEMS))
        high = min(high, low + MAX_ITEMS) if depth < MAX_DEPTH else low
        items = schema.get("items", True)
        element = self.build(items if isinstance(items, dict | bool) else True, depth + 1)
        unique = bool(schema.get("uniqueItems"))
        if unique:
            return st.lists(element, min_size=low, max_size=high, unique_by=_canonical)
        return st.lists(element, min_size=low, max_size=high)

    def object(self, schema: dict[str, Any], depth: int) -> st.SearchStrategy[dict[str, Any]]:
        properties: dict[str, Any] = schema.get("properties") or {}
        required = [name for name in schema.get("required", []) if isinstance(name, str)]
        fixed = {name: self.build(properties.get(name, True), depth + 1) for name in required}
        optional = {
            name: self.build(sub, depth + 1)
            for name, sub in properties.items()
            if name not in fixed and depth < MAX_DEPTH
        }
        extra = schema.get("additionalProperties", True)
        names = st.text(string.ascii_letters, min_size=1, max_size=8).filter(
            lambda n: n not in properties
        )
        if extra is False or depth >= MAX_DEPTH:
            extras: st.SearchStrategy[dict[str, Any]] = st.just({})
        else:
            value = self.build(extra if isinstance(extra, dict) else True, depth + 1)
            extras = st.dictionaries(names, value, max_size=2)
        known = st.fixed_dictionaries(fixed, optional=optional)
        return st.tuples(extras, known).map(lambda pair: {**pair[0], **pair[1]})


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True)
