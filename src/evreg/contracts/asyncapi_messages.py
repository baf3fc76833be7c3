"""AsyncAPI messages: keys, deduplication, traits, and their payload and headers schemas."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from evreg.contracts import pointer
from evreg.contracts.errors import ContractError
from evreg.contracts.jsonschema_doc import detect_draft
from evreg.contracts.merge import merge_patch
from evreg.contracts.model import AVRO, DRAFT2020, JSONValue, Message, SchemaRef
from evreg.contracts.refs import RefResolver, Target
from evreg.contracts.schema_format import draft_for_format
from evreg.contracts.traits import contributors, merged_fields, resolve_traits

_SCHEMA_FIELDS = ("payload", "headers", "traits")


@dataclass(frozen=True, slots=True)
class Context:
    """What every part of the AsyncAPI view needs."""

    document: dict[str, Any]
    refs: RefResolver
    references: Mapping[str, JSONValue]
    major: int  # 2 or 3
    default_content_type: str | None


def optional_text(obj: Mapping[str, Any], key: str, at: str) -> str | None:
    value = obj.get(key)
    if value is None or isinstance(value, str):
        return value
    raise ContractError(f"{key} must be a string", pointer=pointer.join(at, key))


def _component_key(at: str) -> str | None:
    parts = pointer.split(at) if at.startswith("#/") else []
    if len(parts) == 3 and parts[:2] == ["components", "messages"]:
        return parts[2]
    return None


class MessageTable:
    """Every message of the document, once, under its key.

    The key is the component name when the message is (a ``$ref`` to)
    ``#/components/messages/X``; else the first of ``candidates`` (the caller passes
    ``messageId``/``name`` for 2.x, the channel's map key/``name`` for 3.0); else the pointer of
    the message (so a later message whose candidate key is taken is keyed by where it sits, e.g.
    ``#/channels/b/messages/M``). A copy of a known message (a dereferenced document repeats each
    component under channels and operations) is matched by content, then by a name equal to a
    component key. A message written inline on a channel is that channel's own (3.0 channel
    message keys are local): it matches a component or the same channel's messages by content,
    never another channel's message.
    """

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.messages: dict[str, Message] = {}
        self.schemas: list[tuple[Target, str]] = []  # payload and headers schemas to check
        self._by_node: dict[int, str] = {}
        self._known: list[tuple[JSONValue, str]] = []
        self._components: set[str] = set()

    def add_components(self) -> None:
        components = self.ctx.document.get("components")
        messages = components.get("messages") if isinstance(components, dict) else None
        if messages is None:
            return
        at = "#/components/messages"
        if not isinstance(messages, dict):
            raise ContractError("components.messages must be an object", pointer=at)
        root = self.ctx.refs.root
        for key, node in messages.items():
            self.add(self.ctx.refs.within(root, node, pointer.join(at, key)), first=key)
            self._components.add(key)

    def add(
        self,
        occurrence: Target,
        *,
        first: str | None = None,
        fields: Sequence[str] = ("name",),
        channel_local: bool = False,
        prefer: Sequence[str] = (),
    ) -> str:
        """Register the message written at ``occurrence`` (maybe a ``$ref``); return its key.

        Key candidates, after the component name: ``first``, then the message's ``fields``.
        ``channel_local``: a message written on a channel, matched by content only with
        components and ``prefer``. ``prefer``: keys a copy is matched with first (the messages
        of the same channel).
        """
        target = self.ctx.refs.deref(occurrence)
        key = self._by_node.get(id(target.contents))
        if key is not None:
            return key
        node = target.contents
        candidates = [first, *(node.get(f) for f in fields)] if isinstance(node, dict) else []
        key = _component_key(target.pointer) or self._match(node, candidates, channel_local, prefer)
        if key is None or key not in self.messages:
            key = key or self._fresh_key(target, candidates)
            self.messages[key] = self._build(target, key)
            self._known.append((node, key))
        self._by_node[id(node)] = key
        return key

    def _match(
        self,
        node: JSONValue,
        candidates: Sequence[object],
        channel_local: bool = False,
        prefer: Sequence[str] = (),
    ) -> str | None:
        preferred = [(known, key) for known, key in self._known if key in prefer]
        for known, key in [*preferred, *self._known]:
            allowed = not channel_local or key in self._components or key in prefer
            if known == node and allowed:
                return key
        first = next((c for c in candidates if isinstance(c, str) and c), None)
        return first if first in self._components else None

    def _fresh_key(self, target: Target, candidates: Sequence[object]) -> str:
        for candidate in candidates:
            if isinstance(candidate, str) and candidate:
                return candidate if candidate not in self.messages else target.pointer
        return target.pointer

    def _build(self, target: Target, key: str) -> Message:
        node = target.contents
        if not isinstance(node, dict):
            raise ContractError("a message must be an object", pointer=target.pointer)
        ctx = self.ctx
        traits = resolve_traits(ctx.refs, target)
        fields = merged_fields(ctx.major, target, traits, skip=_SCHEMA_FIELDS)
        schema_format = None
        if ctx.major == 2:  # 2.x: the message's schemaFormat is the payload's
            sources = contributors(ctx.refs, "schemaFormat", 2, target, traits)
            schema_format = sources[0] if sources else None
        examples = fields.get("examples", [])
        if not isinstance(examples, list):
            at = pointer.join(target.pointer, "examples")
            raise ContractError("examples must be a list", pointer=at)
        return Message(
            key=key,
            name=optional_text(fields, "name", target.pointer),
            title=optional_text(fields, "title", target.pointer),
            summary=optional_text(fields, "summary", target.pointer),
            description=optional_text(fields, "description", target.pointer),
            content_type=optional_text(fields, "contentType", target.pointer)
            or ctx.default_content_type,
            payload=self._schema("payload", target, traits, schema_format),
            headers=self._schema("headers", target, traits, None),
            examples=tuple(examples),
            pointer=target.pointer,
        )

    def _schema(
        self, field: str, target: Target, traits: list[Target], schema_format: Target | None
    ) -> SchemaRef | None:
        ctx = self.ctx
        sources = contributors(ctx.refs, field, ctx.major, target, traits)
        if not sources:
            return None
        found = sources[0]
        if len(sources) > 1 and all(isinstance(s.contents, dict) for s in sources):
            merged: Any = {}
            for source in reversed(sources):
                merged = merge_patch(merged, source.contents)
            found = ctx.refs.within(found, merged, found.pointer)
        if ctx.major == 3:
            found, schema_format = self._unwrap(found)
        draft = DRAFT2020
        if schema_format is not None:
            draft = draft_for_format(schema_format.contents, at=schema_format.pointer)
        if draft == AVRO:
            return self._avro(found)
        if not isinstance(found.contents, dict | bool):
            raise ContractError(f"{field} must be a schema (an object)", pointer=found.pointer)
        draft = detect_draft(found.contents, at=found.pointer, default=draft)
        self.schemas.append((found, draft))
        return SchemaRef(
            schema=found.contents,
            pointer=found.pointer,
            document=ctx.document,
            draft=draft,
            resources=ctx.references,
        )

    def _avro(self, found: Target) -> SchemaRef:
        """An Avro payload: an Avro schema (a type name, an object or a union), checked by
        ``parse_avro`` at its pointer; never a JSON Schema (no ``$ref`` inside is followed)."""
        from evreg.contracts.avro import parse_avro  # fastavro is imported only for Avro

        target = self.ctx.refs.deref(found)
        parse_avro(target.contents, at=target.pointer)
        return SchemaRef(
            schema=target.contents,
            pointer=target.pointer,
            document=self.ctx.document,
            draft=AVRO,
            resources=self.ctx.references,
        )

    def _unwrap(self, found: Target) -> tuple[Target, Target | None]:
        """A 3.0 multi-format schema object ``{schemaFormat, schema}`` -> its ``schema``."""
        resolved = self.ctx.refs.deref(found)
        node = resolved.contents
        if not isinstance(node, dict) or "schemaFormat" not in node:
            return found, None
        schema_format = self.ctx.refs.within(
            resolved, node["schemaFormat"], pointer.join(resolved.pointer, "schemaFormat")
        )
        if "schema" not in node:
            raise ContractError("a multi-format schema needs `schema`", pointer=resolved.pointer)
        at = pointer.join(resolved.pointer, "schema")
        return self.ctx.refs.within(resolved, node["schema"], at), schema_format
