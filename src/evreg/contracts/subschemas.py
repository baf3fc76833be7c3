"""Where subschemas sit in a JSON Schema node, and a copy of a schema for its meta-schema check.

``subschemas`` yields the schema-valued children of a node (``properties/a``, ``allOf/0``, ...).
``without_repeated_leaves`` serves the meta-schema check: a leaf subschema (one with no
subschemas of its own, such as ``{"type": "string"}``) is valid or not by its own content
alone, wherever it sits, so a leaf written exactly like an earlier one is checked once: it is
left out of ``properties``, ``$defs``, ``definitions`` and ``dependentSchemas`` (whose names
the meta-schemas do not check) and replaced by ``{}`` (valid in every draft) elsewhere. An
object of 100,000 ``{"type": "string"}`` properties is then one leaf for ``jsonschema`` to
check, not 100,000. An invalid leaf is kept where it first appears, so the error names that
place.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from evreg.contracts.model import Schema

# Keywords whose value is a schema, a list of schemas, or a map of name -> schema.
ONE = frozenset(
    {"additionalItems", "additionalProperties", "contains", "contentSchema", "else", "if"}
    | {"items", "not", "propertyNames", "then", "unevaluatedItems", "unevaluatedProperties"}
)
LIST = frozenset({"allOf", "anyOf", "oneOf", "prefixItems", "items"})
MAP = frozenset(
    {"$defs", "definitions", "dependentSchemas", "patternProperties", "properties"}
    | {"dependencies"}
)
_ALL = ONE | LIST | MAP
# Maps whose names the meta-schemas do not check (patternProperties' names must be regexes):
# a repeated leaf is left out of them altogether rather than replaced.
_NAMES_UNCHECKED = frozenset({"$defs", "definitions", "dependentSchemas", "properties"})
_REPEAT: Any = object()
_WALKED = _ALL | {"$ref", "$id", "id"}


def has_more(node: Any) -> bool:
    """``node`` is a schema with subschemas, a ``$ref`` or an ``$id`` (or draft-04 ``id``)."""
    return isinstance(node, dict) and not node.keys().isdisjoint(_WALKED)


def subschemas(node: dict[str, Any]) -> Iterable[tuple[Any, tuple[str | int, ...]]]:
    """Each schema-valued child of ``node`` with its path below ``node``, in document order."""
    for key, value in node.items():
        if key in ONE and isinstance(value, dict | bool):
            yield value, (key,)
        elif key in LIST and isinstance(value, list):
            for i, item in enumerate(value):
                yield item, (key, i)
        elif key in MAP and isinstance(value, dict):
            for name, item in value.items():
                if isinstance(item, dict | bool):
                    yield item, (key, name)


def without_repeated_leaves(
    schema: Schema, keywords: frozenset[str], *, item_lists: bool = True
) -> Schema:
    """A copy of ``schema`` without its repeated leaves (the leaves themselves are not copied).

    ``keywords``: the keywords the meta-schema checks (its ``properties``); only subschemas it
    checks are walked, so only those count as seen. ``item_lists``: ``items`` may be a list of
    schemas (before 2020-12).
    """
    one, many, named = ONE & keywords, (LIST & keywords), MAP & keywords
    if not item_lists:
        many = many - {"items"}
    walked = one | many | named
    seen: set[str] = set()

    def child(node: Any) -> Any:
        if isinstance(node, dict) and node and node.keys().isdisjoint(walked):
            text = repr(node)  # equal only for equal JSON values (in the same key order)
            if text in seen:
                return _REPEAT
            seen.add(text)
            return node
        return copy(node)

    def copy(node: Any) -> Any:
        if not isinstance(node, dict):
            return node
        out = dict(node)
        for key, value in node.items():
            if key in one and isinstance(value, dict | bool):
                out[key] = {} if (c := child(value)) is _REPEAT else c
            elif key in many and isinstance(value, list):
                out[key] = [{} if (c := child(item)) is _REPEAT else c for item in value]
            elif key in named and isinstance(value, dict):
                kept = {
                    name: child(item) if isinstance(item, dict) else item
                    for name, item in value.items()
                }
                if key in _NAMES_UNCHECKED:  # drop the repeats: not even ``{}`` to descend into
                    kept = {name: item for name, item in kept.items() if item is not _REPEAT}
                out[key] = {name: {} if item is _REPEAT else item for name, item in kept.items()}
        return out

    return copy(schema)  # type: ignore[no-any-return]
