"""Cycles of subschemas that apply to the same value, which no validator can evaluate.

``X = {"anyOf": [{"type": "string"}, {"$ref": "#/$defs/X"}]}`` reads no part of the value
between ``X`` and ``X``: a validator given a non-string recurses until its stack runs out
(``jsonschema`` raises ``RecursionError``). Such a schema is refused where it is loaded, at the
place the cycle comes back to, rather than accepted and failing every later check against it.

The edges are the *in-place* applicators, whose subschemas apply to the value itself: ``$ref``
(and nothing else beside it in drafts before 2019-09, where its siblings are ignored),
``allOf``/``anyOf``/``oneOf``, ``not``, ``if``/``then``/``else``, ``dependentSchemas`` and
draft-04..07 ``dependencies`` in their schema form. ``properties``, ``items`` and the like
descend into a part of the value, so a recursive schema through them (a tree) is fine.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from evreg.contracts.errors import ContractError

_ONE = ("not", "if", "then", "else")
_LIST = ("allOf", "anyOf", "oneOf")
_MAP = ("dependentSchemas", "dependencies")


def in_place_children(node: dict[str, Any], *, ref_only: bool) -> Iterator[Any]:
    """The subschemas of ``node`` that apply to the same value as ``node`` (``$ref`` aside)."""
    if ref_only:
        return
    for key in _ONE:
        child = node.get(key)
        if isinstance(child, dict):
            yield child
    for key in _LIST:
        items = node.get(key)
        if isinstance(items, list):
            yield from (item for item in items if isinstance(item, dict))
    for key in _MAP:
        named = node.get(key)
        if isinstance(named, dict):
            yield from (item for item in named.values() if isinstance(item, dict))


class InPlaceGraph:
    """Nodes (by identity) with their in-place edges; ``check`` refuses a cycle."""

    def __init__(self) -> None:
        self.edges: dict[int, list[int]] = {}
        self.where: dict[int, str] = {}
        self._done: set[int] = set()
        self._new: list[int] = []  # nodes added since the last check (each root's walk)

    def add(self, node: dict[str, Any], at: str, *, ref_only: bool) -> None:
        self.where.setdefault(id(node), at)
        self._new.append(id(node))
        targets = self.edges.setdefault(id(node), [])
        targets.extend(id(child) for child in in_place_children(node, ref_only=ref_only))

    def add_ref(self, node: dict[str, Any], target: Any) -> None:
        if isinstance(target, dict):
            self.edges.setdefault(id(node), []).append(id(target))

    def check(self) -> None:
        """Raise a ContractError at the first node a cycle of in-place edges comes back to."""
        on_path: set[int] = set()
        starts, self._new = self._new, []
        for start in starts:
            if start in self._done:
                continue
            stack: list[tuple[int, Iterator[int]]] = [(start, iter(self.edges[start]))]
            on_path.add(start)
            while stack:
                node, pending = stack[-1]
                child = next(pending, None)
                if child is None:
                    stack.pop()
                    on_path.discard(node)
                    self._done.add(node)
                elif child in on_path:
                    raise ContractError(
                        "the schema refers to itself through $ref and allOf/anyOf/oneOf/not/"
                        "if/then/else/dependentSchemas without reading any part of the value "
                        "in between (a validator would recurse forever)",
                        pointer=self.where.get(child),
                    )
                elif child not in self._done and child in self.edges:
                    on_path.add(child)
                    stack.append((child, iter(self.edges[child])))
                else:
                    self._done.add(child)
