"""Content models: what an object says about the properties it does not declare.

**open** (``additionalProperties`` absent or true, and no ``patternProperties``): any
undeclared property, with any value; **closed** (false): none; **partially open** (a schema in
``additionalProperties`` or ``patternProperties``): undeclared properties follow that schema.
``unevaluatedProperties`` plays ``additionalProperties`` where that is absent (2019-09 and
later; earlier drafts ignore it).
"""

from __future__ import annotations

from typing import Any, Final

from evreg.contracts.compat.diff.changes import dict_of
from evreg.contracts.compat.diff.schema_view import Node, is_metadata_only
from evreg.contracts.compat.matching import search

__all__ = [
    "APPLICATORS",
    "covering_schema",
    "extra_keyword",
    "extra_schema",
    "is_closed",
    "is_open",
]

# keywords beside which `unevaluated*` also sees what sub-schemas evaluated
APPLICATORS: Final = frozenset(
    {
        *("allOf", "anyOf", "oneOf", "if", "then", "else", "$ref", "$dynamicRef"),
        *("$recursiveRef", "dependentSchemas"),
    }
)


def extra_schema(value: Any) -> Any:
    """The schema of additional* when it constrains anything, else None (absent/true/{})."""
    if isinstance(value, dict) and value:
        return None if is_metadata_only(value) else value
    return None


def extra_keyword(node: Node) -> str:
    """The keyword that governs undeclared properties: ``additionalProperties``, or
    ``unevaluatedProperties`` where that is absent, the draft knows it and nothing beside it
    (``allOf``, ``$ref``, ``if``...) may evaluate more properties (then it is not read as a
    content model at all: the semantic guard checks what it does)."""
    raw = node.raw
    if (
        "additionalProperties" not in raw
        and node.view.modern
        and "unevaluatedProperties" in raw
        and raw.keys().isdisjoint(APPLICATORS)
    ):
        return "unevaluatedProperties"
    return "additionalProperties"


def _extra(node: Node) -> Any:
    return node.raw.get(extra_keyword(node))


def is_open(node: Node) -> bool:
    """Any undeclared property, with any value, is allowed."""
    raw = node.raw
    if raw.get("patternProperties"):
        return False
    keywords = ("additionalProperties", extra_keyword(node))
    for keyword in keywords:
        value = raw.get(keyword)
        if value is False or extra_schema(value) is not None:
            return False
    return True


def is_closed(node: Node) -> bool:
    """No undeclared property is allowed: :func:`covering_schema` is None for every name."""
    if node.raw.get("patternProperties"):
        return False
    return _extra(node) is False


def covering_schema(node: Node, name: str) -> Node | None:
    """What a partially open (or closed) object says about an undeclared property ``name``."""
    for pattern, schema in dict_of(node.raw.get("patternProperties")).items():
        if search(pattern, name):
            return node.child(schema, "patternProperties", pattern)
    keyword = extra_keyword(node)
    extra = node.raw.get(keyword)
    if extra is False:
        return None
    schema = extra_schema(extra)
    if schema is None:
        return node.view.node(True, None)
    return node.child(schema, keyword)
