"""``$ref`` resolution inside one document plus the documents the caller handed in.

Built on ``referencing``: the document and each entry of ``references`` are resources of one
``Registry`` that has no retrieval function, so an external ``$ref`` (``http://``, ``file://``,
``common.json#/x``) resolves only against ``references`` and is never fetched. The bundled
JSON Schema meta-schemas are in the registry too (they ship with ``jsonschema``; no I/O).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urldefrag, urljoin

from jsonschema_specifications import REGISTRY as _BUNDLED  # type: ignore[import-untyped]
from referencing import Registry, Resource, Specification
from referencing.exceptions import Unresolvable
from referencing.jsonschema import specification_with

from evreg.contracts import pointer
from evreg.contracts.errors import ContractError
from evreg.contracts.jsonschema_doc import detect_draft
from evreg.contracts.model import DRAFT4, DRAFT6, DRAFT7, DRAFT2020, JSONValue

if TYPE_CHECKING:
    from referencing._core import Resolver  # not re-exported by `referencing`

# Keywords that may sit beside ``$ref`` without making the node more than a pointer elsewhere.
_ANNOTATIONS = frozenset(
    {"$ref", "$id", "id", "$schema", "$anchor", "$dynamicAnchor", "$comment", "$defs"}
    | {"definitions", "title", "description", "default", "examples", "deprecated"}
    | {"readOnly", "writeOnly", "$vocabulary"}
)
META_SCHEMAS: Registry[Any] = _BUNDLED  # the meta-schemas, bundled with jsonschema
_LEGACY_REF = frozenset({DRAFT4, DRAFT6, DRAFT7})  # siblings of $ref are ignored there


def legacy_ref(draft: str) -> bool:
    """In ``draft``, the siblings of ``$ref`` are ignored (drafts 4 to 7)."""
    return draft in _LEGACY_REF


def spec_for(draft: str) -> Specification[Any]:
    return specification_with(draft)


def _draft_of(document: JSONValue, default: str) -> str:
    try:
        return detect_draft(document, default=default)
    except ContractError:
        return default  # the document's own check reports an unknown $schema


@dataclass(frozen=True, slots=True)
class Target:
    """A node reached in the document set, with what resolves ``$ref``s written inside it."""

    contents: JSONValue
    pointer: str  # "#/a/b" in the main document, "<reference name>#/a/b" in another one
    resolver: Resolver[Any]
    base: str  # the base URI for labels (the resolver has its own, private)


def is_pure_ref(node: JSONValue, draft: str) -> bool:
    """True when ``node`` is only a pointer elsewhere (following it must lead to a schema)."""
    if not isinstance(node, dict) or not isinstance(node.get("$ref"), str):
        return False
    return draft in _LEGACY_REF or node.keys() <= _ANNOTATIONS


class RefResolver:
    """Resolves ``$ref``s against one document and the caller's ``references``."""

    def __init__(
        self,
        document: JSONValue,
        *,
        references: Mapping[str, JSONValue],
        draft: str | None = None,
    ) -> None:
        spec = Specification.OPAQUE if draft is None else spec_for(draft)
        root = spec.create_resource(document)
        self.base = root.id() or ""
        self.names: dict[str, str] = {}  # URI -> the name the caller used
        resources: list[tuple[str, Resource[Any]]] = [(self.base, root)]
        for name, contents in references.items():
            resource = spec_for(_draft_of(contents, draft or DRAFT2020)).create_resource(contents)
            bare = urldefrag(name).url
            for uri in (bare, urljoin(self.base, bare), resource.id()):
                if uri and uri != self.base:
                    resources.append((uri, resource))
                    self.names.setdefault(uri, bare)
        self.registry: Registry[Any] = META_SCHEMAS.with_resources(resources)
        self.root = Target(document, pointer.ROOT, self.registry.resolver(self.base), self.base)

    def lookup(self, ref: object, *, origin: Target, at: str) -> Target:
        """Resolve ``ref`` written at pointer ``at`` inside ``origin``."""
        if not isinstance(ref, str):
            raise ContractError(f"$ref must be a string, not {ref!r}", pointer=at)
        if ref.startswith("#"):
            uri, fragment = origin.base, ref[1:]
        else:
            uri, fragment = urldefrag(urljoin(origin.base, ref))
        try:
            resolved = origin.resolver.lookup(ref)
        except (Unresolvable, LookupError, ValueError, TypeError):
            raise self._unresolvable(ref, uri, at) from None
        return Target(resolved.contents, self._label(uri, fragment), resolved.resolver, uri)

    def deref(self, target: Target) -> Target:
        """Follow Reference Objects (``{"$ref": ...}``) until a real object; refuse loops."""
        seen: set[int] = set()
        while isinstance(target.contents, dict) and "$ref" in target.contents:
            if id(target.contents) in seen:
                raise ContractError("circular $ref never reaches an object", pointer=target.pointer)
            seen.add(id(target.contents))
            at = pointer.join(target.pointer, "$ref")
            target = self.lookup(target.contents["$ref"], origin=target, at=at)
        return target

    def follow(self, target: Target, *, draft: str, at: str) -> Target:
        """Follow ``$ref``-only schemas from ``target``; a loop of them is an error at ``at``."""
        seen: set[int] = set()
        while is_pure_ref(target.contents, draft):
            if id(target.contents) in seen:
                raise ContractError(
                    "circular $ref: it only ever points at other $refs, never at a schema",
                    pointer=at,
                )
            seen.add(id(target.contents))
            ref = target.contents["$ref"]
            target = self.lookup(ref, origin=target, at=pointer.join(target.pointer, "$ref"))
        return target

    def within(self, target: Target, contents: JSONValue, at: str) -> Target:
        """A node inside ``target``'s document, at pointer ``at``."""
        return Target(contents, at, target.resolver, target.base)

    def enter(self, target: Target, draft: str) -> Target:
        """Account for an embedded ``$id`` that changes the base URI of ``target``'s node."""
        resource = spec_for(draft).create_resource(target.contents)
        uri = resource.id()
        if uri is None:
            return target
        return Target(
            target.contents,
            target.pointer,
            target.resolver.in_subresource(resource),
            urljoin(target.base, uri),
        )

    def _label(self, uri: str, fragment: str) -> str:
        if uri == self.base:
            return "#" + fragment
        return f"{self.names.get(uri, uri)}#{fragment}"

    def _unresolvable(self, ref: str, uri: str, at: str) -> ContractError:
        if uri != self.base and uri not in self.names and uri not in META_SCHEMAS:
            return ContractError(
                f"external $ref {ref!r} is not among the references given "
                "(evreg never fetches files or URLs: pass the document in `references`)",
                pointer=at,
            )
        return ContractError(f"$ref {ref!r} points to nothing", pointer=at)
