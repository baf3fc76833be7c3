"""Check the schemas of a contract: meta-schema validity and every ``$ref`` they use.

Starting from the root schemas (a JSON Schema document, or each AsyncAPI payload and headers
schema), every subschema is walked iteratively; each ``$ref`` must resolve (locally, or in the
caller's ``references``) and must reach a schema rather than loop through ``$ref``-only nodes.
A referenced schema outside the roots (``#/components/schemas/Money``, ``common.json#/Id``) is
itself checked against its meta-schema and walked.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from typing import Any

from evreg.contracts import pointer
from evreg.contracts.jsonschema_doc import check_schema, detect_draft
from evreg.contracts.refs import RefResolver, Target

# Keywords whose value is a schema, a list of schemas, or a map of name -> schema.
_ONE = frozenset(
    {"additionalItems", "additionalProperties", "contains", "contentSchema", "else", "if"}
    | {"items", "not", "propertyNames", "then", "unevaluatedItems", "unevaluatedProperties"}
)
_LIST = frozenset({"allOf", "anyOf", "oneOf", "prefixItems", "items"})
_MAP = frozenset(
    {"$defs", "definitions", "dependentSchemas", "patternProperties", "properties"}
    | {"dependencies"}
)


def _subschemas(node: dict[str, Any]) -> Iterable[tuple[Any, tuple[str | int, ...]]]:
    for key, value in node.items():
        if key in _ONE and isinstance(value, dict | bool):
            yield value, (key,)
        elif key in _LIST and isinstance(value, list):
            for i, item in enumerate(value):
                yield item, (key, i)
        elif key in _MAP and isinstance(value, dict):
            for name, item in value.items():
                if isinstance(item, dict | bool):
                    yield item, (key, name)


class SchemaChecker:
    """Checks root schemas and everything they reference, each schema once."""

    def __init__(self, refs: RefResolver) -> None:
        self.refs = refs
        self.checked: list[str] = []  # pointers of schemas checked against a meta-schema
        self.walked: set[int] = set()
        self.queue: deque[tuple[Target, str]] = deque()

    def check(self, root: Target, draft: str) -> None:
        self.queue.append((root, draft))
        while self.queue:
            target, target_draft = self.queue.popleft()
            if id(target.contents) in self.walked:
                continue
            if not any(pointer.is_within(target.pointer, done) for done in self.checked):
                check_schema(target.contents, target_draft, at=target.pointer)
                self.checked.append(target.pointer)
            self._walk(target, target_draft)

    def _walk(self, top: Target, draft: str) -> None:
        stack = [top]
        while stack:
            target = stack.pop()
            node = target.contents
            if not isinstance(node, dict) or id(node) in self.walked:
                continue
            self.walked.add(id(node))
            if "$id" in node or "id" in node:
                target = self.refs.enter(target, draft)
            if "$ref" in node:
                self._reference(target, draft)
            children = [
                self.refs.within(target, child, pointer.join(target.pointer, *keys))
                for child, keys in _subschemas(node)
            ]
            stack.extend(reversed(children))  # document order: errors name the first place

    def _reference(self, target: Target, draft: str) -> None:
        at = pointer.join(target.pointer, "$ref")
        found = self.refs.lookup(target.contents["$ref"], origin=target, at=at)
        found = self.refs.follow(found, draft=draft, at=at)
        if id(found.contents) not in self.walked:
            found_draft = detect_draft(found.contents, at=found.pointer, default=draft)
            self.queue.append((found, found_draft))
