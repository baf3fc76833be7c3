"""Check the schemas of a contract: meta-schema validity and every ``$ref`` they use.

Starting from the root schemas (a JSON Schema document, or each AsyncAPI payload and headers
schema), every subschema is walked iteratively; each ``$ref`` must resolve (locally, or in the
caller's ``references``) and must reach a schema rather than loop through ``$ref``-only nodes.
A referenced schema outside the roots (``#/components/schemas/Money``, ``common.json#/Id``) is
itself checked against its meta-schema and walked.
"""

from __future__ import annotations

from collections import deque

from evreg.contracts import pointer
from evreg.contracts.inplace_cycles import InPlaceGraph
from evreg.contracts.jsonschema_doc import check_schema, detect_draft
from evreg.contracts.refs import RefResolver, Target, legacy_ref
from evreg.contracts.subschemas import has_more, subschemas


class SchemaChecker:
    """Checks root schemas and everything they reference, each schema once."""

    def __init__(self, refs: RefResolver) -> None:
        self.refs = refs
        self.checked: list[str] = []  # pointers of schemas checked against a meta-schema
        self.walked: set[int] = set()
        self.queue: deque[tuple[Target, str]] = deque()
        self.in_place = InPlaceGraph()  # a cycle of it would make a validator recurse forever

    def check(self, root: Target, draft: str, *, canonical: str | None = None) -> None:
        """Check ``root`` (whose ``canonical_json`` text the caller may have already)."""
        self.queue.append((root, draft))
        while self.queue:
            target, target_draft = self.queue.popleft()
            if id(target.contents) in self.walked:
                continue
            if not any(pointer.is_within(target.pointer, done) for done in self.checked):
                text = canonical if target is root else None
                check_schema(target.contents, target_draft, at=target.pointer, canonical=text)
                self.checked.append(target.pointer)
            self._walk(target, target_draft)
        self.in_place.check()

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
            ref_only = "$ref" in node and legacy_ref(draft)  # its siblings are ignored
            self.in_place.add(node, target.pointer, ref_only=ref_only)
            if "$ref" in node:
                self._reference(target, draft)
            children = [  # a plain leaf ({"type": "string"}) has nothing more to walk
                self.refs.within(target, child, pointer.join(target.pointer, *keys))
                for child, keys in subschemas(node)
                if has_more(child)
            ]
            stack.extend(reversed(children))  # document order: errors name the first place

    def _reference(self, target: Target, draft: str) -> None:
        at = pointer.join(target.pointer, "$ref")
        found = self.refs.lookup(target.contents["$ref"], origin=target, at=at)
        found = self.refs.follow(found, draft=draft, at=at)
        self.in_place.add_ref(target.contents, found.contents)
        if id(found.contents) not in self.walked:
            found_draft = detect_draft(found.contents, at=found.pointer, default=draft)
            self.queue.append((found, found_draft))
