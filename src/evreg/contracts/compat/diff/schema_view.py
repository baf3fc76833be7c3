"""A typed view of JSON Schema nodes, as the diff engine compares them.

A raw schema object can say several things at once (`{"type": "string", "enum": [...]}`). The
view splits it into parts the way the Confluent registry's schema library does: one *typed*
part per JSON type (string, number, object, ...), an enum part (`enum`/`const`), a `not` part,
one part per combinator (`allOf`/`anyOf`/`oneOf`) and a conditional part (`if`/`then`/`else`).
One part is the node itself; several become a *synthetic* `allOf` (a type list becomes a
synthetic `anyOf`). `$ref`s are followed, so a node never is a reference.

Nodes are built lazily and cached per (raw object, pointer), so recursive schemas terminate and
each schema object is typed once.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Mapping
from enum import IntEnum
from typing import Any, Final

from evreg.contracts import pointer
from evreg.contracts.compat.proofs.json_values import is_plain, one_shot
from evreg.contracts.errors import ContractError
from evreg.contracts.model import DRAFT4, DRAFT6, DRAFT7, SchemaRef
from evreg.contracts.pointer import escape
from evreg.contracts.refs import RefResolver


class Kind(IntEnum):
    EMPTY = 0  # accepts anything: true, {} or metadata only
    FALSE = 1
    STRING = 2
    NUMBER = 3
    BOOLEAN = 4
    NULL = 5
    OBJECT = 6
    ARRAY = 7
    ENUM = 8  # enum or const
    NOT = 9
    COMBINED = 10
    CONDITIONAL = 11


class Kinds:
    """The members of :class:`Kind` as plain class attributes, for the diff's hot paths: on
    Python 3.11 each ``Kind.X`` goes through ``EnumType.__getattr__``'s lookup hook (~60 ns, and
    the walk reads several per node it compares); ``Kinds.X`` is an ordinary class attribute."""

    EMPTY: Final = Kind.EMPTY
    FALSE: Final = Kind.FALSE
    STRING: Final = Kind.STRING
    NUMBER: Final = Kind.NUMBER
    BOOLEAN: Final = Kind.BOOLEAN
    NULL: Final = Kind.NULL
    OBJECT: Final = Kind.OBJECT
    ARRAY: Final = Kind.ARRAY
    ENUM: Final = Kind.ENUM
    NOT: Final = Kind.NOT
    COMBINED: Final = Kind.COMBINED
    CONDITIONAL: Final = Kind.CONDITIONAL


STRING_KW = frozenset({"minLength", "maxLength", "pattern"})
NUMBER_KW = frozenset({"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"})
OBJECT_KW = frozenset(
    {
        "properties",
        "required",
        "additionalProperties",
        "patternProperties",
        "minProperties",
        "maxProperties",
        "dependencies",
        "dependentRequired",
        "dependentSchemas",
        "propertyNames",
        "unevaluatedProperties",
    }
)
ARRAY_KW = frozenset(
    {
        "items",
        "additionalItems",
        "prefixItems",
        "minItems",
        "maxItems",
        "uniqueItems",
        "contains",
        "minContains",
        "maxContains",
        "unevaluatedItems",
    }
)
_SNIFF = (
    (Kinds.OBJECT, OBJECT_KW),
    (Kinds.ARRAY, ARRAY_KW),
    (Kinds.STRING, STRING_KW),
    (Kinds.NUMBER, NUMBER_KW),
)
_TYPES = {
    "string": Kinds.STRING,
    "number": Kinds.NUMBER,
    "integer": Kinds.NUMBER,
    "boolean": Kinds.BOOLEAN,
    "null": Kinds.NULL,
    "object": Kinds.OBJECT,
    "array": Kinds.ARRAY,
}
_COMBINATORS = ("allOf", "anyOf", "oneOf")
_CONDITIONAL_KW = frozenset({"if", "then", "else"})
_OLD_DRAFTS = frozenset({DRAFT4, DRAFT6, DRAFT7})
_MAX_REF_CHAIN = 64


_META_KW = frozenset({"$id", "id", "title", "description", "default"})


class Meta:
    """The annotations compared as metadata changes."""

    __slots__ = ("default", "description", "has_default", "id", "title")

    def __init__(self, raw: Mapping[str, Any], draft4: bool) -> None:
        self.id = raw.get("id" if draft4 else "$id")
        self.title = raw.get("title")
        self.description = raw.get("description")
        self.has_default = "default" in raw
        self.default = raw.get("default")


class Node:
    """One typed schema node. ``raw`` is the schema object it was read from."""

    __slots__ = (
        "criterion",
        "declared",
        "doc",
        "integer",
        "key",
        "kind",
        "meta",
        "part",
        "ptr",
        "raw",
        "subs",
        "synthetic",
        "view",
    )

    def __init__(
        self,
        view: SchemaView,
        kind: Kind,
        raw: Any,
        ptr: str | None,
        *,
        meta: Meta | None = None,
        integer: bool = False,
        criterion: str | None = None,
        subs: tuple[tuple[str | None, Node], ...] = (),
        synthetic: bool = False,
        declared: bool = False,
    ) -> None:
        self.view = view
        self.kind = kind
        self.raw: Mapping[str, Any] = raw if isinstance(raw, dict) else {}
        self.ptr = ptr
        self.meta = meta
        self.integer = integer
        self.criterion = criterion
        self.subs = subs
        self.synthetic = synthetic
        # a typed kind read from `type` (an assertion), not guessed from its keywords (which
        # constrain only values of that type: `{"minLength": 2}` accepts 5)
        self.declared = declared
        # one part of a synthetic combination: `raw` is the whole schema object, not the part
        self.part = False
        # the canonical text of `raw` (`changes.json_key`), once a comparison has needed it
        self.key: str | None = None

    def child(self, raw: Any, *segments: str) -> Node:
        """The node for a sub-schema of this one, found at ``segments`` below it."""
        ptr = self.ptr
        if ptr is not None:
            for seg in segments:
                # (escape's answer, without the call for the common token with nothing to escape)
                plain = isinstance(seg, str) and "~" not in seg and "/" not in seg
                ptr += "/" + (seg if plain else escape(seg))
        return self.view.node(raw, ptr)

    def __repr__(self) -> str:
        return f"Node({self.kind.name}, {self.ptr})"


def is_metadata_only(raw: Mapping[str, Any]) -> bool:
    return raw.keys().isdisjoint(_CONSTRAINT_KW)


def is_pure_ref(raw: Mapping[str, Any]) -> bool:
    """A `$ref` with nothing beside it but annotations."""
    return raw.keys().isdisjoint(_CONSTRAINT_KW_BUT_REF)


_CONSTRAINT_KW = (
    STRING_KW
    | NUMBER_KW
    | OBJECT_KW
    | ARRAY_KW
    | {"type", "enum", "const", "not", "allOf", "anyOf", "oneOf", "if", "then", "else", "$ref"}
)


_CONSTRAINT_KW_BUT_REF = _CONSTRAINT_KW - {"$ref"}


# the plain schemas of a `properties` object: {(name, canonical JSON)}, and name -> that text
PlainProperties = tuple[frozenset[tuple[str, str]], dict[str, str]]

_MAX_VIEWS: Final = 512  # views kept per thread
_TEXT: Final = one_shot(json.JSONEncoder(sort_keys=True, separators=(",", ":"), default=str))
_local = threading.local()


def view_for(ref: SchemaRef) -> SchemaView:
    """The view of ``ref``, shared by the checks of one thread: a registry compares a new
    version with earlier versions it keeps loaded, which are then typed once. Keyed by the
    identity of the document (held by the view, so that the id is not reused).

    The same ``SchemaRef`` object asked again (the common case: a loaded contract checked
    again) is answered by its identity first, without making the key; those answers are
    bounded apart (cleared past ``_MAX_VIEWS``, each holding its ref so that no id is reused)."""
    by_ref: dict[int, tuple[SchemaRef, SchemaView]] | None = getattr(_local, "by_ref", None)
    if by_ref is None:
        by_ref = _local.by_ref = {}
    known = by_ref.get(id(ref))
    if known is not None and known[0] is ref:
        return known[1]
    cache: OrderedDict[tuple[Any, ...], SchemaView] | None = getattr(_local, "views", None)
    if cache is None:
        cache = _local.views = OrderedDict()
    key = (id(ref.document), ref.pointer, ref.draft, id(ref.resources), id(ref.schema))
    view = cache.get(key)
    if view is not None and view.ref.document is ref.document:
        cache.move_to_end(key)
    else:
        view = cache[key] = SchemaView(ref)
        if len(cache) > _MAX_VIEWS:
            cache.popitem(last=False)
    if len(by_ref) >= _MAX_VIEWS:
        by_ref.clear()
    by_ref[id(ref)] = (ref, view)
    return view


class SchemaView:
    """Types the schema nodes of one document (plus the resources it may reference)."""

    def __init__(self, ref: SchemaRef) -> None:
        self.ref = ref
        self.draft = ref.draft
        self.draft4 = ref.draft == DRAFT4
        self.modern = ref.draft not in _OLD_DRAFTS  # 2019-09 and later: $ref has siblings
        self.prefix_items = self.modern and "2019-09" not in ref.draft  # 2020-12 tuple keywords
        self._cache: dict[tuple[int, str | None], Node] = {}
        self._building: set[tuple[int, str | None]] = set()
        self._resolver: RefResolver | None = None
        self._plain: dict[int, bool] = {}
        self._text: dict[int, str | None] = {}
        self._targets: dict[str, Any] = {}
        self._written: dict[int, str] = {}
        self._plain_props: dict[int, tuple[Any, PlainProperties]] = {}
        self._ref_props: dict[int, tuple[Any, frozenset[tuple[str, str]]]] = {}
        self._refs: dict[int, tuple[str, ...] | None] = {}
        self._root: Node | None = None

    def root(self) -> Node:
        root = self._root  # (read by every check of this view: kept, not looked up)
        if root is None:
            root = self._root = self.node(self.ref.schema, self.ref.pointer)
        return root

    def plain(self, raw: Any) -> bool:
        """True when ``raw`` means the same wherever it stands: no ``$ref`` inside it (which
        would resolve against its own document) and no booleans among enum/const/default
        values (where Python's ``True == 1`` would hide a change). Two plain, equal sub-schemas
        have no differences, so the diff can skip them without typing them."""
        key = id(raw)
        found = self._plain.get(key)
        if found is None:
            found = is_plain(raw)
            self._plain[key] = found
        return found

    def text(self, raw: Any) -> str | None:
        """Canonical JSON of a `$ref`-free sub-schema (a key for its meaning), else None."""
        key = id(raw)
        if key in self._text:
            return self._text[key]
        text: str | None = _TEXT(raw)
        if text is not None and '"$ref"' in text:
            text = None
        self._text[key] = text
        return text

    def written(self, raw: Any) -> str:
        """Canonical JSON of a sub-schema as written, `$ref`s included (tells 1 from true)."""
        key = id(raw)
        text = self._written.get(key)
        if text is None:
            text = self._written[key] = _TEXT(raw)
        return text

    def plain_properties(self, props: Mapping[str, Any]) -> PlainProperties:
        """The plain schemas of a ``properties`` object: (name, canonical JSON) pairs, as a
        set and as a dict. Two objects whose sets share an entry have that property written
        the same and meaning the same (a set intersection finds them all, in a large schema
        most of its properties); the text is also :meth:`text`'s, the key of a comparison."""
        entry = self._plain_props.get(id(props))
        if entry is None or entry[0] is not props:
            texts = {}
            for name, sub in props.items():
                text = self.written(sub)
                # no "$ref" and no boolean anywhere in the text: plain without a walk
                if ('"$ref"' not in text and "true" not in text and "false" not in text) or (
                    self.plain(sub)
                ):
                    texts[name] = text
            entry = self._plain_props[id(props)] = (props, (frozenset(texts.items()), texts))
        return entry[1]

    def ref_properties(self, props: Mapping[str, Any]) -> frozenset[tuple[str, str]]:
        """(name, canonical JSON) of each schema of a ``properties`` object that is not plain
        but whose `$ref`s are all local pointers (:meth:`local_refs`)."""
        entry = self._ref_props.get(id(props))
        if entry is None or entry[0] is not props:
            found = frozenset(
                (name, self.written(sub))
                for name, sub in props.items()
                if not self.plain(sub) and self.local_refs(sub)
            )
            entry = self._ref_props[id(props)] = (props, found)
        return entry[1]

    def local_refs(self, raw: Any) -> tuple[str, ...] | None:
        """The `$ref`s in ``raw`` outside enum/const/default/examples values, when each is a
        JSON Pointer into this document (``#/...``) and nothing in ``raw`` moves the base URI
        (``$id``) or refers dynamically; None otherwise (or in a draft-04 document, whose
        ``id`` cannot be told from a property of that name here)."""
        key = id(raw)
        if key in self._refs:
            return self._refs[key]
        found = None if self.draft4 else _local_refs(raw)
        self._refs[key] = found
        return found

    def pointer_target(self, ref: str) -> tuple[bool, Any]:
        """(found, the node) that a ``#/...`` pointer names in this document."""
        try:
            return True, pointer.resolve(self.ref.document, ref)
        except LookupError:
            return False, None

    def local_target(self, raw: Any) -> Any:
        """The node a pure local `$ref` (`{"$ref": "#/..."}`) points at, else None."""
        if not isinstance(raw, dict) or not is_pure_ref(raw):
            return None
        ref = raw.get("$ref")
        if not isinstance(ref, str) or not ref.startswith("#/"):
            return None
        if ref not in self._targets:
            try:
                self._targets[ref] = self._resolve(ref, None)[0]
            except ContractError:
                self._targets[ref] = None
        return self._targets[ref]

    # -- building ---------------------------------------------------------------------------

    def node(self, raw: Any, ptr: str | None) -> Node:
        key = (id(raw), ptr)
        found = self._cache.get(key)
        if found is not None:
            return found
        if key in self._building:  # met again before it is built: no value is read between
            raise ContractError(
                "the schema refers to itself through $ref and allOf/anyOf/oneOf without "
                "reading any part of the value in between (a validator would recurse forever)",
                pointer=ptr,
            )
        self._building.add(key)
        try:
            node = self._build(raw, ptr)
        finally:
            self._building.discard(key)
        self._cache[key] = node
        return node

    def _build(self, raw: Any, ptr: str | None) -> Node:
        if raw is True or not isinstance(raw, dict):
            return Node(self, Kinds.FALSE if raw is False else Kinds.EMPTY, raw, ptr)
        meta = None if raw.keys().isdisjoint(_META_KW) else Meta(raw, self.draft4)
        if "$ref" in raw and (not self.modern or is_pure_ref(raw)):
            return self._follow(raw, ptr, meta)
        parts: list[Node] = []
        if "$ref" in raw:
            parts.append(self._follow(raw, ptr, None))
        parts.extend(self._typed_parts(raw, ptr))
        if "enum" in raw or "const" in raw:
            parts.append(Node(self, Kinds.ENUM, raw, ptr))
        if "not" in raw:
            parts.append(Node(self, Kinds.NOT, raw, ptr))
        for comb in _COMBINATORS:
            subs = raw.get(comb)
            if isinstance(subs, list):
                parts.append(self._combined(comb, raw, ptr, subs))
        if not raw.keys().isdisjoint(_CONDITIONAL_KW):
            parts.append(Node(self, Kinds.CONDITIONAL, raw, ptr))
        if not parts:
            return Node(self, Kinds.EMPTY, raw, ptr, meta=meta)
        if len(parts) > 1:
            for made in parts:
                made.part = made.part or made.raw is raw  # not a followed $ref's target
        if len(parts) == 1:
            part = parts[0]
            part.meta = meta
            return part
        return Node(
            self,
            Kinds.COMBINED,
            raw,
            ptr,
            meta=meta,
            criterion="allOf",
            subs=tuple((None, p) for p in parts),
            synthetic=True,
        )

    def _combined(
        self, comb: str, raw: Mapping[str, Any], ptr: str | None, subs: list[Any]
    ) -> Node:
        children = []
        for i, sub in enumerate(subs):
            seg = f"{comb}/{i}"
            children.append((seg, self.node(sub, None if ptr is None else f"{ptr}/{seg}")))
        return Node(self, Kinds.COMBINED, raw, ptr, criterion=comb, subs=tuple(children))

    def _typed_parts(self, raw: Mapping[str, Any], ptr: str | None) -> list[Node]:
        declared = raw.get("type")
        if isinstance(declared, str):
            return [self._typed(declared, raw, ptr)]
        if isinstance(declared, list) and declared:
            typed = [self._typed(t, raw, ptr) for t in declared if isinstance(t, str)]
            if len(typed) == 1:
                return typed
            for made in typed:
                made.part = True
            return [
                Node(
                    self,
                    Kinds.COMBINED,
                    raw,
                    ptr,
                    criterion="anyOf",
                    subs=tuple((None, t) for t in typed),
                    synthetic=True,
                )
            ]
        keys = raw.keys()
        return [Node(self, kind, raw, ptr) for kind, kws in _SNIFF if not keys.isdisjoint(kws)]

    def _typed(self, name: str, raw: Mapping[str, Any], ptr: str | None) -> Node:
        kind = _TYPES.get(name, Kinds.EMPTY)
        return Node(self, kind, raw, ptr, integer=name == "integer", declared=True)

    # -- references -------------------------------------------------------------------------

    def _follow(self, raw: Mapping[str, Any], ptr: str | None, meta: Meta | None) -> Node:
        seen: set[str] = set()
        current: Any = raw
        where = ptr
        while isinstance(current, dict) and "$ref" in current:
            ref = current["$ref"]
            if not isinstance(ref, str) or ref in seen or len(seen) > _MAX_REF_CHAIN:
                raise ContractError(f"circular or invalid $ref {ref!r}", pointer=where)
            seen.add(ref)
            current, where = self._resolve(ref, where)
            if (
                self.modern
                and isinstance(current, dict)
                and "$ref" in current
                and not is_pure_ref(current)
            ):
                break
        target = self.node(current, where)
        if meta is None or not (meta.title or meta.description or meta.id or meta.has_default):
            return target
        # the referencing node's own annotations win over the target's
        clone = Node(
            self,
            target.kind,
            target.raw,
            target.ptr,
            meta=_merge_meta(target.meta, meta),
            integer=target.integer,
            criterion=target.criterion,
            subs=target.subs,
            synthetic=target.synthetic,
            declared=target.declared,
        )
        if target.kind in (Kinds.EMPTY, Kinds.FALSE):
            clone.raw = target.raw
        return clone

    def _resolve(self, ref: str, where: str | None) -> tuple[Any, str | None]:
        if ref == "#" or ref.startswith("#/"):
            try:
                return pointer.resolve(self.ref.document, ref), ref
            except LookupError:
                raise ContractError(f"$ref {ref!r} points at nothing", pointer=where) from None
        if self._resolver is None:
            self._resolver = RefResolver(
                self.ref.document, references=self.ref.resources, draft=self.draft
            )
        target = self._resolver.lookup(ref, origin=self._resolver.root, at=where or "#")
        return target.contents, target.pointer if target.pointer.startswith("#") else None


_NOT_LOCAL: Final = frozenset({"$id", "$dynamicRef", "$recursiveRef"})
_DATA: Final = frozenset({"enum", "const", "default", "examples"})


def _local_refs(raw: Any) -> tuple[str, ...] | None:
    refs: list[str] = []
    todo = [raw]
    while todo:
        value = todo.pop()
        if isinstance(value, dict):
            if not _NOT_LOCAL.isdisjoint(value):
                return None
            ref = value.get("$ref")
            if ref is not None:
                if not isinstance(ref, str) or not ref.startswith("#/"):
                    return None
                refs.append(ref)
            todo.extend(v for k, v in value.items() if k not in _DATA)
        elif isinstance(value, list):
            todo.extend(value)
    return tuple(refs)


def _merge_meta(target: Meta | None, over: Meta) -> Meta:
    merged = Meta({}, False)
    for attr in ("id", "title", "description"):
        value = getattr(over, attr)
        setattr(merged, attr, value if value is not None else getattr(target, attr, None))
    if over.has_default:
        merged.has_default, merged.default = True, over.default
    elif target is not None:
        merged.has_default, merged.default = target.has_default, target.default
    return merged
