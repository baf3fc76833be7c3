"""Bounds and checks for JSON values that did not come from our own YAML reader.

Both walks are iterative: a document nested 10,000 deep is refused, never a RecursionError.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

from evreg.contracts import pointer
from evreg.contracts.errors import ContractError
from evreg.contracts.model import JSONValue

MAX_DEPTH = 128  # nesting levels of objects/arrays a contract may have
MAX_NODES = 1_000_000  # values in a document once YAML aliases are expanded
MAX_INT_DIGITS = 4300  # digits of an integer literal (Python's own bound on int(str))
# Characters no stored contract may hold: NUL (PostgreSQL text cannot store it) and lone
# surrogates (not Unicode characters: they have no UTF-8 form).
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")

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


def too_many_digits(digits: int) -> str:
    return f"an integer literal of {digits:,} digits; at most {MAX_INT_DIGITS:,} are allowed"


def unstorable(text: str) -> str | None:
    """Why ``text`` cannot be stored (a NUL or a lone surrogate, and where), or None."""
    found = _UNSTORABLE.search(text)
    if found is None:
        return None
    code = ord(found.group())
    what = (
        "a NUL character (U+0000), which cannot be stored"
        if code == 0
        else f"a lone surrogate (U+{code:04X}), which is not a Unicode character"
    )
    return f"{what}, at character {found.start() + 1} of {text[:40]!r}"


def check_scalars(value: JSONValue) -> None:
    """Refuse a string (value or key) that cannot be stored, and a number JSON cannot write."""
    stack: list[tuple[Any, _Path]] = [(value, None)]
    while stack:
        node, path = stack.pop()
        if isinstance(node, dict):
            for key, child in node.items():
                if (why := unstorable(key)) is not None:  # the pointer would hold it too
                    raise ContractError(f"a property name holds {why}", pointer=path_pointer(path))
                stack.append((child, (path, key)))
        elif isinstance(node, list):
            stack.extend((child, (path, i)) for i, child in enumerate(node))
        elif isinstance(node, str) and (why := unstorable(node)) is not None:
            raise ContractError(f"this string holds {why}", pointer=path_pointer(path))
        elif isinstance(node, float) and not math.isfinite(node):
            raise ContractError(
                "this number is too large for a 64-bit float", pointer=path_pointer(path)
            )


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
                    if (why := unstorable(k)) is not None:
                        raise ContractError(
                            f"a property name holds {why}", pointer=path_pointer(path)
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
    if isinstance(node, str) and (why := unstorable(node)) is not None:
        raise ContractError(f"this string holds {why}", pointer=path_pointer(path))
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
