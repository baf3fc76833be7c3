"""Reads: subjects, versions, schemas by id, which versions use a schema, lookups."""

from __future__ import annotations

import dataclasses
import json

from evreg.registry import contexts, errors
from evreg.registry import data_contracts as dc
from evreg.registry.inputs import known, storable
from evreg.registry.store.identity import identity_fingerprint
from evreg.registry.store.queries import public_id
from evreg.registry.store.tables import DEFAULT_CONTEXT, SchemaRow, SubjectVersion
from evreg.registry.store.work import ReadWork
from evreg.registry.usecases.context import Context
from evreg.registry.usecases.prepare import prepare
from evreg.registry.values import (
    SCHEMA_TYPES,
    RegisteredVersion,
    SchemaInput,
    StoredSchema,
    VersionSpec,
)


def version_row(
    work: ReadWork, subject: str, version: VersionSpec, *, deleted: bool
) -> SubjectVersion:
    """The row of ``version`` (or the latest) of ``subject``; soft-deleted ones if ``deleted``."""
    rows = work.versions(subject, deleted=deleted)
    if not rows:
        raise errors.SubjectNotFound(subject)
    if version == "latest":
        return rows[-1]
    for row in rows:
        if row.version == version:
            return row
    raise errors.VersionNotFound(subject, version)


def registered(work: ReadWork, row: SubjectVersion) -> RegisteredVersion:
    """A version row with its schema (its id the one of the subject's context)."""
    schema = work.get_schema(row.schema_id)
    if schema is None:  # pragma: no cover - foreign key
        raise errors.SchemaNotFound()
    return RegisteredVersion(
        subject=row.subject,
        version=row.version,
        id=public_id(schema),
        schema_type=schema.schema_type,
        schema=schema.canonical,
        references=tuple(work.get_references(row.schema_id)),
        deleted=row.deleted,
        metadata=schema.metadata_json,
        rule_set=schema.rule_set_json,
    )


def stored_schema(work: ReadWork, row: SchemaRow) -> StoredSchema:
    """A schema row as the API shows it by id."""
    row_id = int(row.id or 0)
    return StoredSchema(
        id=public_id(row),
        schema_type=row.schema_type,
        schema=row.canonical,
        references=tuple(work.get_references(row_id)),
        fingerprint=row.fingerprint,
        metadata=row.metadata_json,
        rule_set=row.rule_set_json,
        context=row.context,
    )


def id_context(work: ReadWork, schema_id: int, subject: str | None) -> str:
    """The context a schema id is read in: the ``subject`` hint's (a qualified subject, or a
    context ``:.staging:``), else the default one; an unqualified hint naming no subject of the
    default context that uses the id is looked for in the other contexts (as Confluent does)."""
    if not subject:
        return DEFAULT_CONTEXT
    located = contexts.split(subject)
    if not located.is_default or not located.name:
        return located.context
    row = work.schema_in_context(DEFAULT_CONTEXT, schema_id)
    if row is not None and any(
        s == located.name for s, _ in work.versions_of_schema(int(row.id or 0), deleted=True)
    ):
        return DEFAULT_CONTEXT
    for context in work.contexts():
        other = work.schema_in_context(context, schema_id)
        if other is not None and any(
            s == contexts.qualify(context, located.name)
            for s, _ in work.versions_of_schema(int(other.id or 0), deleted=True)
        ):
            return context
    return DEFAULT_CONTEXT


def schema_not_found(schema_id: int) -> str:
    return f"Schema {schema_id} not found"


def bare_fingerprint(work: ReadWork, row: SchemaRow) -> str:
    """A stored schema's identity without its metadata and rule set."""
    draft = row.default_draft
    if draft is not None and row.schema_type == "JSON" and '"$schema"' in row.canonical:
        document = json.loads(row.canonical)
        if isinstance(document, dict) and "$schema" in document:
            draft = None
    return identity_fingerprint(
        row.schema_type,
        row.canonical,
        work.get_references(int(row.id or 0)),
        context=row.context,
        draft=draft,
    )


class Lookups:
    """What the registry holds: subjects, versions, schemas."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def ping(self) -> None:
        """Raise StoreFailure unless the database answers and is at the head migration (a
        database recreated empty, or restored from an older evreg, answers but cannot serve)."""
        with self.ctx.reading() as work:
            found = work.revision()
        head = self.ctx.store.head_revision
        if found != head:
            at = f"migration {found}" if found else "no migration (no alembic_version table)"
            raise errors.StoreFailure(
                f"the database is at {at}, not at the head migration {head}: restart evreg "
                "serve to migrate it, or point it at the right database"
            )

    @staticmethod
    def schema_types() -> list[str]:
        return list(SCHEMA_TYPES)

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
        versions only (``deleted_only``).

        As Confluent: without ``prefix``, the subjects of every context (qualified names);
        ``:*:``, the same; a qualified prefix (``:.staging:`` or ``:.staging:ord``), those of
        that context; any other prefix, even empty, those of the default context."""
        default_only = prefix is not None and prefix != contexts.WILDCARD
        if prefix == contexts.WILDCARD:
            prefix = None
        elif prefix is not None and prefix.startswith(":."):
            located = contexts.split(prefix)
            default_only = located.is_default
            prefix = located.subject if not located.is_default else located.name
        if prefix is not None and not storable(prefix):
            return []
        with self.ctx.reading() as work:
            return work.subject_names(
                deleted=deleted,
                deleted_only=deleted_only,
                prefix=prefix,
                offset=offset,
                limit=limit,
                default_context_only=default_only,
            )

    def list_versions(
        self, subject: str, *, deleted: bool = False, deleted_only: bool = False
    ) -> list[int]:
        known(subject)
        with self.ctx.reading() as work:
            rows = work.versions(subject, deleted=deleted or deleted_only)
        if not rows:  # (one query: a subject with none of these versions is not found)
            raise errors.SubjectNotFound(subject)
        return [r.version for r in rows if r.deleted or not deleted_only]

    def get_version(
        self, subject: str, version: VersionSpec, *, deleted: bool = False
    ) -> RegisteredVersion:
        known(subject)
        with self.ctx.reading() as work:
            return registered(work, version_row(work, subject, version, deleted=deleted))

    def get_schema(self, schema_id: int, *, subject: str | None = None) -> StoredSchema:
        """The schema with this id (in the default context, or in the context of the
        ``subject`` hint: see :func:`id_context`) while a version (live or soft-deleted) uses
        it.

        In the default context the content comes from memory once read (an id's content never
        changes); whether a version still uses the id is asked of the database every time (see
        ``schema_ids``)."""
        if subject:
            with self.ctx.reading() as work:
                context = id_context(work, schema_id, subject)
                if context != DEFAULT_CONTEXT:
                    row = work.schema_in_context(context, schema_id)
                    if row is None or not work.versions_of_schema(int(row.id or 0), deleted=True):
                        raise errors.SchemaNotFound(schema_not_found(schema_id))
                    return stored_schema(work, row)
        ids = self.ctx.schema_ids
        cached = ids.cached(schema_id)
        if cached is not None:
            if not ids.in_use(schema_id):
                raise errors.SchemaNotFound(schema_not_found(schema_id))
            return cached
        with self.ctx.reading() as work:
            row = work.schema_in_context(DEFAULT_CONTEXT, schema_id)
            if row is None or not work.versions_of_schema(schema_id, deleted=True):
                raise errors.SchemaNotFound(schema_not_found(schema_id))
            stored = stored_schema(work, row)
        ids.remember(schema_id, stored)
        return stored

    def list_schemas(
        self, *, prefix: str | None = None, deleted: bool = False, latest_only: bool = False
    ) -> list[RegisteredVersion]:
        """Every (subject, version) with its schema, by subject then version."""
        if prefix is not None and not storable(prefix):
            return []
        with self.ctx.reading() as work:
            out: list[RegisteredVersion] = []
            for subject in work.subjects(deleted=deleted, prefix=prefix):
                rows = work.versions(subject, deleted=deleted)
                if latest_only:
                    rows = rows[-1:]
                out.extend(registered(work, row) for row in rows)
            return out

    def schema_versions(
        self, schema_id: int, *, deleted: bool = False, subject: str | None = None
    ) -> list[tuple[str, int]]:
        """The (subject, version) pairs that use the id (in the context :func:`id_context`
        reads it in); only ``subject``'s when it names a subject."""
        if subject is not None and not storable(subject):
            return []
        with self.ctx.reading() as work:
            row = work.schema_in_context(id_context(work, schema_id, subject), schema_id)
            if row is None:
                raise errors.SchemaNotFound(schema_not_found(schema_id))
            row_id = int(row.id or 0)
            pairs = work.versions_of_schema(row_id, deleted=deleted)
            if not work.versions_of_schema(row_id, deleted=True):
                raise errors.SchemaNotFound(schema_not_found(schema_id))
            if subject:
                located = contexts.split(subject)
                if located.name:
                    pairs = [p for p in pairs if contexts.split(p[0]).name == located.name]
            return pairs

    def schema_subjects(
        self, schema_id: int, *, deleted: bool = False, subject: str | None = None
    ) -> list[str]:
        return sorted(
            {s for s, _ in self.schema_versions(schema_id, deleted=deleted, subject=subject)}
        )

    def referenced_by(self, subject: str, version: VersionSpec) -> list[int]:
        """Ids (in their contexts) of the schemas with a live version that reference it."""
        known(subject)
        with self.ctx.reading() as work:
            row = version_row(work, subject, version, deleted=False)
            users = work.schema_rows(work.referenced_by(subject, row.version))
            return sorted(public_id(user) for user in users.values())

    def lookup(
        self, subject: str, given: SchemaInput, *, deleted: bool = False
    ) -> RegisteredVersion:
        """The newest version of ``subject`` with this schema (text, type, references) and, if
        given, this metadata and rule set (a field not given matches any)."""
        known(subject)
        subject = contexts.split(subject).subject
        with self.ctx.reading() as work:
            rows = work.versions(subject, deleted=deleted)
            if not rows:
                raise errors.SubjectNotFound(subject)
            bare = dataclasses.replace(given, metadata=None, rule_set=None)
            wanted = prepare(self.ctx, work, bare, subject=subject).fingerprint
            schemas = work.schema_rows(r.schema_id for r in rows)
            for row in reversed(rows):
                schema = schemas.get(row.schema_id)
                if schema is None or bare_fingerprint(work, schema) != wanted:
                    continue
                if given.metadata is not None and given.metadata != schema.metadata_json:
                    continue
                if given.rule_set is not None and given.rule_set != schema.rule_set_json:
                    continue
                return registered(work, row)
            raise errors.SchemaNotFound()

    def latest_with_metadata(
        self, subject: str, properties: dict[str, str], *, deleted: bool = False
    ) -> RegisteredVersion:
        """The newest version of ``subject`` whose metadata has every one of ``properties``
        (Confluent's ``GET /subjects/{subject}/metadata?key=...&value=...``)."""
        known(subject)
        subject = contexts.split(subject).subject
        with self.ctx.reading() as work:
            rows = work.versions(subject, deleted=deleted)
            if not rows:
                raise errors.SubjectNotFound(subject)
            schemas = work.schema_rows(r.schema_id for r in rows)
            for row in reversed(rows):
                schema = schemas.get(row.schema_id)
                meta = json.loads(schema.metadata_json) if schema and schema.metadata_json else None
                if all(dc.property_of(meta, k) == v for k, v in properties.items()):
                    return registered(work, row)
            wanted = ", ".join(f"{k}={v}" for k, v in properties.items())
            raise errors.SchemaNotFound(
                f"Schema not found: no version of subject '{subject}' has metadata {wanted}"
            )

    def list_contexts(self) -> list[str]:
        """The default context and every context that has a subject, sorted."""
        with self.ctx.reading() as work:
            return sorted({DEFAULT_CONTEXT, *work.contexts()})
