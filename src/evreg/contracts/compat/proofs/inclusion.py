"""A proof, from the schemas alone, that a reader schema accepts every value a writer allows.

:meth:`Inclusion.holds` answers True only when it can show, keyword by keyword of the reader,
that the writer's own keywords imply it: a ``maxLength`` at least as tight, a ``required`` name
the writer requires too, each property's schema included in the reader's, an enum whose every
value the reader accepts, and so on. It works on the documents as written, independently of the
diff's rules, and follows local ``$ref``s (a schema met again inside itself is assumed
included, as subtyping of recursive types does). Whatever it does not model (``oneOf`` whose
alternatives it cannot tell apart, ``unevaluated*``, ``contains``, a keyword only one side has
that it cannot reason about, two different drafts, a non-local ``$ref``) makes the answer False:
"not proven", never "not included".

What a writer's conjunction allows (its types, enum, bounds, properties) is read by
``writer_facts.Writer``; the walk (references, the writer's conjunction and alternatives, the
memo, disjointness) is ``inclusion_walk.InclusionWalk``; this module holds one check per reader
keyword.

The guard asks it first: where inclusion is proven there is nothing to search for, so the common
compatible check costs one walk of the two schemas and no candidate values.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from fractions import Fraction
from functools import partial
from typing import Any, Final

from evreg.contracts.compat.matching import search
from evreg.contracts.compat.proofs.inclusion_walk import InclusionWalk
from evreg.contracts.compat.proofs.writer_facts import (
    NUMBER,
    Unknown,
    Writer,
    divides,
    is_number,
    item_schemas,
    number_range,
    patterns_only,
    same_dependency,
    types_named,
)

__all__ = ["Inclusion"]

_FRACTION: Final = frozenset({"fraction"})


class Inclusion(InclusionWalk):
    """Proves that sub-schemas of one reader accept every value of sub-schemas of one writer:
    the walk (``InclusionWalk``) with one check per reader keyword."""

    # -- types and values ---------------------------------------------------------------------

    def _type(self, reader: dict[str, Any], writer: Writer) -> bool:
        allowed = types_named(reader.get("type"))
        if allowed is None:
            return False
        found = writer.types()
        if found <= allowed:
            return True
        # a number the writer keeps whole (multipleOf 1) is an integer from draft-06 on (its
        # multipleOfs read only where that would make the types fit)
        if not found - _FRACTION <= allowed:
            return False
        return self._version >= 6 and writer.whole_numbers()

    def _enum(self, reader: dict[str, Any], writer: Writer) -> bool:
        return False  # a finite writer was checked value by value already (_keywords)

    def _ref(self, reader: dict[str, Any], writer: Writer) -> bool:
        """A ``$ref`` beside other keywords (2019-09 on): its target must include the writer."""
        target = self._deref({"$ref": reader["$ref"]}, self._reader.document)
        return self.includes(target, writer.members)

    def _lower(self, reader: dict[str, Any], writer: Writer, kind: str, keyword: str) -> bool:
        bound = reader[keyword]
        if kind not in writer.types() or (is_number(bound) and bound <= 0):
            return True
        if not is_number(bound):
            return False
        shortest = writer.pattern_lengths()[0] if kind == "string" else 0
        return max(writer.most(keyword, max), shortest) >= bound

    def _upper(self, reader: dict[str, Any], writer: Writer, kind: str, keyword: str) -> bool:
        bound = reader[keyword]
        if kind not in writer.types():
            return True
        if not is_number(bound):
            return False
        longest = writer.pattern_lengths()[1] if kind == "string" else math.inf
        return min(writer.most(keyword, min), longest) <= bound

    def _number_bound(self, reader: dict[str, Any], writer: Writer) -> bool:
        if not writer.types() & NUMBER:
            return True
        low, low_open, high, high_open = number_range([reader], self._version)
        w_low, w_low_open, w_high, w_high_open = number_range(writer.members, self._version)
        step = _integer_step(writer)
        if step is not None:  # the writer's numbers are multiples of `step`: the bounds too
            w_low, w_low_open = _snap(w_low, w_low_open, step, up=True)
            w_high, w_high_open = _snap(w_high, w_high_open, step, up=False)
        low_ok = w_low > low or (w_low == low and (w_low_open or not low_open))
        high_ok = w_high < high or (w_high == high and (w_high_open or not high_open))
        return low_ok and high_ok

    def _multiple_of(self, reader: dict[str, Any], writer: Writer) -> bool:
        factor = reader["multipleOf"]
        if not writer.types() & NUMBER:
            return True
        if not is_number(factor) or factor <= 0:
            return False
        if factor == 1 and writer.types() <= {"integer"}:  # (1 and 1.0: exactly one)
            return True
        return any(divides(factor, m.get("multipleOf")) for m in writer.members)

    def _pattern(self, reader: dict[str, Any], writer: Writer) -> bool:
        if "string" not in writer.types():
            return True
        return any(m.get("pattern") == reader["pattern"] for m in writer.members)

    # -- objects --------------------------------------------------------------------------------

    def _required(self, reader: dict[str, Any], writer: Writer) -> bool:
        names = reader["required"]
        if "object" not in writer.types():
            return True
        return isinstance(names, list) and all(n in writer.required() for n in names)

    def _properties(self, reader: dict[str, Any], writer: Writer) -> bool:
        props = reader["properties"]
        if "object" not in writer.types():
            return True
        if not isinstance(props, dict):
            return False
        return all(self._name(sub, writer, name) for name, sub in props.items())

    def _name(self, reader: Any, writer: Writer, name: str) -> bool:
        """``reader`` accepts every value the writer allows under property ``name``."""
        schemas = writer.property(name)
        return schemas is None or self.includes(reader, schemas)

    def _pattern_properties(self, reader: dict[str, Any], writer: Writer) -> bool:
        patterns = reader["patternProperties"]
        if "object" not in writer.types():
            return True
        if not isinstance(patterns, dict):
            return False
        for pattern, sub in patterns.items():
            for name in writer.declared():
                if search(pattern, name) and not self._name(sub, writer, name):
                    return False
            rest = writer.undeclared(pattern)
            if rest is not None and not self.includes(sub, rest):
                return False
        return True

    def _additional_properties(self, reader: dict[str, Any], writer: Writer) -> bool:
        return self._extra_properties(reader, writer, reader["additionalProperties"])

    def _extra_properties(self, reader: dict[str, Any], writer: Writer, extra: Any) -> bool:
        """Every writer property that ``reader`` neither declares nor matches by a pattern is
        accepted by ``extra`` (its additional or unevaluated properties' schema)."""
        if "object" not in writer.types() or extra is True:
            return True
        declared = reader.get("properties", {})
        patterns = reader.get("patternProperties", {})
        if not isinstance(declared, dict) or not isinstance(patterns, dict):
            return False
        for name in writer.declared():
            if name in declared or any(search(p, name) for p in patterns):
                continue
            if not self._name(extra, writer, name):
                return False
        if patterns_only(writer, patterns):
            return True
        rest = writer.undeclared(None)
        return rest is None or self.includes(extra, rest)

    def _dependencies(self, reader: dict[str, Any], writer: Writer) -> bool:
        if "object" not in writer.types():
            return True
        for keyword in ("dependencies", "dependentRequired", "dependentSchemas"):
            deps = reader.get(keyword)
            if deps is None:
                continue
            if not isinstance(deps, dict):
                return False
            for name, dep in deps.items():
                if any(same_dependency(m, keyword, name, dep) for m in writer.members):
                    continue
                if writer.property(name) is None:
                    continue  # the writer never has the property
                if isinstance(dep, list) and set(dep) <= writer.required():
                    continue  # whatever is required with it is required anyway
                if not isinstance(dep, list) and self.includes(dep, writer.members):
                    continue  # every writer value satisfies the dependent schema anyway
                return False
        return True

    def _unevaluated_properties(self, reader: dict[str, Any], writer: Writer) -> bool:
        """Where ``additionalProperties`` is written every property is evaluated; otherwise the
        properties ``properties``/``patternProperties`` do not evaluate are checked against it
        (the ones an applicator would evaluate too: stricter, so still a proof)."""
        if "additionalProperties" in reader:
            return True
        return self._extra_properties(reader, writer, reader["unevaluatedProperties"])

    def _property_names(self, reader: dict[str, Any], writer: Writer) -> bool:
        names = reader["propertyNames"]
        if "object" not in writer.types():
            return True
        if any(m.get("propertyNames") == names for m in writer.members):
            return True
        try:
            if writer.undeclared(None) is not None:
                return False  # undeclared names may be anything
        except Unknown:
            return False
        return all(self._quick_accepts(names, name) for name in writer.declared())

    # -- arrays ---------------------------------------------------------------------------------

    def _items(self, reader: dict[str, Any], writer: Writer) -> bool:
        if "array" not in writer.types():
            return True
        extra = reader.get("additionalItems", True)
        if self._version < 2020 and extra is not True and not isinstance(reader.get("items"), list):
            # ignored by the validator without a tuple, but compared by the Confluent registry,
            # whose verdicts evreg keeps there: left unproven (docs/compatibility.md)
            return False
        reader_tuple, reader_rest = item_schemas(reader, self._version)
        writer_tuples = [item_schemas(m, self._version) for m in writer.members]
        longest = max([len(reader_tuple), *(len(t) for t, _ in writer_tuples)])
        for i in range(longest + 1):  # each tuple position, then every item past them all
            reader_item = reader_tuple[i] if i < len(reader_tuple) else reader_rest
            if reader_item is None or reader_item is True:
                continue
            writer_items = [t[i] if i < len(t) else rest for t, rest in writer_tuples]
            if any(item is False for item in writer_items):
                continue  # the writer has no item there
            if not self.includes(reader_item, [w for w in writer_items if w is not None]):
                return False
        return True

    def _unique_items(self, reader: dict[str, Any], writer: Writer) -> bool:
        if reader["uniqueItems"] is not True or "array" not in writer.types():
            return True
        return any(m.get("uniqueItems") is True for m in writer.members) or (
            writer.most("maxItems", min) <= 1
        )

    # -- combinators ----------------------------------------------------------------------------

    def _all_of(self, reader: dict[str, Any], writer: Writer) -> bool:
        subs = reader["allOf"]
        return isinstance(subs, list) and all(self.includes(s, writer.members) for s in subs)

    def _any_of(self, reader: dict[str, Any], writer: Writer) -> bool:
        subs = reader["anyOf"]
        return isinstance(subs, list) and any(self.includes(s, writer.members) for s in subs)

    def _one_of(self, reader: dict[str, Any], writer: Writer) -> bool:
        """One alternative includes the writer and every other one is disjoint from it."""
        subs = reader["oneOf"]
        if not isinstance(subs, list):
            return False
        fits = [i for i, sub in enumerate(subs) if self.includes(sub, writer.members)]
        if len(fits) != 1:
            return False
        return all(self._disjoint(writer, sub) for i, sub in enumerate(subs) if i != fits[0])

    def _not(self, reader: dict[str, Any], writer: Writer) -> bool:
        inner = reader["not"]
        if any(m.get("not") == inner for m in writer.members):
            return True
        return self._disjoint(writer, inner)

    def _if(self, reader: dict[str, Any], writer: Writer) -> bool:
        condition = reader["if"]
        then, otherwise = reader.get("then", True), reader.get("else", True)
        for m in writer.members:
            if (m.get("if"), m.get("then", True), m.get("else", True)) == (
                condition,
                then,
                otherwise,
            ):
                return True
        if self.includes(condition, writer.members):
            return self.includes(then, writer.members)
        if self._disjoint(writer, condition):
            return self.includes(otherwise, writer.members)
        return False


def _integer_step(writer: Writer) -> int | None:
    """An integer every number the writer allows is a multiple of (its integer multipleOfs,
    1 when it allows integers only), or None."""
    steps = [
        int(m["multipleOf"])
        for m in writer.members
        if is_number(m.get("multipleOf"))
        and m["multipleOf"] > 0
        and float(m["multipleOf"]).is_integer()
    ]
    if writer.types() & NUMBER == {"integer"}:
        steps.append(1)
    return math.lcm(*steps) if steps else None


def _snap(bound: float, is_open: bool, step: int, *, up: bool) -> tuple[float, bool]:
    """The first multiple of ``step`` within a lower (``up``) or upper bound, as a closed bound
    (``minimum: -2`` with ``multipleOf: 5`` is ``minimum: 0``)."""
    if math.isinf(bound):
        return bound, is_open
    quotient = Fraction(bound) / step
    k = math.ceil(quotient) if up else math.floor(quotient)
    if is_open and k == quotient:
        k += 1 if up else -1
    return k * step, False


_CHECKS: Final[dict[str, Callable[[Inclusion, dict[str, Any], Writer], bool]]] = {
    "type": Inclusion._type,
    "enum": Inclusion._enum,
    "const": Inclusion._enum,
    "minLength": partial(Inclusion._lower, kind="string", keyword="minLength"),
    "maxLength": partial(Inclusion._upper, kind="string", keyword="maxLength"),
    "minItems": partial(Inclusion._lower, kind="array", keyword="minItems"),
    "maxItems": partial(Inclusion._upper, kind="array", keyword="maxItems"),
    "minProperties": partial(Inclusion._lower, kind="object", keyword="minProperties"),
    "maxProperties": partial(Inclusion._upper, kind="object", keyword="maxProperties"),
    "minimum": Inclusion._number_bound,
    "maximum": Inclusion._number_bound,
    "exclusiveMinimum": Inclusion._number_bound,
    "exclusiveMaximum": Inclusion._number_bound,
    "multipleOf": Inclusion._multiple_of,
    "pattern": Inclusion._pattern,
    "required": Inclusion._required,
    "properties": Inclusion._properties,
    "patternProperties": Inclusion._pattern_properties,
    "additionalProperties": Inclusion._additional_properties,
    "items": Inclusion._items,
    "prefixItems": Inclusion._items,
    "additionalItems": Inclusion._items,
    "uniqueItems": Inclusion._unique_items,
    "allOf": Inclusion._all_of,
    "anyOf": Inclusion._any_of,
    "oneOf": Inclusion._one_of,
    "not": Inclusion._not,
    "if": Inclusion._if,
    "dependencies": Inclusion._dependencies,
    "dependentRequired": Inclusion._dependencies,
    "dependentSchemas": Inclusion._dependencies,
    "$ref": Inclusion._ref,
    "unevaluatedProperties": Inclusion._unevaluated_properties,
    "propertyNames": Inclusion._property_names,
}

Inclusion._checks = _CHECKS
