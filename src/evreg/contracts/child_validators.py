"""A ``jsonschema`` validator class that builds the validator of each sub-schema it descends
into once, instead of once per descent.

``jsonschema``'s ``descend`` makes, for every sub-schema it validates an instance against (a
property's schema, an item's, an ``anyOf`` alternative...), a resource of the sub-schema, the
resolver in it and a new validator (``evolve``): about half of validating a small event. The
class made here keeps the validator built for a sub-schema object, under the same resolver and
format checker, and asks it again the next time: the same validator class, resolver, keywords
and error details (``iter_errors`` of that validator, its path and schema path extended as
``descend`` does). A descent with a resolver of its own (a ``$ref`` being followed) and the
``true``/``false`` schemas go through ``jsonschema``'s own ``descend``.

Its ``is_valid`` asks the keywords in turn and stops at the first error a keyword yields, as
``jsonschema``'s does through ``iter_errors``, without then setting that error's details and
schema path (nobody reads them): the same verdict, and the same exception where a keyword
raises.

Used for the validators that confirm witnesses (``compat.matching.validator_class``) and for
the meta-schema check (``jsonschema_doc``; the same classes): the real ``jsonschema`` keywords
still decide every verdict.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Final

import referencing
import referencing.jsonschema

__all__ = ["reusing_children"]

_MAX_CHILDREN: Final = 4096  # sub-schema validators kept per class (emptied when full)


def reusing_children(cls: Any) -> Any:
    """``cls`` (a ``jsonschema`` validator class made for evreg, changed in place and
    returned) whose ``descend`` reuses the validator of a sub-schema, and whose ``is_valid``
    stops at a keyword's first error (once: a class made so is returned as it is)."""
    if cls.__dict__.get("_reuses_children"):
        return cls
    plain_descend = cls.descend
    specification = referencing.jsonschema.specification_with(
        dialect_id=cls.ID_OF(cls.META_SCHEMA) or "urn:unknown-dialect",
        default=referencing.Specification.OPAQUE,
    )
    # (sub-schema, parent resolver, format checker) ids -> the objects (kept alive, so that
    # no id is reused while the entry lives) and the sub-schema's validator
    children: dict[tuple[int, int, int], tuple[Any, Any, Any, Any]] = {}

    def descend(
        self: Any,
        instance: Any,
        schema: Any,
        path: Any = None,
        schema_path: Any = None,
        resolver: Any = None,
    ) -> Iterator[Any]:
        if resolver is not None or self._ref_resolver is not None or type(schema) is not dict:
            yield from plain_descend(self, instance, schema, path, schema_path, resolver)
            return
        key = (id(schema), id(self._resolver), id(self.format_checker))
        found = children.get(key)
        if found is None:
            # what jsonschema's descend builds for it
            inner = self._resolver.in_subresource(specification.create_resource(schema))
            evolved = self.evolve(schema=schema, _resolver=inner)
            if len(children) >= _MAX_CHILDREN:
                children.clear()
            found = children[key] = (schema, self._resolver, self.format_checker, evolved)
        for error in found[3].iter_errors(instance):
            if path is not None:
                error.path.appendleft(path)
            if schema_path is not None:
                error.schema_path.appendleft(schema_path)
            yield error

    plain_is_valid = cls.is_valid

    def is_valid(self: Any, instance: Any, _schema: Any = None) -> bool:
        # jsonschema's is_valid asks iter_errors for a first error, which sets the error's
        # details and its schema path first; a keyword's own error is the same answer
        if _schema is not None:
            return bool(plain_is_valid(self, instance, _schema))
        schema = self.schema
        if schema is True or schema is False:
            return schema
        for keyword, _, value in self._validators:
            for _error in keyword(self, value, instance, schema) or ():
                return False
        return True

    cls.descend = descend
    cls.is_valid = is_valid
    cls._reuses_children = True
    return cls
