"""What a writer's conjunction allows, read from its members (for ``inclusion``).

A writer sub-schema, with its ``allOf`` and ``$ref``s flattened, is a conjunction of schema
objects (:data:`Members`): a value it allows satisfies every member. :class:`Writer` answers
what the proofs ask of it (the types it allows, its enum, its tightest bounds, the properties
it requires or declares, the schemas a property's value satisfies); the functions below read
single keywords (numbers, ranges, tuples, anchored patterns) the same way for both sides.
Conservative like the proofs: where it cannot tell, it answers with what allows the most, or
raises :class:`Unknown` ("not proven").
"""

from __future__ import annotations

import importlib
import math
from collections.abc import Callable, Iterable, Iterator, Mapping
from fractions import Fraction
from functools import lru_cache
from typing import Any, Final

from evreg.contracts.compat.matching import search
from evreg.contracts.compat.proofs.json_values import canon, is_number
from evreg.contracts.compat.proofs.quick_check import QuickCheck
from evreg.contracts.model import Schema

__all__ = [
    "ALL_TYPES",
    "NOWHERE",
    "NUMBER",
    "Members",
    "Unknown",
    "Writer",
    "anchored_lengths",
    "as_dict",
    "divides",
    "is_number",
    "item_schemas",
    "json_eq",
    "may_overlap",
    "number_range",
    "patterns_only",
    "same_dependency",
    "types_named",
    "value_type",
    "whole",
]

Members = tuple[dict[str, Any], ...]  # a conjunction: a writer value satisfies every member

NUMBER: Final = frozenset({"integer", "fraction"})
ALL_TYPES: Final = frozenset(
    {"string", "integer", "fraction", "boolean", "null", "object", "array"}
)


class Unset:
    """A fact not read yet (None is an answer)."""


UNSET: Final = Unset()


class Unknown(Exception):
    """The writer's conjunction cannot be read (a non-local or broken ``$ref``)."""


class Nowhere:
    """A ``Resolving`` scope in which no ``$ref`` resolves (the quick check is then unsure)."""

    def resolve(self, ref: str) -> None:
        return None


NOWHERE: Final = Nowhere()


def _least_contained(member: dict[str, Any], version: int) -> int:
    """How many items an array needs to pass the member's ``contains`` (its ``minContains``
    from 2019-09 on, else one)."""
    least = member.get("minContains", 1) if version >= 2019 else 1
    return int(least) if is_number(least) and least >= 0 else 0


class Writer:
    """Facts about a writer conjunction, read from its members."""

    def __init__(self, members: Members, version: int, quick: QuickCheck | None = None) -> None:
        self.members = members
        self._version = version
        self._quick = quick  # the writer's (to read propertyNames)
        self._types: frozenset[str] | None = None
        self._enum: list[Any] | Unset | None = UNSET
        self._required: frozenset[str] | None = None

    def types(self) -> frozenset[str]:
        if self._types is None:
            found = ALL_TYPES
            for m in self.members:
                named = types_named(m.get("type"))
                if named is not None:
                    found &= named
                negated = m.get("not")
                if isinstance(negated, dict) and negated.keys() == {"type"}:
                    found -= types_named(negated["type"]) or frozenset()  # `not: {type: null}`
            values = self.enum()
            if values is not None:
                found &= frozenset(value_type(v) for v in values)
            self._types = found
        return self._types

    def enum(self) -> list[Any] | None:
        """The values allowed when some member is an enum or const (their common ones)."""
        if isinstance(self._enum, Unset):
            self._enum = self._read_enum()
        return self._enum  # (read only by its callers: the same list each time)

    def _read_enum(self) -> list[Any] | None:
        found: list[Any] | None = None
        for m in self.members:
            if "enum" not in m and "const" not in m:
                continue
            listed: list[Any] | None = None
            if isinstance(m.get("enum"), list):
                listed = list(m["enum"])
            if "const" in m and self._version >= 6:
                listed = (
                    [m["const"]]
                    if listed is None
                    else [v for v in listed if json_eq(v, m["const"])]
                )
            if listed is not None:
                found = (
                    listed
                    if found is None
                    else [v for v in found if any(json_eq(v, w) for w in listed)]
                )
        return found

    def pattern_lengths(self) -> tuple[float, float]:
        """The shortest and longest string every anchored ``pattern`` of a member allows."""
        low, high = 0.0, math.inf
        for m in self.members:
            pattern = m.get("pattern")
            if isinstance(pattern, str):
                found = anchored_lengths(pattern)
                if found is not None:
                    low, high = max(low, found[0]), min(high, found[1])
        return low, high

    def whole_numbers(self) -> bool:
        return any(whole(m.get("multipleOf")) for m in self.members)

    def most(self, keyword: str, pick: Callable[..., float]) -> float:
        """The tightest bound a member gives (``max`` for lower bounds, ``min`` for upper);
        an object has at least as many properties as it requires."""
        bounds = [m[keyword] for m in self.members if is_number(m.get(keyword))]
        if keyword == "minProperties":
            bounds.append(len(self.required()))
        if keyword == "minItems" and self._version >= 6:  # `contains` needs matching items
            bounds += [_least_contained(m, self._version) for m in self.members if "contains" in m]
        if keyword == "maxProperties":  # a closed object has no more than it declares
            bounds += [
                len(as_dict(m.get("properties")))
                for m in self.members
                if m.get("additionalProperties") is False and not m.get("patternProperties")
            ]
        if bounds:
            return float(pick(bounds))
        return -math.inf if pick is max else math.inf

    def required(self) -> frozenset[str]:
        if self._required is None:
            names: set[str] = set()
            for m in self.members:
                if isinstance(m.get("required"), list):
                    names.update(n for n in m["required"] if isinstance(n, str))
            self._required = frozenset(names)
        return self._required

    def declared(self) -> Iterator[str]:
        seen: set[str] = set()
        for m in self.members:
            for name in as_dict(m.get("properties")):
                if name not in seen:
                    seen.add(name)
                    yield name

    def property(self, name: str) -> list[Any] | None:
        """The schemas every value of property ``name`` satisfies; None when no value can be
        there (a member forbids the name)."""
        out: list[Any] = []
        for m in self.members:
            names = m.get("propertyNames")
            if names is not None and self._refuses(names, name):
                return None  # the writer's propertyNames refuses the name
            props = as_dict(m.get("properties"))
            if name in props:
                out.append(props[name])
                continue
            matched = [s for p, s in as_dict(m.get("patternProperties")).items() if search(p, name)]
            if matched:
                out.extend(matched)
                continue
            extra = m.get("additionalProperties")
            if extra is False:
                return None
            if isinstance(extra, dict):
                out.append(extra)
        return out

    def _refuses(self, names: Any, name: str) -> bool:
        """A member's ``propertyNames`` surely refuses ``name``."""
        if names is None or self._quick is None or self._version < 6:
            return False
        return self._quick.check(names, NOWHERE, name) is False

    def undeclared(self, pattern: str | None) -> list[Any] | None:
        """The schemas a property the writer does not declare (one matching ``pattern``, if
        given) satisfies; None when the writer allows no such property. Raises ``Unknown``
        where the writer's own ``patternProperties`` make it depend on the name."""
        out: list[Any] = []
        for m in self.members:
            patterns = as_dict(m.get("patternProperties"))
            if pattern is not None and pattern in patterns:
                out.append(patterns[pattern])
                continue
            if patterns:
                raise Unknown
            extra = m.get("additionalProperties")
            if extra is False:
                return None
            if isinstance(extra, dict):
                out.append(extra)
        return out


# -- helpers --------------------------------------------------------------------------------------


@lru_cache(maxsize=1024)
def anchored_lengths(pattern: str) -> tuple[float, float] | None:
    """(shortest, longest) string a pattern written ``^...$`` matches, from Python's own regex
    parser (analysis only: matching is ECMA-262's, where ``$`` is the end of the text); None
    for any other pattern, or one it cannot read."""
    if not (pattern.startswith("^") and pattern.endswith("$")) or pattern.endswith("\\$"):
        return None
    try:
        parsed = _sre_parser.parse(pattern)
        low, high = parsed.getwidth()
    except Exception:  # not a pattern Python reads the same way: nothing proven
        return None
    items = list(parsed)
    first, last = (str(items[0][0]), str(items[-1][0])) if items else ("", "")
    if first != "AT" or last != "AT" or any(str(op) == "BRANCH" for op, _ in items):
        return None
    return float(low), math.inf if high >= _MAXREPEAT else float(high)


_sre_parser: Any = importlib.import_module("re._parser")
_MAXREPEAT: Final = int(_sre_parser.MAXREPEAT)


def as_dict(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, dict) else {}


def whole(value: Any) -> bool:
    return is_number(value) and value > 0 and float(value).is_integer()


def divides(factor: float, multiple: Any) -> bool:
    """Every multiple of ``multiple`` is a multiple of ``factor``."""
    if not is_number(multiple) or multiple <= 0:
        return False
    if type(multiple) is int and type(factor) is int:  # exact already: no decimal text to read
        return factor != 0 and multiple % factor == 0
    try:
        return (Fraction(str(multiple)) / Fraction(str(factor))).denominator == 1
    except (ValueError, ZeroDivisionError):
        return False


def json_eq(a: Any, b: Any) -> bool:
    return canon(a) == canon(b) or (is_number(a) and is_number(b) and a == b)


def value_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "integer" if value.is_integer() else "fraction"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def types_named(named: Any) -> frozenset[str] | None:
    """The types a ``type`` keyword allows (None: absent or unreadable)."""
    if isinstance(named, str):
        return _TYPE_NAMED.get(named)
    listed = named if isinstance(named, list) else None
    if listed is None:
        return None
    out: set[str] = set()
    for name in listed:
        if name == "number":
            out |= NUMBER
        elif name in ALL_TYPES and name != "fraction":
            out.add(name)
        else:
            return None
    return frozenset(out)


# what types_named reads from a single name (a name that is no type is absent: None)
_TYPE_NAMED: Final = {
    name: NUMBER if name == "number" else frozenset({name})
    for name in (*ALL_TYPES, "number")
    if name != "fraction"
}


def number_range(members: Iterable[Schema], version: int) -> tuple[float, bool, float, bool]:
    """The tightest (low, low open, high, high open) the members' number bounds make."""
    low, low_open, high, high_open = -math.inf, False, math.inf, False
    for m in members:
        if not isinstance(m, dict):
            continue
        for keyword, upper in (("minimum", False), ("maximum", True)):
            bound = m.get(keyword)
            if is_number(bound):
                flag = m.get("exclusiveMaximum" if upper else "exclusiveMinimum")
                is_open = version < 6 and flag is True
                if upper and (bound < high or (bound == high and is_open)):
                    high, high_open = bound, is_open
                if not upper and (bound > low or (bound == low and is_open)):
                    low, low_open = bound, is_open
        if version >= 6:
            for keyword, upper in (("exclusiveMinimum", False), ("exclusiveMaximum", True)):
                bound = m.get(keyword)
                if is_number(bound):
                    if upper and bound <= high:
                        high, high_open = bound, True
                    if not upper and bound >= low:
                        low, low_open = bound, True
    return low, low_open, high, high_open


def item_schemas(raw: dict[str, Any], version: int) -> tuple[list[Any], Any]:
    """(the tuple's item schemas, the schema of every item past them; None: unconstrained)."""
    items = raw.get("items")
    if version >= 2020:
        prefix = raw.get("prefixItems")
        return (list(prefix) if isinstance(prefix, list) else []), items
    if isinstance(items, list):
        return list(items), raw.get("additionalItems")
    return [], items


def same_dependency(member: dict[str, Any], keyword: str, name: str, dep: Any) -> bool:
    """The member already has the dependency ``name`` -> ``dep`` (or requires more)."""
    theirs = as_dict(member.get(keyword)).get(name)
    if isinstance(dep, list) and isinstance(theirs, list):
        return set(dep) <= set(theirs)
    return theirs is not None and theirs == dep


def may_overlap(one: Any, other: Any) -> bool:
    """Some value may match both schemas: False only when their ``type``s are disjoint."""
    if not isinstance(one, dict) or not isinstance(other, dict):
        return one is not False and other is not False
    mine, theirs = types_named(one.get("type")), types_named(other.get("type"))
    return mine is None or theirs is None or not mine.isdisjoint(theirs)


def patterns_only(writer: Writer, patterns: Mapping[str, Any]) -> bool:
    """A writer member is closed (``additionalProperties: false``) and each of its patterns is
    one of ``patterns`` (the reader's): every name the writer allows but does not declare
    matches a pattern of the reader, so no such property reaches the reader's extra schema."""
    for member in writer.members:
        if member.get("additionalProperties") is False:
            own = member.get("patternProperties", {})
            if isinstance(own, dict) and all(p in patterns for p in own):
                return True
    return False
