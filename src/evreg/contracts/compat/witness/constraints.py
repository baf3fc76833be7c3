"""Constraint merging: the keywords of a conjunction of schema nodes, as one flat record.

``Collector`` follows ``$ref`` and ``allOf`` and merges what each node says about strings,
numbers, objects and arrays into a ``Flat``; one ``anyOf``/``oneOf`` branch is chosen per
list (the caller enumerates the choices). Generation reads the ``Flat``; validity is always
decided by a real validator.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Final, Protocol
from urllib.parse import unquote

from evreg.contracts.compat.proofs.json_values import canon, draft_version, is_number
from evreg.contracts.compat.witness.regex_strings import search
from evreg.contracts.model import Schema

__all__ = [
    "ANY_TYPES",
    "MISSING",
    "Collector",
    "Context",
    "Flat",
    "Node",
    "Nodes",
    "canon",
    "draft_version",
    "nodes_key",
    "walk",
]


class Context(Protocol):
    """Where a schema node lives: how its ``$ref``s resolve and how values are validated."""

    def resolve(self, ref: str) -> tuple[Schema, Context] | None:
        """The node a ``$ref`` written in this scope points to, and the scope it lives in."""
        ...

    def accepts(self, schema: Schema, value: Any) -> bool:
        """Whether ``value`` is valid under ``schema``, a node of this scope."""
        ...


Node = tuple[Schema, Context]
Nodes = tuple[Node, ...]  # a conjunction: a value must be valid under every node


class _Missing(Enum):
    MISSING = 0


MISSING: Final = _Missing.MISSING

ANY_TYPES: Final = ("string", "integer", "number", "boolean", "null", "object", "array")
FRESH_NAMES: Final = ("extra", *(f"extra{i}" for i in range(2, 200)))


def walk(document: Any, pointer: str) -> Any:
    """The value at a JSON Pointer (``/a/0``, without ``#``) in ``document``, or MISSING."""
    node = document
    for raw in unquote(pointer).split("/")[1:] if pointer else ():
        part = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return MISSING
    return node


def nodes_key(nodes: Nodes) -> tuple[int, ...]:
    """The identity of a conjunction of nodes (the ids of their schemas), for memo keys."""
    if len(nodes) == 1:
        return (id(nodes[0][0]),)
    return tuple([id(schema) for schema, _ in nodes])


@dataclass(slots=True)
class Flat:
    """The keywords of a conjunction of nodes, merged (one ``anyOf``/``oneOf`` branch chosen)."""

    false: bool = False
    types: tuple[str, ...] | None = None
    enum: tuple[Any, ...] | None = None
    min_len: int = 0
    max_len: int | None = None
    patterns: tuple[str, ...] = ()
    formats: tuple[str, ...] = ()
    lo: float | None = None
    lo_ex: bool = False
    hi: float | None = None
    hi_ex: bool = False
    mults: tuple[float, ...] = ()
    props: dict[str, Nodes] = field(default_factory=dict)
    required: tuple[str, ...] = ()
    pattern_props: tuple[tuple[str, Node], ...] = ()
    additional: Nodes = ()
    closed: bool = False
    min_props: int = 0
    max_props: int | None = None
    dep_required: dict[str, tuple[str, ...]] = field(default_factory=dict)
    dep_names: tuple[str, ...] = ()  # properties whose presence triggers a dependency
    prefix: list[Nodes] = field(default_factory=list)
    rest: Nodes = ()
    rest_false: bool = False
    min_items: int = 0
    max_items: int | None = None
    unique: bool = False
    contains: Nodes = ()
    min_contains: int = 1
    nots: Nodes = ()  # ``not`` schemas (only filtered against, and mined for probes)
    names: Nodes = ()  # ``propertyNames`` schemas (mined for probes)

    @property
    def usable(self) -> bool:
        return not self.false and self.types != () and self.enum != ()

    def child(self, name: str) -> Nodes | None:
        """The nodes a property ``name`` must satisfy, None when it is forbidden."""
        nodes = self.props.get(name, ())
        matched = tuple(node for pattern, node in self.pattern_props if search(pattern, name))
        if name not in self.props and not matched:
            return None if self.closed else self.additional
        return nodes + matched

    def item(self, index: int) -> Nodes | None:
        """The nodes the item at ``index`` must satisfy, None when there can be no such item."""
        if index < len(self.prefix):
            return self.prefix[index]
        return None if self.rest_false else self.rest

    def type_order(self) -> tuple[str, ...]:
        if self.types is not None:
            return self.types
        hinted: list[str] = []
        if self.props or self.required or self.pattern_props or self.closed or self.min_props:
            hinted.append("object")
        if self.prefix or self.rest or self.rest_false or self.min_items or self.contains:
            hinted.append("array")
        if self.min_len or self.max_len is not None or self.patterns or self.formats:
            hinted.append("string")
        if self.lo is not None or self.hi is not None or self.mults:
            hinted.append("number")
        return (*hinted, *(t for t in ANY_TYPES if t not in hinted))

    def declares(self, name: str) -> bool:
        """``name`` is a declared property or matches a patternProperties regex."""
        return name in self.props or any(search(p, name) for p, _ in self.pattern_props)

    def fresh_names(self) -> Iterator[str]:
        """Property names neither declared nor matched by patternProperties."""
        return (n for n in FRESH_NAMES if not self.declares(n))


def _meet_types(old: tuple[str, ...] | None, listed: Iterable[str]) -> tuple[str, ...]:
    new = tuple(listed)
    if old is None:
        return new
    out: list[str] = []
    for t in old:
        if t in new:
            out.append(t)
        elif (t == "number" and "integer" in new) or (t == "integer" and "number" in new):
            out.append("integer")
    return tuple(dict.fromkeys(out))


def _meet_enum(old: tuple[Any, ...] | None, new: Sequence[Any]) -> tuple[Any, ...]:
    if old is None:
        return tuple(new)
    keys = {canon(v) for v in new}
    return tuple(v for v in old if canon(v) in keys)


def _num(value: Any) -> float | None:
    return value if is_number(value) else None


def _count(value: Any) -> int | None:
    number = _num(value)
    return int(number) if number is not None and number >= 0 else None


_REF_KEYWORDS: Final = frozenset({"$ref", "$dynamicRef", "$recursiveRef"})
_COMBINING_KEYWORDS: Final = frozenset({"allOf", "anyOf", "oneOf"})
_STRING_KEYWORDS: Final = frozenset({"minLength", "maxLength", "pattern", "format"})
_NUMBER_KEYWORDS: Final = frozenset(
    {"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"}
)
_OBJECT_KEYWORDS: Final = frozenset(
    {
        *("properties", "required", "patternProperties", "additionalProperties"),
        *("unevaluatedProperties", "minProperties", "maxProperties"),
        *("dependencies", "dependentRequired", "dependentSchemas", "propertyNames"),
    }
)
_ARRAY_KEYWORDS: Final = frozenset(
    {
        *("items", "prefixItems", "additionalItems", "unevaluatedItems", "minItems"),
        *("maxItems", "uniqueItems", "contains", "minContains"),
    }
)


_DEPENDENCY_KEYWORDS: Final = ("dependentRequired", "dependentSchemas")  # 2019-09 on


class Collector:
    """Merges the keywords of nodes into a Flat, following ``$ref`` and ``allOf``."""

    def __init__(self, version: int, choices: dict[int, int]) -> None:
        self.version = version
        self.choices = choices
        self.flat = Flat()
        self.pending: list[tuple[int, int]] = []  # (id of an anyOf/oneOf list, its length)

    def collect(self, node: Node, guard: frozenset[int]) -> None:
        schema, ctx = node
        if schema is False:
            self.flat.false = True
        if not isinstance(schema, dict) or not schema:
            return
        if not _REF_KEYWORDS.isdisjoint(schema):
            for kw in ("$ref", "$dynamicRef", "$recursiveRef"):
                ref = schema.get(kw)
                if isinstance(ref, str) and id(schema) not in guard:
                    target = ctx.resolve(ref)
                    if target is not None:
                        self.collect(target, guard | {id(schema)})
            if "$ref" in schema and self.version < 2019:
                return  # siblings of $ref are ignored before 2019-09
        self._apply(schema, ctx)
        if _COMBINING_KEYWORDS.isdisjoint(schema):
            return
        for sub in _list(schema.get("allOf")):
            self.collect((sub, ctx), guard)
        for kw in ("anyOf", "oneOf"):
            branches = _list(schema.get(kw))
            if branches:
                chosen = self.choices.get(id(branches))
                if chosen is None:
                    self.pending.append((id(branches), len(branches)))
                else:
                    self.collect((branches[chosen], ctx), guard)

    def _apply(self, s: dict[str, Any], ctx: Context) -> None:
        f = self.flat
        kind = s.get("type")
        if isinstance(kind, str | list):
            listed = [kind] if isinstance(kind, str) else kind
            f.types = _meet_types(f.types, [t for t in listed if isinstance(t, str)])
        if "const" in s and self.version >= 6:
            f.enum = _meet_enum(f.enum, [s["const"]])
        if isinstance(s.get("enum"), list):
            f.enum = _meet_enum(f.enum, s["enum"])
        if "not" in s:
            f.nots += ((s["not"], ctx),)
        if not _STRING_KEYWORDS.isdisjoint(s):
            self._strings(s)
        if not _NUMBER_KEYWORDS.isdisjoint(s):
            self._numbers(s)
        if not _OBJECT_KEYWORDS.isdisjoint(s):
            self._objects(s, ctx)
        if not _ARRAY_KEYWORDS.isdisjoint(s):
            self._arrays(s, ctx)

    def _strings(self, s: dict[str, Any]) -> None:
        f = self.flat
        if (n := _count(s.get("minLength"))) is not None:
            f.min_len = max(f.min_len, n)
        if (n := _count(s.get("maxLength"))) is not None:
            f.max_len = n if f.max_len is None else min(f.max_len, n)
        if isinstance(s.get("pattern"), str):
            f.patterns += (s["pattern"],)
        if isinstance(s.get("format"), str):
            f.formats += (s["format"],)

    def _numbers(self, s: dict[str, Any]) -> None:
        f = self.flat
        if (x := _num(s.get("minimum"))) is not None:
            self._lower(x, s.get("exclusiveMinimum") is True)
        if (x := _num(s.get("exclusiveMinimum"))) is not None:
            self._lower(x, True)
        if (x := _num(s.get("maximum"))) is not None:
            self._upper(x, s.get("exclusiveMaximum") is True)
        if (x := _num(s.get("exclusiveMaximum"))) is not None:
            self._upper(x, True)
        if (x := _num(s.get("multipleOf"))) is not None and x > 0:
            f.mults += (x,)

    def _lower(self, value: float, exclusive: bool) -> None:
        f = self.flat
        if f.lo is None or value > f.lo or (value == f.lo and exclusive):
            f.lo, f.lo_ex = value, exclusive

    def _upper(self, value: float, exclusive: bool) -> None:
        f = self.flat
        if f.hi is None or value < f.hi or (value == f.hi and exclusive):
            f.hi, f.hi_ex = value, exclusive

    def _objects(self, s: dict[str, Any], ctx: Context) -> None:
        f = self.flat
        for name, sub in _dict(s.get("properties")).items():
            f.props[name] = (*f.props.get(name, ()), (sub, ctx))
        required = [r for r in _list(s.get("required")) if isinstance(r, str)]
        f.required = tuple(dict.fromkeys((*f.required, *required)))
        f.pattern_props += tuple(
            (p, (sub, ctx)) for p, sub in _dict(s.get("patternProperties")).items()
        )
        extra = s.get("additionalProperties")
        if extra is False or s.get("unevaluatedProperties") is False:
            f.closed = True
        elif isinstance(extra, dict):
            f.additional += ((extra, ctx),)
        if "propertyNames" in s and self.version >= 6:
            f.names += ((s["propertyNames"], ctx),)
        if (n := _count(s.get("minProperties"))) is not None:
            f.min_props = max(f.min_props, n)
        if (n := _count(s.get("maxProperties"))) is not None:
            f.max_props = n if f.max_props is None else min(f.max_props, n)
        for kw in _DEPENDENCY_KEYWORDS if self.version >= 2019 else ("dependencies",):
            for key, deps in _dict(s.get(kw)).items():
                f.dep_names = tuple(dict.fromkeys((*f.dep_names, key)))
                if isinstance(deps, dict):  # a schema dependency: what it requires and declares
                    self._schema_dependency(key, deps, ctx)
                    deps = deps.get("required")
                if isinstance(deps, list):
                    got = (*f.dep_required.get(key, ()), *(d for d in deps if isinstance(d, str)))
                    f.dep_required[key] = tuple(dict.fromkeys(got))

    def _schema_dependency(self, key: str, schema: dict[str, Any], ctx: Context) -> None:
        """The properties a schema dependency declares constrain them (when ``key`` is there:
        generation asks more of them than needed otherwise, which is only ever stricter)."""
        f = self.flat
        for name, sub in _dict(schema.get("properties")).items():
            f.props[name] = (*f.props.get(name, ()), (sub, ctx))

    def _arrays(self, s: dict[str, Any], ctx: Context) -> None:
        f = self.flat
        items = s.get("items")
        if self.version >= 2020:
            prefix, rest = _list(s.get("prefixItems")), items
        elif isinstance(items, list):
            prefix, rest = items, s.get("additionalItems")
        else:
            prefix, rest = [], items
        if prefix or rest is not None:
            self._items([(p, ctx) for p in prefix], rest, ctx)
        if (n := _count(s.get("minItems"))) is not None:
            f.min_items = max(f.min_items, n)
        if (n := _count(s.get("maxItems"))) is not None:
            f.max_items = n if f.max_items is None else min(f.max_items, n)
        f.unique = f.unique or s.get("uniqueItems") is True
        if "contains" in s and self.version >= 6:
            f.contains += ((s["contains"], ctx),)
            if (n := _count(s.get("minContains"))) is not None and self.version >= 2019:
                f.min_contains = n
        if s.get("unevaluatedItems") is False and not f.rest and not f.rest_false:
            # no item may follow those a prefix (here or in a branch merged) evaluates, but
            # the prefix itself stays allowed; from 2020-12 on, `contains` evaluates the items
            # it matches, so those may follow
            if self.version >= 2020 and f.contains:
                f.rest = f.contains
            else:
                f.rest_false = True

    def _items(self, prefix: list[Node], rest: Any, ctx: Context) -> None:
        f = self.flat
        rest_nodes: Nodes = ((rest, ctx),) if isinstance(rest, dict) else ()
        rest_false = rest is False
        merged: list[Nodes] = []
        for i in range(max(len(f.prefix), len(prefix))):
            mine = f.item(i)
            theirs = (prefix[i],) if i < len(prefix) else (None if rest_false else rest_nodes)
            if mine is None or theirs is None:
                f.rest_false = True
                break
            merged.append(mine + theirs)
        f.prefix = merged
        f.rest += rest_nodes
        f.rest_false = f.rest_false or rest_false


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}
