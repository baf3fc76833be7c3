"""Where the sub-schemas of a JSON Schema document are, and local ``$ref`` resolution.

The fuzzer's own walk (it shares nothing with evreg's): every object sub-schema with its JSON
Pointer, by the keywords of draft-07 and 2020-12 that hold schemas.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

#: keywords whose value is one schema
SINGLE = (
    "additionalProperties",
    "additionalItems",
    "unevaluatedProperties",
    "unevaluatedItems",
    "items",
    "contains",
    "propertyNames",
    "not",
    "if",
    "then",
    "else",
)
#: keywords whose value maps names to schemas
MAPS = ("properties", "patternProperties", "$defs", "definitions", "dependentSchemas")
#: keywords whose value is a list of schemas
LISTS = ("allOf", "anyOf", "oneOf", "prefixItems", "items")


def escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def children(node: dict[str, Any], at: str) -> Iterator[tuple[str, Any]]:
    """The direct sub-schemas of ``node`` (dicts and booleans), with their pointers."""
    for key in SINGLE:
        value = node.get(key)
        if isinstance(value, dict | bool):
            yield f"{at}/{key}", value
    for key in MAPS:
        value = node.get(key)
        if isinstance(value, dict):
            for name, sub in value.items():
                if isinstance(sub, dict | bool):
                    yield f"{at}/{key}/{escape(name)}", sub
    deps = node.get("dependencies")
    if isinstance(deps, dict):
        for name, sub in deps.items():
            if isinstance(sub, dict | bool):
                yield f"{at}/dependencies/{escape(name)}", sub
    for key in LISTS:
        value = node.get(key)
        if isinstance(value, list):
            for i, sub in enumerate(value):
                if isinstance(sub, dict | bool):
                    yield f"{at}/{key}/{i}", sub


def subschemas(root: Any) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every object sub-schema of ``root`` (itself first), with its pointer ("" is the root)."""
    stack: list[tuple[str, Any]] = [("", root)]
    seen: set[int] = set()
    while stack:
        at, node = stack.pop()
        if not isinstance(node, dict) or id(node) in seen:
            continue
        seen.add(id(node))
        yield at, node
        stack.extend(reversed(list(children(node, at))))


def resolve(root: Any, ref: str) -> tuple[str, Any] | None:
    """``(pointer, schema)`` a local ``$ref`` (``#/...`` or ``#``) names in ``root``, else None."""
    if ref == "#":
        return "", root
    if not ref.startswith("#/"):
        return None
    node = root
    for raw in ref[2:].split("/"):
        part = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return None
    return ref[1:], node


def refs_resolve(root: Any) -> bool:
    """Every ``$ref`` in ``root`` is local and names a schema of ``root``, and no chain of
    ``$ref``s comes back to where it started."""
    for _, node in subschemas(root):
        seen: set[int] = set()
        while isinstance(node, dict) and "$ref" in node:
            if id(node) in seen:
                return False
            seen.add(id(node))
            ref = node["$ref"]
            found = resolve(root, ref) if isinstance(ref, str) else None
            if found is None or not isinstance(found[1], dict | bool):
                return False
            node = found[1]
    return True


def contains_keyword(root: Any, keyword: str) -> bool:
    return any(keyword in node for _, node in subschemas(root))
