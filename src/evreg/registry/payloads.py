"""AsyncAPI payloads as standalone JSON Schemas (or Avro schemas), named by a subject naming
strategy.

A payload sits inside an AsyncAPI document and its ``$ref``s point into that document
(``#/components/schemas/Order``). To register it as a JSON subject that Kafka serializers can use,
every local ``$ref`` it reaches is copied under ``$defs`` (``definitions`` before 2019-09) and the
``$ref`` rewritten to point there.

The strategies are those of Confluent's Kafka serializers (``value.subject.name.strategy``):

- ``topic-name`` (the default): ``<topic>-value``, one subject per channel the application
  sends on; a channel that carries several messages gets an ``anyOf`` of their payloads. The
  topic is the channel's address with ``{parameter}``s written bare, prefixed by the server's
  host for WebSocket/HTTP endpoints (``evreg.contracts.topics``).
- ``record-name``: ``<record name>``, one subject per sent message, holding that message's
  payload only.
- ``topic-record-name``: ``<topic>-<record name>``, one per (channel, message).

The *record name* of a message is its payload schema's ``title`` (after a bare ``$ref`` is
followed: what Confluent's JSON Schema serializer takes as the record name), else the message's
``name``, else its key (its key under ``components/messages``, or its id in the channel).

An Avro payload (``schemaFormat: application/vnd.apache.avro...``) becomes an AVRO subject
holding the Avro schema as written; several Avro payloads on one channel (``topic-name``) become
one union of them; its record name is the Avro full name of its record (what Confluent's Avro
serializer's RecordNameStrategy takes). A channel cannot mix Avro and JSON Schema payloads in one
subject: that is a ContractError naming the channel.

The same derivation serves registering and checking (``POST /api/subjects/{s}/check``), and
:func:`contract_path` maps a finding's pointer in a payload subject back into the contract, so
that a finding names the line of the contract file where the changed node sits.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any

from evreg.contracts import Contract, ContractError
from evreg.contracts.avro.schema import full_name
from evreg.contracts.bundle import standalone
from evreg.contracts.model import Message, SchemaRef
from evreg.contracts.payload_format import format_of
from evreg.contracts.topics import topic_name

SUBJECT_SUFFIX = "-value"
TOPIC_NAME, RECORD_NAME, TOPIC_RECORD_NAME = "topic-name", "record-name", "topic-record-name"
STRATEGIES = (TOPIC_NAME, RECORD_NAME, TOPIC_RECORD_NAME)
DEFAULT_STRATEGY = TOPIC_NAME
_BRANCH = re.compile(r"^#/anyOf/(?P<index>\d+)(?P<rest>/.*)?$")
_AVRO_BRANCH = re.compile(r"^#/(?P<index>\d+)(?P<rest>/.*)?$")


@dataclass(frozen=True, slots=True)
class PayloadSubject:
    subject: str
    channel: str  # the channel key (for record-name: the first channel that sends the message)
    messages: tuple[str, ...]
    schema: Any  # a JSON Schema (a dict); an Avro schema (a dict, a type name or a union list)
    # (message, where its payload sits in the contract), one per payload in ``anyOf`` order
    sources: tuple[tuple[str, str], ...] = ()
    address: str = ""  # the channel's address
    channels: tuple[str, ...] = ()  # every channel key it is sent on (record-name: maybe several)
    schema_type: str = "JSON"  # or "AVRO"


def parse_strategy(value: str | None, where: str) -> str:
    """``value`` as one of :data:`STRATEGIES` (any case; None: the default), or a ValueError
    naming ``where`` it was set."""
    if value is None:
        return DEFAULT_STRATEGY
    name = value.strip().lower()
    if name not in STRATEGIES:
        raise ValueError(f"{where}={value!r}: choose from {', '.join(STRATEGIES)}")
    return name


def record_name(message: Message, schema: Any, schema_type: str = "JSON") -> str:
    """The payload schema's ``title`` (an Avro schema's full name), else the message's
    ``name``, else its key."""
    if schema_type == "AVRO":
        own = full_name(schema, "")[0] if isinstance(schema, dict) and "name" in schema else None
    else:
        own = schema.get("title") if isinstance(schema, dict) else None
    for candidate in (own, message.name):
        if isinstance(candidate, str) and candidate.strip():
            return candidate.strip()
    return message.key


def _sent(contract: Contract) -> dict[str, list[str]]:
    """Channel key -> the messages the contract's application sends on it, in order."""
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
    return sent


def payload_subjects(contract: Contract, strategy: str = DEFAULT_STRATEGY) -> list[PayloadSubject]:
    """The payload subjects of the channels the contract's application *sends* on, named by
    ``strategy`` (one of :data:`STRATEGIES`), by subject name.

    Only the producing side defines what flows on a channel: a consumer's view of someone
    else's channel is not registered (it would become a bogus new version of the producer's
    subject). Under ``record-name`` a message sent on several channels gives one subject; two
    messages whose different payloads share a record name are a ContractError naming both.
    """
    if strategy not in STRATEGIES:
        raise ValueError(f"unknown payload subject strategy {strategy!r}")
    sent = _sent(contract)
    out: dict[str, PayloadSubject] = {}
    for key in sorted(sent):
        channel = contract.channels.get(key)
        topic = topic_name(contract, channel) if channel is not None else None
        if channel is None or not topic or not channel.address:
            continue
        carried = [
            (m, payload)
            for m in sent[key]
            if m in contract.messages and (payload := contract.messages[m].payload) is not None
        ]
        if not carried:
            continue
        kinds = {_schema_type(payload) for _, payload in carried}
        if len(kinds) > 1 and strategy == TOPIC_NAME:
            raise ContractError(
                f"channel {key!r} carries both Avro and JSON Schema payloads: one payload "
                "subject cannot hold both (use the record-name or topic-record-name strategy)",
                pointer=channel.pointer,
            )
        if strategy == TOPIC_NAME:
            name = f"{topic}{SUBJECT_SUFFIX}"
            out[name] = PayloadSubject(
                subject=name,
                channel=key,
                messages=tuple(m for m in sent[key] if m in contract.messages),
                schema=_combined([payload for _, payload in carried]),
                sources=tuple((m, payload.pointer) for m, payload in carried),
                address=channel.address,
                channels=(key,),
                schema_type=kinds.pop(),
            )
            continue
        for message, payload in carried:
            schema = _combined([payload])
            kind = _schema_type(payload)
            record = record_name(contract.messages[message], schema, kind)
            name = record if strategy == RECORD_NAME else f"{topic}-{record}"
            item = PayloadSubject(
                subject=name,
                channel=key,
                messages=(message,),
                schema=schema,
                sources=((message, payload.pointer),),
                address=channel.address,
                channels=(key,),
                schema_type=kind,
            )
            earlier = out.get(name)
            if earlier is None:
                out[name] = item
            elif earlier.schema == schema:  # the same payload again (another channel)
                out[name] = replace(
                    earlier,
                    channels=_plus(earlier.channels, key),
                    messages=_plus(earlier.messages, message),
                )
            else:
                raise ContractError(
                    f"the {strategy} payload subject strategy names two different payloads "
                    f"{name!r}: message {earlier.messages[0]!r} ({earlier.sources[0][1]}) and "
                    f"message {message!r}; give their payload schemas different titles",
                    pointer=payload.pointer,
                )
    return [out[k] for k in sorted(out)]


def _schema_type(payload: SchemaRef) -> str:
    return format_of(payload).schema_type


def _combined(payloads: list[SchemaRef]) -> Any:
    """One schema for the payloads of a subject: standalone JSON Schemas (an ``anyOf`` of
    several), or the Avro schema (a union of several, their own unions flattened)."""
    if _schema_type(payloads[0]) == "JSON":
        return standalone(payloads)
    if len(payloads) == 1:
        return payloads[0].schema
    branches: list[Any] = []
    for payload in payloads:
        schema = payload.schema
        for branch in schema if isinstance(schema, list) else [schema]:
            if branch not in branches:
                branches.append(branch)
    return branches


def _plus(names: tuple[str, ...], name: str) -> tuple[str, ...]:
    return names if name in names else (*names, name)


def contract_path(item: PayloadSubject, path: str) -> tuple[str, str | None]:
    """A JSON Pointer into the payload subject's schema as one into the contract, and the
    message it is about (None when it is about the channel).

    Findings follow ``$ref``s, so a path below the root of a single payload continues from where
    that payload sits (``#/properties/total`` -> ``#/components/messages/OrderPlaced/payload/
    properties/total``); with several messages, ``#/anyOf/N/...`` continues from message N's
    payload. What names no single payload (the ``anyOf`` itself) is the channel.
    """
    rest = path.removeprefix("#")
    if rest == "/":  # the root, as some findings name it
        rest = ""
    if len(item.sources) == 1:
        message, pointer = item.sources[0]
        return pointer + rest, message
    branch = (_AVRO_BRANCH if item.schema_type == "AVRO" else _BRANCH).match("#" + rest)
    if branch is not None and int(branch["index"]) < len(item.sources):
        message, pointer = item.sources[int(branch["index"])]
        return pointer + (branch["rest"] or ""), message
    return "#/channels/" + item.channel.replace("~", "~0").replace("/", "~1"), None
