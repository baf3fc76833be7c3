"""The language-neutral plan: what a package generated from a set of contracts holds.

``build_plan(sources)`` reads the contracts once and decides everything that does not depend
on the target language: the bundled payload and header schemas and their type names
(``schemas.bundle``), the messages with their examples, content types and the headers evreg
fills in, the send and receive operations with their channel address, address parameters,
registry schema id and a name that is distinct among the operations of its side. A renderer
(``evreg.codegen.python``, ``evreg.codegen.typescript``) turns a ``Plan`` into files; it only
chooses how names and types are spelled in its language.

Everything here is pure and deterministic: no timestamps, no absolute paths, no iteration over
unordered sets, and the only version in the output is evreg's.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from evreg.codegen import naming
from evreg.codegen.avro_payloads import as_json_schema
from evreg.codegen.bindings import Bindings, operation_bindings
from evreg.codegen.errors import CodegenError
from evreg.codegen.schemas import Bundle, MessageSchemas, SourceContract, bundle
from evreg.contracts.model import Operation

Side = Literal["producer", "consumer"]


@dataclass(frozen=True, slots=True)
class ContractPlan:
    """One source contract, as the generated package describes it."""

    source: SourceContract
    title: str  # the contract's title, else its subject
    version: str | None  # info.version
    prefix: str  # the type-name prefix used when two contracts clash (``OrdersService``)

    @property
    def subject(self) -> str:
        return self.source.subject


@dataclass(frozen=True, slots=True)
class MessagePlan:
    id: str  # "<subject>:<message key>": unique in the package
    contract: int  # index into Plan.contracts
    name: str  # the message name as written (name, else key)
    payload_type: str | None  # the type name of its payload, None when it declares none
    headers_type: str | None
    payload_schema: dict[str, Any] | None  # standalone JSON Schema (validation bundle)
    headers_schema: dict[str, Any] | None
    examples: tuple[dict[str, Any], ...]  # {"name"?, "payload"?, "headers"?}
    content_type: str  # the message's contentType, else the contract's default, else JSON
    auto_headers: tuple[tuple[str, str], ...]  # (declared header, what evreg fills in)


@dataclass(frozen=True, slots=True)
class OperationPlan:
    side: Side  # producer: the package sends; consumer: it handles
    contract: int
    operation: Operation
    address: str  # the channel address, ``{parameter}`` placeholders included
    parameters: tuple[str, ...]  # the placeholders of the address, in order, each once
    messages: tuple[MessagePlan, ...]  # those with a payload
    schema_id: int | None  # the registry id the producer sends (payload subject, else contract)
    name: str  # snake case, distinct among the operations of its side (before a language's
    # own escaping: each renderer spells it and makes it unique among its reserved names)
    doc: str  # "Send OrderPlaced on orders.placed (operation x of orders)." + its description
    bindings: Bindings = field(default_factory=Bindings)  # what its AsyncAPI bindings ask

    @property
    def payload_types(self) -> tuple[str, ...]:
        """The distinct payload type names of its messages, in order."""
        return tuple(dict.fromkeys(m.payload_type for m in self.messages if m.payload_type))

    @property
    def headers_types(self) -> tuple[str | None, ...]:
        return tuple(dict.fromkeys(m.headers_type for m in self.messages))


@dataclass(frozen=True, slots=True)
class Plan:
    contracts: tuple[ContractPlan, ...]
    bundle: Bundle  # entities (one type each) and the model schema they come from
    messages: tuple[MessagePlan, ...]  # every message of every contract, in order
    sends: tuple[OperationPlan, ...]
    receives: tuple[OperationPlan, ...]  # receive operations, then sent channels no receive
    # operation covers (what a peer of the sending application consumes)

    @property
    def titles(self) -> str:
        return ", ".join(c.title for c in self.contracts)


def evreg_version() -> str:
    from evreg import __version__

    return __version__


def input_key(sources: Sequence[SourceContract], package: str, options: Sequence[str]) -> str:
    """Everything the generated text depends on, hashed (the cache key for regeneration):
    evreg's version, the package name, the renderer's ``options`` and each contract."""
    parts: list[Any] = [evreg_version(), package, list(options)]
    for s in sources:
        ids = dict(sorted(s.payload_schema_ids.items()))
        parts.append([s.contract.fingerprint, s.label, s.subject, s.schema_id, ids])
    text = json.dumps(parts, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def header_lines(plan: Plan, lang: str) -> list[str]:
    """The text of every generated file's header, without a comment marker: the evreg version,
    and each contract's title, version, source and fingerprint (printable ASCII only)."""
    lines = [
        f"Generated by evreg {naming.comment_text(evreg_version())} "
        f"(evreg generate --lang {lang}): do not edit,",
        "change the contract and generate again.",
    ]
    for contract in plan.contracts:
        named = f"{contract.title} {contract.version}" if contract.version else contract.title
        lines.append(f"Contract: {naming.comment_text(named, limit=60)}")
        lines.append(f"  source: {naming.comment_text(contract.source.label, limit=80)}")
        lines.append(f"  fingerprint: sha256:{contract.source.contract.fingerprint}")
    return lines


def subject_for(label: str, document: object) -> str:
    """The registry subject of a contract file: ``x-evreg-subject``, else the file name up to
    its first dot (what ``evreg serve --load`` and ``evreg push`` use)."""
    if isinstance(document, dict):
        named = document.get("x-evreg-subject")
        if isinstance(named, str) and named.strip():
            return named.strip()
    return label.replace("\\", "/").rsplit("/", 1)[-1].split(".", 1)[0]


_AUTO = {
    "eventid": "event_id",
    "messageid": "event_id",
    "msgid": "event_id",
    "id": "event_id",
    "correlationid": "correlation_id",
    "occurredat": "timestamp",
    "timestamp": "timestamp",
    "time": "timestamp",
    "sentat": "timestamp",
    "producedat": "timestamp",
    "eventtime": "timestamp",
    "contenttype": "content_type",
    "schemaid": "schema_id",
}


def auto_headers(schema: dict[str, Any] | None) -> tuple[tuple[str, str], ...]:
    """Declared headers evreg can fill in: event id, correlation id, timestamp, content type,
    schema id (matched by name, case and separators ignored, and by type)."""
    if not isinstance(schema, dict) or not isinstance(schema.get("properties"), dict):
        return ()
    out = []
    for name, spec in schema["properties"].items():
        kind = _AUTO.get(re.sub(r"[^a-z0-9]", "", name.lower()))
        if kind is None or not isinstance(spec, dict):
            continue
        if spec.get("type", "string") not in ("string", ["string"]) or "enum" in spec:
            continue
        if kind == "event_id" and spec.get("format") not in (None, "uuid"):
            continue
        if kind == "timestamp" and spec.get("format") != "date-time":
            continue
        out.append((name, kind))
    return tuple(out)


def _contract_plan(source: SourceContract, prefix: str) -> ContractPlan:
    document = source.contract.document
    info = document.get("info") if isinstance(document, dict) else None
    version = info.get("version") if isinstance(info, dict) else None
    return ContractPlan(
        source=source,
        title=source.contract.title or source.subject,
        version=version if isinstance(version, str) else None,
        prefix=prefix,
    )


def _default_content_type(source: SourceContract) -> str:
    document = source.contract.document
    if isinstance(document, dict):
        dct = document.get("defaultContentType")
        if isinstance(dct, str):
            return dct
    return "application/json"


def _message_plans(sources: Sequence[SourceContract], bundled: Bundle) -> list[MessagePlan]:
    out = []
    for m in bundled.messages:
        source = sources[m.contract]
        out.append(
            MessagePlan(
                id=f"{source.subject}:{m.message.key}",
                contract=m.contract,
                name=m.name,
                payload_type=m.payload_class,
                headers_type=m.headers_class,
                payload_schema=m.payload_schema,
                headers_schema=m.headers_schema,
                examples=m.examples,
                content_type=m.message.content_type or _default_content_type(source),
                auto_headers=auto_headers(m.headers_schema),
            )
        )
    return out


@dataclass(slots=True)
class _Draft:
    contract: int
    operation: Operation
    address: str
    messages: tuple[MessagePlan, ...]
    schema_id: int | None
    bindings: Bindings


def _drafts(
    sources: Sequence[SourceContract], bundled: Bundle, messages: Sequence[MessagePlan]
) -> tuple[list[_Draft], list[_Draft]]:
    by_key: dict[tuple[int, str], tuple[MessageSchemas, MessagePlan]] = {
        (s.contract, s.message.key): (s, m) for s, m in zip(bundled.messages, messages, strict=True)
    }
    sends: list[_Draft] = []
    receives: list[_Draft] = []
    for index, source in enumerate(sources):
        contract = source.contract
        for operation in contract.operations.values():
            channel = contract.channels.get(operation.channel)
            if channel is None:
                continue
            address = channel.address or channel.key
            schema_id = source.payload_schema_ids.get(address, source.schema_id)
            found = [by_key.get((index, key)) for key in operation.messages]
            pairs = [(s, m) for s, m in filter(None, found) if s.payload_class is not None]
            if not pairs:
                continue
            chosen = tuple(m for _, m in pairs)
            bindings = operation_bindings(
                contract.document, operation, channel, [s.message for s, _ in pairs]
            )
            draft = _Draft(index, operation, address, chosen, schema_id, bindings)
            (sends if operation.action == "send" else receives).append(draft)
    # what a contract's application sends, a peer consumes: the consumer also handles each
    # sent channel that no receive operation of the package already covers
    covered = {draft.address for draft in receives}
    receives += [d for d in sends if d.address not in covered]
    return sends, receives


def _names(drafts: Sequence[_Draft], prefixes: Sequence[str]) -> list[str]:
    """One name per operation: its message's name when it has one message, else the
    operation's key; where two collide, the operation's key; where those collide too, the
    contract's prefix and the key (snake case; a renderer makes them unique in its language)."""

    def first(draft: _Draft) -> str:
        if len(draft.messages) == 1:
            return naming.snake(draft.messages[0].name)
        return naming.snake(draft.operation.key)

    def second(draft: _Draft) -> str:
        return naming.snake(draft.operation.key)

    def third(draft: _Draft) -> str:
        return naming.snake(f"{prefixes[draft.contract]} {draft.operation.key}")

    names = [first(d) for d in drafts]
    for fallback in (second, third):
        counts = Counter(names)
        names = [fallback(d) if counts[n] > 1 else n for d, n in zip(drafts, names, strict=True)]
    return names


def _operation_plans(
    side: Side, drafts: Sequence[_Draft], sources: Sequence[SourceContract], prefixes: list[str]
) -> tuple[OperationPlan, ...]:
    verb = "Send" if side == "producer" else "Handle"
    out = []
    for draft, name in zip(drafts, _names(drafts, prefixes), strict=True):
        names = ", ".join(dict.fromkeys(m.name for m in draft.messages))
        operation = draft.operation
        doc = f"{verb} {names} on {draft.address} (operation {operation.key}"
        doc += f" of {sources[draft.contract].subject})."
        if operation.description:
            doc += "\n\n" + operation.description
        out.append(
            OperationPlan(
                side=side,
                contract=draft.contract,
                operation=operation,
                address=draft.address,
                parameters=tuple(dict.fromkeys(re.findall(r"\{([^{}]+)\}", draft.address))),
                messages=draft.messages,
                schema_id=draft.schema_id,
                name=name,
                doc=doc,
                bindings=draft.bindings,
            )
        )
    return tuple(out)


def build_plan(sources: Sequence[SourceContract]) -> Plan:
    """The plan of a package generated from ``sources`` (in this order)."""
    if not sources:
        raise CodegenError("no contract to generate from")
    # Avro payloads (and AVRO contracts) are generated from the JSON Schema of their values
    sources = [replace(s, contract=as_json_schema(s.contract)) for s in sources]
    bundled = bundle(sources)
    prefixes = list(bundled.contract_prefixes)
    messages = _message_plans(sources, bundled)
    sends, receives = _drafts(sources, bundled, messages)
    return Plan(
        contracts=tuple(_contract_plan(s, p) for s, p in zip(sources, prefixes, strict=True)),
        bundle=bundled,
        messages=tuple(messages),
        sends=_operation_plans("producer", sends, sources, prefixes),
        receives=_operation_plans("consumer", receives, sources, prefixes),
    )


def contract_data(
    plan: Plan,
    methods: Sequence[str],
    generator: str,
    arguments: Sequence[Sequence[str]] | None = None,
) -> dict[str, Any]:
    """What ``contract.json`` holds (the generated tests read it): the contracts themselves,
    every message's schemas and examples, and every operation (sends, then receives) with its
    method name in ``methods`` (same order) and, given ``arguments``, the name in the target
    language of the argument that fills each address parameter (same order as ``parameters``),
    and whether the producer must be given the message key (``keyRequired``: a Kafka key
    binding the contract gives no value for)."""
    contracts = []
    for c in plan.contracts:
        contract = c.source.contract
        contracts.append(
            {
                "title": contract.title,
                "version": c.version,
                "source": c.source.label,
                "subject": c.subject,
                "schemaType": "ASYNCAPI" if contract.is_asyncapi else "JSON",
                "fingerprint": contract.fingerprint,
                "schemaId": c.source.schema_id,
                "schema": contract.canonical,
            }
        )
    messages = [
        {
            "id": m.id,
            "message": m.name,
            "subject": plan.contracts[m.contract].subject,
            "payloadClass": m.payload_type,
            "headersClass": m.headers_type,
            "payloadSchema": m.payload_schema,
            "headersSchema": m.headers_schema,
            "examples": list(m.examples),
        }
        for m in plan.messages
    ]
    operations = [
        {
            "side": op.side,
            "operation": op.operation.key,
            "subject": plan.contracts[op.contract].subject,
            "action": op.operation.action,
            "address": op.address,
            "method": method,
            "parameters": list(op.parameters),
            **({"arguments": list(arguments[n])} if arguments is not None else {}),
            "keyRequired": op.bindings.key_required,
            "messages": [m.id for m in op.messages],
        }
        for n, (op, method) in enumerate(zip((*plan.sends, *plan.receives), methods, strict=True))
    ]
    return {
        "generator": generator,
        "contracts": contracts,
        "messages": messages,
        "operations": operations,
    }
