"""A ``jsonschema`` validator class whose ``properties`` keyword walks the smaller side, and
whose type checks are looked up in a dict.

``jsonschema`` walks every property a schema declares and looks each up in the instance, so
checking a two-property event against an object declaring 100,000 properties costs 100,000
lookups (and the meta-schema's ~60 declared keywords are walked for every one-keyword schema).
Only the names on both sides matter, so when the instance has fewer names they are walked
instead. Valid or not is the same; errors may come in another order.

Every ``type``, ``items``, ``properties``... keyword asks the class's type checker whether the
instance is of a type, and ``jsonschema``'s checker finds the check in an ``rpds`` map, whose
lookup costs several times a dict's (a third of validating a small event). The checker here
holds the same check functions of the same draft, in a dict: the same answers, found faster.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any

from attrs import field, frozen
from jsonschema import TypeChecker, validators
from jsonschema.exceptions import UndefinedTypeCheck


@frozen(repr=False)
class _PlainTypes(TypeChecker):
    """A ``TypeChecker`` (its ``redefine``/``remove`` give another one) that finds its check
    functions in a dict made from its own map."""

    _table: dict[str, Callable[[Any, Any], bool]] = field(init=False, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        own: Any = self  # (the stubs do not name the attrs field)
        object.__setattr__(self, "_table", dict(own._type_checkers.items()))

    def is_type(self, instance: Any, type: str) -> bool:  # (jsonschema names it `type`)
        try:
            fn = self._table[type]
        except KeyError:
            raise UndefinedTypeCheck(type) from None
        return fn(self, instance)


@lru_cache(maxsize=32)
def fast_properties(cls: Any) -> Any:
    """``cls`` (a ``jsonschema`` validator class) with the faster ``properties`` keyword and
    type checker."""
    walk_schema = cls.VALIDATORS.get("properties")
    if walk_schema is None:  # pragma: no cover - every draft we read has the keyword
        return cls

    def properties(validator: Any, declared: Any, instance: Any, schema: Any) -> Any:
        if not (
            isinstance(declared, dict)
            and validator.is_type(instance, "object")
            and len(instance) < len(declared)
        ):
            yield from walk_schema(validator, declared, instance, schema)
            return
        for name, value in instance.items():
            if name in declared:
                yield from validator.descend(value, declared[name], path=name, schema_path=name)

    types = cls.TYPE_CHECKER
    if not isinstance(types, _PlainTypes):
        plain: Any = _PlainTypes  # (attrs' __init__, which the stubs do not know)
        types = plain(types._type_checkers)
    extend: Any = validators.extend  # untyped in jsonschema
    return extend(cls, {"properties": properties}, type_checker=types)
