"""The registry's tables (SQLModel). Alembic migrations in ``migrations/`` create them.

Keep this file and the latest migration in step: ``tests/integration/registry/test_store.py``
compares the migrated database with this metadata.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    DateTime,
    Dialect,
    Index,
    LargeBinary,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlmodel import Field, SQLModel

GLOBAL = ""  # the `subject` key of the global config and mode rows
DEFAULT_CONTEXT = "."  # Confluent's default schema context


def utcnow() -> datetime:
    return datetime.now(UTC)


class UtcDateTime(TypeDecorator[datetime]):
    """``DateTime(timezone=True)`` read back as an aware UTC datetime on every store: SQLite
    keeps no time zone, so its values (written in UTC) came back naive, and the API showed
    ``2026-11-26T19:02:37`` there and ``2026-11-26T19:02:37+00:00`` on PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


class SchemaRow(SQLModel, table=True):
    """One row per distinct (content, type, references, metadata, rule set, context, dialect):
    a schema id.

    Schema ids are per context (Confluent's schema contexts): in the default context ``"."``
    the id is the row's ``id``; in any other context it is ``context_id``, allocated in that
    context (``queries.public_id``). Subjects, versions and references point at the row ``id``.
    """

    __tablename__ = "schemas"
    __table_args__ = (
        UniqueConstraint("fingerprint", "schema_type", name="uq_schemas_fingerprint_type"),
        Index("uq_schemas_context_id", "context", "context_id", unique=True),
    )

    id: int | None = Field(default=None, primary_key=True)
    schema_type: str = Field(max_length=16)
    canonical: str = Field(sa_type=Text)
    # sha256 of the canonical text alone, and of (canonical text, references, metadata, rule
    # set, context, dialect): the identity
    content_fingerprint: str = Field(max_length=64)
    fingerprint: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
    # Confluent data contracts: canonical JSON of the version's metadata and rule set, or None
    metadata_json: str | None = Field(default=None, sa_type=Text)
    rule_set_json: str | None = Field(default=None, sa_type=Text)
    context: str = Field(
        default=DEFAULT_CONTEXT, sa_type=Text, sa_column_kwargs={"server_default": DEFAULT_CONTEXT}
    )
    context_id: int | None = None  # the id in a context other than the default one
    # the dialect a JSON Schema without $schema was read as (None: not a JSON Schema)
    default_draft: str | None = Field(default=None, sa_type=Text)


class SchemaReference(SQLModel, table=True):
    """A named reference from a schema to a registered (subject, version)."""

    __tablename__ = "schema_references"
    __table_args__ = (
        UniqueConstraint("schema_id", "name", name="uq_schema_references_name"),
        Index("ix_schema_references_target", "subject", "version"),
    )

    id: int | None = Field(default=None, primary_key=True)
    schema_id: int = Field(foreign_key="schemas.id")
    position: int
    name: str = Field(sa_type=Text)
    subject: str = Field(sa_type=Text)
    version: int


class SubjectVersion(SQLModel, table=True):
    __tablename__ = "subject_versions"
    __table_args__ = (
        UniqueConstraint("subject", "version", name="uq_subject_versions_subject_version"),
        Index("ix_subject_versions_schema_id", "schema_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    subject: str = Field(sa_type=Text)
    version: int
    schema_id: int = Field(foreign_key="schemas.id")
    deleted: bool = False
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)


class ConfigRow(SQLModel, table=True):
    """Compatibility config: the global row has ``subject == ""``."""

    __tablename__ = "config"

    subject: str = Field(primary_key=True, sa_type=Text)
    compatibility_level: str | None = Field(default=None, max_length=32)
    compatibility_policy: str | None = Field(default=None, max_length=16)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
    # Confluent's other config fields (compatibilityGroup, defaultMetadata, overrideMetadata,
    # defaultRuleSet, overrideRuleSet, normalize, validateFields), canonical JSON, or None
    extra_json: str | None = Field(default=None, sa_type=Text)


class ModeRow(SQLModel, table=True):
    """READWRITE / READONLY / IMPORT: the global row has ``subject == ""``."""

    __tablename__ = "modes"

    subject: str = Field(primary_key=True, sa_type=Text)
    mode: str = Field(max_length=16)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)


class ConsumerChecksRow(SQLModel, table=True):
    """The ``consumerChecks`` mode (block, warn, off) of a subject, or the global one."""

    __tablename__ = "consumer_checks"

    subject: str = Field(primary_key=True, sa_type=Text)
    mode: str = Field(max_length=8)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)


class ApiToken(SQLModel, table=True):
    """An API token: only the sha256 of the secret is stored."""

    __tablename__ = "api_tokens"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(sa_type=Text)
    token_sha256: str = Field(max_length=64, unique=True)
    role: str = Field(max_length=16)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UtcDateTime)


class AuditEvent(SQLModel, table=True):
    """Append-only: one row per state change (who, when, what, before and after)."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_subject", "subject"),)

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
    actor: str = Field(sa_type=Text)
    action: str = Field(max_length=64)
    subject: str | None = Field(default=None, sa_type=Text)
    version: int | None = None
    schema_id: int | None = None
    before: Any = Field(default=None, sa_type=JSON, nullable=True)
    after: Any = Field(default=None, sa_type=JSON, nullable=True)


class SubjectSummary(SQLModel, table=True):
    """One row per subject that has any version: its latest live version, for listing and search.

    Derived from ``subject_versions`` and ``schemas`` and written in the same transaction as
    every registration and deletion (``store.summaries.refresh``); ``version`` is None when
    every version of the subject is soft-deleted. ``search_text`` is the ``str.casefold()`` of
    the subject name and of the latest schema's titles, names, channel addresses, summaries,
    descriptions and property names (``store.search_text``), so a case-insensitive search is
    a substring match in SQL (``summaries.matches``) that agrees with Python's case folding
    beyond ASCII.
    """

    __tablename__ = "subject_summaries"
    __table_args__ = (
        # covers the name listing (live ones: version not null) without reading the table, in
        # code-point order: on PostgreSQL migration 0005 builds it as (subject COLLATE "C",
        # version), the order of `summaries.name_order` (Alembic's comparison does not see an
        # index column's collation; tests/integration/registry/test_subject_list_order.py does)
        Index("ix_subject_summaries_subject_version", "subject", "version"),
        Index("ix_subject_summaries_changed_at", "changed_at"),
    )

    subject: str = Field(primary_key=True, sa_type=Text)
    version: int | None = None
    schema_id: int | None = None
    schema_type: str | None = Field(default=None, max_length=16)
    live_versions: int = 0
    changed_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    title: str | None = Field(default=None, sa_type=Text)
    search_text: str = Field(default="", sa_type=Text)


class ApplicationRow(SQLModel, table=True):
    """The application an AsyncAPI contract version was pushed for (``?application=`` on
    register): the map names the contract's application with it when the document names none
    (no ``x-evreg-application``, no ``info.title``)."""

    __tablename__ = "applications"

    subject: str = Field(primary_key=True, sa_type=Text)
    version: int = Field(primary_key=True)
    schema_id: int  # the version's schema: a version re-created after a hard delete differs
    name: str = Field(sa_type=Text)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)


class InclusionRow(SQLModel, table=True):
    """A proven inclusion between two stored schemas: every event the writer's schema allows,
    the reader's accepts (the semantic guard's first proof, ``compat/guard/known.py``). Keyed
    by the schemas' identity fingerprints and the prover that proved it; a cache that survives
    restarts, so a BACKWARD_TRANSITIVE check after one proves one inclusion, not one per
    earlier version. Rows are never stale (content-keyed); a row of another prover is unused."""

    __tablename__ = "inclusions"

    writer_fingerprint: str = Field(primary_key=True, max_length=64)
    reader_fingerprint: str = Field(primary_key=True, max_length=64)
    prover: str = Field(primary_key=True, max_length=32)


class OutlineEntryRow(SQLModel, table=True):
    """One property of a stored schema's root object by content (``compat/diff/history.py``:
    its name, and the sha256 of the name with its canonical text and the texts its `$ref`s
    reach), under an id the outlines list (so 200 versions of a schema of 300 properties read
    back as a few hundred of these and 200 lists of ids, not 60,000 texts)."""

    __tablename__ = "outline_entries"
    # ids are never given again, even after rows are deleted (AUTOINCREMENT on SQLite, a
    # sequence on PostgreSQL): a process may remember the id of a content key
    __table_args__ = {"sqlite_autoincrement": True}

    id: int | None = Field(default=None, primary_key=True)
    content_key: str = Field(max_length=64, unique=True)
    name: str = Field(sa_type=Text)


class OutlineRow(SQLModel, table=True):
    """A stored schema's outline (what the BACKWARD_TRANSITIVE check compares of it, by
    content), by its identity fingerprint and the maker of its keys (``history.MAKER``; a row
    of another maker is unused): the draft, the content key of its frame, its required names
    (JSON), the ids of its entries (``outline_entries``; 8 bytes each, little-endian) and a
    sha256 over all of them (a row that does not match is not read: the schema is loaded and
    outlined). Written with a registration; a cache: dropping rows changes no answer."""

    __tablename__ = "outlines"

    fingerprint: str = Field(primary_key=True, max_length=64)
    maker: str = Field(primary_key=True, max_length=32)
    draft: str = Field(sa_type=Text)
    frame: str = Field(max_length=64)
    required: str = Field(sa_type=Text)
    entries: bytes = Field(sa_type=LargeBinary)
    digest: str = Field(max_length=64)


class ContentVerdictRow(SQLModel, table=True):
    """A verdict the compatibility walk proved about contents (a property of an earlier version
    against the same property of a newer one, a frame against a frame, what a frame lets be
    added unseen: ``history.History``), by the sha256 of what it is about (its kind, maker,
    draft, policy and the contents' keys). Written with a registration; a cache that survives
    restarts: a check reads the verdicts it needs instead of loading the earlier versions."""

    __tablename__ = "content_verdicts"

    identity: str = Field(primary_key=True, max_length=64)
    verdict: int
