"""The edit catalogue of the soundness fuzzer: one small schema change per entry.

Each edit takes a sub-schema (a dict, changed in place) and a :class:`Ctx`, and returns a short
description of what it did, or None when it does not apply there. Families cover every keyword
family a schema author touches: types and nullable unions, enum/const, string, number, array and
object bounds, required, properties added/removed/renamed, content models (additional* and
unevaluated*), tuples (prefixItems/items, draft-07 items arrays and additionalItems),
combinators (oneOf/anyOf/allOf/not, if/then), $ref/$defs, formats, patterns,
dependentRequired/dependencies/dependentSchemas, propertyNames, and metadata or equivalent
rewrites (which must never break anything).
"""

from __future__ import annotations

import copy
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .schema_walk import escape, resolve, subschemas

SIMPLE_TYPES = ("string", "integer", "number", "boolean", "null", "object", "array")
FORMATS = ("date-time", "date", "time", "email", "uuid", "uri", "ipv4", "hostname")
PATTERNS = ("^[A-Z]{2}$", "^[a-z]+$", "^[0-9]{4}$", "^x", "b$", "^.{0,5}$", "^[A-Z]+-[0-9]{4}$")
NAMES = ("note", "id", "status", "extra", "version", "source", "amount", "x")
STRING_KEYWORDS = ("minLength", "maxLength", "pattern", "format")
NUMBER_KEYWORDS = ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf")
OBJECT_KEYWORDS = (
    "properties",
    "required",
    "additionalProperties",
    "patternProperties",
    "minProperties",
    "maxProperties",
    "propertyNames",
    "dependentRequired",
    "dependentSchemas",
    "dependencies",
    "unevaluatedProperties",
)
ARRAY_KEYWORDS = (
    "items",
    "prefixItems",
    "additionalItems",
    "minItems",
    "maxItems",
    "uniqueItems",
    "contains",
    "minContains",
    "maxContains",
    "unevaluatedItems",
)
#: keys that stay on a node when its content is wrapped into a combinator
ROOT_KEYS = ("$schema", "$id", "$defs", "definitions", "title", "description", "examples")

LEAVES: tuple[Any, ...] = (
    {"type": "string"},
    {"type": "string", "maxLength": 8},
    {"type": "string", "minLength": 1},
    {"type": "integer", "minimum": 0},
    {"type": "number"},
    {"type": "boolean"},
    {"type": "null"},
    {"type": ["string", "null"]},
    {"type": "string", "format": "date-time"},
    {"type": "string", "enum": ["a", "b"]},
    {"const": "x"},
    {},
    True,
    {"type": "array", "items": {"type": "string"}},
    {"type": "object", "properties": {"id": {"type": "string"}}},
)


@dataclass
class Ctx:
    rng: random.Random
    root: dict[str, Any]
    draft7: bool  # draft-07 keywords (items arrays, dependencies, definitions), else 2020-12
    names: list[str] = field(default_factory=list)
    patterns: list[str] = field(default_factory=list)

    def leaf(self) -> Any:
        """A sub-schema to add: a library leaf, or a copy of another sub-schema of the root."""
        if self.rng.random() < 0.3:
            found = [n for at, n in subschemas(self.root) if at and "$defs" not in at]
            found = [n for n in found if "definitions" not in n and "$defs" not in n]
            if found:
                return copy.deepcopy(self.rng.choice(found))
        return copy.deepcopy(self.rng.choice(LEAVES))

    def name(self, avoid: Any = ()) -> str:
        pool = [n for n in [*self.names, *NAMES] if n not in avoid]
        return self.rng.choice(pool) if pool else f"p{self.rng.randrange(1000)}"


Edit = Callable[[dict[str, Any], Ctx], str | None]


def types_of(node: dict[str, Any]) -> list[str]:
    t = node.get("type")
    if isinstance(t, str):
        return [t]
    if isinstance(t, list):
        return [x for x in t if isinstance(x, str)]
    return []


def inferred_type(node: dict[str, Any]) -> str | None:
    """The type a node's type-specific keywords suggest (what an author would add)."""
    for keys, kind in (
        (STRING_KEYWORDS, "string"),
        (NUMBER_KEYWORDS, "number"),
        (OBJECT_KEYWORDS, "object"),
        (ARRAY_KEYWORDS, "array"),
    ):
        if any(k in node for k in keys):
            return kind
    return None


def _is(node: dict[str, Any], kind: str) -> bool:
    ts = types_of(node)
    if ts:
        return kind in ts or (kind == "number" and "integer" in ts)
    return inferred_type(node) == kind


def sample(rng: random.Random, kind: str | None) -> Any:
    """A value of ``kind`` (any kind when None) for enum/const edits."""
    kind = kind or rng.choice(("string", "integer", "number", "boolean", "null"))
    if kind == "string":
        return rng.choice(("EUR", "pending", "card", "a", "", "Z9", "free"))
    if kind == "integer":
        return rng.choice((0, 1, 7, 42, -1))
    if kind == "number":
        return rng.choice((0.5, 2.25, 10, 0))
    if kind == "boolean":
        return rng.choice((True, False))
    if kind == "null":
        return None
    if kind == "object":
        return {"id": "a"}
    return ["a"]


def _core(node: dict[str, Any]) -> dict[str, Any]:
    """Move the validating keywords of ``node`` out of it (the root keys stay) and return them."""
    core = {k: v for k, v in node.items() if k not in ROOT_KEYS}
    for k in core:
        del node[k]
    return core


# ---------------------------------------------------------------- types and nullable unions


def type_change(node: dict[str, Any], ctx: Ctx) -> str | None:
    ts = types_of(node)
    if not ts:
        return None
    new = ctx.rng.choice([t for t in SIMPLE_TYPES if t not in ts])
    node["type"] = new
    return f"type {ts} -> {new}"


def type_add(node: dict[str, Any], ctx: Ctx) -> str | None:
    if "type" in node or "$ref" in node:
        return None
    new = inferred_type(node)
    if new == "number" and ctx.rng.random() < 0.3:
        new = "integer"
    if new is None:
        if any(k in node for k in ("anyOf", "oneOf", "allOf", "enum", "const")):
            return None
        new = ctx.rng.choice(SIMPLE_TYPES)
    node["type"] = new
    return f"type {new} added"


def type_remove(node: dict[str, Any], ctx: Ctx) -> str | None:
    if "type" not in node:
        return None
    return f"type {node.pop('type')} removed"


def type_widen(node: dict[str, Any], ctx: Ctx) -> str | None:
    ts = types_of(node)
    if not ts:
        return None
    if ts == ["integer"] and ctx.rng.random() < 0.6:
        node["type"] = "number"
        return "type integer -> number"
    extra = ctx.rng.choice([t for t in SIMPLE_TYPES if t not in ts])
    node["type"] = [*ts, extra]
    return f"type {ts} + {extra}"


def type_narrow(node: dict[str, Any], ctx: Ctx) -> str | None:
    ts = types_of(node)
    if ts == ["number"]:
        node["type"] = "integer"
        return "type number -> integer"
    if len(ts) < 2:
        return None
    gone = ctx.rng.choice(ts)
    rest = [t for t in ts if t != gone]
    node["type"] = rest[0] if len(rest) == 1 and ctx.rng.random() < 0.5 else rest
    return f"type {ts} - {gone}"


def nullable_add(node: dict[str, Any], ctx: Ctx) -> str | None:
    ts = types_of(node)
    if ts and "null" not in ts:
        node["type"] = [*ts, "null"]
        return "type + null"
    if ts or not set(node) - set(ROOT_KEYS):
        return None
    core = _core(node)
    node["anyOf"] = [core, {"type": "null"}]
    return "wrapped in anyOf [_, null]"


def nullable_remove(node: dict[str, Any], ctx: Ctx) -> str | None:
    ts = types_of(node)
    if "null" in ts and len(ts) > 1:
        rest = [t for t in ts if t != "null"]
        node["type"] = rest[0] if len(rest) == 1 else rest
        return "type - null"
    for key in ("anyOf", "oneOf"):
        alts = node.get(key)
        if isinstance(alts, list) and len(alts) > 1 and {"type": "null"} in alts:
            alts.remove({"type": "null"})
            return f"{key} lost its null alternative"
    return None


def nullable_one_of(node: dict[str, Any], ctx: Ctx) -> str | None:
    if "type" not in node and "$ref" not in node:
        return None
    core = _core(node)
    node["oneOf"] = [core, {"type": "null"}]
    return "wrapped in oneOf [_, null]"


# ---------------------------------------------------------------- enum and const


def enum_add_value(node: dict[str, Any], ctx: Ctx) -> str | None:
    values = node.get("enum")
    if not isinstance(values, list):
        return None
    kind = types_of(node)[0] if types_of(node) else None
    new = sample(ctx.rng, kind)
    if new in values:
        new = f"{values[0]}_x" if isinstance(values[0], str) else 99
    values.append(new)
    return f"enum + {new!r}"


def enum_remove_value(node: dict[str, Any], ctx: Ctx) -> str | None:
    values = node.get("enum")
    if not isinstance(values, list) or len(values) < 2:
        return None
    gone = values.pop(ctx.rng.randrange(len(values)))
    return f"enum - {gone!r}"


def enum_replace_value(node: dict[str, Any], ctx: Ctx) -> str | None:
    values = node.get("enum")
    if not isinstance(values, list) or not values:
        return None
    i = ctx.rng.randrange(len(values))
    old = values[i]
    values[i] = f"{old}2" if isinstance(old, str) else sample(ctx.rng, None)
    if values.count(values[i]) > 1:
        values[i] = "zz"
    return f"enum {old!r} -> {values[i]!r}"


def enum_to_const(node: dict[str, Any], ctx: Ctx) -> str | None:
    values = node.get("enum")
    if not isinstance(values, list) or not values:
        return None
    node["const"] = ctx.rng.choice(values) if ctx.rng.random() < 0.5 else values[0]
    del node["enum"]
    return f"enum -> const {node['const']!r}"


def const_to_enum(node: dict[str, Any], ctx: Ctx) -> str | None:
    if "const" not in node:
        return None
    value = node.pop("const")
    extra = [sample(ctx.rng, None)] if ctx.rng.random() < 0.5 else []
    node["enum"] = [value, *[e for e in extra if e != value]]
    return f"const -> enum {node['enum']!r}"


def enum_add(node: dict[str, Any], ctx: Ctx) -> str | None:
    if "enum" in node or "const" in node or "$ref" in node:
        return None
    kind = types_of(node)[0] if types_of(node) else inferred_type(node)
    values: list[Any] = []
    for _ in range(ctx.rng.randint(1, 3)):
        v = sample(ctx.rng, kind if ctx.rng.random() < 0.85 else None)
        if v not in values:
            values.append(v)
    if ctx.rng.random() < 0.3:
        node["const"] = values[0]
        return f"const {values[0]!r} added"
    node["enum"] = values
    return f"enum {values!r} added"


def enum_remove(node: dict[str, Any], ctx: Ctx) -> str | None:
    for key in ("enum", "const"):
        if key in node:
            return f"{key} {node.pop(key)!r} removed"
    return None


def const_change(node: dict[str, Any], ctx: Ctx) -> str | None:
    if "const" not in node:
        return None
    old = node["const"]
    node["const"] = f"{old}2" if isinstance(old, str) else sample(ctx.rng, None)
    return f"const {old!r} -> {node['const']!r}"


# ---------------------------------------------------------------- strings


def _bound(
    node: dict[str, Any], ctx: Ctx, key: str, lo: int | float, values: tuple[Any, ...]
) -> str | None:
    """Add, raise, lower or remove the numeric keyword ``key``."""
    if key in node:
        old = node[key]
        if not isinstance(old, int | float) or isinstance(old, bool):
            return None
        op = ctx.rng.choice(("raise", "lower", "remove"))
        if op == "remove":
            del node[key]
            return f"{key} {old} removed"
        step = ctx.rng.choice((1, 2, 5)) if isinstance(old, int) else ctx.rng.choice((0.5, 1))
        new = old + step if op == "raise" else old - step
        if new < lo:
            return None
        node[key] = new
        return f"{key} {old} -> {new}"
    node[key] = ctx.rng.choice(values)
    return f"{key} {node[key]} added"


def min_length(node: dict[str, Any], ctx: Ctx) -> str | None:
    return _bound(node, ctx, "minLength", 0, (0, 1, 2, 3, 8)) if _is(node, "string") else None


def max_length(node: dict[str, Any], ctx: Ctx) -> str | None:
    return _bound(node, ctx, "maxLength", 0, (1, 3, 8, 32, 255)) if _is(node, "string") else None


def pattern(node: dict[str, Any], ctx: Ctx) -> str | None:
    if not _is(node, "string"):
        return None
    pool = [p for p in [*ctx.patterns, *PATTERNS] if p != node.get("pattern")]
    if "pattern" in node and ctx.rng.random() < 0.4:
        return f"pattern {node.pop('pattern')!r} removed"
    old = node.get("pattern")
    node["pattern"] = ctx.rng.choice(pool)
    return f"pattern {old!r} -> {node['pattern']!r}"


def format_(node: dict[str, Any], ctx: Ctx) -> str | None:
    if not _is(node, "string") and ctx.rng.random() < 0.8:
        return None
    if "format" in node and ctx.rng.random() < 0.4:
        return f"format {node.pop('format')!r} removed"
    old = node.get("format")
    node["format"] = ctx.rng.choice([f for f in FORMATS if f != old])
    return f"format {old!r} -> {node['format']!r}"


# ---------------------------------------------------------------- numbers


def _numeric(node: dict[str, Any]) -> bool:
    return _is(node, "number") or _is(node, "integer")


def minimum(node: dict[str, Any], ctx: Ctx) -> str | None:
    return _bound(node, ctx, "minimum", -1e9, (0, 1, -10, 0.5)) if _numeric(node) else None


def maximum(node: dict[str, Any], ctx: Ctx) -> str | None:
    return _bound(node, ctx, "maximum", -1e9, (0, 10, 100, 99.5)) if _numeric(node) else None


def exclusive_minimum(node: dict[str, Any], ctx: Ctx) -> str | None:
    if not _numeric(node):
        return None
    return _bound(node, ctx, "exclusiveMinimum", -1e9, (0, 1, -1))


def exclusive_maximum(node: dict[str, Any], ctx: Ctx) -> str | None:
    if not _numeric(node):
        return None
    return _bound(node, ctx, "exclusiveMaximum", -1e9, (0, 100, 1000))


def minimum_exclusive_swap(node: dict[str, Any], ctx: Ctx) -> str | None:
    """minimum v <-> exclusiveMinimum (v, or v - 1: the same integers); likewise maximum."""
    for inc, exc, sign in (("minimum", "exclusiveMinimum", -1), ("maximum", "exclusiveMaximum", 1)):
        if inc in node and exc not in node and isinstance(node[inc], int | float):
            shift = sign if types_of(node) == ["integer"] and ctx.rng.random() < 0.5 else 0
            node[exc] = node.pop(inc) + shift
            return f"{inc} -> {exc} {node[exc]}"
        if exc in node and inc not in node and isinstance(node[exc], int | float):
            shift = -sign if types_of(node) == ["integer"] and ctx.rng.random() < 0.5 else 0
            node[inc] = node.pop(exc) + shift
            return f"{exc} -> {inc} {node[inc]}"
    return None


def multiple_of(node: dict[str, Any], ctx: Ctx) -> str | None:
    if not _numeric(node):
        return None
    old = node.get("multipleOf")
    if old is None:
        node["multipleOf"] = ctx.rng.choice((1, 2, 0.01, 0.5, 5))
        return f"multipleOf {node['multipleOf']} added"
    op = ctx.rng.choice(("double", "halve", "remove"))
    if op == "remove":
        del node["multipleOf"]
        return f"multipleOf {old} removed"
    node["multipleOf"] = old * 2 if op == "double" else old / 2
    return f"multipleOf {old} -> {node['multipleOf']}"


def integer_as_multiple_of(node: dict[str, Any], ctx: Ctx) -> str | None:
    if types_of(node) == ["integer"]:
        node["type"] = "number"
        node["multipleOf"] = 1
        return "integer -> number, multipleOf 1"
    if types_of(node) == ["number"] and node.get("multipleOf") == 1:
        node["type"] = "integer"
        del node["multipleOf"]
        return "number, multipleOf 1 -> integer"
    return None


# ---------------------------------------------------------------- arrays and tuples


def min_items(node: dict[str, Any], ctx: Ctx) -> str | None:
    return _bound(node, ctx, "minItems", 0, (0, 1, 2)) if _is(node, "array") else None


def max_items(node: dict[str, Any], ctx: Ctx) -> str | None:
    return _bound(node, ctx, "maxItems", 0, (1, 2, 10)) if _is(node, "array") else None


def unique_items(node: dict[str, Any], ctx: Ctx) -> str | None:
    if not _is(node, "array"):
        return None
    if node.get("uniqueItems") is True:
        del node["uniqueItems"]
        return "uniqueItems removed"
    node["uniqueItems"] = True
    return "uniqueItems added"


def contains(node: dict[str, Any], ctx: Ctx) -> str | None:
    if not _is(node, "array"):
        return None
    if "contains" in node and ctx.rng.random() < 0.5:
        node.pop("minContains", None)
        node.pop("maxContains", None)
        return f"contains {node.pop('contains')!r} removed"
    node["contains"] = ctx.leaf()
    return f"contains {node['contains']!r}"


def min_max_contains(node: dict[str, Any], ctx: Ctx) -> str | None:
    if ctx.draft7 or "contains" not in node:
        return None
    key = ctx.rng.choice(("minContains", "maxContains"))
    return _bound(node, ctx, key, 0, (0, 1, 2))


def items_schema(node: dict[str, Any], ctx: Ctx) -> str | None:
    if not _is(node, "array") or isinstance(node.get("items"), list) or "prefixItems" in node:
        return None
    old = node.get("items")
    node["items"] = ctx.leaf()
    return f"items {old!r} -> {node['items']!r}"


def tuple_add(node: dict[str, Any], ctx: Ctx) -> str | None:
    """Add a tuple member (prefixItems in 2020-12, an items array in draft-07)."""
    if not _is(node, "array"):
        return None
    key = "items" if ctx.draft7 else "prefixItems"
    members = node.get(key)
    if not isinstance(members, list):
        if key in node and ctx.draft7:
            node[key] = [node[key]]  # items: S -> items: [S] (S now the first member only)
            return "items schema -> items [schema]"
        node[key] = members = []
    members.append(ctx.leaf())
    return f"{key} member {len(members) - 1} added"


def tuple_remove(node: dict[str, Any], ctx: Ctx) -> str | None:
    key = "items" if ctx.draft7 else "prefixItems"
    members = node.get(key)
    if not isinstance(members, list) or not members:
        return None
    members.pop()
    if not members:
        del node[key]
    return f"{key} last member removed"


def tuple_rest(node: dict[str, Any], ctx: Ctx) -> str | None:
    """Close, open or constrain the items after a tuple (items / additionalItems)."""
    if ctx.draft7:
        if not isinstance(node.get("items"), list):
            return None
        key = "additionalItems"
    else:
        if "prefixItems" not in node:
            return None
        key = "items"
    choice = ctx.rng.choice(("false", "schema", "remove"))
    old = node.get(key, "absent")
    if choice == "remove":
        if key not in node:
            return None
        del node[key]
    else:
        node[key] = False if choice == "false" else ctx.leaf()
    return f"{key} {old!r} -> {node.get(key, 'absent')!r}"


def to_tuple(node: dict[str, Any], ctx: Ctx) -> str | None:
    """An array of ``items: S`` becomes a tuple of 2-3 members, its rest closed, constrained or
    left to ``unevaluatedItems`` (2020-12) or ``additionalItems`` (draft-07)."""
    if not _is(node, "array") or not isinstance(node.get("items"), dict | bool):
        return None
    if "prefixItems" in node:
        return None
    member = node.pop("items")
    members = [member, *(ctx.leaf() for _ in range(ctx.rng.randint(1, 2)))]
    rest = ctx.rng.choice((False, True, ctx.leaf(), member))
    if ctx.draft7:
        node["items"] = members
        node["additionalItems"] = rest
        return f"items became a tuple of {len(members)}, additionalItems {rest!r}"
    node["prefixItems"] = members
    key = ctx.rng.choice(("items", "unevaluatedItems"))
    node[key] = rest
    return f"items became prefixItems of {len(members)}, {key} {rest!r}"


def unevaluated_items(node: dict[str, Any], ctx: Ctx) -> str | None:
    if ctx.draft7 or not _is(node, "array"):
        return None
    if "unevaluatedItems" in node and ctx.rng.random() < 0.4:
        return f"unevaluatedItems {node.pop('unevaluatedItems')!r} removed"
    node["unevaluatedItems"] = False if ctx.rng.random() < 0.5 else ctx.leaf()
    return f"unevaluatedItems {node['unevaluatedItems']!r}"


# ---------------------------------------------------------------- objects


def min_properties(node: dict[str, Any], ctx: Ctx) -> str | None:
    return _bound(node, ctx, "minProperties", 0, (1, 2)) if _is(node, "object") else None


def max_properties(node: dict[str, Any], ctx: Ctx) -> str | None:
    return _bound(node, ctx, "maxProperties", 0, (1, 3, 10)) if _is(node, "object") else None


def _required(node: dict[str, Any]) -> list[str]:
    req = node.get("required")
    if not isinstance(req, list):
        req = node["required"] = []
    return req


def _drop_empty_required(node: dict[str, Any]) -> None:
    if node.get("required") == []:
        del node["required"]


def required_add_declared(node: dict[str, Any], ctx: Ctx) -> str | None:
    props = node.get("properties")
    if not isinstance(props, dict):
        return None
    req = _required(node)
    free = [n for n in props if n not in req]
    if not free:
        _drop_empty_required(node)
        return None
    name = ctx.rng.choice(free)
    req.append(name)
    return f"required + {name!r}"


def required_add_undeclared(node: dict[str, Any], ctx: Ctx) -> str | None:
    if not _is(node, "object"):
        return None
    props = node.get("properties") if isinstance(node.get("properties"), dict) else {}
    req = _required(node)
    name = ctx.name(avoid={*props, *req})
    req.append(name)
    return f"required + undeclared {name!r}"


def required_remove(node: dict[str, Any], ctx: Ctx) -> str | None:
    req = node.get("required")
    if not isinstance(req, list) or not req:
        return None
    gone = req.pop(ctx.rng.randrange(len(req)))
    _drop_empty_required(node)
    return f"required - {gone!r}"


def property_add(node: dict[str, Any], ctx: Ctx) -> str | None:
    if not _is(node, "object"):
        return None
    props = node.setdefault("properties", {})
    if not isinstance(props, dict):
        return None
    name = ctx.name(avoid=props)
    props[name] = ctx.leaf()
    roll = ctx.rng.random()
    if roll < 0.3:
        _required(node).append(name)
        return f"required property {name!r} added"
    if roll < 0.4 and isinstance(props[name], dict):
        props[name]["default"] = sample(ctx.rng, None)
        _required(node).append(name)
        return f"required property {name!r} with a default added"
    return f"optional property {name!r} added"


def property_remove(node: dict[str, Any], ctx: Ctx) -> str | None:
    props = node.get("properties")
    if not isinstance(props, dict) or not props:
        return None
    name = ctx.rng.choice(list(props))
    del props[name]
    req = node.get("required")
    if isinstance(req, list) and name in req and ctx.rng.random() < 0.8:
        req.remove(name)
        _drop_empty_required(node)
    return f"property {name!r} removed"


def property_rename(node: dict[str, Any], ctx: Ctx) -> str | None:
    props = node.get("properties")
    if not isinstance(props, dict) or not props:
        return None
    old = ctx.rng.choice(list(props))
    new = ctx.name(avoid=props)
    node["properties"] = {new if k == old else k: v for k, v in props.items()}
    req = node.get("required")
    if isinstance(req, list) and old in req:
        req[req.index(old)] = new
    return f"property {old!r} renamed {new!r}"


def property_to_boolean(node: dict[str, Any], ctx: Ctx) -> str | None:
    props = node.get("properties")
    if not isinstance(props, dict) or not props:
        return None
    name = ctx.rng.choice(list(props))
    props[name] = ctx.rng.choice((True, False, {}))
    return f"property {name!r} -> {props[name]!r}"


def additional_properties(node: dict[str, Any], ctx: Ctx) -> str | None:
    if not _is(node, "object"):
        return None
    choice = ctx.rng.choice(("false", "true", "schema", "remove"))
    old = node.get("additionalProperties", "absent")
    if choice == "remove":
        if "additionalProperties" not in node:
            return None
        del node["additionalProperties"]
    else:
        node["additionalProperties"] = {"false": False, "true": True}.get(choice, ctx.leaf())
    return f"additionalProperties {old!r} -> {node.get('additionalProperties', 'absent')!r}"


def pattern_properties(node: dict[str, Any], ctx: Ctx) -> str | None:
    if not _is(node, "object"):
        return None
    pp = node.get("patternProperties")
    if isinstance(pp, dict) and pp and ctx.rng.random() < 0.4:
        gone = ctx.rng.choice(list(pp))
        del pp[gone]
        if not pp:
            del node["patternProperties"]
        return f"patternProperties {gone!r} removed"
    pp = node.setdefault("patternProperties", {})
    if not isinstance(pp, dict):
        return None
    key = ctx.rng.choice(("^x-", "^[a-z]+$", "_id$", "^meta"))
    pp[key] = ctx.leaf()
    return f"patternProperties {key!r} -> {pp[key]!r}"


def unevaluated_properties(node: dict[str, Any], ctx: Ctx) -> str | None:
    if ctx.draft7 or not _is(node, "object"):
        return None
    if "unevaluatedProperties" in node and ctx.rng.random() < 0.4:
        return f"unevaluatedProperties {node.pop('unevaluatedProperties')!r} removed"
    node["unevaluatedProperties"] = False if ctx.rng.random() < 0.5 else ctx.leaf()
    return f"unevaluatedProperties {node['unevaluatedProperties']!r}"


def property_names(node: dict[str, Any], ctx: Ctx) -> str | None:
    if not _is(node, "object"):
        return None
    if "propertyNames" in node:
        return f"propertyNames {node.pop('propertyNames')!r} removed"
    node["propertyNames"] = ctx.rng.choice(
        ({"maxLength": 12}, {"pattern": "^[a-zA-Z]+$"}, {"not": {"const": "x"}})
    )
    return f"propertyNames {node['propertyNames']!r} added"


# ---------------------------------------------------------------- dependencies


def dependent_required(node: dict[str, Any], ctx: Ctx) -> str | None:
    """Add, extend, narrow or remove a property dependency (draft-07: ``dependencies``)."""
    props = node.get("properties")
    if not isinstance(props, dict) or len(props) < 2:
        return None
    key = "dependencies" if ctx.draft7 else "dependentRequired"
    deps = node.setdefault(key, {})
    if not isinstance(deps, dict):
        return None
    arrays = [n for n, v in deps.items() if isinstance(v, list)]
    if arrays and ctx.rng.random() < 0.6:
        name = ctx.rng.choice(arrays)
        needs = deps[name]
        if needs and ctx.rng.random() < 0.5:
            gone = needs.pop()
            if not needs and ctx.rng.random() < 0.5:
                del deps[name]
            return f"{key}[{name!r}] - {gone!r}"
        extra = ctx.rng.choice([n for n in props if n != name])
        if extra in needs:
            return None
        needs.append(extra)
        return f"{key}[{name!r}] + {extra!r}"
    a, b = ctx.rng.sample(list(props), 2)
    deps[a] = [b]
    return f"{key}[{a!r}] = [{b!r}] added"


def dependencies_convert(node: dict[str, Any], ctx: Ctx) -> str | None:
    """dependencies (array form) <-> dependentRequired: the same rule in another draft's words."""
    for src, dst in (("dependencies", "dependentRequired"), ("dependentRequired", "dependencies")):
        deps = node.get(src)
        if isinstance(deps, dict) and deps and all(isinstance(v, list) for v in deps.values()):
            node[dst] = node.pop(src)
            return f"{src} -> {dst}"
    return None


def dependent_schemas(node: dict[str, Any], ctx: Ctx) -> str | None:
    props = node.get("properties")
    if not isinstance(props, dict) or not props:
        return None
    key = "dependencies" if ctx.draft7 else "dependentSchemas"
    deps = node.setdefault(key, {})
    if not isinstance(deps, dict):
        return None
    schemas = [n for n, v in deps.items() if isinstance(v, dict)]
    if schemas and ctx.rng.random() < 0.5:
        gone = ctx.rng.choice(schemas)
        del deps[gone]
        if not deps:
            del node[key]
        return f"{key}[{gone!r}] schema removed"
    name = ctx.rng.choice(list(props))
    other = ctx.name()
    deps[name] = {"properties": {other: ctx.leaf()}}
    if ctx.rng.random() < 0.5:
        deps[name]["required"] = [other]
    return f"{key}[{name!r}] = {deps[name]!r}"


# ---------------------------------------------------------------- combinators


def one_of_wrap(node: dict[str, Any], ctx: Ctx) -> str | None:
    """node -> oneOf/anyOf [node, alternative], the alternative often overlapping the node."""
    if not node or set(node) <= set(ROOT_KEYS):
        return None
    core = _core(node)
    loose = {k: v for k, v in core.items() if k not in ("format", "pattern", "enum", "const")}
    alternatives = [{}, {"type": "null"}, loose, ctx.leaf()]
    if types_of(core):
        alternatives.append({"type": types_of(core)[0]})
    alt = ctx.rng.choice(alternatives)
    key = ctx.rng.choice(("oneOf", "oneOf", "anyOf"))
    node[key] = [core, alt] if ctx.rng.random() < 0.7 else [alt, core]
    return f"wrapped in {key} with {alt!r}"


def alternative_add(node: dict[str, Any], ctx: Ctx) -> str | None:
    for key in ("oneOf", "anyOf"):
        alts = node.get(key)
        if isinstance(alts, list):
            alt = copy.deepcopy(ctx.rng.choice(alts)) if ctx.rng.random() < 0.3 else ctx.leaf()
            alts.insert(ctx.rng.randint(0, len(alts)), alt)
            return f"{key} + {alt!r}"
    return None


def alternative_remove(node: dict[str, Any], ctx: Ctx) -> str | None:
    for key in ("oneOf", "anyOf", "allOf"):
        alts = node.get(key)
        if isinstance(alts, list) and len(alts) > 1:
            gone = alts.pop(ctx.rng.randrange(len(alts)))
            return f"{key} - {gone!r}"
    return None


def combinator_swap(node: dict[str, Any], ctx: Ctx) -> str | None:
    for src, dst in (("anyOf", "oneOf"), ("oneOf", "anyOf"), ("allOf", "anyOf")):
        if src in node and dst not in node:
            if src == "allOf" and ctx.rng.random() < 0.7:
                continue
            node[dst] = node.pop(src)
            return f"{src} -> {dst}"
    return None


def all_of_wrap(node: dict[str, Any], ctx: Ctx) -> str | None:
    """Split the node into allOf parts (an equivalent rewrite), or add a constraint part."""
    core = {k: v for k, v in node.items() if k not in ROOT_KEYS}
    if not core:
        return None
    if "allOf" in node and ctx.rng.random() < 0.5:
        extra = ctx.leaf()
        node["allOf"].append(extra)
        return f"allOf + {extra!r}"
    _core(node)
    keys = list(core)
    ctx.rng.shuffle(keys)
    cut = ctx.rng.randint(1, len(keys))
    parts = [{k: core[k] for k in keys[:cut]}]
    if keys[cut:]:
        parts.append({k: core[k] for k in keys[cut:]})
    if ctx.rng.random() < 0.3:
        parts.append(ctx.leaf())
        node["allOf"] = parts
        return "wrapped in allOf with an added part"
    node["allOf"] = parts
    return "split into allOf parts"


def unwrap(node: dict[str, Any], ctx: Ctx) -> str | None:
    for key in ("allOf", "anyOf", "oneOf"):
        alts = node.get(key)
        if isinstance(alts, list) and len(alts) == 1 and isinstance(alts[0], dict):
            if set(alts[0]) & (set(node) - {key}):
                return None
            del node[key]
            node.update(alts[0])
            return f"single {key} unwrapped"
    return None


def not_(node: dict[str, Any], ctx: Ctx) -> str | None:
    if "not" in node:
        if ctx.rng.random() < 0.5:
            return f"not {node.pop('not')!r} removed"
        node["not"] = ctx.rng.choice(({"type": "null"}, {"const": ""}, ctx.leaf()))
        return f"not -> {node['not']!r}"
    ts = types_of(node)
    options: list[Any] = [{"type": "null"}, {"const": ""}, {"enum": [0, "x"]}]
    if ts and ts[0] == "string":
        options += [{"maxLength": 0}, {"pattern": "^x"}, {"format": "email"}]
    node["not"] = ctx.rng.choice(options)
    return f"not {node['not']!r} added"


def if_then(node: dict[str, Any], ctx: Ctx) -> str | None:
    props = node.get("properties")
    if "if" in node:
        for key in ("if", "then", "else"):
            node.pop(key, None)
        return "if/then/else removed"
    if not isinstance(props, dict) or not props:
        return None
    name = ctx.rng.choice(list(props))
    node["if"] = {"properties": {name: {"const": sample(ctx.rng, None)}}, "required": [name]}
    node["then"] = {"required": [ctx.name()]}
    return f"if {name!r} is a value then another property is required"


# ---------------------------------------------------------------- $ref and $defs


def _defs_key(ctx: Ctx) -> str:
    return "definitions" if ctx.draft7 else "$defs"


def ref_inline(node: dict[str, Any], ctx: Ctx) -> str | None:
    ref = node.get("$ref")
    found = resolve(ctx.root, ref) if isinstance(ref, str) else None
    if found is None or not isinstance(found[1], dict) or found[1] is node:
        return None
    target = copy.deepcopy(found[1])
    target.pop("$defs", None)
    target.pop("definitions", None)
    target.pop("$schema", None)
    del node["$ref"]
    if ctx.draft7:
        for k in [k for k in node if k not in ROOT_KEYS]:
            del node[k]  # draft-07 ignores a $ref's siblings
    if set(target) & set(node):
        node["allOf"] = [*node.get("allOf", []), target]
    else:
        node.update(target)
    return f"$ref {ref} inlined"


def ref_extract(node: dict[str, Any], ctx: Ctx) -> str | None:
    if node is ctx.root or "$ref" in node or not node:
        return None
    defs = ctx.root.setdefault(_defs_key(ctx), {})
    if not isinstance(defs, dict):
        return None
    name = f"X{len(defs)}"
    while name in defs:
        name += "x"
    defs[name] = _core(node) | {k: node.pop(k) for k in ("title", "description") if k in node}
    node["$ref"] = f"#/{_defs_key(ctx)}/{escape(name)}"
    return f"moved to {node['$ref']}"


def ref_retarget(node: dict[str, Any], ctx: Ctx) -> str | None:
    ref = node.get("$ref")
    defs = ctx.root.get(_defs_key(ctx))
    if not isinstance(ref, str) or not isinstance(defs, dict):
        return None
    others = [f"#/{_defs_key(ctx)}/{escape(n)}" for n in defs]
    others = [o for o in others if o != ref]
    if not others:
        return None
    node["$ref"] = ctx.rng.choice(others)
    return f"$ref {ref} -> {node['$ref']}"


# ---------------------------------------------------------------- metadata and equivalences


def metadata(node: dict[str, Any], ctx: Ctx) -> str | None:
    key = ctx.rng.choice(("title", "description", "$comment", "examples", "default"))
    value: Any = {"examples": ["e"], "default": sample(ctx.rng, None)}.get(key, "changed")
    node[key] = value
    return f"{key} set"


def reorder(node: dict[str, Any], ctx: Ctx) -> str | None:
    for key in ("properties", "required", "enum", "anyOf", "allOf", "type"):
        value = node.get(key)
        if isinstance(value, dict) and len(value) > 1:
            node[key] = dict(reversed(list(value.items())))
            return f"{key} reordered"
        if isinstance(value, list) and len(value) > 1 and key != "oneOf":
            node[key] = list(reversed(value))
            return f"{key} reordered"
    return None


def type_as_list(node: dict[str, Any], ctx: Ctx) -> str | None:
    if isinstance(node.get("type"), str):
        node["type"] = [node["type"]]
        return "type X -> [X]"
    return None


#: name -> (family, edit)
CATALOGUE: dict[str, tuple[str, Edit]] = {
    "type.change": ("types", type_change),
    "type.add": ("types", type_add),
    "type.remove": ("types", type_remove),
    "type.widen": ("types", type_widen),
    "type.narrow": ("types", type_narrow),
    "nullable.add": ("nullable", nullable_add),
    "nullable.remove": ("nullable", nullable_remove),
    "nullable.one_of": ("nullable", nullable_one_of),
    "enum.add_value": ("enum/const", enum_add_value),
    "enum.remove_value": ("enum/const", enum_remove_value),
    "enum.replace_value": ("enum/const", enum_replace_value),
    "enum.to_const": ("enum/const", enum_to_const),
    "const.to_enum": ("enum/const", const_to_enum),
    "enum.add": ("enum/const", enum_add),
    "enum.remove": ("enum/const", enum_remove),
    "const.change": ("enum/const", const_change),
    "string.min_length": ("string bounds", min_length),
    "string.max_length": ("string bounds", max_length),
    "string.pattern": ("patterns", pattern),
    "string.format": ("formats", format_),
    "number.minimum": ("number bounds", minimum),
    "number.maximum": ("number bounds", maximum),
    "number.exclusive_minimum": ("number bounds", exclusive_minimum),
    "number.exclusive_maximum": ("number bounds", exclusive_maximum),
    "number.inclusive_exclusive": ("number bounds", minimum_exclusive_swap),
    "number.multiple_of": ("number bounds", multiple_of),
    "number.integer_as_multiple_of": ("number bounds", integer_as_multiple_of),
    "array.min_items": ("array bounds", min_items),
    "array.max_items": ("array bounds", max_items),
    "array.unique_items": ("array bounds", unique_items),
    "array.contains": ("array bounds", contains),
    "array.min_max_contains": ("array bounds", min_max_contains),
    "array.items": ("prefixItems/items", items_schema),
    "tuple.add": ("prefixItems/items", tuple_add),
    "tuple.remove": ("prefixItems/items", tuple_remove),
    "tuple.rest": ("prefixItems/items", tuple_rest),
    "tuple.from_array": ("prefixItems/items", to_tuple),
    "unevaluated.items": ("additional/unevaluated", unevaluated_items),
    "object.min_properties": ("object bounds", min_properties),
    "object.max_properties": ("object bounds", max_properties),
    "required.add_declared": ("required", required_add_declared),
    "required.add_undeclared": ("required", required_add_undeclared),
    "required.remove": ("required", required_remove),
    "property.add": ("properties", property_add),
    "property.remove": ("properties", property_remove),
    "property.rename": ("properties", property_rename),
    "property.to_boolean": ("properties", property_to_boolean),
    "additional.properties": ("additional/unevaluated", additional_properties),
    "additional.pattern_properties": ("additional/unevaluated", pattern_properties),
    "unevaluated.properties": ("additional/unevaluated", unevaluated_properties),
    "object.property_names": ("object bounds", property_names),
    "dependencies.required": ("dependencies", dependent_required),
    "dependencies.convert": ("dependencies", dependencies_convert),
    "dependencies.schemas": ("dependencies", dependent_schemas),
    "combinator.one_of_wrap": ("combinators", one_of_wrap),
    "combinator.alternative_add": ("combinators", alternative_add),
    "combinator.alternative_remove": ("combinators", alternative_remove),
    "combinator.swap": ("combinators", combinator_swap),
    "combinator.all_of": ("combinators", all_of_wrap),
    "combinator.unwrap": ("combinators", unwrap),
    "combinator.not": ("combinators", not_),
    "combinator.if_then": ("combinators", if_then),
    "ref.inline": ("$ref/$defs", ref_inline),
    "ref.extract": ("$ref/$defs", ref_extract),
    "ref.retarget": ("$ref/$defs", ref_retarget),
    "meta.annotation": ("metadata/equivalent", metadata),
    "meta.reorder": ("metadata/equivalent", reorder),
    "meta.type_as_list": ("metadata/equivalent", type_as_list),
}
