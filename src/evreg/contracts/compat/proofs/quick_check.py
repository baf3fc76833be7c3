"""A cheap, three-valued pre-check of an instance against a schema node.

``QuickCheck.check`` answers True (valid), False (invalid) or None (not sure) for the common
keywords (types, enums, bounds, patterns, formats, properties, items, combinators, local and
resolved ``$ref``s), following ``jsonschema``'s own semantics keyword by keyword for the draft
at hand. Whatever it does not model (``unevaluated*``, ``$dynamicRef``/``$recursiveRef``, a
``$ref`` below a nested ``$id``, an unknown type name, a bad regex, deep recursion...) makes
the answer None, and the caller asks the real validator.

Keywords are a table (as Karapace's ``AssertionCheck`` tables its checks): each entry says which
instances the keyword applies to (any other instance passes it, as in JSON Schema) and how it is
checked. The twelve bounds (sizes of strings, arrays and objects, and numbers) are one row each.

It only sorts candidates: a witness is reported only after the real ``jsonschema`` validator
has checked the whole event under both schemas.
"""

from __future__ import annotations

import importlib
import operator
from collections.abc import Callable, Mapping
from fractions import Fraction
from functools import lru_cache
from typing import Any, Final, NamedTuple, Protocol

from evreg.contracts.compat.matching import (
    PatternError,
    matches_any,
    search,
    validator_class,
)
from evreg.contracts.compat.proofs.json_values import draft_version, is_number
from evreg.contracts.model import Schema

__all__ = ["QuickCheck", "Resolving", "quick_check"]

_utils: Any = importlib.import_module("jsonschema._utils")  # equal / uniq, exactly as validated
_equal: Callable[[Any, Any], bool] = _utils.equal
_uniq: Callable[[Any], bool] = _utils.uniq

_MAX_DEPTH: Final = 40
Answer = bool | None


class Resolving(Protocol):
    """What a quick check needs from a scope: where a ``$ref`` written in it points."""

    def resolve(self, ref: str) -> tuple[Schema, Resolving] | None: ...


# check(argument, schema, scope, value, depth, scoped): the answer for a value it applies to
Check = Callable[[Any, Any, Any, Any, int, bool], Answer]


class Keyword(NamedTuple):
    """One row of the table: the instances a keyword applies to, and its check."""

    applies: Callable[[Any], bool] | None  # None: every instance
    check: Check


def _and(a: Answer, b: Answer) -> Answer:
    if a is False or b is False:
        return False
    return None if a is None or b is None else True


def _string(value: Any) -> bool:
    return isinstance(value, str)


def _object(value: Any) -> bool:
    return isinstance(value, dict)


def _array(value: Any) -> bool:
    return isinstance(value, list)


Compare = Callable[[Any, Any], bool]

# (keyword, instances it bounds, comparison of the measure with the bound)
_SIZES: Final[tuple[tuple[str, Callable[[Any], bool], Compare], ...]] = (
    ("minLength", _string, operator.ge),
    ("maxLength", _string, operator.le),
    ("minItems", _array, operator.ge),
    ("maxItems", _array, operator.le),
    ("minProperties", _object, operator.ge),
    ("maxProperties", _object, operator.le),
)
# (keyword, comparison, the draft-04 flag that makes it strict, the strict comparison)
_NUMBER_BOUNDS: Final[tuple[tuple[str, Compare, str | None, Compare], ...]] = (
    ("minimum", operator.ge, "exclusiveMinimum", operator.gt),
    ("maximum", operator.le, "exclusiveMaximum", operator.lt),
    ("exclusiveMinimum", operator.gt, None, operator.gt),
    ("exclusiveMaximum", operator.lt, None, operator.lt),
)


def _size(holds: Compare) -> Check:
    def check(n: Any, schema: Any, scope: Any, value: Any, depth: int, scoped: bool) -> Answer:
        return bool(holds(len(value), n)) if is_number(n) else None

    return check


def _number_bound(holds: Compare, flag: str | None, strict: Compare, draft4: bool) -> Check:
    def check(bound: Any, schema: Any, scope: Any, value: Any, depth: int, scoped: bool) -> Answer:
        if not is_number(bound):
            return None
        if draft4 and flag is not None and schema.get(flag, False):
            return bool(strict(value, bound))
        return bool(holds(value, bound))

    return check


@lru_cache(maxsize=32)
def quick_check(draft: str, *, formats: bool) -> QuickCheck:
    """The (shared, stateless) quick check of a dialect."""
    return QuickCheck(draft, formats=formats)


class QuickCheck:
    """Three-valued checks for one dialect (formats asserted or not, like the real validator)."""

    def __init__(self, draft: str, *, formats: bool) -> None:
        cls = validator_class(draft)
        self.version = draft_version(draft)
        self._keywords = frozenset(cls.VALIDATORS)
        self._formats: Any = cls.FORMAT_CHECKER if formats else None
        self._id = "id" if self.version < 6 else "$id"
        table = self._table()
        # a keyword the validator knows and we do not model makes the answer None
        self._handlers: Mapping[str, Keyword | None] = {
            k: table.get(k) for k in self._keywords if k != "$ref"
        }

    def _table(self) -> dict[str, Keyword]:
        draft4 = self.version < 6
        table = {kw: Keyword(applies, _size(holds)) for kw, applies, holds in _SIZES}
        for kw, holds, flag, strict in _NUMBER_BOUNDS:
            table[kw] = Keyword(is_number, _number_bound(holds, flag, strict, draft4))
        anything, strings, numbers, objects, arrays = None, _string, is_number, _object, _array
        rows: dict[str, tuple[Callable[[Any], bool] | None, Check]] = {
            "type": (anything, self._type),
            "enum": (anything, self._enum),
            "const": (anything, self._const),
            "pattern": (strings, self._pattern),
            "format": (anything, self._format),
            "multipleOf": (numbers, self._multiple_of),
            "properties": (objects, self._properties),
            "required": (objects, self._required),
            "additionalProperties": (objects, self._additional_properties),
            "patternProperties": (objects, self._pattern_properties),
            "propertyNames": (objects, self._property_names),
            "dependencies": (objects, self._dependencies),
            "dependentRequired": (objects, self._dependent_required),
            "dependentSchemas": (objects, self._dependent_schemas),
            "items": (arrays, self._items if self.version >= 2020 else self._legacy_items),
            "prefixItems": (arrays, self._prefix_items),
            "additionalItems": (arrays, self._additional_items),
            "uniqueItems": (arrays, self._unique_items),
            "contains": (arrays, self._contains),
            "allOf": (anything, self._all_of),
            "anyOf": (anything, self._any_of),
            "oneOf": (anything, self._one_of),
            "not": (anything, self._not),
            "if": (anything, self._if),
        }
        table.update({kw: Keyword(applies, check) for kw, (applies, check) in rows.items()})
        return table

    def check(self, schema: Schema, scope: Resolving, value: Any) -> Answer:
        """True / False when sure that ``value`` is valid / invalid under ``schema``."""
        try:
            return self._check(schema, scope, value, 0, False, True)
        except PatternError:
            raise  # a pattern that cannot be evaluated, or over budget: the check's error
        except Exception:  # whatever the real validator would make of it, we are not sure
            return None

    # -- the walk -------------------------------------------------------------------------------

    def _check(
        self, schema: Any, scope: Resolving, value: Any, depth: int, scoped: bool, top: bool
    ) -> Answer:
        if schema is True:
            return True
        if schema is False:
            return False
        if not isinstance(schema, dict) or depth > _MAX_DEPTH:
            return None
        if not top:
            ident = schema.get(self._id)
            if isinstance(ident, str) and not ident.startswith("#"):
                scoped = True  # refs below resolve against another base: not modelled
        result: Answer = True
        ref = schema.get("$ref")
        if ref is not None and "$ref" in self._keywords:
            result = self._ref(ref, scope, value, depth, scoped)
            if self.version < 2019 or result is False:
                return result  # before 2019-09 the siblings of $ref are ignored
        handlers = self._handlers
        for key, arg in schema.items():
            if key not in handlers:
                continue  # not a validation keyword of this draft (or $ref, done above)
            keyword = handlers[key]
            if keyword is None:
                result = None
                continue
            if keyword.applies is not None and not keyword.applies(value):
                continue  # e.g. maxLength on a number: valid
            answer = keyword.check(arg, schema, scope, value, depth + 1, scoped)
            if answer is False:
                return False
            if answer is None:
                result = None
        return result

    def _sub(self, schema: Any, scope: Resolving, value: Any, depth: int, scoped: bool) -> Answer:
        return self._check(schema, scope, value, depth, scoped, False)

    def _ref(self, ref: Any, scope: Resolving, value: Any, depth: int, scoped: bool) -> Answer:
        if scoped or not isinstance(ref, str):
            return None
        target = scope.resolve(ref)
        if target is None:
            return None
        return self._check(target[0], target[1], value, depth + 1, False, True)

    def _each(self, pairs: Any, scope: Resolving, depth: int, scoped: bool) -> Answer:
        """Every (value, schema) pair holds."""
        result: Answer = True
        for item, sub in pairs:
            result = _and(result, self._sub(sub, scope, item, depth, scoped))
            if result is False:
                return False
        return result

    # -- any type -------------------------------------------------------------------------------

    def _is(self, value: Any, kind: Any) -> Answer:
        if kind == "string":
            return isinstance(value, str)
        if kind == "object":
            return isinstance(value, dict)
        if kind == "array":
            return isinstance(value, list)
        if kind == "null":
            return value is None
        if kind == "boolean":
            return isinstance(value, bool)
        if kind == "number":
            return is_number(value)
        if kind == "integer":
            if isinstance(value, bool):
                return False
            if isinstance(value, int):
                return True
            return self.version >= 6 and isinstance(value, float) and value.is_integer()
        return None  # jsonschema raises UnknownType

    def _type(self, kinds: Any, schema: Any, scope: Any, value: Any, *_: Any) -> Answer:
        for kind in [kinds] if isinstance(kinds, str) else kinds if isinstance(kinds, list) else ():
            answer = self._is(value, kind)
            if answer is not False:
                return answer
        return False if isinstance(kinds, str | list) else None

    def _enum(self, enums: Any, schema: Any, scope: Any, value: Any, *_: Any) -> Answer:
        if not isinstance(enums, list):
            return None
        return any(_equal(each, value) for each in enums)

    def _const(self, const: Any, schema: Any, scope: Any, value: Any, *_: Any) -> Answer:
        return bool(_equal(value, const))

    def _format(self, fmt: Any, schema: Any, scope: Any, value: Any, *_: Any) -> Answer:
        if self._formats is None:
            return True
        return bool(self._formats.conforms(value, fmt))

    # -- strings and numbers --------------------------------------------------------------------

    def _pattern(self, pattern: Any, schema: Any, scope: Any, value: Any, *_: Any) -> Answer:
        return search(pattern, value) if isinstance(pattern, str) else None

    def _multiple_of(self, factor: Any, schema: Any, scope: Any, value: Any, *_: Any) -> Answer:
        if not is_number(factor):
            return None
        if isinstance(factor, float):
            quotient = value / factor
            try:
                return bool(int(quotient) == quotient)
            except OverflowError:
                return (Fraction(value) / Fraction(factor)).denominator == 1
        return not (value % factor)

    # -- objects --------------------------------------------------------------------------------

    def _properties(
        self, props: Any, schema: Any, scope: Resolving, value: Any, depth: int, scoped: bool
    ) -> Answer:
        if not isinstance(props, dict):
            return None
        # only the names on both sides matter: walk the smaller side (an object schema may
        # declare 100,000 properties and the value carry two)
        names = props if len(props) <= len(value) else [n for n in value if n in props]
        pairs = ((value[name], props[name]) for name in names if name in value)
        return self._each(pairs, scope, depth, scoped)

    def _required(self, names: Any, schema: Any, scope: Any, value: Any, *_: Any) -> Answer:
        if not isinstance(names, list):
            return None
        return all(name in value for name in names)

    def _extras(self, schema: dict[str, Any], value: dict[str, Any]) -> list[str] | None:
        props = schema.get("properties", {})
        patterns = schema.get("patternProperties", {})
        if not isinstance(props, dict) or not isinstance(patterns, dict):
            return None
        return [name for name in value if name not in props and not matches_any(patterns, name)]

    def _additional_properties(
        self, extra: Any, schema: Any, scope: Resolving, value: Any, depth: int, scoped: bool
    ) -> Answer:
        names = self._extras(schema, value)
        if names is None:
            return None
        if isinstance(extra, dict):
            return self._each(((value[name], extra) for name in names), scope, depth, scoped)
        return bool(extra) or not names

    def _pattern_properties(
        self, patterns: Any, schema: Any, scope: Resolving, value: Any, depth: int, scoped: bool
    ) -> Answer:
        if not isinstance(patterns, dict):
            return None
        result: Answer = True
        for pattern, sub in patterns.items():
            matched = ((item, sub) for name, item in value.items() if search(pattern, name))
            result = _and(result, self._each(matched, scope, depth, scoped))
            if result is False:
                return False
        return result

    def _property_names(
        self, names: Any, schema: Any, scope: Resolving, value: Any, depth: int, scoped: bool
    ) -> Answer:
        return self._each(((name, names) for name in value), scope, depth, scoped)

    def _dependencies(
        self, deps: Any, schema: Any, scope: Resolving, value: Any, depth: int, scoped: bool
    ) -> Answer:
        if not isinstance(deps, dict):
            return None
        result: Answer = True
        for name, dep in deps.items():
            if name not in value:
                continue
            if isinstance(dep, list):
                answer: Answer = all(each in value for each in dep)
            else:
                answer = self._sub(dep, scope, value, depth, scoped)
            result = _and(result, answer)
            if result is False:
                return False
        return result

    def _dependent_required(self, deps: Any, schema: Any, _: Any, value: Any, *__: Any) -> Answer:
        if not isinstance(deps, dict) or not all(isinstance(d, list) for d in deps.values()):
            return None
        return all(each in value for name, dep in deps.items() if name in value for each in dep)

    def _dependent_schemas(
        self, deps: Any, schema: Any, scope: Resolving, value: Any, depth: int, scoped: bool
    ) -> Answer:
        if not isinstance(deps, dict):
            return None
        pairs = ((value, dep) for name, dep in deps.items() if name in value)
        return self._each(pairs, scope, depth, scoped)

    # -- arrays ---------------------------------------------------------------------------------

    def _legacy_items(
        self, items: Any, schema: Any, scope: Resolving, value: Any, depth: int, scoped: bool
    ) -> Answer:
        if isinstance(items, list):
            return self._each(zip(value, items, strict=False), scope, depth, scoped)
        if self.version < 6 and not isinstance(items, dict):
            return None  # draft 4: a boolean `items` is not a schema there
        return self._each(((item, items) for item in value), scope, depth, scoped)

    def _items(
        self, items: Any, schema: Any, scope: Resolving, value: Any, depth: int, scoped: bool
    ) -> Answer:
        prefix = schema.get("prefixItems", [])
        if not isinstance(prefix, list):
            return None
        if len(value) <= len(prefix):
            return True
        if items is False:
            return False
        return self._each(((item, items) for item in value[len(prefix) :]), scope, depth, scoped)

    def _prefix_items(
        self, prefix: Any, schema: Any, scope: Resolving, value: Any, depth: int, scoped: bool
    ) -> Answer:
        if not isinstance(prefix, list):
            return None
        return self._each(zip(value, prefix, strict=False), scope, depth, scoped)

    def _additional_items(
        self, extra: Any, schema: Any, scope: Resolving, value: Any, depth: int, scoped: bool
    ) -> Answer:
        items = schema.get("items", {})
        if isinstance(items, dict):
            return True
        if not isinstance(items, list):
            return None
        if isinstance(extra, dict):
            rest = ((item, extra) for item in value[len(items) :])
            return self._each(rest, scope, depth, scoped)
        return bool(extra) or len(value) <= len(items)

    def _unique_items(self, unique: Any, schema: Any, scope: Any, value: Any, *_: Any) -> Answer:
        return True if not unique else bool(_uniq(value))

    def _contains(
        self, sub: Any, schema: Any, scope: Resolving, value: Any, depth: int, scoped: bool
    ) -> Answer:
        answers = [self._sub(sub, scope, item, depth, scoped) for item in value]
        if self.version < 2019:
            return True if True in answers else None if None in answers else False
        low, high = schema.get("minContains", 1), schema.get("maxContains", len(value))
        if None in answers or not is_number(low) or not is_number(high):
            return None
        matches = answers.count(True)
        return bool(low <= matches <= high)

    # -- combinators ----------------------------------------------------------------------------

    def _all_of(
        self, subs: Any, schema: Any, scope: Resolving, value: Any, depth: int, scoped: bool
    ) -> Answer:
        if not isinstance(subs, list):
            return None
        return self._each(((value, sub) for sub in subs), scope, depth, scoped)

    def _any_of(
        self, subs: Any, schema: Any, scope: Resolving, value: Any, depth: int, scoped: bool
    ) -> Answer:
        if not isinstance(subs, list):
            return None
        result: Answer = False
        for sub in subs:
            answer = self._sub(sub, scope, value, depth, scoped)
            if answer is True:
                return True
            if answer is None:
                result = None
        return result

    def _one_of(
        self, subs: Any, schema: Any, scope: Resolving, value: Any, depth: int, scoped: bool
    ) -> Answer:
        if not isinstance(subs, list):
            return None
        answers = [self._sub(sub, scope, value, depth, scoped) for sub in subs]
        valid = answers.count(True)
        if valid > 1:
            return False
        if None in answers:
            return None
        return valid == 1

    def _not(
        self, sub: Any, schema: Any, scope: Resolving, value: Any, depth: int, scoped: bool
    ) -> Answer:
        answer = self._sub(sub, scope, value, depth, scoped)
        return None if answer is None else not answer

    def _if(
        self, sub: Any, schema: Any, scope: Resolving, value: Any, depth: int, scoped: bool
    ) -> Answer:
        answer = self._sub(sub, scope, value, depth, scoped)
        if answer is None:
            return None
        branch = "then" if answer else "else"
        if branch not in schema:
            return True
        return self._sub(schema[branch], scope, value, depth, scoped)
