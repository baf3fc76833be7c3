"""Payload and header schemas of a set of contracts, bundled and named for code generation.

Each schema node a message payload or header set reaches (through local ``$ref``s) becomes one
*entity*: one future class. An entity is identified by its contract and its JSON Pointer, so a
payload shared by two messages (or a component used by both) is one class. Entities of different
contracts that are structurally identical and get the same name are merged; same name but
different structure gets the contract's name in front (``OrdersServiceOrderPlaced``), for every
contract involved, so that names do not depend on the order of the contracts.

Two bundles come out:

- per message, a *validation* bundle: the payload (or headers) schema as written, with every
  entity it reaches copied under ``$defs`` (``definitions`` before 2019-09) and each ``$ref``
  rewritten to point there: a standalone JSON Schema for ``jsonschema`` and the tests;
- one *model* bundle for datamodel-code-generator: every entity under ``$defs`` with our names,
  normalised where the generator would otherwise produce awkward or failing code (AsyncAPI's
  string ``discriminator``, ``anyOf [X, null]``, draft-04 boolean exclusive bounds, long
  descriptions).
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from evreg.codegen import naming
from evreg.codegen.errors import CodegenError
from evreg.contracts import Contract
from evreg.contracts.model import DRAFT4, DRAFT6, DRAFT7, DRAFT2020, Message, SchemaRef
from evreg.contracts.pointer import escape, split

OLD_DRAFTS = (DRAFT4, DRAFT6, DRAFT7)
# keywords whose value maps *names* to schemas: their keys are never keywords themselves
NAME_MAPS = frozenset(
    {"properties", "patternProperties", "$defs", "definitions", "dependentSchemas"}
)
# keywords whose value is data, not schema
DATA_KEYS = frozenset({"enum", "const", "examples", "default", "example", "required"})


@dataclass(frozen=True, slots=True)
class SourceContract:
    """A contract to generate from, with what the registry knows about it (if anything)."""

    contract: Contract
    label: str  # for the file header: a file name, or "registry subject S version N"
    subject: str  # the registry subject the contract is (or would be) registered under
    schema_id: int | None = None  # the registry's id of the contract itself
    payload_schema_ids: Mapping[str, int] = field(default_factory=dict)  # address -> id


@dataclass(slots=True)
class Entity:
    contract: int  # index into the list of contracts
    pointer: str  # canonical "#/a/b"
    node: Any  # the schema node as written
    draft: str
    name: str = ""
    key: str = ""  # structural fingerprint (the node with every $ref inlined)
    refs: list[str] = field(default_factory=list)  # pointers this node refers to


@dataclass(frozen=True, slots=True)
class MessageSchemas:
    """One message of one contract, with the class names of its payload and headers."""

    contract: int
    message: Message
    name: str  # the message name as written (name, else key)
    payload_class: str | None
    headers_class: str | None
    payload_schema: dict[str, Any] | None  # standalone validation bundle
    headers_schema: dict[str, Any] | None
    examples: tuple[dict[str, Any], ...]  # {"name"?, "payload"?, "headers"?}


@dataclass(frozen=True, slots=True)
class Bundle:
    entities: tuple[Entity, ...]
    messages: tuple[MessageSchemas, ...]
    model_schema: dict[str, Any]  # the input for datamodel-code-generator
    contract_prefixes: tuple[str, ...]


# --- pointers -----------------------------------------------------------------------------


def _tokens(pointer: str) -> list[str]:
    return split(pointer)


def _canonical_pointer(pointer: str) -> str:
    return "#" + "".join("/" + escape(t) for t in split(pointer))


def _resolve(document: Any, pointer: str) -> Any:
    node = document
    for token in _tokens(pointer):
        if isinstance(node, list) and token.isdigit() and int(token) < len(node):
            node = node[int(token)]
        elif isinstance(node, dict) and token in node:
            node = node[token]
        else:
            raise CodegenError(f"unresolvable $ref {pointer}")
    return node


def _local_ref(value: object, where: str) -> str:
    if not isinstance(value, str):
        raise CodegenError(f"{where}: $ref is not a string")
    if not value.startswith("#"):
        raise CodegenError(
            f"{where}: $ref {value!r} points into another document; code generation needs "
            "every payload schema in one document (bundle it first)"
        )
    if value != "#" and not value.startswith("#/"):
        raise CodegenError(f"{where}: $ref {value!r} is not a JSON Pointer (anchors unsupported)")
    return _canonical_pointer(value)


def _is_bare_ref(node: Any) -> bool:
    return isinstance(node, dict) and "$ref" in node and set(node) <= {"$ref", "description"}


def _walk_refs(node: Any, where: str) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield _local_ref(value, where)
            elif key in DATA_KEYS or key.startswith("x-"):
                continue
            elif key in NAME_MAPS and isinstance(value, dict):
                for sub in value.values():
                    yield from _walk_refs(sub, where)
            else:
                yield from _walk_refs(value, where)
    elif isinstance(node, list):
        for item in node:
            yield from _walk_refs(item, where)


# --- scanning one contract -----------------------------------------------------------------


@dataclass(slots=True)
class _Scan:
    index: int
    source: SourceContract
    entities: dict[str, Entity] = field(default_factory=dict)
    payload_uses: dict[str, list[str]] = field(default_factory=dict)
    header_uses: dict[str, list[str]] = field(default_factory=dict)
    roots: dict[tuple[str, str], str] = field(default_factory=dict)  # (message, role) -> ptr

    @property
    def contract(self) -> Contract:
        return self.source.contract

    def root(self, ref: SchemaRef) -> str:
        pointer, node = _canonical_pointer(ref.pointer), ref.schema
        seen: set[str] = set()
        while isinstance(node, dict) and _is_bare_ref(node):
            target = _local_ref(node["$ref"], pointer)
            if target in seen:
                raise CodegenError(f"{pointer}: $ref cycle without a schema")
            seen.add(target)
            pointer, node = target, _resolve(ref.document, target)
        self.visit(pointer, node, ref.draft)
        return pointer

    def visit(self, pointer: str, node: Any, draft: str) -> None:
        if pointer in self.entities:
            return
        entity = Entity(self.index, pointer, node, draft)
        self.entities[pointer] = entity
        entity.refs = list(dict.fromkeys(_walk_refs(node, pointer)))
        for target in entity.refs:
            self.visit(target, _resolve(self.contract.document, target), draft)


def _message_name(message: Message) -> str:
    return message.name or message.key


def _scan(index: int, source: SourceContract) -> _Scan:
    scan = _Scan(index, source)
    contract = source.contract
    if contract.is_asyncapi:
        for message in contract.messages.values():
            for role, ref, uses in (
                ("payload", message.payload, scan.payload_uses),
                ("headers", message.headers, scan.header_uses),
            ):
                if ref is None:
                    continue
                pointer = scan.root(ref)
                uses.setdefault(pointer, []).append(message.key)
                scan.roots[(message.key, role)] = pointer
    elif contract.schema is not None:
        pointer = scan.root(contract.schema)
        scan.payload_uses.setdefault(pointer, []).append("")
        scan.roots[("", "payload")] = pointer
    return scan


def _headers_name(base: str) -> str:
    return base if base.lower().endswith("headers") else base + " headers"


def _base_name(scan: _Scan, entity: Entity) -> str:
    contract = scan.contract
    payload_users = set(scan.payload_uses.get(entity.pointer, ()))
    header_users = set(scan.header_uses.get(entity.pointer, ()))
    tokens = _tokens(entity.pointer)
    if len(payload_users) == 1:
        (key,) = payload_users
        if not contract.is_asyncapi:
            return contract.title or scan.source.subject
        return _message_name(contract.messages[key])
    component = len(tokens) == 3 and tokens[:2] == ["components", "schemas"]
    if len(header_users) == 1 and not component:
        (key,) = header_users
        return _headers_name(_message_name(contract.messages[key]))
    if not tokens:
        return contract.title or scan.source.subject
    last = tokens[-1]
    if len(tokens) > 1 and last in ("payload", "headers", "schema"):
        return _headers_name(tokens[-2]) if last == "headers" else tokens[-2]
    if last.isdigit() and len(tokens) > 1:
        return f"{tokens[-2]} {last}"
    return last


# --- structural keys -----------------------------------------------------------------------


def _structural_keys(scan: _Scan) -> None:
    done: dict[str, str] = {}
    active: set[str] = set()

    def inline(node: Any, where: str) -> Any:
        if isinstance(node, dict):
            out: dict[str, Any] = {}
            for k, v in node.items():
                if k == "$ref" and isinstance(v, str):
                    out[k] = key_of(_local_ref(v, where))
                elif k in ("$defs", "definitions", "$id", "$schema"):
                    continue
                elif k in DATA_KEYS or k.startswith("x-"):
                    out[k] = v
                elif k in NAME_MAPS and isinstance(v, dict):
                    out[k] = {name: inline(sub, where) for name, sub in v.items()}
                else:
                    out[k] = inline(v, where)
            return out
        if isinstance(node, list):
            return [inline(v, where) for v in node]
        return node

    def key_of(pointer: str) -> str:
        if pointer in done:
            return done[pointer]
        if pointer in active:  # a cycle: not merged across contracts
            return f"cycle:{scan.contract.fingerprint}:{pointer}"
        active.add(pointer)
        entity = scan.entities[pointer]
        text = json.dumps(inline(entity.node, pointer), sort_keys=True, separators=(",", ":"))
        active.discard(pointer)
        done[pointer] = hashlib.sha256(f"{entity.draft}|{text}".encode()).hexdigest()
        return done[pointer]

    for pointer, entity in scan.entities.items():
        entity.key = key_of(pointer)


# --- naming across contracts ---------------------------------------------------------------


def _contract_prefixes(scans: Sequence[_Scan]) -> list[str]:
    taken: set[str] = set()
    out = []
    for scan in scans:
        text = scan.contract.title or scan.source.subject
        out.append(naming.unique(naming.pascal(text, fallback="Contract"), taken))
    return out


def _assign_names(scans: Sequence[_Scan], prefixes: Sequence[str]) -> list[Entity]:
    """Name every entity; returns the distinct entities (merged ones once), in order."""
    proposed: dict[tuple[int, str], str] = {}
    for scan in scans:
        taken: set[str] = set()
        for pointer, entity in scan.entities.items():
            proposed[(scan.index, pointer)] = naming.unique(
                naming.pascal(_base_name(scan, entity)), taken
            )
    by_name: dict[str, set[str]] = {}
    for scan in scans:
        for pointer, entity in scan.entities.items():
            by_name.setdefault(proposed[(scan.index, pointer)], set()).add(entity.key)
    distinct: list[Entity] = []
    final: dict[tuple[str, str], Entity] = {}  # (name, key) -> the entity that keeps it
    taken_global: set[str] = set()
    for scan in scans:
        for pointer, entity in scan.entities.items():
            name = proposed[(scan.index, pointer)]
            if len(by_name[name]) > 1:
                name = prefixes[scan.index] + name
            kept = final.get((name, entity.key))
            if kept is not None:
                entity.name = kept.name
                continue
            entity.name = naming.unique(name, taken_global)
            final[(name, entity.key)] = entity
            distinct.append(entity)
    return distinct


# --- bundling --------------------------------------------------------------------------------


def _rewrite(node: Any, names: Mapping[str, str], defs_key: str, where: str) -> Any:
    if isinstance(node, dict):
        out: dict[str, Any] = {}
        for k, v in node.items():
            if k == "$ref" and isinstance(v, str):
                out[k] = f"#/{defs_key}/{names[_local_ref(v, where)]}"
            elif k in ("$defs", "definitions", "$id", "$schema", "$anchor", "$dynamicAnchor"):
                continue
            elif k in DATA_KEYS or k.startswith("x-"):
                out[k] = copy.deepcopy(v)
            elif k in NAME_MAPS and isinstance(v, dict):
                out[k] = {name: _rewrite(sub, names, defs_key, where) for name, sub in v.items()}
            else:
                out[k] = _rewrite(v, names, defs_key, where)
        return out
    if isinstance(node, list):
        return [_rewrite(v, names, defs_key, where) for v in node]
    return node


def _reachable(scan: _Scan, start: str) -> list[str]:
    seen: dict[str, None] = {}
    stack = [start]
    while stack:
        pointer = stack.pop()
        if pointer in seen:
            continue
        seen[pointer] = None
        stack.extend(reversed(scan.entities[pointer].refs))
    return list(seen)


def validation_bundle(scan: _Scan, root: str) -> dict[str, Any]:
    entity = scan.entities[root]
    defs_key = "definitions" if entity.draft in OLD_DRAFTS else "$defs"
    names = {p: scan.entities[p].name for p in scan.entities}
    node = entity.node
    body = _rewrite(node, names, defs_key, root) if not isinstance(node, bool) else node
    if isinstance(body, bool):
        body = {} if body else {"not": {}}
    out: dict[str, Any] = {"$schema": entity.draft}
    out.update(body)
    reachable = _reachable(scan, root)
    self_referenced = any(root in scan.entities[p].refs for p in reachable)
    defs = {
        scan.entities[p].name: _rewrite(scan.entities[p].node, names, defs_key, p)
        for p in reachable
        if p != root or self_referenced
    }
    if defs:
        out[defs_key] = dict(sorted(defs.items()))
    return out


def _examples(scan: _Scan, message: Message | None) -> tuple[dict[str, Any], ...]:
    if message is not None:
        out = []
        for example in message.examples:
            if isinstance(example, dict) and ("payload" in example or "headers" in example):
                out.append({k: example[k] for k in ("name", "payload", "headers") if k in example})
        return tuple(out)
    schema = scan.contract.schema
    node = schema.schema if schema is not None else None
    examples = node.get("examples") if isinstance(node, dict) else None
    if isinstance(examples, list):
        return tuple({"payload": e} for e in examples)
    return ()


def bundle(sources: Sequence[SourceContract]) -> Bundle:
    scans = [_scan(i, s) for i, s in enumerate(sources)]
    for scan in scans:
        _structural_keys(scan)
    prefixes = _contract_prefixes(scans)
    distinct = _assign_names(scans, prefixes)

    messages: list[MessageSchemas] = []
    for scan in scans:
        contract = scan.contract
        if contract.is_asyncapi:
            for message in contract.messages.values():
                payload = scan.roots.get((message.key, "payload"))
                headers = scan.roots.get((message.key, "headers"))
                messages.append(
                    MessageSchemas(
                        contract=scan.index,
                        message=message,
                        name=_message_name(message),
                        payload_class=scan.entities[payload].name if payload else None,
                        headers_class=scan.entities[headers].name if headers else None,
                        payload_schema=validation_bundle(scan, payload) if payload else None,
                        headers_schema=validation_bundle(scan, headers) if headers else None,
                        examples=_examples(scan, message),
                    )
                )
        elif ("", "payload") in scan.roots:
            root = scan.roots[("", "payload")]
            name = scan.entities[root].name
            pseudo = Message(
                key=name,
                name=name,
                title=contract.title,
                summary=None,
                description=None,
                content_type="application/json",
                payload=contract.schema,
                headers=None,
                examples=(),
                pointer="#",
            )
            messages.append(
                MessageSchemas(
                    contract=scan.index,
                    message=pseudo,
                    name=name,
                    payload_class=name,
                    headers_class=None,
                    payload_schema=validation_bundle(scan, root),
                    headers_schema=None,
                    examples=_examples(scan, None),
                )
            )

    model_defs: dict[str, Any] = {}
    roots = {m.payload_class for m in messages} | {m.headers_class for m in messages}
    taken = {entity.name for entity in distinct}
    for entity in distinct:
        scan = scans[entity.contract]
        names = {p: scan.entities[p].name for p in scan.entities}
        node = _rewrite(entity.node, names, "$defs", entity.pointer)
        node = normalise_for_models(node, entity.draft, scan, entity.pointer)
        if entity.name in roots and _is_enum(node):
            # a payload that is an enum: its class is a RootModel over the enum (what the
            # runtime and the generated tests handle), the enum its own class beside it
            value = naming.unique(f"{entity.name}Value", taken)
            model_defs[value] = node
            node = {"$ref": f"#/$defs/{value}"}
        model_defs[entity.name] = node
    model_schema = {"$schema": DRAFT2020, "$defs": model_defs}
    return Bundle(tuple(distinct), tuple(messages), model_schema, tuple(prefixes))


# --- normalisation for datamodel-code-generator ---------------------------------------------


def _is_enum(node: Any) -> bool:
    """A schema datamodel-code-generator makes an ``Enum`` class of (not a pydantic model)."""
    return isinstance(node, dict) and "enum" in node and "properties" not in node


_DOC_WIDTH = 84


def _doc(text: str) -> str:
    return "\n".join(naming.docstring_text(text, width=_DOC_WIDTH))


def _target(scan: _Scan, ref: str) -> Any:
    name = ref.rsplit("/", 1)[-1]
    for entity in scan.entities.values():
        if entity.name == name:
            return entity.node
    return None


def _discriminator_ok(scan: _Scan, variants: list[Any], prop: str) -> bool:
    values: set[str] = set()
    for variant in variants:
        target = _target(scan, variant["$ref"]) if _is_bare_ref(variant) else variant
        if not isinstance(target, dict) or prop not in target.get("required", ()):
            return False
        spec = (target.get("properties") or {}).get(prop)
        if not isinstance(spec, dict):
            return False
        if "const" in spec:
            value = spec["const"]
        elif isinstance(spec.get("enum"), list) and len(spec["enum"]) == 1:
            value = spec["enum"][0]
        else:
            return False
        if not isinstance(value, str) or value in values:
            return False
        values.add(value)
    return bool(values)


_NULL = {"type": "null"}
_TYPE_ONLY_KEYS = {
    "type",
    "description",
    "title",
    "format",
    "pattern",
    "minLength",
    "maxLength",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "multipleOf",
    "enum",
    "default",
}


def _merge_nullable(branches: list[Any]) -> dict[str, Any] | None:
    """``anyOf: [{type: string, maxLength: 3}, {type: null}]`` -> ``{type: [string, null]...}``."""
    if len(branches) != 2 or _NULL not in branches:
        return None
    other = branches[0] if branches[1] == _NULL else branches[1]
    if not isinstance(other, dict) or not isinstance(other.get("type"), str):
        return None
    if not set(other) <= _TYPE_ONLY_KEYS or other["type"] in ("object", "array", "null"):
        return None
    merged = dict(other)
    merged["type"] = [other["type"], "null"]
    if isinstance(merged.get("enum"), list) and None not in merged["enum"]:
        merged["enum"] = [*merged["enum"], None]
    return merged


def normalise_for_models(node: Any, draft: str, scan: _Scan, where: str) -> Any:
    """A copy of ``node`` that datamodel-code-generator turns into sound, typed code."""
    if isinstance(node, list):
        return [normalise_for_models(v, draft, scan, where) for v in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in DATA_KEYS:
            out[key] = value
        elif key == "description" and isinstance(value, str):
            out[key] = _doc(value)
        elif key in ("title", "$comment") or key.startswith("x-"):
            continue
        elif key in NAME_MAPS and isinstance(value, dict):
            out[key] = {k: normalise_for_models(v, draft, scan, where) for k, v in value.items()}
        else:
            out[key] = normalise_for_models(value, draft, scan, where)
    for combinator in ("anyOf", "oneOf"):
        branches = out.get(combinator)
        if isinstance(branches, list) and set(out) <= {combinator, "description", "default"}:
            merged = _merge_nullable(branches)
            if merged is not None:
                rest = {k: v for k, v in out.items() if k != combinator}
                out = {**merged, **rest}
    discriminator = out.get("discriminator")
    if discriminator is not None:
        prop = discriminator if isinstance(discriminator, str) else None
        if isinstance(discriminator, dict) and isinstance(discriminator.get("propertyName"), str):
            prop = discriminator["propertyName"]
        variants = out.get("oneOf") or out.get("anyOf")
        if prop and isinstance(variants, list) and _discriminator_ok(scan, variants, prop):
            out["discriminator"] = {"propertyName": prop}
        else:
            del out["discriminator"]
    if draft == DRAFT4:
        for bound, flag in (("minimum", "exclusiveMinimum"), ("maximum", "exclusiveMaximum")):
            if out.get(flag) is True and bound in out:
                out[flag] = out.pop(bound)
            elif flag in out and isinstance(out[flag], bool):
                del out[flag]
    if draft in OLD_DRAFTS and isinstance(out.get("items"), list):
        out["prefixItems"] = out.pop("items")
        if "additionalItems" in out:
            out["items"] = out.pop("additionalItems")
    return out
