"""The two sides of a witness search: documents, resolvers, validators, cached per thread.

A ``Side`` is the writer or the reader schema of a check: a ``referencing`` registry of its
document and resources, a scope (a ``sample.Context``) per base URI, the schema node at each
pointer, one real validator per node, and the memo its samplers share. Building them is most of
the cost of a small search, and the same schemas recur (a transitive check reads the new version
against every earlier one; a registry checks against its latest versions again and again), so
``side_for`` keeps the last few sides of each thread, keyed by the identity of the document
(held, so that the id is not reused) and the pointer, dialect, resources and role.

``Scope.accepts`` answers with the quick check when it is sure and with ``jsonschema``
otherwise; ``proves`` always ends with ``jsonschema``: a witness is never reported on the quick
check's word.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import unquote, urldefrag, urljoin, urlsplit

import referencing.jsonschema
from jsonschema.protocols import Validator
from referencing import Registry
from referencing.exceptions import Unresolvable

from evreg.contracts.compat.matching import PatternError, dialect_class, validator_class
from evreg.contracts.compat.proofs.quick_check import quick_check
from evreg.contracts.compat.witness.branches import SamplerMemo
from evreg.contracts.compat.witness.constraints import MISSING, Node, canon, draft_version
from evreg.contracts.model import Schema, SchemaRef

if TYPE_CHECKING:
    from referencing._core import Resolver  # not re-exported by referencing

__all__ = ["Root", "Scope", "Side", "accepts", "proves", "rejects", "side_for"]

_MAX_SIDES: Final = 1024  # sides kept per thread (a few KiB each for a typical schema)
_local = threading.local()


def side_for(ref: SchemaRef, *, writer: bool) -> Side:
    """The side for ``ref`` in the writer (formats asserted) or the reader role."""
    cache: OrderedDict[tuple[Any, ...], Side] | None = getattr(_local, "sides", None)
    if cache is None:
        cache = _local.sides = OrderedDict()
    key = (id(ref.document), ref.pointer, ref.draft, id(ref.resources), writer)
    side = cache.get(key)
    if side is not None and side.ref.document is ref.document:
        cache.move_to_end(key)
        return side
    side = cache[key] = Side(ref, "writer" if writer else "reader", formats=writer)
    if len(cache) > _MAX_SIDES:
        cache.popitem(last=False)
    return side


class Scope:
    """A sample.Context: one base URI among one side's documents."""

    __slots__ = ("_refs", "_resolver", "_side")

    def __init__(self, side: Side, resolver: Resolver[Any] | None) -> None:
        """``resolver`` None: a document without ``$ref``s (nothing to resolve, and its
        validators are built without a ``referencing`` registry)."""
        self._side, self._resolver = side, resolver
        self._refs: dict[str, tuple[Schema, Scope] | None] = {}

    def resolve(self, ref: str) -> tuple[Schema, Scope] | None:
        if self._resolver is None:
            return None
        if ref not in self._refs:
            try:
                resolved = self._resolver.lookup(ref)
            except Unresolvable:
                self._refs[ref] = None
            else:
                self._refs[ref] = (resolved.contents, self._side.scope(resolved.resolver))
        return self._refs[ref]

    def accepts(self, schema: Schema, value: Any) -> bool:
        """Valid, by the quick check when it is sure, else by the real validator."""
        answer = self._side.quick.check(schema, self, value)  # (what sure() answers)
        if answer is not None:
            return answer
        return self._side.validator(schema, self._resolver).is_valid(value)

    def sure(self, schema: Schema, value: Any) -> bool | None:
        """The quick check's answer: True / False when it is sure, else None."""
        return self._side.quick.check(schema, self, value)

    def validates(self, schema: Schema, value: Any) -> bool:
        """Valid by the real validator (what a reported witness must pass)."""
        return self._side.validator(schema, self._resolver).is_valid(value)


Root = tuple[Schema, Scope]  # a node of one side, in its scope


class Side:
    """The writer or the reader: its documents, resolvers and validators, built lazily.

    Shared by the finders of one thread (``side_for``): it holds only what depends on the
    documents alone, and a memo that samplers of these documents share.
    """

    def __init__(self, ref: SchemaRef, name: str, *, formats: bool) -> None:
        self.ref = ref
        self.memo = SamplerMemo()
        self.quick = quick_check(ref.draft, formats=formats)
        self._urn = f"urn:evreg:{name}"
        self._formats = formats
        self._id = "id" if draft_version(ref.draft) < 6 else "$id"
        self._base = self._urn
        self._resolver: Resolver[Any] | None = None
        self._scopes: dict[str, Scope] = {}
        self._nodes: dict[str, Root | None] = {}
        self._validators: dict[int, tuple[Schema, Validator]] = {}
        self._plain: Scope | None = None  # the scope of a document without $refs
        self._refs: bool | None = None
        self._formats_used: bool | None = None

    def has_refs(self) -> bool:
        """The document or its resources hold a ``$ref`` (or dynamic/recursive reference)."""
        if self._refs is None:
            self._refs = bool(self.ref.resources) or _holds(self.ref.document, _REF_KEYWORDS)
        return self._refs

    def uses_formats(self) -> bool:
        """The document (or a resource) holds a ``format`` keyword."""
        if self._formats_used is None:
            documents = [self.ref.document, *self.ref.resources.values()]
            self._formats_used = any(_holds(doc, _FORMAT) for doc in documents)
        return self._formats_used

    def _root_resolver(self) -> Resolver[Any]:
        if self._resolver is None:
            self._resolver = self._registry().resolver(base_uri=self._base)
        return self._resolver

    def _registry(self) -> Registry[Any]:
        spec = referencing.jsonschema.specification_with(
            self.ref.draft, default=referencing.jsonschema.DRAFT202012
        )
        doc = spec.create_resource(self.ref.document)
        registry: Registry[Any] = Registry().with_resource(self._urn, doc)
        root_id = doc.id() if self.ref.pointer in ("", "#") else None
        root_id = urldefrag(root_id).url if root_id else None
        if root_id:
            registry = registry.with_resource(root_id, doc)
            if urlsplit(root_id).scheme:  # relative refs in the schema resolve against its $id
                self._base = root_id
        for name, contents in self.ref.resources.items():
            res = spec.create_resource(contents)
            for uri in (name, res.id(), urljoin(root_id, name) if root_id else None):
                if uri:
                    registry = registry.with_resource(urldefrag(uri).url, res)
        return registry

    def node(self, pointer: str) -> Root | None:
        """The schema node at a JSON Pointer (``#/properties/a``) into this side's document."""
        if pointer not in self._nodes:
            fragment = pointer if pointer.startswith("#") else f"#{pointer}"
            found: Root | None = None
            node, rebased = self._walk(fragment[1:])
            if node is not MISSING and not self.has_refs():
                if self._plain is None:
                    self._plain = Scope(self, None)
                found = (node, self._plain)
            elif node is not MISSING and not rebased:  # in the root's scope: no lookup needed
                found = (node, self.scope(self._root_resolver()))
            elif node is not MISSING:
                try:
                    resolved = self._root_resolver().lookup(self._base + fragment)
                except Unresolvable:
                    pass
                else:
                    found = (resolved.contents, self.scope(resolved.resolver))
            self._nodes[pointer] = found
        return self._nodes[pointer]

    def _walk(self, pointer: str) -> tuple[Any, bool]:
        """The node at ``pointer`` and whether an ``$id`` on the way may change its base URI."""
        node = self.ref.document
        rebased = False
        for raw in unquote(pointer).split("/")[1:] if pointer else ():
            part = raw.replace("~1", "/").replace("~0", "~")
            if isinstance(node, dict) and part in node:
                node = node[part]
            elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
                node = node[int(part)]
            else:
                return MISSING, rebased
            if isinstance(node, dict):
                ident = node.get(self._id)
                rebased = rebased or (isinstance(ident, str) and not ident.startswith("#"))
        return node, rebased

    def root(self) -> Root | None:
        return self.node(self.ref.pointer)

    def scope(self, resolver: Resolver[Any]) -> Scope:
        key = str(getattr(resolver, "_base_uri", ""))
        scope = self._scopes.get(key)
        if scope is None:
            scope = self._scopes[key] = Scope(self, resolver)
        return scope

    def validator(self, schema: Schema, resolver: Resolver[Any] | None) -> Validator:
        entry = self._validators.get(id(schema))
        if entry is None:
            # what Validator.evolve(schema=..., _resolver=...) builds, without its overhead
            cls = validator_class(self.ref.draft)
            if isinstance(schema, dict) and isinstance(schema.get("$schema"), str):
                cls = dialect_class(schema["$schema"], cls)
            checker = cls.FORMAT_CHECKER if self._formats else None
            if resolver is None:  # a document without $refs: any resolver will do
                resolver = _idle_resolver(cls)
            validator = cls(schema, format_checker=checker, _resolver=resolver)
            entry = self._validators[id(schema)] = (schema, validator)
        return entry[1]


_REF_KEYWORDS: Final = frozenset({"$ref", "$dynamicRef", "$recursiveRef"})
_FORMAT: Final = frozenset({"format"})


@lru_cache(maxsize=32)
def _idle_resolver(cls: Any) -> Any:
    """A resolver of the class's dialect that is never asked (the schema has no ``$ref``):
    built once, instead of once per validator."""
    return cls({})._resolver


def _holds(document: Any, keys: frozenset[str]) -> bool:
    """Some object in ``document`` has one of ``keys`` (a key, not a value)."""
    todo = [document]
    while todo:
        value = todo.pop()
        if isinstance(value, dict):
            if not keys.isdisjoint(value):
                return True
            todo.extend(value.values())
        elif isinstance(value, list):
            todo.extend(value)
    return False


def accepts(node: Node, value: Any) -> bool:
    try:
        return node[1].accepts(node[0], value)
    except PatternError:
        raise  # a pattern that cannot be evaluated, or over budget: the check's error
    except Exception:  # an unresolvable $ref...: nothing is proven
        return False


def rejects(node: Node, value: Any) -> bool:
    try:
        return not node[1].accepts(node[0], value)
    except PatternError:
        raise
    except Exception:
        return False


def proves(
    writer: Root,
    reader: Root,
    event: Any,
    memo: dict[str, bool] | None = None,
    screen: bool = True,
) -> bool:
    """``event`` is valid under the writer root and invalid under the reader root.

    The quick check discards most events that fail cheaply (``screen``: the caller may skip it
    where it expects the event to prove, e.g. the value at the changed node has just passed the
    node checks); the answer is always the real validator's (kept in ``memo``, by the event's
    canonical text, for the same two roots).
    """
    if screen and (
        reader[1].sure(reader[0], event) is True or writer[1].sure(writer[0], event) is False
    ):
        return False
    key = canon(event) if memo is not None else ""
    if memo is not None and key in memo:
        return memo[key]
    try:
        verdict = not reader[1].validates(reader[0], event) and writer[1].validates(
            writer[0], event
        )
    except PatternError:
        raise
    except Exception:  # an unresolvable $ref...: nothing is proven
        verdict = False
    if memo is not None:
        memo[key] = verdict
    return verdict
