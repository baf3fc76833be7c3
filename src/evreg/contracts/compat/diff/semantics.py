"""What the diff can prove about the values a schema node accepts, without generating any.

Three questions, each answered conservatively (a "no" may be wrong, a "yes" never is):

- :func:`value_types`: a superset of the JSON types of the values a node accepts;
- :func:`accepts_nothing`: the node accepts no value at all (``false``, ``allOf`` of disjoint
  parts, ``minLength`` above ``maxLength``, a required property that is forbidden, ...);
- :func:`disjoint`: no value is accepted by both nodes (different types, enums with no common
  value, a required property whose schemas are disjoint, as in a tagged union, ...).

The diff uses them where a change's verdict depends on the values themselves: a ``oneOf``
rejects a value two alternatives accept, and no change can break readers of a schema that
accepts nothing. Keywords guessed from a schema without ``type`` (``{"minLength": 2}``) constrain
only values of their type, so they prove nothing about other types.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from functools import lru_cache
from itertools import combinations
from typing import Any, Final

from evreg.contracts.compat.diff.changes import (
    dict_of,
    is_number,
    json_eq,
    node_key,
    strings_of,
)
from evreg.contracts.compat.diff.content_model import covering_schema
from evreg.contracts.compat.diff.schema_view import Kinds, Node
from evreg.contracts.compat.matching import PatternError, search
from evreg.contracts.compat.proofs.quick_check import QuickCheck, quick_check
from evreg.contracts.compat.proofs.writer_facts import value_type

__all__ = ["ALL_TYPES", "Prover", "enum_values", "types_beyond", "value_type", "value_types"]

# "number" is integer | fraction (a number with a fractional part)
ALL_TYPES: Final = frozenset(
    {"string", "integer", "fraction", "boolean", "null", "object", "array"}
)
_NUMBER: Final = frozenset({"integer", "fraction"})
_KIND_TYPES: Final = {
    Kinds.STRING: frozenset({"string"}),
    Kinds.BOOLEAN: frozenset({"boolean"}),
    Kinds.NULL: frozenset({"null"}),
    Kinds.OBJECT: frozenset({"object"}),
    Kinds.ARRAY: frozenset({"array"}),
}
_MAX_DEPTH: Final = 12
_MAX_PARTS: Final = 8  # parts of an allOf compared pairwise
_MAX_ENUM: Final = 64  # enum values checked against their schema's other keywords
_MAX_STEPS: Final = 5000  # questions one Prover answers; past that it proves nothing more


def value_types(node: Node, depth: int = 0) -> frozenset[str]:
    """A superset of the types of the values ``node`` accepts."""
    kind = node.kind
    if kind is Kinds.FALSE:
        return frozenset()
    if depth > _MAX_DEPTH:
        return ALL_TYPES
    if kind in _KIND_TYPES:
        return _KIND_TYPES[kind] if node.declared else ALL_TYPES
    if kind is Kinds.NUMBER:
        if not node.declared:
            return ALL_TYPES
        return frozenset({"integer"}) if node.integer else _NUMBER
    if kind is Kinds.ENUM:
        values = _enum(node)
        return ALL_TYPES if values is None else frozenset(map(value_type, values))
    if kind is Kinds.COMBINED:
        found = [value_types(sub, depth + 1) for _, sub in node.subs]
        if node.criterion == "allOf":
            return frozenset.intersection(ALL_TYPES, *found)
        return frozenset().union(*found)
    return ALL_TYPES  # empty, not, if/then/else


def _declared(raw: Any) -> frozenset[str] | None:
    """The types a schema object's ``type`` allows (None: no ``type``)."""
    named = raw.get("type") if isinstance(raw, dict) else None
    if named is None:
        return None
    out: set[str] = set()
    for name in [named] if isinstance(named, str) else named if isinstance(named, list) else ():
        out.update(_NUMBER if name == "number" else {name} if isinstance(name, str) else ())
    return frozenset(out)


def types_beyond(writer_raw: Any, reader_raw: Any) -> bool:
    """The writer schema object (without ``type``) allows a value of a type that the reader's
    ``type`` does not: its ``enum``/``const`` (if any) has a value of another type."""
    allowed = _declared(reader_raw)
    if allowed is None:
        return False
    listed = writer_raw.get("enum") if isinstance(writer_raw, dict) else None
    values: list[Any] | None = list(listed) if isinstance(listed, list) else None
    if isinstance(writer_raw, dict) and "const" in writer_raw:
        values = [writer_raw["const"]]
    if values is None:
        return bool(ALL_TYPES - allowed)
    return any(value_type(v) not in allowed for v in values)


def enum_values(node: Node, depth: int = 0) -> list[Any] | None:
    """Every value ``node`` accepts, when it is restricted to an enum (or const); else None."""
    if node.kind is Kinds.ENUM:
        return _enum(node)
    if node.kind is not Kinds.COMBINED or depth > _MAX_DEPTH:
        return None
    found = [enum_values(sub, depth + 1) for _, sub in node.subs]
    if node.criterion == "allOf":
        known = [values for values in found if values is not None]
        if not known:
            return None
        first, *rest = known
        return [v for v in first if all(any(json_eq(v, w) for w in other) for other in rest)]
    if any(values is None for values in found):
        return None
    return [v for values in found if values is not None for v in values]


def _enum(node: Node) -> list[Any] | None:
    raw = node.raw
    listed = raw.get("enum")
    values: list[Any] | None = list(listed) if isinstance(listed, list) else None
    if "const" in raw:
        const = raw["const"]
        values = [const] if values is None or any(json_eq(const, v) for v in values) else []
    return values


class _NoRefs:
    """A scope that resolves no ``$ref`` (the quick check is then unsure of what it points to)."""

    def resolve(self, ref: str) -> None:
        return None


_NO_REFS: Final = _NoRefs()


@lru_cache(maxsize=8)
def _annotating_check(draft: str) -> QuickCheck:
    return quick_check(draft, formats=False)


def _none_allowed(node: Node, values: list[Any]) -> bool:
    """No value of an enum passes the other keywords of its schema object (``{"type": "object",
    "required": ["a"], "enum": [{"b": 1}]}``): the quick check is sure each one is invalid, with
    ``format`` read as an annotation (asserted, it rejects more: the answer holds both ways) and
    no ``$ref`` followed (one makes it unsure, unless another keyword rejects the value)."""
    if len(values) > _MAX_ENUM:
        return False
    check = _annotating_check(node.view.ref.draft)
    schema = dict(node.raw)
    try:
        return all(check.check(schema, _NO_REFS, value) is False for value in values)
    except PatternError:  # a pattern it cannot evaluate within its budget: nothing is proven
        return False


# -- numbers, sizes -------------------------------------------------------------------------------


def _above(low: Any, high: Any) -> bool:
    return is_number(low) and is_number(high) and low > high


def _sizes_disjoint(a: Any, b: Any, low_kw: str, high_kw: str) -> bool:
    low_a, high_a = a.get(low_kw, 0), a.get(high_kw, math.inf)
    low_b, high_b = b.get(low_kw, 0), b.get(high_kw, math.inf)
    if not all(is_number(x) for x in (low_a, high_a, low_b, high_b)):
        return False
    return bool(high_a < low_b or high_b < low_a)


def _number_range(node: Node) -> tuple[float, float] | None:
    """The closed range a declared number node allows (open bounds nudged for integers), None
    when it allows no number. Fractional exclusive bounds are kept as a tiny open margin."""
    raw = node.raw
    low, high = -math.inf, math.inf
    low_open = high_open = False
    draft4 = node.view.draft4
    for keyword, upper in (("minimum", False), ("maximum", True)):
        bound = raw.get(keyword)
        if not is_number(bound):
            continue
        flag = raw.get("exclusiveMaximum" if upper else "exclusiveMinimum")
        is_open = draft4 and flag is True
        low, low_open, high, high_open = _tighten(
            low, low_open, high, high_open, bound, is_open, upper
        )
    if not draft4:
        for keyword, upper in (("exclusiveMinimum", False), ("exclusiveMaximum", True)):
            bound = raw.get(keyword)
            if is_number(bound):
                low, low_open, high, high_open = _tighten(
                    low, low_open, high, high_open, bound, True, upper
                )
    if node.integer:
        if math.isfinite(low):
            low = math.floor(low) + 1 if low_open and low == math.floor(low) else math.ceil(low)
        if math.isfinite(high):
            high = (
                math.ceil(high) - 1 if high_open and high == math.ceil(high) else math.floor(high)
            )
        return None if low > high else (low, high)
    if low > high or (low == high and (low_open or high_open)):
        return None
    return (low, high)


def _tighten(
    low: float,
    low_open: bool,
    high: float,
    high_open: bool,
    bound: float,
    is_open: bool,
    upper: bool,
) -> tuple[float, bool, float, bool]:
    if upper:
        if bound < high or (bound == high and is_open):
            high, high_open = bound, is_open
    elif bound > low or (bound == low and is_open):
        low, low_open = bound, is_open
    return low, low_open, high, high_open


# -- objects --------------------------------------------------------------------------------------


def _required(node: Node) -> list[str]:
    return strings_of(node.raw.get("required"))


def property_node(node: Node, name: str) -> Node | None:
    """The schema an object node gives its property ``name``; None when it forbids it."""
    props = dict_of(node.raw.get("properties"))
    if name in props:
        return node.child(props[name], "properties", name)
    return covering_schema(node, name)


class Prover:
    """Answers :meth:`accepts_nothing` and :meth:`disjoint` for the nodes of one diff, memoised
    and bounded: past ``_MAX_STEPS`` questions every answer is "not proven" (False)."""

    def __init__(self) -> None:
        self._empty: dict[int, bool] = {}
        self._disjoint: dict[tuple[int, int], bool] = {}
        self._steps = 0

    def _step(self) -> bool:
        self._steps += 1
        return self._steps <= _MAX_STEPS

    def accepts_nothing(self, node: Node, depth: int = 0) -> bool:
        """``node`` provably accepts no value."""
        key = id(node)
        found = self._empty.get(key)
        if found is None:
            self._steps += 1  # (what _step counts)
            found = self._empty[key] = self._steps <= _MAX_STEPS and self._accepts_nothing(
                node, depth
            )
        return found

    def _accepts_nothing(self, node: Node, depth: int) -> bool:
        kind = node.kind
        if kind is Kinds.FALSE:
            return True
        if depth > _MAX_DEPTH:
            return False
        if not value_types(node):
            return True
        if kind is Kinds.ENUM:
            values = _enum(node)
            return values is not None and _none_allowed(node, values)
        if kind is Kinds.NOT:
            inner = node.child(node.raw.get("not"), "not")
            return inner.kind is Kinds.EMPTY
        if kind is Kinds.COMBINED:
            subs = [sub for _, sub in node.subs]
            if node.criterion == "oneOf" and not node.synthetic:
                # an alternative written twice matches twice: oneOf never takes its values
                keys = [node_key(sub) for sub in subs]
                subs = [sub for sub, key in zip(subs, keys, strict=True) if keys.count(key) == 1]
            if node.criterion != "allOf":
                return all(self.accepts_nothing(sub, depth + 1) for sub in subs)
            if any(self.accepts_nothing(sub, depth + 1) for sub in subs):
                return True
            parts = subs[:_MAX_PARTS]
            return any(self.disjoint(a, b, depth + 1) for a, b in combinations(parts, 2))
        if not node.declared:
            return False
        raw = node.raw
        if kind is Kinds.STRING:
            return _above(raw.get("minLength"), raw.get("maxLength"))
        if kind is Kinds.ARRAY:
            return _above(raw.get("minItems"), raw.get("maxItems"))
        if kind is Kinds.NUMBER:
            return _number_range(node) is None
        if kind is Kinds.OBJECT:
            return self._no_object(node, depth)
        return False

    def disjoint(self, a: Node, b: Node, depth: int = 0) -> bool:
        """No value is accepted by both ``a`` and ``b``."""
        key = (id(a), id(b))
        found = self._disjoint.get(key)
        if found is None:
            found = self._disjoint[key] = self._step() and self._disjoint_nodes(a, b, depth)
        return found

    def _disjoint_nodes(self, a: Node, b: Node, depth: int) -> bool:
        if depth > _MAX_DEPTH:
            return False
        if not value_types(a) & value_types(b):
            return True
        if self.accepts_nothing(a, depth + 1) or self.accepts_nothing(b, depth + 1):
            return True
        for one, other in ((a, b), (b, a)):
            if one.kind is Kinds.COMBINED:
                subs = [sub for _, sub in one.subs]
                if one.criterion == "allOf":
                    if any(self.disjoint(sub, other, depth + 1) for sub in subs):
                        return True
                elif all(self.disjoint(sub, other, depth + 1) for sub in subs):
                    return True
        values_a, values_b = enum_values(a), enum_values(b)
        if values_a is not None and values_b is not None:
            return not any(json_eq(x, y) for x in values_a for y in values_b)
        if a.kind is not b.kind or not (a.declared and b.declared):
            return False
        if a.kind is Kinds.OBJECT:
            return self._objects_disjoint(a, b, depth)
        if a.kind is Kinds.NUMBER:
            range_a, range_b = _number_range(a), _number_range(b)
            if range_a is None or range_b is None:
                return True
            return range_a[1] < range_b[0] or range_b[1] < range_a[0]
        if a.kind is Kinds.STRING:
            return _sizes_disjoint(a.raw, b.raw, "minLength", "maxLength")
        if a.kind is Kinds.ARRAY:
            return _sizes_disjoint(a.raw, b.raw, "minItems", "maxItems")
        return False

    def _no_object(self, node: Node, depth: int) -> bool:
        raw = node.raw
        required = list(dict.fromkeys(_required(node)))
        if _above(raw.get("minProperties"), raw.get("maxProperties")):
            return True
        most = raw.get("maxProperties")
        if is_number(most) and len(required) > most:
            return True
        patterns = dict_of(raw.get("patternProperties"))
        for name in required:
            child = property_node(node, name)
            if child is None or self.accepts_nothing(child, depth + 1):
                return True
            if patterns and self._pattern_forbids(node, name, child, patterns, depth):
                return True
        return False

    def _pattern_forbids(
        self, node: Node, name: str, child: Node, patterns: Mapping[str, Any], depth: int
    ) -> bool:
        """A declared property ``name`` must match its own schema and that of every pattern
        matching its name too: one of those disjoint from its own makes it impossible."""
        if name not in dict_of(node.raw.get("properties")):
            return False  # an undeclared name: property_node read it through the patterns
        for pattern, schema in patterns.items():
            if search(pattern, name):
                matched = node.child(schema, "patternProperties", pattern)
                if self.accepts_nothing(matched, depth + 1) or self.disjoint(
                    child, matched, depth + 1
                ):
                    return True
        return False

    def _objects_disjoint(self, a: Node, b: Node, depth: int) -> bool:
        """Some property that one of them requires has disjoint schemas (or is forbidden) in the
        two: a tagged union's discriminator, typically."""
        for name in dict.fromkeys((*_required(a), *_required(b))):
            child_a, child_b = property_node(a, name), property_node(b, name)
            if child_a is None or child_b is None:
                return True
            if self.disjoint(child_a, child_b, depth + 1):
                return True
        return False
