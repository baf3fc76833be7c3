"""A schema input loaded once (its references pinned and resolved, its contract and identity),
and the contracts of stored schemas, from the cache or loaded from their text."""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from typing import Any

from evreg.contracts import Contract, ContractError, ContractKind, load_contract
from evreg.contracts.loader import load_stored
from evreg.registry import contexts, errors
from evreg.registry.inputs import identity_fingerprint
from evreg.registry.store import Reference
from evreg.registry.store.identity import LEGACY_DRAFT
from evreg.registry.store.tables import SchemaRow, SubjectVersion
from evreg.registry.store.work import ReadWork
from evreg.registry.usecases.context import Context
from evreg.registry.values import SCHEMA_TYPES, Prepared, SchemaInput

log = logging.getLogger("evreg.registry.service")

MAX_REFERENCE_DEPTH = 32
_KIND_NAMES = {
    ContractKind.JSON: "a JSON Schema",
    ContractKind.ASYNCAPI: "an AsyncAPI document",
    ContractKind.AVRO: "an Avro schema",
}


def prepare(
    ctx: Context,
    work: ReadWork,
    given: SchemaInput,
    earlier: Prepared | None = None,
    *,
    subject: str = "",
) -> Prepared:
    """``given`` checked and loaded: type, contract, identity fingerprint, references pinned.

    ``subject``: where it is registered (or looked up, or checked): its context is part of the
    identity, and a reference's unqualified subject is read in that context.
    ``earlier``: the same input prepared in an earlier unit of work (a push reads its payload
    subjects before it takes their locks); it is returned as it is when its references still
    pin the same versions here, so the text is loaded once per registration.
    """
    schema_type = (given.schema_type or "AVRO").upper()  # Confluent's default: AVRO
    if schema_type not in SCHEMA_TYPES:
        raise errors.InvalidSchema(
            f"Invalid schema type {schema_type}: evreg supports {', '.join(SCHEMA_TYPES)}"
            + (" (Protobuf schemas are not supported)" if schema_type == "PROTOBUF" else "")
        )
    if not given.schema.strip():
        raise errors.InvalidSchema("Empty schema")
    most = ctx.max_references
    if most is not None and len(given.references) > most:
        raise errors.InvalidSchema(
            f"Invalid schema: {len(given.references):,} references; at most {most:,} are "
            "allowed (EVREG_MAX_REFERENCES)"
        )
    # "version": -1 means the latest: pin it, so that the identity of the schema (and what
    # it will reference from now on) does not move when the referenced subject does.
    context = contexts.split(subject).context
    located = tuple(
        Reference(r.name, contexts.reference_subject(subject, r.subject), r.version)
        for r in given.references
    )
    targets = _Targets(work)
    pinned = tuple(Reference(r.name, r.subject, targets.version(r).version) for r in located)
    if earlier is not None and earlier.input == given and earlier.references == pinned:
        return earlier
    resources = resolve_references(work, pinned, targets)
    default_draft = given.default_draft or ctx.default_draft
    try:
        contract = load_contract(
            given.schema,
            name="<request>",
            references=resources,
            limits=ctx.limits,
            default_draft=default_draft,
            kind=ContractKind.AVRO if schema_type == "AVRO" else None,
        )
    except ContractError as exc:
        raise errors.InvalidSchema(f"Invalid schema: {exc}") from None
    except (ValueError, TypeError, RecursionError) as exc:
        raise errors.InvalidSchema(f"Invalid schema: {exc}") from None
    except Exception as exc:  # a loader bug must not turn client input into a 500
        log.exception("load_contract failed unexpectedly")
        raise errors.InvalidSchema(
            f"Invalid schema: it could not be loaded ({exc.__class__.__name__}: {exc}); "
            "this is likely an evreg bug, please report it"
        ) from None
    if contract.kind.value != schema_type:
        raise errors.InvalidSchema(
            f"Invalid schema: declared schemaType {schema_type} but the document is "
            f"{_KIND_NAMES[contract.kind]}; "
            f"register it with schemaType {contract.kind.value}"
        )
    draft = (
        default_draft
        if contract.kind.value == "JSON"
        and not (isinstance(contract.document, dict) and "$schema" in contract.document)
        else None
    )
    fingerprint = identity_fingerprint(
        schema_type,
        contract.canonical,
        pinned,
        metadata=given.metadata,
        rule_set=given.rule_set,
        context=context,
        draft=draft,
    )
    return Prepared(given, schema_type, contract, fingerprint, pinned, context, draft)


def resolve_references(
    work: ReadWork, references: Sequence[Reference], targets: _Targets | None = None
) -> dict[str, Any]:
    """name -> parsed document for each reference, and for theirs, transitively (a name met
    again keeps its first document; a direct reference wins over a nested one).

    Each distinct target (subject and version, then schema) is read and parsed once, however
    many references name it and however they nest: the cost is linear in the distinct schemas
    reached and the references listed, not in the paths through them."""
    return (targets or _Targets(work)).resolve(references, 0)


class _Targets:
    """The schemas references reach, read once each (one unit of work)."""

    def __init__(self, work: ReadWork) -> None:
        self.work = work
        self._versions: dict[tuple[str, int], SubjectVersion] = {}
        self._resolved: dict[int, dict[str, Any]] = {}  # schema id -> its references' documents
        self._documents: dict[int, Any] = {}  # schema id -> parsed canonical text

    def version(self, ref: Reference) -> SubjectVersion:
        key = (ref.subject, ref.version)
        if key not in self._versions:
            self._versions[key] = reference_target(self.work, ref)
        return self._versions[key]

    def document(self, schema_id: int, name: str) -> Any:
        if schema_id not in self._documents:
            schema = self.work.get_schema(schema_id)
            if schema is None:  # pragma: no cover - foreign key
                raise errors.InvalidSchema(f"Invalid schema: reference {name} has no schema")
            self._documents[schema_id] = json.loads(schema.canonical)
        return self._documents[schema_id]

    def resolve(self, references: Sequence[Reference], depth: int) -> dict[str, Any]:
        if depth > MAX_REFERENCE_DEPTH:
            raise errors.InvalidSchema(
                f"Invalid schema: references nest deeper than {MAX_REFERENCE_DEPTH} levels"
            )
        out: dict[str, Any] = {}
        for ref in references:
            schema_id = self.version(ref).schema_id
            if schema_id not in self._resolved:
                nested = self.work.get_references(schema_id)
                self._resolved[schema_id] = self.resolve(nested, depth + 1)
            for name, doc in self._resolved[schema_id].items():
                out.setdefault(name, doc)
            out[ref.name] = self.document(schema_id, ref.name)
        return out


def reference_target(work: ReadWork, ref: Reference) -> SubjectVersion:
    if ref.version == -1:
        live = work.versions(ref.subject)
        row: SubjectVersion | None = live[-1] if live else None
    else:
        row = work.get_version(ref.subject, ref.version)
    if row is None or row.deleted:
        raise errors.InvalidSchema(
            f"Invalid schema: reference '{ref.name}' to subject '{ref.subject}' "
            f"version {ref.version} not found"
        )
    return row


def stored_contract(
    ctx: Context, work: ReadWork, row: SchemaRow, references: Sequence[Reference] | None = None
) -> Contract:
    """The contract of a stored schema, from the cache or loaded from its text; its
    ``references`` if the caller has read them already. Stored text was checked (and
    made canonical) by ``load_contract`` when it was registered: ``load_stored`` trusts it
    (no meta-schema, ``$ref`` or size checks again), which is most of the cost of loading
    a long history after a restart."""

    def load() -> Contract:
        refs = work.get_references(int(row.id or 0)) if references is None else references
        resources = resolve_references(work, refs)
        return load_stored(
            row.canonical,
            name=f"schema {row.id}",
            references=resources,
            default_draft=row.default_draft or LEGACY_DRAFT,
            kind=ContractKind.AVRO if row.schema_type == "AVRO" else None,
        )

    return ctx.caches.contracts.get_or_compute(row.fingerprint, load)


def stored_contract_by_id(ctx: Context, work: ReadWork, schema_id: int) -> Contract:
    """The contract of the stored schema with this id (from the cache when it is there)."""
    row = work.get_schema(schema_id)
    if row is None:  # pragma: no cover - foreign key
        raise errors.SchemaNotFound()
    return stored_contract(ctx, work, row)
