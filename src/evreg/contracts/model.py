"""The domain model: a loaded contract and its AsyncAPI view.

Everything here is immutable and I/O free. Loaders in ``evreg.contracts.loader`` build it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Literal

JSONValue = Any  # a value as json.loads returns it
Schema = dict[str, Any] | bool  # a JSON Schema node

DRAFT4 = "http://json-schema.org/draft-04/schema#"
DRAFT6 = "http://json-schema.org/draft-06/schema#"
DRAFT7 = "http://json-schema.org/draft-07/schema#"
DRAFT2019 = "https://json-schema.org/draft/2019-09/schema"
DRAFT2020 = "https://json-schema.org/draft/2020-12/schema"
# Not a JSON Schema draft: the ``draft`` of a SchemaRef that is an Avro schema (a payload with
# an Avro ``schemaFormat``, or an AVRO contract), the ``version`` of an AVRO contract
AVRO = "avro"


class ContractKind(StrEnum):
    JSON = "JSON"
    ASYNCAPI = "ASYNCAPI"
    AVRO = "AVRO"


@dataclass(frozen=True, slots=True)
class SchemaRef:
    """A JSON Schema that lives somewhere inside a document.

    ``schema`` is the node itself (``$ref``s left as written); ``pointer`` is where it sits in
    ``document`` (``#/components/messages/OrderPlaced/payload``); ``draft`` is the dialect used to
    validate it, or ``AVRO`` for an Avro schema (then ``schema`` is any Avro schema's JSON:
    a type name, an object or a union list). ``$ref``s inside ``schema`` resolve against
    ``document`` and against ``resources`` (other documents the caller handed in, keyed by
    the name used in ``$ref``).
    """

    schema: Schema
    pointer: str
    document: JSONValue
    draft: str = DRAFT2020
    resources: Mapping[str, JSONValue] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Message:
    key: str  # component key, or name / messageId for inline messages
    name: str | None
    title: str | None
    summary: str | None
    description: str | None
    content_type: str | None
    payload: SchemaRef | None
    headers: SchemaRef | None
    examples: tuple[JSONValue, ...]
    pointer: str  # where the (resolved) message object sits


@dataclass(frozen=True, slots=True)
class Channel:
    key: str  # the key under `channels`
    address: str | None  # 2.x: the key; 3.0: `address` (may be null)
    description: str | None
    messages: tuple[str, ...]  # Message.key of every message that may flow on it
    pointer: str
    # 3.0: (key under the channel's `messages`, Message.key) in order. Those keys are local to
    # the channel: two channels may both write `M` for different messages, and Message.key then
    # tells them apart (the later one is keyed by its pointer), while a diff matches a channel's
    # messages by name, else by this local key. 2.x channels have no such keys: ().
    local_keys: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class Operation:
    # 3.0: the key under `operations`; 2.x: operationId, else "<channel>/<publish|subscribe>"
    key: str
    action: Literal["send", "receive"]  # from the described application's side
    channel: str  # Channel.key
    messages: tuple[str, ...]  # Message.key
    description: str | None
    pointer: str


@dataclass(frozen=True, slots=True)
class Contract:
    """A loaded contract: a plain JSON Schema, an AsyncAPI document or an Avro schema."""

    kind: ContractKind
    document: JSONValue  # the parsed document as given (not dereferenced)
    version: str  # AsyncAPI version ("2.6.0", "3.0.0") or the JSON Schema dialect URI
    canonical: str  # canonical JSON text (sorted keys, no whitespace)
    fingerprint: str  # sha256 hex of `canonical`
    source: str | None = None
    title: str | None = None
    # JSON Schema and Avro contracts
    schema: SchemaRef | None = None
    # AsyncAPI contracts
    channels: Mapping[str, Channel] = field(default_factory=dict)
    operations: Mapping[str, Operation] = field(default_factory=dict)
    messages: Mapping[str, Message] = field(default_factory=dict)
    resources: Mapping[str, JSONValue] = field(default_factory=dict)

    @property
    def is_asyncapi(self) -> bool:
        return self.kind is ContractKind.ASYNCAPI

    @property
    def is_avro(self) -> bool:
        return self.kind is ContractKind.AVRO
