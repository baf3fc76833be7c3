"""AsyncAPI payloads as standalone JSON Schemas, one per channel: ``<channel address>-value``.

A payload sits inside an AsyncAPI document and its ``$ref``s point into that document
(``#/components/schemas/Order``). To register it as a JSON subject that Kafka serializers can use,
every local ``$ref`` it reaches is copied under ``$defs`` (``definitions`` before 2019-09) and the
``$ref`` rewritten to point there. A channel that carries several messages gets an ``anyOf`` of
their payloads.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from typing import Any

from evreg.contracts import Contract
from evreg.contracts.model import DRAFT4, DRAFT6, DRAFT7, SchemaRef

SUBJECT_SUFFIX = "-value"


class PayloadError(ValueError):
    """A payload cannot be made standalone (e.g. a ``$ref`` into another document)."""


@dataclass(frozen=True, slots=True)
class PayloadSubject:
    subject: str
    channel: str
    messages: tuple[str, ...]
    schema: dict[str, Any]


def _unescape(token: str) -> str:
    return token.replace("~1", "/").replace("~0", "~")


def _resolve(document: Any, pointer: str) -> Any:
    if pointer in ("", "#"):
        return document
    if not pointer.startswith("#/"):
        raise PayloadError(f"not a local reference: {pointer}")
    node = document
    for raw in pointer[2:].split("/"):
        token = _unescape(raw)
        if isinstance(node, list):
            node = node[int(token)]
        elif isinstance(node, dict) and token in node:
            node = node[token]
        else:
            raise PayloadError(f"unresolvable reference {pointer}")
    return node


@dataclass(slots=True)
class _Bundler:
    document: Any
    defs_key: str
    names: dict[str, str] = field(default_factory=dict)  # pointer -> def name
    defs: dict[str, Any] = field(default_factory=dict)

    def name_for(self, pointer: str) -> str:
        if pointer in self.names:
            return self.names[pointer]
        base = re.sub(r"[^A-Za-z0-9_.-]", "_", _unescape(pointer.rstrip("/").rsplit("/", 1)[-1]))
        name = base or "schema"
        n = 2
        while name in self.defs or name in self.names.values():
            name = f"{base}_{n}"
            n += 1
        self.names[pointer] = name
        self.defs[name] = None  # reserve; filled below (cycles see the name already)
        self.defs[name] = self.rewrite(_resolve(self.document, pointer))
        return name

    def rewrite(self, node: Any) -> Any:
        if isinstance(node, list):
            return [self.rewrite(item) for item in node]
        if not isinstance(node, dict):
            return node
        out: dict[str, Any] = {}
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                if not value.startswith("#"):
                    raise PayloadError(f"payload $ref into another document: {value}")
                out[key] = f"#/{self.defs_key}/{self.name_for(value)}"
            else:
                out[key] = self.rewrite(value)
        return out


def standalone(refs: list[SchemaRef]) -> dict[str, Any]:
    """One schema: the payload (or an ``anyOf`` of several), local refs bundled."""
    first = refs[0]
    defs_key = "definitions" if first.draft in (DRAFT4, DRAFT6, DRAFT7) else "$defs"
    bundler = _Bundler(first.document, defs_key)
    roots = [bundler.rewrite(copy.deepcopy(r.schema)) for r in refs]
    root: Any = roots[0] if len(roots) == 1 else {"anyOf": roots}
    if isinstance(root, bool):
        root = {} if root else {"not": {}}
    if set(root) == {"$ref"}:  # a bare $ref: inline its target (still in defs for cycles)
        name = root["$ref"].rsplit("/", 1)[-1]
        root = copy.deepcopy(bundler.defs[name])
    out: dict[str, Any] = {"$schema": first.draft}
    out.update(root)
    if bundler.defs:
        out[defs_key] = {**out.get(defs_key, {}), **bundler.defs}
    return out


def payload_subjects(contract: Contract) -> list[PayloadSubject]:
    """``<address>-value`` for each channel the contract's application *sends* on.

    Only the producing side defines what flows on a channel: a consumer's view of someone
    else's channel is not registered (it would become a bogus new version of the producer's
    subject).
    """
    sent: dict[str, list[str]] = {}
    for operation in contract.operations.values():
        if operation.action != "send":
            continue
        names = sent.setdefault(operation.channel, [])
        channel = contract.channels.get(operation.channel)
        candidates = operation.messages or (channel.messages if channel else ())
        for name in candidates:
            if name not in names:
                names.append(name)
    out: list[PayloadSubject] = []
    for key in sorted(sent):
        channel = contract.channels.get(key)
        if channel is None or not channel.address:
            continue
        names = [m for m in sent[key] if m in contract.messages]
        refs = [p for p in (contract.messages[m].payload for m in names) if p is not None]
        if not refs:
            continue
        out.append(
            PayloadSubject(
                subject=f"{channel.address}{SUBJECT_SUFFIX}",
                channel=key,
                messages=tuple(names),
                schema=standalone(refs),
            )
        )
    return out
