"""The one place the compatibility engine evaluates a regular expression, or builds a validator
that will.

Every ``pattern``, ``patternProperties`` name and ``format: regex`` the engine evaluates (the
diff's content models, the quick check, the candidate generators, the guard, and the real
``jsonschema`` validators that verify witnesses) goes through :mod:`evreg.contracts.patterns`:
ECMA-262 semantics, evaluated in linear time and charged to the current ``patterns.budget``. A
pattern that cannot be evaluated, or a search over budget, raises ``patterns.PatternError`` (a
``ContractError``) out of the check: an error, never a silently weaker answer.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from jsonschema.validators import Draft202012Validator, validator_for

from evreg.contracts import patterns
from evreg.contracts.child_validators import reusing_children
from evreg.contracts.fast_properties import fast_properties
from evreg.contracts.pattern_validators import bounded
from evreg.contracts.patterns import PatternError

__all__ = [
    "PatternError",
    "dialect_class",
    "matches_any",
    "search",
    "validator_class",
]


def search(pattern: str, text: str) -> bool:
    """``pattern`` matches somewhere in ``text`` (JSON Schema's ``pattern`` semantics)."""
    return patterns.search(pattern, text)


def matches_any(pattern_list: Iterable[str], text: str) -> bool:
    """Some pattern of ``pattern_list`` matches ``text`` (each searched on its own: joined with
    ``|`` they could change meaning)."""
    return any(patterns.search(pattern, text) for pattern in pattern_list)


@lru_cache(maxsize=16)
def validator_class(draft: str) -> Any:
    """The ``jsonschema`` validator class of a dialect, its regexes bounded (and the validators
    of its sub-schemas built once: ``child_validators``)."""
    base = validator_for({"$schema": draft}, default=Draft202012Validator)
    return reusing_children(bounded(fast_properties(base)))


@lru_cache(maxsize=64)
def dialect_class(dialect: str, default: Any) -> Any:
    """The class of a sub-schema's own ``$schema`` (``default`` when it names none we know)."""
    base = validator_for({"$schema": dialect}, default=default)
    return reusing_children(bounded(fast_properties(base)))
