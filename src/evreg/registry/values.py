"""The registry's value types: what its use cases take and give back (no database, no HTTP).

What a client sends is parsed into these by :mod:`evreg.registry.inputs`; the Confluent API
shapes them on the wire with :mod:`evreg.registry.confluent_format`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from evreg.contracts import Contract, Finding, Level, Policy
from evreg.registry.store import Reference
from evreg.registry.store.audit import AuditEntry

SCHEMA_TYPES = ("JSON", "ASYNCAPI", "AVRO")
MODES = ("READWRITE", "READONLY", "IMPORT")
DEFAULT_LEVEL = Level.BACKWARD
DEFAULT_POLICY = Policy.STRICT
DEFAULT_MODE = "READWRITE"
MAX_VERSION = 2**31 - 1
# PostgreSQL cannot index a (subject, version) key much above 2.7 kB: longer names are refused.
MAX_SUBJECT_BYTES = 2048

VersionSpec = int | Literal["latest"]


@dataclass(frozen=True, slots=True)
class SchemaInput:
    """A schema as a client sends it: text, declared type, references, and its data contract
    (``metadata`` and ``ruleSet`` as canonical JSON, see :mod:`evreg.registry.data_contracts`).
    ``default_draft``: the dialect of a JSON Schema without ``$schema`` (None: the registry's
    ``EVREG_DEFAULT_JSON_SCHEMA_DRAFT``)."""

    schema: str
    schema_type: str | None = "JSON"
    references: tuple[Reference, ...] = ()
    metadata: str | None = None
    rule_set: str | None = None
    default_draft: str | None = None


@dataclass(frozen=True, slots=True)
class Prepared:
    """A schema input loaded once (see ``usecases.prepare``): its contract, identity and the
    references pinned to version numbers. Everything a registration does with the text uses
    this, so an AsyncAPI push is loaded once."""

    input: SchemaInput
    schema_type: str
    contract: Contract
    fingerprint: str
    references: tuple[Reference, ...]
    context: str = "."
    draft: str | None = None  # the dialect it was read as, when it has no $schema


@dataclass(frozen=True, slots=True)
class StoredSchema:
    id: int  # the id in its context
    schema_type: str
    schema: str
    references: tuple[Reference, ...]
    fingerprint: str
    metadata: str | None = None  # canonical JSON
    rule_set: str | None = None
    context: str = "."


@dataclass(frozen=True, slots=True)
class RegisteredVersion:
    subject: str
    version: int
    id: int
    schema_type: str
    schema: str
    references: tuple[Reference, ...]
    deleted: bool = False
    metadata: str | None = None  # canonical JSON
    rule_set: str | None = None


@dataclass(frozen=True, slots=True)
class CompatibilityResult:
    is_compatible: bool
    level: Level
    policy: Policy
    findings: tuple[Finding, ...] = ()
    messages: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class PayloadCheck:
    """A payload subject that pushing a contract would register, checked as the push would."""

    subject: str
    channel: str  # the channel's key in the contract
    address: str
    result: CompatibilityResult  # findings' paths point into the contract
    registered: bool  # the subject has a live version (else the push creates it)
    unchanged: bool  # the payload is already a live version (the push keeps it)


@dataclass(frozen=True, slots=True)
class ContractCheck(CompatibilityResult):
    """A check of a contract's subject, and of the payload subjects derived from it."""

    payloads: tuple[PayloadCheck, ...] = ()


@dataclass(frozen=True, slots=True)
class ConfigView:
    level: Level
    policy: Policy | None = None
    extra: dict[str, Any] = field(default_factory=dict)  # Confluent's other config fields


@dataclass(slots=True)
class Effective:
    """A subject's compatibility settings after falling back to the global ones and defaults."""

    level: Level
    policy: Policy
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class SearchHit:
    subject: str
    version: int
    id: int
    schema_type: str
    match: str  # "subject" or "schema"


__all__ = [
    "DEFAULT_LEVEL",
    "DEFAULT_MODE",
    "DEFAULT_POLICY",
    "MAX_SUBJECT_BYTES",
    "MAX_VERSION",
    "MODES",
    "SCHEMA_TYPES",
    "AuditEntry",
    "CompatibilityResult",
    "ConfigView",
    "ContractCheck",
    "Effective",
    "PayloadCheck",
    "Prepared",
    "RegisteredVersion",
    "SchemaInput",
    "SearchHit",
    "StoredSchema",
    "VersionSpec",
]
