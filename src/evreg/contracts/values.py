"""Bounds and checks for JSON values that did not come from our own YAML reader.

Both walks are iterative: a document nested 10,000 deep is refused, never a RecursionError.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from evreg.contracts import pointer
from evreg.contracts.errors import ContractError
from evreg.contracts.model import JSONValue

MAX_DEPTH = 128  # nesting levels of objects/arrays a contract may have
MAX_NODES = 1_000_000  # values in a document once YAML aliases are expanded

# A path to a node, as a linked list (parent, key): cheap to build, turned into a pointer on error.
_Path = tuple[Any, str | int] | None


def path_pointer(path: _Path) -> str:
    keys: list[str | int] = []
    while path is not None:
        path, key = path
        keys.append(key)
    return pointer.join(pointer.ROOT, *reversed(keys))


def too_deep(at: str) -> ContractError:
    return ContractError(f"document is nested more than {MAX_DEPTH} levels deep", pointer=at)


def check_depth(value: JSONValue) -> None:
    """Refuse a parsed JSON value nested deeper than ``MAX_DEPTH`` (containers only count)."""
    stack: list[tuple[Any, int, _Path]] = [(value, 1, None)]
    while stack:
        node, depth, path = stack.pop()
        if isinstance(node, dict):
            items: Any = node.items()
        elif isinstance(node, list):
            items = enumerate(node)
        else:
            continue
        if depth > MAX_DEPTH:
            raise too_deep(path_pointer(path))
        for key, child in items:
            if isinstance(child, dict | list):
                stack.append((child, depth + 1, (path, key)))


def to_json_value(value: Any) -> JSONValue:
    """Copy a caller's parsed value into plain dicts/lists, checking that it is JSON.

    Refuses non-string keys, non-JSON scalars (NaN, sets, bytes, ...), cycles, nesting past
    ``MAX_DEPTH`` and more than ``MAX_NODES`` values (a shared sub-object counts each time).
    """
    root: list[JSONValue] = [None]
    # (value, parent container, key in parent, depth, path, ids of containers on the way down)
    stack: list[tuple[Any, Any, Any, int, _Path, frozenset[int]]] = [
        (value, root, 0, 1, None, frozenset())
    ]
    count = 0
    while stack:
        node, parent, key, depth, path, above = stack.pop()
        count += 1
        if count > MAX_NODES:
            raise ContractError(f"document has more than {MAX_NODES} values", pointer="#")
        if isinstance(node, Mapping | list | tuple):
            at_depth = depth
            if at_depth > MAX_DEPTH:
                raise too_deep(path_pointer(path))
            if id(node) in above:
                raise ContractError("document contains a cycle", pointer=path_pointer(path))
            below = above | {id(node)}
            if isinstance(node, Mapping):
                copy: dict[str, JSONValue] = {}
                parent[key] = copy
                for k, child in node.items():
                    if not isinstance(k, str):
                        raise ContractError(
                            f"object key {k!r} is not a string", pointer=path_pointer(path)
                        )
                    copy[k] = None
                    stack.append((child, copy, k, depth + 1, (path, k), below))
            else:
                items: list[JSONValue] = [None] * len(node)
                parent[key] = items
                for i, child in enumerate(node):
                    stack.append((child, items, i, depth + 1, (path, i), below))
        else:
            parent[key] = _scalar(node, path)
    return root[0]


def _scalar(node: Any, path: _Path) -> JSONValue:
    if node is None or isinstance(node, str | bool | int):
        return node
    if isinstance(node, float):
        if not math.isfinite(node):
            raise ContractError(f"{node!r} is not a JSON number", pointer=path_pointer(path))
        return node
    kind = type(node).__name__
    if isinstance(node, Sequence | bytes):
        kind = f"{kind} (use a list)"
    raise ContractError(f"a {kind} is not a JSON value", pointer=path_pointer(path))
