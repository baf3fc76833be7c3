"""The registry's use cases: register, look up, read, delete, test compatibility, config, mode.

No HTTP here: callers pass plain values and get dataclasses back, or a
:class:`~evreg.registry.errors.RegistryError`. Every write runs in one database transaction that
holds the subject's lock, and the compatibility check against the subject's live versions runs
inside that same transaction, so two registry processes can never both append a version that
was only checked against a stale latest.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Literal

from sqlalchemy import event, text
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from evreg.contracts import (
    Contract,
    ContractError,
    ContractKind,
    Finding,
    Level,
    Policy,
    Report,
    check_compatibility,
    load_contract,
)
from evreg.contracts.limits import DEFAULT_LIMITS, Limits
from evreg.contracts.loader import load_stored
from evreg.registry import compat_cache, errors, flow, id_watch
from evreg.registry.compat_cache import LRU as LRU  # re-exported: observability reads its counters
from evreg.registry.payloads import (
    DEFAULT_STRATEGY,
    PayloadSubject,
    contract_path,
    parse_strategy,
    payload_subjects,
)
from evreg.registry.schema_ids import SchemaIds
from evreg.registry.stats import Stats
from evreg.registry.store import Reference, Store, search_text, summaries
from evreg.registry.store import queries as q
from evreg.registry.store.tables import GLOBAL, SchemaReference, SchemaRow, SubjectVersion

log = logging.getLogger("evreg.registry.service")

SCHEMA_TYPES = ("JSON", "ASYNCAPI")
MODES = ("READWRITE", "READONLY", "IMPORT")
DEFAULT_LEVEL = Level.BACKWARD
DEFAULT_POLICY = Policy.STRICT
DEFAULT_MODE = "READWRITE"
MAX_VERSION = 2**31 - 1

VersionSpec = int | Literal["latest"]

# ---------------------------------------------------------------- values


@dataclass(frozen=True, slots=True)
class SchemaInput:
    """A schema as a client sends it: text, declared type, references."""

    schema: str
    schema_type: str | None = "JSON"
    references: tuple[Reference, ...] = ()


@dataclass(frozen=True, slots=True)
class StoredSchema:
    id: int
    schema_type: str
    schema: str
    references: tuple[Reference, ...]
    fingerprint: str


@dataclass(frozen=True, slots=True)
class RegisteredVersion:
    subject: str
    version: int
    id: int
    schema_type: str
    schema: str
    references: tuple[Reference, ...]
    deleted: bool = False


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


@dataclass(frozen=True, slots=True)
class _Prepared:
    input: SchemaInput
    schema_type: str
    contract: Contract
    fingerprint: str
    references: tuple[Reference, ...]


@dataclass(slots=True)
class _Effective:
    level: Level
    policy: Policy
    extra: dict[str, Any] = field(default_factory=dict)


def parse_version(value: str | int, *, allow_minus_one: bool = True) -> VersionSpec:
    """``"latest"``, ``-1`` (latest) or 1..2^31-1; anything else is InvalidVersion (42202)."""
    if isinstance(value, str):
        if value == "latest":
            return "latest"
        try:
            number = int(value)
        except ValueError:
            raise errors.InvalidVersion(value) from None
    else:
        number = value
    if number == -1 and allow_minus_one:
        return "latest"
    if not 1 <= number <= MAX_VERSION:
        raise errors.InvalidVersion(value)
    return number


def parse_level(value: object) -> Level:
    try:
        return Level(str(value).upper())
    except ValueError:
        choices = ", ".join(level.value for level in Level)
        raise errors.InvalidCompatibilityLevel(
            f"Invalid compatibility level. Valid values are {choices}"
        ) from None


def parse_policy(value: object) -> Policy:
    try:
        return Policy(str(value).upper())
    except ValueError:
        choices = ", ".join(policy.value for policy in Policy)
        raise errors.InvalidCompatibilityLevel(
            f"Invalid compatibility policy {value!r}. Valid values are {choices}"
        ) from None


def parse_mode(value: object) -> str:
    mode = str(value).upper()
    if mode not in MODES:
        raise errors.InvalidMode(f"Invalid mode. Valid values are {', '.join(MODES)}")
    return mode


def identity_fingerprint(schema_type: str, canonical: str, references: Sequence[Reference]) -> str:
    """sha256 over type, canonical content and references: one schema id per value of this."""
    refs = [[r.name, r.subject, r.version] for r in references]
    payload = json.dumps([schema_type, canonical, refs], separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(payload.encode("utf-8", "surrogatepass")).hexdigest()


def describe_finding(finding: Finding) -> str:
    """One Confluent-style message string for a breaking finding."""
    parts = [
        f"errorType:'{finding.rule}'",
        f"description:'{finding.message}'",
        f"additionalInfo:'{finding.path}'",
    ]
    if finding.version is not None:
        parts.append(f"oldSchemaVersion:{finding.version}")
    parts.append(f"direction:'{finding.direction.value}'")
    if finding.has_witness:
        witness = json.dumps(finding.witness, sort_keys=True, ensure_ascii=False)
        parts.append(f"witness:{witness}")
    elif finding.witness_note:
        parts.append(f"witnessNote:'{finding.witness_note}'")
    return "{" + ", ".join(parts) + "}"


# ---------------------------------------------------------------- the service


class RegistryService:
    """Use cases over one :class:`Store`. Thread-safe; share one per process."""

    def __init__(
        self,
        store: Store,
        *,
        cache_size: int = 4096,
        payload_subjects: bool = True,
        payload_strategy: str = DEFAULT_STRATEGY,
        limits: Limits = DEFAULT_LIMITS,
    ) -> None:
        self.store = store
        self.payload_subjects = payload_subjects
        # how payload subjects are named when a push does not say (?payloadSubjectStrategy=)
        self.payload_strategy = parse_strategy(payload_strategy, "payload_strategy")
        self.limits = limits  # bounds on a new schema's size (stored ones load unbounded)
        self._contracts: LRU[str, Contract] = LRU(cache_size)
        self._reports: LRU[compat_cache.PairKey, Report] = LRU(cache_size)
        # what in-memory reads (schemas by id, tokens) check they are not stale against
        self.changes = id_watch.Changes(store.engine)
        self.schema_ids: SchemaIds[StoredSchema] = SchemaIds(store.engine, cache_size, self.changes)
        self.stats = Stats()  # counted for /metrics
        self._endpoints: dict[str, tuple[flow.Endpoint, ...]] = {}

    # ------------------------------------------------------------ plumbing

    @contextmanager
    def _read(self) -> Iterator[Session]:
        try:
            with self.store.read() as session:
                yield session
        except SQLAlchemyError as exc:
            raise errors.store_failure(exc) from exc

    @contextmanager
    def _write(self, *subjects: str) -> Iterator[Session]:
        try:
            with self.store.write(*subjects) as session:
                yield session
        except SQLAlchemyError as exc:
            raise errors.store_failure(exc) from exc

    def ping(self) -> None:
        """Raise StoreFailure unless the database answers."""
        with self._read() as session:
            session.execute(text("SELECT 1"))

    @staticmethod
    def schema_types() -> list[str]:
        return list(SCHEMA_TYPES)

    # ------------------------------------------------------------ contracts

    def _prepare(self, session: Session, given: SchemaInput) -> _Prepared:
        schema_type = (given.schema_type or "AVRO").upper()
        if schema_type not in SCHEMA_TYPES:
            raise errors.InvalidSchema(
                f"Invalid schema type {schema_type}: evreg supports JSON and ASYNCAPI only "
                "(an absent schemaType means AVRO in this API)"
            )
        if not given.schema.strip():
            raise errors.InvalidSchema("Empty schema")
        # "version": -1 means the latest: pin it, so that the identity of the schema (and what
        # it will reference from now on) does not move when the referenced subject does.
        pinned = tuple(
            Reference(r.name, r.subject, self._reference_target(session, r).version)
            for r in given.references
        )
        resources = self._resolve_references(session, pinned)
        try:
            contract = load_contract(
                given.schema, name="<request>", references=resources, limits=self.limits
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
                f"{'an AsyncAPI document' if contract.is_asyncapi else 'a JSON Schema'}; "
                f"register it with schemaType {contract.kind.value}"
            )
        fingerprint = identity_fingerprint(schema_type, contract.canonical, pinned)
        return _Prepared(given, schema_type, contract, fingerprint, pinned)

    def _resolve_references(
        self, session: Session, references: Sequence[Reference], depth: int = 0
    ) -> dict[str, Any]:
        """name -> parsed document for each reference, and for theirs, transitively."""
        if depth > 32:
            raise errors.InvalidSchema("Invalid schema: references nest deeper than 32 levels")
        out: dict[str, Any] = {}
        for ref in references:
            row = self._reference_target(session, ref)
            schema = q.get_schema(session, row.schema_id)
            if schema is None:  # pragma: no cover - foreign key
                raise errors.InvalidSchema(f"Invalid schema: reference {ref.name} has no schema")
            nested = self._resolve_references(
                session, q.get_references(session, row.schema_id), depth + 1
            )
            for name, doc in nested.items():
                out.setdefault(name, doc)
            out[ref.name] = json.loads(schema.canonical)
        return out

    @staticmethod
    def _reference_target(session: Session, ref: Reference) -> SubjectVersion:
        if ref.version == -1:
            live = q.versions(session, ref.subject)
            row: SubjectVersion | None = live[-1] if live else None
        else:
            row = q.get_version(session, ref.subject, ref.version)
        if row is None or row.deleted:
            raise errors.InvalidSchema(
                f"Invalid schema: reference '{ref.name}' to subject '{ref.subject}' "
                f"version {ref.version} not found"
            )
        return row

    def _stored_contract(
        self, session: Session, row: SchemaRow, references: Sequence[Reference] | None = None
    ) -> Contract:
        """The contract of a stored schema, from the cache or loaded from its text; its
        ``references`` if the caller has read them already. Stored text was checked (and
        made canonical) by ``load_contract`` when it was registered: ``load_stored`` trusts it
        (no meta-schema, ``$ref`` or size checks again), which is most of the cost of loading
        a long history after a restart."""

        def load() -> Contract:
            refs = q.get_references(session, int(row.id or 0)) if references is None else references
            resources = self._resolve_references(session, refs)
            return load_stored(row.canonical, name=f"schema {row.id}", references=resources)

        return self._contracts.get_or_compute(row.fingerprint, load)

    # ------------------------------------------------------------ config and mode

    def _effective(self, session: Session, subject: str | None) -> _Effective:
        level: Level | None = None
        policy: Policy | None = None
        for key in ([subject] if subject else []) + [GLOBAL]:
            row = q.get_config(session, key)
            if row is None:
                continue
            if level is None and row.compatibility_level:
                level = Level(row.compatibility_level)
            if policy is None and row.compatibility_policy:
                policy = Policy(row.compatibility_policy)
        return _Effective(level or DEFAULT_LEVEL, policy or DEFAULT_POLICY)

    def _mode(self, session: Session, subject: str | None) -> str:
        for key in ([subject] if subject else []) + [GLOBAL]:
            row = q.get_mode(session, key)
            if row is not None:
                return row.mode
        return DEFAULT_MODE

    def get_config(
        self, subject: str | None = None, *, default_to_global: bool = False
    ) -> ConfigView:
        if subject is not None and not storable(subject):
            raise errors.SubjectConfigNotFound(subject)
        with self._read() as session:
            if subject:
                row = q.get_config(session, subject)
                if row is None and not default_to_global:
                    raise errors.SubjectConfigNotFound(subject)
                if row is not None and not default_to_global:
                    eff = self._effective(session, subject)
                    return ConfigView(
                        Level(row.compatibility_level) if row.compatibility_level else eff.level,
                        Policy(row.compatibility_policy) if row.compatibility_policy else None,
                    )
            eff = self._effective(session, subject)
            return ConfigView(eff.level, eff.policy)

    def set_config(
        self,
        subject: str | None,
        level: str | None,
        policy: str | None = None,
        *,
        actor: str = "anonymous",
    ) -> ConfigView:
        if subject:
            _check_subject_name(subject)
        if level is None and policy is None:
            raise errors.InvalidCompatibilityLevel(
                "Invalid compatibility level: give compatibility and/or compatibilityPolicy"
            )
        lvl = parse_level(level) if level is not None else None
        pol = parse_policy(policy) if policy is not None else None
        key = subject or GLOBAL
        with self._write() as session:
            before = q.get_config(session, key)
            before_view = _config_dict(before)
            row = q.put_config(session, key, lvl.value if lvl else None, pol.value if pol else None)
            after_view = _config_dict(row)
            q.audit(
                session,
                actor=actor,
                action="config.set",
                subject=subject,
                before=before_view,
                after=after_view,
            )
            return ConfigView(
                Level(row.compatibility_level) if row.compatibility_level else DEFAULT_LEVEL,
                Policy(row.compatibility_policy) if row.compatibility_policy else None,
            )

    def delete_config(self, subject: str | None, *, actor: str = "anonymous") -> ConfigView:
        if subject is not None and not storable(subject):
            raise errors.SubjectConfigNotFound(subject)
        key = subject or GLOBAL
        with self._write() as session:
            before = q.get_config(session, key)
            if before is None and subject:
                raise errors.SubjectConfigNotFound(subject)
            view = ConfigView(
                Level(before.compatibility_level)
                if before and before.compatibility_level
                else DEFAULT_LEVEL,
                Policy(before.compatibility_policy)
                if before and before.compatibility_policy
                else None,
            )
            q.delete_config(session, key)
            q.audit(
                session,
                actor=actor,
                action="config.delete",
                subject=subject,
                before=_config_dict(before),
            )
            return view

    def get_mode(self, subject: str | None = None, *, default_to_global: bool = False) -> str:
        if subject is not None and not storable(subject):
            raise errors.SubjectModeNotFound(subject)
        with self._read() as session:
            if subject and not default_to_global:
                row = q.get_mode(session, subject)
                if row is None:
                    raise errors.SubjectModeNotFound(subject)
                return row.mode
            return self._mode(session, subject)

    def set_mode(
        self, subject: str | None, mode: str, *, force: bool = False, actor: str = "anonymous"
    ) -> str:
        if subject:
            _check_subject_name(subject)
        value = parse_mode(mode)
        key = subject or GLOBAL
        with self._write(*([subject] if subject else [])) as session:
            if value == "IMPORT" and not force:
                existing = (
                    q.versions(session, subject, deleted=True)
                    if subject
                    else q.subjects(session, deleted=True)
                )
                if existing:
                    raise errors.OperationNotPermitted(
                        "Cannot import since found existing subjects (use force=true to override)"
                    )
            before = q.get_mode(session, key)
            q.put_mode(session, key, value)
            q.audit(
                session,
                actor=actor,
                action="mode.set",
                subject=subject,
                before={"mode": before.mode} if before else None,
                after={"mode": value},
            )
            return value

    def delete_mode(self, subject: str, *, actor: str = "anonymous") -> str:
        if not storable(subject):
            raise errors.SubjectModeNotFound(subject)
        with self._write(subject) as session:
            before = q.delete_mode(session, subject)
            if before is None:
                raise errors.SubjectModeNotFound(subject)
            q.audit(
                session,
                actor=actor,
                action="mode.delete",
                subject=subject,
                before={"mode": before.mode},
            )
            return before.mode

    # ------------------------------------------------------------ reads

    def list_subjects(
        self,
        *,
        deleted: bool = False,
        deleted_only: bool = False,
        prefix: str | None = None,
        offset: int = 0,
        limit: int = -1,
    ) -> list[str]:
        """Subject names in code-point order, a page of them (``limit`` -1: all), from the
        subject summaries: with a live version, with any (``deleted``), or with soft-deleted
        versions only (``deleted_only``)."""
        if prefix is not None and not storable(prefix):
            return []
        with self._read() as session:
            return summaries.names(
                session,
                deleted=deleted,
                deleted_only=deleted_only,
                prefix=prefix,
                offset=offset,
                limit=limit,
            )

    def list_versions(
        self, subject: str, *, deleted: bool = False, deleted_only: bool = False
    ) -> list[int]:
        _known(subject)
        with self._read() as session:
            rows = q.versions(session, subject, deleted=deleted or deleted_only)
            if deleted_only:
                rows = [r for r in rows if r.deleted]
            if not rows and not q.versions(session, subject, deleted=deleted or deleted_only):
                raise errors.SubjectNotFound(subject)
            return [r.version for r in rows]

    def _version_row(
        self, session: Session, subject: str, version: VersionSpec, *, deleted: bool
    ) -> SubjectVersion:
        rows = q.versions(session, subject, deleted=deleted)
        if not rows:
            raise errors.SubjectNotFound(subject)
        if version == "latest":
            return rows[-1]
        for row in rows:
            if row.version == version:
                return row
        raise errors.VersionNotFound(subject, version)

    def _registered(self, session: Session, row: SubjectVersion) -> RegisteredVersion:
        schema = q.get_schema(session, row.schema_id)
        if schema is None:  # pragma: no cover - foreign key
            raise errors.SchemaNotFound()
        return RegisteredVersion(
            subject=row.subject,
            version=row.version,
            id=row.schema_id,
            schema_type=schema.schema_type,
            schema=schema.canonical,
            references=tuple(q.get_references(session, row.schema_id)),
            deleted=row.deleted,
        )

    def get_version(
        self, subject: str, version: VersionSpec, *, deleted: bool = False
    ) -> RegisteredVersion:
        _known(subject)
        with self._read() as session:
            row = self._version_row(session, subject, version, deleted=deleted)
            return self._registered(session, row)

    def get_schema(self, schema_id: int) -> StoredSchema:
        """The schema with this id while a version (live or soft-deleted) uses it.

        The content comes from memory once read (an id's content never changes); whether a
        version still uses the id is asked of the database every time (see ``schema_ids``)."""
        cached = self.schema_ids.cached(schema_id)
        if cached is not None:
            if not self.schema_ids.in_use(schema_id):
                raise errors.SchemaNotFound()
            return cached
        with self._read() as session:
            row = q.get_schema(session, schema_id)
            if row is None or not q.versions_of_schema(session, schema_id, deleted=True):
                raise errors.SchemaNotFound()
            stored = StoredSchema(
                id=schema_id,
                schema_type=row.schema_type,
                schema=row.canonical,
                references=tuple(q.get_references(session, schema_id)),
                fingerprint=row.fingerprint,
            )
        self.schema_ids.remember(schema_id, stored)
        return stored

    def list_schemas(
        self, *, prefix: str | None = None, deleted: bool = False, latest_only: bool = False
    ) -> list[RegisteredVersion]:
        """Every (subject, version) with its schema, by subject then version."""
        if prefix is not None and not storable(prefix):
            return []
        with self._read() as session:
            out: list[RegisteredVersion] = []
            for subject in q.subjects(session, deleted=deleted, prefix=prefix):
                rows = q.versions(session, subject, deleted=deleted)
                if latest_only:
                    rows = rows[-1:]
                out.extend(self._registered(session, row) for row in rows)
            return out

    def schema_versions(
        self, schema_id: int, *, deleted: bool = False, subject: str | None = None
    ) -> list[tuple[str, int]]:
        if subject is not None and not storable(subject):
            return []
        with self._read() as session:
            if q.get_schema(session, schema_id) is None:
                raise errors.SchemaNotFound()
            pairs = q.versions_of_schema(session, schema_id, deleted=deleted)
            if not q.versions_of_schema(session, schema_id, deleted=True):
                raise errors.SchemaNotFound()
            if subject is not None:
                pairs = [p for p in pairs if p[0] == subject]
            return pairs

    def schema_subjects(
        self, schema_id: int, *, deleted: bool = False, subject: str | None = None
    ) -> list[str]:
        return sorted(
            {s for s, _ in self.schema_versions(schema_id, deleted=deleted, subject=subject)}
        )

    def referenced_by(self, subject: str, version: VersionSpec) -> list[int]:
        _known(subject)
        with self._read() as session:
            row = self._version_row(session, subject, version, deleted=False)
            return q.referenced_by(session, subject, row.version)

    def lookup(
        self, subject: str, given: SchemaInput, *, deleted: bool = False
    ) -> RegisteredVersion:
        _known(subject)
        with self._read() as session:
            rows = q.versions(session, subject, deleted=deleted)
            if not rows:
                raise errors.SubjectNotFound(subject)
            prepared = self._prepare(session, given)
            schema_id = q.find_schema_id(session, prepared.fingerprint, prepared.schema_type)
            matches = [r for r in rows if schema_id is not None and r.schema_id == schema_id]
            if not matches:
                raise errors.SchemaNotFound()
            return self._registered(session, matches[-1])

    # ------------------------------------------------------------ compatibility

    def _check(
        self,
        session: Session,
        subject: str,
        new: _Prepared,
        against: Sequence[SubjectVersion],
        level: Level,
        policy: Policy,
        *,
        breaking_only: bool = False,
    ) -> CompatibilityResult:
        """``breaking_only``: the result's findings are only the breaking ones (its verdict and
        messages are the same): all a registration or a Confluent compatibility test shows,
        and far cheaper against a long history (no accepted change is listed)."""
        if level is Level.NONE or not against:
            return CompatibilityResult(True, level, policy)
        directions = [d for d in (Level.BACKWARD, Level.FORWARD) if _checks(level, d)]
        newest_first = list(reversed(against))
        schemas = compat_cache.schema_rows(session, (row.schema_id for row in newest_first))
        comparable = [
            (row.version, schemas[row.schema_id])
            for row in newest_first
            if row.schema_id in schemas and schemas[row.schema_id].schema_type == new.schema_type
        ]

        def load(rows: Sequence[SchemaRow]) -> list[Contract]:
            # the texts and references of the contracts to load, in two queries for them all
            unloaded = [row for row in rows if row.fingerprint not in self._contracts]
            references = compat_cache.prefetch(session, unloaded)
            return [
                self._stored_contract(session, row, references.get(int(row.id or 0)))
                for row in rows
            ]

        found = {
            direction: compat_cache.pair_findings(
                self._reports,
                comparable,
                load,
                new.fingerprint,
                new.contract,
                direction,
                policy,
                breaking_only,
            )
            for direction in directions
        }
        findings: list[Finding] = []
        messages: list[str] = []
        seen: set[tuple[object, ...]] = set()
        for row in newest_first:
            version = row.version
            old_row = schemas.get(row.schema_id)
            if old_row is None:  # pragma: no cover - foreign key
                continue
            if old_row.schema_type != new.schema_type:
                messages.append(
                    f"{{errorType:'TYPE_MISMATCH', description:'version {version} of "
                    f"subject {subject} is a {old_row.schema_type} schema, this one is "
                    f"{new.schema_type}', oldSchemaVersion:{version}}}"
                )
                continue
            for direction in directions:
                for finding in found[direction][version]:  # numbered with this version
                    # FULL checks both directions: a change that breaks neither is listed once
                    key = (
                        finding.rule,
                        finding.path,
                        version,
                        finding.breaking,
                        finding.direction if finding.breaking else None,
                    )
                    if key in seen:
                        continue
                    seen.add(key)
                    findings.append(finding)
                    if finding.breaking:
                        messages.append(describe_finding(finding))
        ok = not messages
        if not ok:
            messages.append(f"{{compatibility:'{level.value}', policy:'{policy.value}'}}")
        return CompatibilityResult(ok, level, policy, tuple(findings), tuple(messages))

    def test_compatibility(
        self,
        subject: str,
        given: SchemaInput,
        version: VersionSpec | None = None,
        *,
        breaking_only: bool = False,
    ) -> CompatibilityResult:
        """Would ``given`` be accepted after ``version`` (or after the live versions)?
        ``breaking_only``: list only the breaking findings (what the Confluent API shows)."""
        _known(subject, missing_ok=True)
        with self._read() as session:
            eff = self._effective(session, subject)
            live = q.versions(session, subject)
            if version is None:
                prepared = self._prepare(session, given)
                against = live if eff.level.transitive else live[-1:]
            else:
                row = self._version_row(session, subject, version, deleted=False)
                prepared = self._prepare(session, given)
                against = [row]
            result = self._check(
                session,
                subject,
                prepared,
                against,
                eff.level,
                eff.policy,
                breaking_only=breaking_only,
            )
        if not result.is_compatible:
            self.stats.incompatible("check")
        return result

    def check_against(
        self,
        subject: str,
        given: SchemaInput,
        *,
        level: str | None = None,
        policy: str | None = None,
        payload_strategy: str | None = None,
    ) -> ContractCheck:
        """Like :meth:`test_compatibility` with an explicit level and policy (evreg's /api);
        an AsyncAPI contract's payload subjects are checked too, as :meth:`register` would
        (named by ``payload_strategy``, else the registry's default)."""
        _known(subject, missing_ok=True)
        strategy = self.payload_strategy_of(payload_strategy)
        with self._read() as session:
            eff = self._effective(session, subject)
            lvl = parse_level(level) if level else eff.level
            pol = parse_policy(policy) if policy else eff.policy
            live = q.versions(session, subject)
            prepared = self._prepare(session, given)
            against = live if lvl.transitive else live[-1:]
            result = self._check(session, subject, prepared, against, lvl, pol)
            payloads = self._check_payloads(session, subject, prepared, level, policy, strategy)
            if not (result.is_compatible and all(p.result.is_compatible for p in payloads)):
                self.stats.incompatible("check")
            return ContractCheck(
                result.is_compatible,
                result.level,
                result.policy,
                result.findings,
                result.messages,
                payloads=payloads,
            )

    def _check_payloads(
        self,
        session: Session,
        subject: str,
        contract: _Prepared,
        level: str | None,
        policy: str | None,
        strategy: str = DEFAULT_STRATEGY,
    ) -> tuple[PayloadCheck, ...]:
        """The payload subjects :meth:`register` would derive from ``contract`` (named by
        ``strategy``), each checked against its own live versions under its own config (or
        ``level`` / ``policy``)."""
        if (
            not self.payload_subjects
            or contract.schema_type != "ASYNCAPI"
            or self._mode(session, subject) == "IMPORT"
        ):
            return ()
        try:
            derived = payload_subjects(contract.contract, strategy)
        except ContractError as exc:
            raise errors.InvalidSchema(f"Invalid schema: {exc}") from None
        out: list[PayloadCheck] = []
        for item in derived:
            payload = self._prepare(
                session,
                SchemaInput(schema=json.dumps(item.schema, ensure_ascii=False), schema_type="JSON"),
            )
            eff = self._effective(session, item.subject)
            lvl = parse_level(level) if level else eff.level
            pol = parse_policy(policy) if policy else eff.policy
            live = q.versions(session, item.subject)
            same = q.find_schema_id(session, payload.fingerprint, payload.schema_type)
            unchanged = same is not None and any(row.schema_id == same for row in live)
            if unchanged:  # registering it again is a no-op, as in _register_locked
                result = CompatibilityResult(True, lvl, pol)
            else:
                against = live if lvl.transitive else live[-1:]
                result = self._check(session, item.subject, payload, against, lvl, pol)
            address = item.address
            findings = []
            for finding in result.findings:
                path, message = contract_path(item, finding.path)
                findings.append(
                    dataclasses.replace(
                        finding,
                        path=path,
                        channel=finding.channel or address,
                        message_name=finding.message_name or message,
                    )
                )
            out.append(
                PayloadCheck(
                    item.subject,
                    item.channel,
                    address,
                    dataclasses.replace(result, findings=tuple(findings)),
                    registered=bool(live),
                    unchanged=unchanged,
                )
            )
        return tuple(out)

    def payload_strategy_of(self, value: str | None) -> str:
        """``?payloadSubjectStrategy=`` as a strategy name (None: the registry's default);
        422 naming the parameter for an unknown one."""
        if value is None:
            return self.payload_strategy
        try:
            return parse_strategy(value, "payloadSubjectStrategy")
        except ValueError as exc:
            raise errors.MalformedRequest(f"Invalid query parameter {exc}", status=422) from None

    # ------------------------------------------------------------ writes

    def register(
        self,
        subject: str,
        given: SchemaInput,
        *,
        actor: str = "anonymous",
        schema_id: int | None = None,
        version: int | None = None,
        application: str | None = None,
        payload_strategy: str | None = None,
    ) -> RegisteredVersion:
        """Register ``given`` under ``subject``; idempotent for a schema already live there.

        An AsyncAPI contract also registers, in the same transaction, the payload of each
        message its application sends as a JSON subject named by ``payload_strategy``
        (``?payloadSubjectStrategy=``, else the registry's default; see
        :mod:`evreg.registry.payloads`): either the contract and all its payload subjects are
        registered, or none is. ``application`` (``?application=``) names the contract's
        application when the document does not.
        """
        _check_subject_name(subject)
        application = flow.application_parameter(application)
        strategy = self.payload_strategy_of(payload_strategy)
        derived: list[PayloadSubject] = []
        if self.payload_subjects and (given.schema_type or "").upper() == "ASYNCAPI":
            with self._read() as session:
                contract = self._prepare(session, given).contract
            try:
                derived = payload_subjects(contract, strategy)
            except ContractError as exc:
                raise errors.InvalidSchema(f"Invalid schema: {exc}") from None
            for item in derived:
                _check_subject_name(item.subject)
        with self._write(subject, *(d.subject for d in derived)) as session:
            before = {row.version for row in q.versions(session, subject)}
            registered = self._register_locked(
                session, subject, given, actor=actor, schema_id=schema_id, version=version
            )
            if (
                registered.schema_type == "ASYNCAPI"
                and registered.version not in before
                and self._mode(session, subject) != "IMPORT"
            ):
                self._block_on_consumers(session, subject, given, registered.version, application)
            if application is not None and registered.schema_type == "ASYNCAPI":
                self._name_application(session, registered, application, actor)
            if derived and self._mode(session, subject) != "IMPORT":
                for item in derived:
                    payload = SchemaInput(
                        schema=json.dumps(item.schema, ensure_ascii=False), schema_type="JSON"
                    )
                    self._register_locked(
                        session,
                        item.subject,
                        payload,
                        actor=actor,
                        derived_from={
                            "subject": subject,
                            "version": registered.version,
                            "channel": item.channel,
                            "messages": list(item.messages),
                            "strategy": strategy,
                        },
                    )
            return registered

    # ------------------------------------------------------------ the event-flow map

    def _consumer_mode(self, session: Session, subject: str | None) -> str:
        for key in ([subject] if subject else []) + [GLOBAL]:
            row = q.get_consumer_checks(session, key)
            if row is not None:
                return row.mode
        return flow.DEFAULT_CONSUMER_CHECKS

    def _consumer_check(
        self,
        session: Session,
        subject: str | None,
        contract: Contract,
        version: int | None,
        mode: str,
        application: str | None = None,
    ) -> flow.ConsumerCheck:
        if not contract.is_asyncapi:
            return flow.ConsumerCheck(mode, None)
        name = subject or "<contract>"
        mine = flow.endpoints(contract, name, version, application)
        app = flow.application_of(contract, application or name)
        if mode == "off":
            return flow.ConsumerCheck(mode, app)
        others = flow.live_endpoints(
            session,
            lambda row: self._stored_contract(session, row),
            self._endpoints,
            exclude=subject,
            named=q.applications(session),
        )
        policy = self._effective(session, subject).policy
        found = flow.check_endpoints(mine, others, policy)
        return flow.ConsumerCheck(mode, app, tuple(found))

    def _block_on_consumers(
        self,
        session: Session,
        subject: str,
        given: SchemaInput,
        version: int,
        application: str | None = None,
    ) -> None:
        mode = self._consumer_mode(session, subject)
        if mode != "block":
            return
        contract = self._prepare(session, given).contract
        result = self._consumer_check(session, subject, contract, version, mode, application)
        if result.findings:
            details = [flow.describe_consumer_finding(f) for f in result.findings]
            details.append("{consumerChecks:'block'}")
            raise errors.IncompatibleSchema(subject, details, result)

    def consumer_check(
        self, subject: str, given: SchemaInput, application: str | None = None
    ) -> flow.ConsumerCheck:
        """What registering ``given`` under ``subject`` would break for its peers.
        ``application`` names its application when the document does not (else the one the
        subject's latest version was pushed for, else the subject name)."""
        _known(subject, missing_ok=True)
        application = flow.application_parameter(application)
        with self._read() as session:
            prepared = self._prepare(session, given)
            live = q.versions(session, subject)
            number = (live[-1].version + 1) if live else 1
            if application is None and live:
                application = q.applications(session).get((subject, live[-1].version))
            mode = self._consumer_mode(session, subject)
            return self._consumer_check(
                session,
                subject,
                prepared.contract,
                number,
                "warn" if mode == "off" else mode,
                application,
            )

    def can_i_deploy(
        self, given: SchemaInput, application: str | None = None
    ) -> flow.ConsumerCheck:
        """Can every application that talks to this contract's application today still?"""
        application = flow.application_parameter(application)
        with self._read() as session:
            prepared = self._prepare(session, given)
            mode = self._consumer_mode(session, None)
            return self._consumer_check(
                session,
                None,
                prepared.contract,
                None,
                "warn" if mode == "off" else mode,
                application,
            )

    def _name_application(
        self, session: Session, registered: RegisteredVersion, name: str, actor: str
    ) -> None:
        """Remember the application a contract version was pushed for (audited on change)."""
        before = q.get_application(session, registered.subject, registered.version)
        if before is not None and (before.name, before.schema_id) == (name, registered.id):
            return
        q.put_application(session, registered.subject, registered.version, registered.id, name)
        q.audit(
            session,
            actor=actor,
            action="application.set",
            subject=registered.subject,
            version=registered.version,
            schema_id=registered.id,
            before={"application": before.name} if before else None,
            after={"application": name},
        )

    def flow_map(self) -> flow.FlowMap:
        """The map, each edge checked: can the receiver read what the sender sends (under
        the receiver subject's policy)?"""
        with self._read() as session:
            found = flow.live_endpoints(
                session,
                lambda row: self._stored_contract(session, row),
                self._endpoints,
                named=q.applications(session),
            )
            policies: dict[str, Policy] = {}

            def policy_of(subject: str) -> Policy:
                if subject not in policies:
                    policies[subject] = self._effective(session, subject).policy
                return policies[subject]

            return flow.FlowMap(tuple(found), flow.edge_findings(found, policy_of))

    def get_consumer_checks(self, subject: str | None = None) -> str:
        if subject is not None:
            _known(subject, missing_ok=True)
        with self._read() as session:
            return self._consumer_mode(session, subject)

    def set_consumer_checks(
        self, subject: str | None, mode: str, *, actor: str = "anonymous"
    ) -> str:
        if subject:
            _check_subject_name(subject)
        wanted = mode.lower() if isinstance(mode, str) else ""
        if wanted not in flow.CONSUMER_CHECK_MODES:
            raise errors.InvalidMode(
                f"Invalid consumerChecks {mode!r}: choose from block, warn, off"
            )
        with self._write() as session:
            before = q.get_consumer_checks(session, subject or GLOBAL)
            q.put_consumer_checks(session, subject or GLOBAL, wanted)
            q.audit(
                session,
                actor=actor,
                action="consumer-checks.set",
                subject=subject,
                before={"consumerChecks": before.mode} if before else None,
                after={"consumerChecks": wanted},
            )
            return wanted

    def delete_consumer_checks(self, subject: str, *, actor: str = "anonymous") -> str:
        _known(subject, missing_ok=True)
        with self._write() as session:
            before = q.delete_consumer_checks(session, subject)
            if before is None:
                raise errors.SubjectConfigNotFound(subject, "consumerChecks")
            q.audit(
                session,
                actor=actor,
                action="consumer-checks.delete",
                subject=subject,
                before={"consumerChecks": before.mode},
            )
            return before.mode

    def _register_locked(
        self,
        session: Session,
        subject: str,
        given: SchemaInput,
        *,
        actor: str,
        schema_id: int | None = None,
        version: int | None = None,
        derived_from: dict[str, Any] | None = None,
    ) -> RegisteredVersion:
        mode = self._mode(session, subject)
        if mode == "READONLY":
            raise errors.OperationNotPermitted(f"Subject {subject} is in read-only mode")
        importing = mode == "IMPORT"
        explicit = (schema_id or 0) > 0 or (version or 0) > 0
        if explicit and not importing:
            raise errors.OperationNotPermitted(
                f"Subject {subject} is not in import mode: id and version cannot be set"
            )
        prepared = self._prepare(session, given)
        live = q.versions(session, subject)
        existing_id = q.find_schema_id(session, prepared.fingerprint, prepared.schema_type)
        if existing_id is not None:
            for row in reversed(live):
                if row.schema_id == existing_id:
                    return self._registered(session, row)
        if not importing:
            eff = self._effective(session, subject)
            against = live if eff.level.transitive else live[-1:]
            result = self._check(
                session, subject, prepared, against, eff.level, eff.policy, breaking_only=True
            )
            if not result.is_compatible:
                self.stats.incompatible("register")
                raise errors.IncompatibleSchema(subject, result.messages, result)
        new_id = self._insert_schema(session, prepared, schema_id if importing else None)
        number = self._next_version(session, subject, version if importing else None)
        q.add_version(session, subject, number, new_id)
        summaries.refresh(session, subject)
        after: dict[str, Any] = {
            "schemaType": prepared.schema_type,
            "fingerprint": prepared.contract.fingerprint,
            "references": [dataclasses.asdict(r) for r in prepared.references],
        }
        if derived_from is not None:
            after["derivedFrom"] = derived_from
        q.audit(
            session,
            actor=actor,
            action="schema.register",
            subject=subject,
            version=number,
            schema_id=new_id,
            after=after,
        )
        event.listen(session, "after_commit", lambda _: self.stats.registered(), once=True)
        return RegisteredVersion(
            subject=subject,
            version=number,
            id=new_id,
            schema_type=prepared.schema_type,
            schema=prepared.contract.canonical,
            references=prepared.references,
        )

    def _insert_schema(self, session: Session, prepared: _Prepared, wanted_id: int | None) -> int:
        if wanted_id is not None and wanted_id > 0:
            row = q.get_schema(session, wanted_id)
            if row is not None:
                if row.fingerprint != prepared.fingerprint:
                    raise errors.OperationNotPermitted(
                        f"Overwrite new schema with id {wanted_id} is not permitted"
                    )
                return wanted_id
            existing = q.find_schema_id(session, prepared.fingerprint, prepared.schema_type)
            if existing is not None:
                raise errors.IdDoesNotMatch(
                    f"Schema already registered with id {existing} instead of input id {wanted_id}"
                )
            session.add(
                SchemaRow(
                    id=wanted_id,
                    schema_type=prepared.schema_type,
                    canonical=prepared.contract.canonical,
                    content_fingerprint=prepared.contract.fingerprint,
                    fingerprint=prepared.fingerprint,
                )
            )
            for position, ref in enumerate(prepared.references):
                session.add(
                    SchemaReference(
                        schema_id=wanted_id,
                        position=position,
                        name=ref.name,
                        subject=ref.subject,
                        version=ref.version,
                    )
                )
            session.flush()
            if self.store.is_postgres:
                session.execute(
                    text(
                        "SELECT setval(pg_get_serial_sequence('schemas', 'id'), "
                        "(SELECT max(id) FROM schemas))"
                    )
                )
            return wanted_id
        return q.insert_schema(
            session,
            schema_type=prepared.schema_type,
            canonical=prepared.contract.canonical,
            content_fingerprint=prepared.contract.fingerprint,
            fingerprint=prepared.fingerprint,
            references=prepared.references,
        )

    @staticmethod
    def _next_version(session: Session, subject: str, wanted: int | None) -> int:
        if wanted is not None and wanted > 0:
            if q.get_version(session, subject, wanted) is not None:
                raise errors.OperationNotPermitted(
                    f"Version {wanted} already exists for subject {subject}"
                )
            return wanted
        return q.max_version(session, subject) + 1

    def delete_subject(
        self, subject: str, *, permanent: bool = False, actor: str = "anonymous"
    ) -> list[int]:
        _known(subject)
        with self._write(subject) as session:
            if self._mode(session, subject) == "READONLY":
                raise errors.OperationNotPermitted(f"Subject {subject} is in read-only mode")
            every = q.versions(session, subject, deleted=True)
            if not every:
                raise errors.SubjectNotFound(subject)
            live = [r for r in every if not r.deleted]
            if permanent:
                if live:
                    raise errors.SubjectNotSoftDeleted(subject)
                self.changed_on_commit(session)
                for row in every:
                    q.delete_version_row(session, row)
                config = _config_dict(q.delete_config(session, subject))
                mode = q.delete_mode(session, subject)
                numbers = [r.version for r in every]
                action = "subject.delete.permanent"
                # the subject-level config and mode go with it: recorded here, not lost
                before: dict[str, Any] = {"versions": numbers, "deleted": True}
                if config is not None:
                    before["config"] = config
                if mode is not None:
                    before["mode"] = mode.mode
                after: dict[str, Any] | None = None
            else:
                if not live:
                    raise errors.SubjectSoftDeleted(subject)
                for row in live:
                    self._refuse_if_referenced(session, subject, row.version)
                for row in live:
                    row.deleted = True
                    session.add(row)
                session.flush()
                numbers = [r.version for r in live]
                action = "subject.delete"
                before = {"versions": numbers, "deleted": False}
                after = {"versions": numbers, "deleted": True}
            summaries.refresh(session, subject)
            q.audit(
                session, actor=actor, action=action, subject=subject, before=before, after=after
            )
            return numbers

    def delete_version(
        self,
        subject: str,
        version: VersionSpec,
        *,
        permanent: bool = False,
        actor: str = "anonymous",
    ) -> int:
        _known(subject)
        with self._write(subject) as session:
            if self._mode(session, subject) == "READONLY":
                raise errors.OperationNotPermitted(f"Subject {subject} is in read-only mode")
            every = q.versions(session, subject, deleted=True)
            if not every:
                raise errors.SubjectNotFound(subject)
            if version == "latest":
                pool = every if permanent else [r for r in every if not r.deleted]
                if not pool:
                    raise errors.SubjectNotFound(subject)
                row = pool[-1]
            else:
                found = [r for r in every if r.version == version]
                if not found:
                    raise errors.VersionNotFound(subject, version)
                row = found[0]
            if permanent:
                if not row.deleted:
                    raise errors.VersionNotSoftDeleted(subject, row.version)
                self._refuse_if_referenced(session, subject, row.version)
                self.changed_on_commit(session)
                q.delete_version_row(session, row)
                action = "version.delete.permanent"
            else:
                if row.deleted:
                    raise errors.VersionSoftDeleted(subject, row.version)
                self._refuse_if_referenced(session, subject, row.version)
                row.deleted = True
                session.add(row)
                session.flush()
                action = "version.delete"
            summaries.refresh(session, subject)
            q.audit(
                session,
                actor=actor,
                action=action,
                subject=subject,
                version=row.version,
                schema_id=row.schema_id,
                before={"deleted": permanent},  # a permanent delete needs a soft one first
                after=None if permanent else {"deleted": True},
            )
            return row.version

    def changed_on_commit(self, session: Session) -> None:
        """A change that in-memory reads must not outlive (a permanent delete, a token revoked):
        once ``session`` commits, nothing read before is served from memory without asking the
        database again, in this process (at once) and in the others (their watches)."""
        id_watch.announce_change(session)
        event.listen(session, "after_commit", lambda _: self.changes.changed(), once=True)

    @staticmethod
    def _refuse_if_referenced(session: Session, subject: str, version: int) -> None:
        users = q.referenced_by(session, subject, version)
        if users:
            raise errors.ReferenceExists(
                f"One or more references exist to the schema {{subject={subject}, "
                f"version={version}}} (schema ids {', '.join(map(str, users))})"
            )


def _checks(level: Level, direction: Level) -> bool:
    if direction is Level.BACKWARD:
        return level.checks_backward
    return level.checks_forward


def _config_dict(row: Any) -> dict[str, Any] | None:
    if row is None:
        return None
    return {
        "compatibilityLevel": row.compatibility_level,
        "compatibilityPolicy": row.compatibility_policy,
    }


def storable(text: str) -> bool:
    """Can the database hold this text (no NUL, valid UTF-8 without lone surrogates)?"""
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _known(subject: str, *, missing_ok: bool = False) -> None:
    """A subject name that cannot be stored cannot exist: not found (for reads)."""
    if not storable(subject) and not missing_ok:
        raise errors.SubjectNotFound(subject)
    if not storable(subject):
        raise errors.InvalidSubject("Invalid subject: the name cannot be stored")


# PostgreSQL cannot index a (subject, version) key much above 2.7 kB: longer names are refused.
MAX_SUBJECT_BYTES = 2048


def _check_subject_name(subject: str) -> None:
    if not subject or not subject.strip():
        raise errors.InvalidSubject("Invalid subject: the subject name is empty")
    if any(ord(ch) < 0x20 for ch in subject) or not storable(subject):
        raise errors.InvalidSubject(
            "Invalid subject: control characters or invalid Unicode in the subject name"
        )
    if len(subject.encode("utf-8")) > MAX_SUBJECT_BYTES:
        raise errors.InvalidSubject(
            f"Invalid subject: the name is longer than {MAX_SUBJECT_BYTES} bytes (UTF-8)"
        )


__all__ = [
    "DEFAULT_LEVEL",
    "DEFAULT_MODE",
    "DEFAULT_POLICY",
    "MODES",
    "SCHEMA_TYPES",
    "AuditEntry",
    "CompatibilityResult",
    "ConfigView",
    "ContractKind",
    "RegisteredVersion",
    "RegistryService",
    "SchemaInput",
    "SearchHit",
    "StoredSchema",
    "VersionSpec",
    "Views",
    "describe_finding",
    "parse_level",
    "parse_mode",
    "parse_policy",
    "parse_version",
]


# ---------------------------------------------------------------- evreg's own views


@dataclass(frozen=True, slots=True)
class AuditEntry:
    id: int
    at: str
    actor: str
    action: str
    subject: str | None
    version: int | None
    schema_id: int | None
    before: Any
    after: Any

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "at": self.at,
            "actor": self.actor,
            "action": self.action,
            "subject": self.subject,
            "version": self.version,
            "schemaId": self.schema_id,
            "before": self.before,
            "after": self.after,
        }


@dataclass(frozen=True, slots=True)
class SearchHit:
    subject: str
    version: int
    id: int
    schema_type: str
    match: str  # "subject" or "schema"


class Views:
    """Read-only views for ``/api``: diffs, the AsyncAPI view, search, the audit log."""

    def __init__(self, service: RegistryService) -> None:
        self.service = service

    def audit(
        self, *, after: int = 0, limit: int = 100, subject: str | None = None
    ) -> list[AuditEntry]:
        if subject is not None and not storable(subject):
            return []
        with self.service._read() as session:
            rows = q.audit_events(session, after_id=after, limit=limit, subject=subject)
            return [
                AuditEntry(
                    id=int(r.id or 0),
                    at=r.at.isoformat(),
                    actor=r.actor,
                    action=r.action,
                    subject=r.subject,
                    version=r.version,
                    schema_id=r.schema_id,
                    before=r.before,
                    after=r.after,
                )
                for r in rows
            ]

    def diff(
        self,
        subject: str,
        old: VersionSpec,
        new: VersionSpec,
        *,
        level: str | None = None,
        policy: str | None = None,
    ) -> Report:
        """The full report (every finding, witnesses) of version ``new`` after ``old``."""
        _known(subject)
        svc = self.service
        with svc._read() as session:
            eff = svc._effective(session, subject)
            lvl = parse_level(level) if level else eff.level
            pol = parse_policy(policy) if policy else eff.policy
            rows = [svc._version_row(session, subject, spec, deleted=True) for spec in (old, new)]
            contracts = []
            for row in rows:
                schema = q.get_schema(session, row.schema_id)
                if schema is None:  # pragma: no cover - foreign key
                    raise errors.SchemaNotFound()
                contracts.append(svc._stored_contract(session, schema))
        try:
            return check_compatibility(contracts[0], contracts[1], level=lvl, policy=pol)
        except ContractError as exc:
            raise errors.InvalidSchema(f"Cannot compare: {exc}") from None

    def check(
        self,
        subject: str,
        given: SchemaInput,
        *,
        level: str | None,
        policy: str | None,
        payload_strategy: str | None = None,
    ) -> ContractCheck:
        """Would ``given`` be accepted on ``subject`` (and, for an AsyncAPI contract, on each
        payload subject a push would register)? Every finding, with witnesses."""
        return self.service.check_against(
            subject, given, level=level, policy=policy, payload_strategy=payload_strategy
        )

    def asyncapi(self, subject: str, version: VersionSpec) -> dict[str, Any]:
        """Channels, operations and messages of an AsyncAPI version, payloads by pointer."""
        _known(subject)
        svc = self.service
        with svc._read() as session:
            row = svc._version_row(session, subject, version, deleted=False)
            schema = q.get_schema(session, row.schema_id)
            if schema is None:  # pragma: no cover - foreign key
                raise errors.SchemaNotFound()
            if schema.schema_type != "ASYNCAPI":
                raise errors.InvalidSchema(
                    f"Subject '{subject}' version {row.version} is a {schema.schema_type} "
                    "schema, not an AsyncAPI contract"
                )
            contract = svc._stored_contract(session, schema)
        payloads: dict[str, list[str]] = {}  # channel key -> payload subjects (default strategy)
        try:
            for item in payload_subjects(contract, svc.payload_strategy):
                for key in item.channels:
                    payloads.setdefault(key, []).append(item.subject)
        except ContractError:  # record names that clash: a push under this strategy fails
            payloads = {}
        return {
            "subject": subject,
            "version": row.version,
            "id": row.schema_id,
            "asyncapi": contract.version,
            "title": contract.title,
            "channels": [
                {
                    "key": c.key,
                    "address": c.address,
                    "description": c.description,
                    "messages": list(c.messages),
                    "payloadSubject": (
                        payloads[c.key][0] if len(payloads.get(c.key, ())) == 1 else None
                    ),
                    "payloadSubjects": payloads.get(c.key, []),
                }
                for c in contract.channels.values()
            ],
            "operations": [
                {
                    "key": o.key,
                    "action": o.action,
                    "channel": o.channel,
                    "messages": list(o.messages),
                    "description": o.description,
                }
                for o in contract.operations.values()
            ],
            "messages": [
                {
                    "key": m.key,
                    "name": m.name,
                    "title": m.title,
                    "summary": m.summary,
                    "contentType": m.content_type,
                    "payload": m.payload.pointer if m.payload else None,
                    "headers": m.headers.pointer if m.headers else None,
                    "examples": len(m.examples),
                }
                for m in contract.messages.values()
            ],
        }

    def search(self, text_query: str, *, limit: int = 50) -> list[SearchHit]:
        """Latest live versions whose subject name, or latest schema's titles, names, channel
        addresses, summaries, descriptions or property names, contain ``text_query`` (any case:
        ``str.casefold``); by subject name. One query over the subject summaries."""
        if not storable(text_query):
            return []
        needle = search_text.fold(text_query)
        if not needle:
            return []
        with self.service._read() as session:
            found = summaries.search(session, needle, limit=limit)
        return [
            SearchHit(
                f.subject,
                f.version,
                f.schema_id,
                f.schema_type,
                "subject" if needle in f.subject.casefold() else "schema",
            )
            for f in found
        ]
