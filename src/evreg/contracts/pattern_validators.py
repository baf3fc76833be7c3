"""``jsonschema`` validator classes that evaluate regular expressions through ``patterns``.

``bounded(cls)`` is ``cls`` (any draft's validator class, or one already extended) whose
``pattern``, ``patternProperties``, ``additionalProperties`` and ``unevaluatedProperties``
keywords match with ``patterns.search`` (ECMA-262 semantics, linear time, charged to the
current ``patterns.budget``) and whose format checker reads ``format: regex`` as ECMA-262
(``patterns.is_ecma``). Every validator evreg builds for schemas it did not write is made with
it; a search over budget raises ``patterns.PatternBudgetError`` out of ``iter_errors``.

How: ``jsonschema``'s keyword functions call ``re.search`` from their module's globals. The
bounded keywords are the same functions (their code objects, so they follow ``jsonschema``'s
releases) with ``re`` bound to ``patterns`` instead; ``additionalProperties`` gets a finder of
additional names that tries each ``patternProperties`` name on its own (``jsonschema`` joins
them with ``|``, which is not one ECMA-262 pattern when they are read in different modes).
``tests/unit/test_pattern_validators.py`` checks that no function reachable from a bounded
class's keywords still calls the standard ``re``.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from types import FunctionType
from typing import Any

from jsonschema import FormatChecker, validators

from evreg.contracts import patterns

__all__ = ["bounded"]

_SELF: Any = object()  # stands for the rebound function itself (recursive finders)


class _BoundedRe:
    """What ``re`` means inside the bounded keyword functions (they only call ``search``)."""

    @staticmethod
    def search(pattern: str, text: str) -> bool:
        return patterns.search(pattern, text)


def _with_globals(func: Any, **names: Any) -> Any:
    """``func`` with some of its global names bound to other values (``_SELF``: itself)."""
    scope = {**func.__globals__, **names}
    new = FunctionType(func.__code__, scope, func.__name__, func.__defaults__, func.__closure__)
    new.__kwdefaults__ = func.__kwdefaults__
    new.__qualname__ = func.__qualname__
    new.__doc__ = func.__doc__
    for name, value in names.items():
        if value is _SELF:
            scope[name] = new
    return new


def _additional(instance: dict[str, Any], schema: dict[str, Any]) -> Iterator[str]:
    """Names of ``instance`` neither in ``properties`` nor matched by a ``patternProperties``."""
    declared = schema.get("properties", {})
    named = schema.get("patternProperties", {})
    for name in instance:
        if name not in declared and not any(patterns.search(p, name) for p in named):
            yield name


def _format_checker(cls: Any) -> FormatChecker:
    checker = FormatChecker(formats=())
    checker.checkers = {**cls.FORMAT_CHECKER.checkers, "regex": (patterns.is_ecma, ())}
    return checker


@functools.lru_cache(maxsize=64)
def bounded(cls: Any) -> Any:
    """``cls`` evaluating every regular expression with ``patterns`` (see the module doc)."""
    keywords = cls.VALIDATORS
    changed: dict[str, Any] = {}
    for name in ("pattern", "patternProperties"):
        if name in keywords:
            changed[name] = _with_globals(keywords[name], re=_BoundedRe)
    if "additionalProperties" in keywords:
        changed["additionalProperties"] = _with_globals(
            keywords["additionalProperties"], find_additional_properties=_additional
        )
    if "unevaluatedProperties" in keywords:
        keyword = keywords["unevaluatedProperties"]
        finder = keyword.__globals__["find_evaluated_property_keys_by_schema"]
        finder = _with_globals(finder, re=_BoundedRe, find_evaluated_property_keys_by_schema=_SELF)
        changed["unevaluatedProperties"] = _with_globals(
            keyword, find_evaluated_property_keys_by_schema=finder
        )
    extend: Any = validators.extend  # untyped in jsonschema
    return extend(cls, changed, format_checker=_format_checker(cls))
