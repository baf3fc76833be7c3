"""The store's public unit of work: one database transaction and the queries run in it.

The registry's use cases, its token storage and the web UI reach the database through these two
classes only (``Store.reading()`` and ``Store.writing(*subjects)`` open them): nothing outside
:mod:`evreg.registry.store` imports SQLAlchemy or SQLModel. A :class:`ReadWork` only reads; a
:class:`WriteWork` holds the lock of each subject it was opened for (see
:meth:`Store.write`) and commits when its ``with`` block ends without an exception. Either turns
a database failure into :class:`~evreg.registry.errors.StoreFailure`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import event, inspect, text
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, col, select

from evreg.registry import errors
from evreg.registry.store import audit as audit_log
from evreg.registry.store import bulk, id_watch, outlines, summaries, tokens, ui_queries
from evreg.registry.store import queries as q
from evreg.registry.store.audit import AuditEntry, audit_entry
from evreg.registry.store.queries import Reference
from evreg.registry.store.tables import (
    DEFAULT_CONTEXT,
    ApiToken,
    ApplicationRow,
    ConfigRow,
    ConsumerChecksRow,
    ModeRow,
    SchemaRow,
    SubjectVersion,
)

if TYPE_CHECKING:
    from evreg.registry.store.engine import Store


class ReadWork:
    """A read-only transaction (one consistent snapshot on SQLite WAL)."""

    def __init__(self, session: Session, store: Store) -> None:
        self._session = session
        self.store = store

    def ping(self) -> None:
        self._session.execute(text("SELECT 1"))

    def revision(self) -> str | None:
        """The migration the database is at (``alembic_version``), None without that table."""
        if not inspect(self._session.connection()).has_table("alembic_version"):
            return None
        found = self._session.execute(text("SELECT version_num FROM alembic_version"))
        return found.scalar()

    def compile_reads(self) -> None:
        """Run each read a registration makes once, for keys no row holds (a subject name with
        a control character, schema id 0, empty fingerprints): SQLAlchemy compiles a statement
        at its first execution, and keeps it for the engine, so that the process's first
        registration finds them compiled. Reads no row (``Store.prepare``)."""
        none, nothing = "\x01", [""]
        q.max_version(self._session, none)
        self.get_mode(none)
        self.get_config(none)
        self.latest_live(none)
        self.live_heads(none)
        self.get_schema(0)
        self.get_references(0)
        self.find_schema_id("", "")
        self.schema_heads([0])
        self.schema_rows([0])
        bulk.texts_and_references(self._session, [0])
        self.inclusions(nothing, "")
        self.outlines(nothing, "")
        self.outline_entries([0])
        self.content_verdicts(nothing)

    # ------------------------------------------------------------ schemas

    def find_schema_id(self, fingerprint: str, schema_type: str) -> int | None:
        return q.find_schema_id(self._session, fingerprint, schema_type)

    def get_schema(self, schema_id: int) -> SchemaRow | None:
        """The schema row with this row id."""
        return q.get_schema(self._session, schema_id)

    def schema_in_context(self, context: str, schema_id: int) -> SchemaRow | None:
        """The schema row whose id in ``context`` is ``schema_id``."""
        return q.schema_in_context(self._session, context, schema_id)

    def get_references(self, schema_id: int) -> list[Reference]:
        return q.get_references(self._session, schema_id)

    def referenced_by(self, subject: str, version: int) -> list[int]:
        return q.referenced_by(self._session, subject, version)

    def schema_rows(self, schema_ids: Iterable[int]) -> dict[int, SchemaRow]:
        return bulk.schema_rows(self._session, schema_ids)

    def schema_heads(self, schema_ids: Iterable[int]) -> dict[int, bulk.SchemaHead]:
        return bulk.schema_heads(self._session, schema_ids)

    def prefetch(self, rows: Sequence[SchemaRow]) -> dict[int, list[Reference]]:
        return bulk.prefetch(self._session, rows)

    def inclusions(self, writers: Iterable[str], prover: str) -> list[tuple[str, str]]:
        """Stored proven inclusions (writer, reader fingerprints) of these writers."""
        return bulk.inclusions(self._session, writers, prover)

    def outlines(self, fingerprints: Iterable[str], maker: str) -> list[outlines.StoredOutline]:
        """Stored outlines of these schemas (by ``maker``)."""
        return outlines.outlines(self._session, fingerprints, maker)

    def outline_entries(self, ids: Iterable[int]) -> dict[int, tuple[str, str]]:
        """id -> (name, content key) of these outline entries."""
        return outlines.entries(self._session, ids)

    def content_verdicts(self, identities: Iterable[str]) -> dict[str, int]:
        """The stored verdicts of those of ``identities`` stored."""
        return outlines.verdicts(self._session, identities)

    # ------------------------------------------------------------ subjects and versions

    def versions(self, subject: str, *, deleted: bool = False) -> list[SubjectVersion]:
        return q.versions(self._session, subject, deleted=deleted)

    def live_heads(self, subject: str) -> list[q.VersionHead]:
        """(version, schema id) of the subject's live versions, oldest first: what a check
        reads of them (cheaper than :meth:`versions`' rows)."""
        return q.live_heads(self._session, subject)

    def latest_live(self, subject: str) -> SubjectVersion | None:
        return q.latest_live(self._session, subject)

    def get_version(self, subject: str, version: int) -> SubjectVersion | None:
        return q.get_version(self._session, subject, version)

    def subjects(self, *, deleted: bool = False, prefix: str | None = None) -> list[str]:
        return q.subjects(self._session, deleted=deleted, prefix=prefix)

    def versions_of_schema(self, schema_id: int, *, deleted: bool = False) -> list[tuple[str, int]]:
        return q.versions_of_schema(self._session, schema_id, deleted=deleted)

    def subject_names(
        self,
        *,
        deleted: bool = False,
        deleted_only: bool = False,
        prefix: str | None = None,
        offset: int = 0,
        limit: int = -1,
        default_context_only: bool = False,
    ) -> list[str]:
        """See :func:`summaries.names`."""
        return summaries.names(
            self._session,
            deleted=deleted,
            deleted_only=deleted_only,
            prefix=prefix,
            offset=offset,
            limit=limit,
            default_context_only=default_context_only,
        )

    def contexts(self) -> list[str]:
        """See :func:`summaries.contexts`."""
        return summaries.contexts(self._session)

    def search(self, folded: str, *, limit: int) -> Sequence[summaries.Found]:
        return summaries.search(self._session, folded, limit=limit)

    def latest_asyncapi(self) -> list[tuple[str, int, int]]:
        """(subject, latest live version, its schema id) of every AsyncAPI subject, by name."""
        return bulk.latest_asyncapi(self._session)

    # ------------------------------------------------------------ settings

    def get_config(self, subject: str) -> ConfigRow | None:
        return q.get_config(self._session, subject)

    def get_mode(self, subject: str) -> ModeRow | None:
        return q.get_mode(self._session, subject)

    def get_consumer_checks(self, subject: str) -> ConsumerChecksRow | None:
        return q.get_consumer_checks(self._session, subject)

    def get_application(self, subject: str, version: int) -> ApplicationRow | None:
        return q.get_application(self._session, subject, version)

    def applications(self) -> dict[tuple[str, int], str]:
        return q.applications(self._session)

    # ------------------------------------------------------------ tokens and audit

    def find_token(self, token_sha256: str) -> ApiToken | None:
        return tokens.find_token(self._session, token_sha256)

    def count_tokens(self, role: str | None = None) -> int:
        return tokens.count_tokens(self._session, role)

    def tokens(self) -> list[ApiToken]:
        return list(self._session.exec(select(ApiToken).order_by(col(ApiToken.id))).all())

    def audit_events(
        self, *, after_id: int = 0, limit: int = 100, subject: str | None = None
    ) -> list[AuditEntry]:
        rows = audit_log.audit_events(
            self._session, after_id=after_id, limit=limit, subject=subject
        )
        return [audit_entry(r) for r in rows]

    # ------------------------------------------------------------ the web UI's pages

    def subject_page(
        self,
        *,
        needle: str,
        sort: str,
        order: str,
        page: int,
        size: int,
        default_level: str,
        default_policy: str,
    ) -> ui_queries.SubjectRows:
        """See :func:`ui_queries.subject_page`."""
        return ui_queries.subject_page(
            self._session,
            needle=needle,
            sort=sort,
            order=order,
            page=page,
            size=size,
            default_level=default_level,
            default_policy=default_policy,
        )

    def subject_history(self, subject: str) -> ui_queries.SubjectHistory | None:
        return ui_queries.subject_history(self._session, subject)

    def live_subjects(self, names: list[str]) -> frozenset[str]:
        return ui_queries.live_subjects(self._session, names)

    def audit_page(
        self,
        *,
        subject: str | None = None,
        actor: str | None = None,
        action: str | None = None,
        before: int | None = None,
        limit: int = 50,
    ) -> list[AuditEntry]:
        """See :func:`ui_queries.audit_page`."""
        return ui_queries.audit_page(
            self._session, subject=subject, actor=actor, action=action, before=before, limit=limit
        )


class WriteWork(ReadWork):
    """A write transaction holding the lock of each subject it was opened for."""

    def on_commit(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` once this transaction has committed (never if it rolls back)."""
        event.listen(self._session, "after_commit", lambda _: callback(), once=True)

    def announce_change(self) -> None:
        """Tell the other processes' id watches, on commit, that what they read may be stale."""
        id_watch.announce_change(self._session)

    def audit(
        self,
        *,
        actor: str,
        action: str,
        subject: str | None = None,
        version: int | None = None,
        schema_id: int | None = None,
        before: Any = None,
        after: Any = None,
    ) -> None:
        """Record an audit event in this transaction."""
        audit_log.audit(
            self._session,
            actor=actor,
            action=action,
            subject=subject,
            version=version,
            schema_id=schema_id,
            before=before,
            after=after,
        )

    # ------------------------------------------------------------ schemas and versions

    def insert_schema(
        self,
        *,
        schema_type: str,
        canonical: str,
        content_fingerprint: str,
        fingerprint: str,
        references: Sequence[Reference],
        schema_id: int | None = None,
        extras: q.SchemaExtras = q.NO_EXTRAS,
    ) -> int:
        """The row id of this schema, inserting it if no row has it yet (see
        :func:`queries.insert_schema`); with ``schema_id``, stored under that id in its context
        (IMPORT mode: the caller checked that the id is free), the id sequence moving past it."""
        if schema_id is None or extras.context != DEFAULT_CONTEXT:
            return q.insert_schema(
                self._session,
                schema_type=schema_type,
                canonical=canonical,
                content_fingerprint=content_fingerprint,
                fingerprint=fingerprint,
                references=references,
                extras=extras,
                context_id=schema_id,
            )
        bulk.insert_schema_with_id(
            self._session,
            schema_id,
            schema_type=schema_type,
            canonical=canonical,
            content_fingerprint=content_fingerprint,
            fingerprint=fingerprint,
            references=references,
            postgres=self.store.is_postgres,
            extras=extras,
        )
        return schema_id

    def add_inclusions(self, facts: Sequence[tuple[str, str]], prover: str) -> None:
        """Store proven inclusions (writer, reader fingerprints), a cache kept across restarts."""
        bulk.add_inclusions(self._session, facts, prover)

    def outline_entry_ids(self, named: dict[str, str]) -> dict[str, int]:
        """content key -> id of each outline entry of ``named`` (content key -> name), stored
        where missing."""
        return outlines.entry_ids(self._session, named)

    def add_outlines(self, rows: Sequence[dict[str, Any]]) -> None:
        """Store outlines (rows of ``outlines``); one stored already is left as it is."""
        outlines.add_outlines(self._session, rows)

    def add_content_verdicts(self, found: dict[str, int]) -> None:
        """Store proven verdicts by identity; one stored already is left as it is."""
        outlines.add_verdicts(self._session, found)

    def add_version(self, subject: str, version: int, schema_id: int) -> None:
        q.add_version(self._session, subject, version, schema_id)

    def max_version(self, subject: str) -> int:
        return q.max_version(self._session, subject)

    def soft_delete(self, rows: Sequence[SubjectVersion]) -> None:
        for row in rows:
            row.deleted = True
            self._session.add(row)
        self._session.flush()

    def delete_version_row(self, row: SubjectVersion) -> None:
        q.delete_version_row(self._session, row)

    def refresh_summary(self, subject: str) -> None:
        summaries.refresh(self._session, subject)

    # ------------------------------------------------------------ settings

    def put_config(
        self,
        subject: str,
        level: str | None,
        policy: str | None,
        extra: dict[str, Any] | None = None,
    ) -> ConfigRow:
        return q.put_config(self._session, subject, level, policy, extra)

    def delete_config(self, subject: str) -> ConfigRow | None:
        return q.delete_config(self._session, subject)

    def put_mode(self, subject: str, mode: str) -> None:
        q.put_mode(self._session, subject, mode)

    def delete_mode(self, subject: str) -> ModeRow | None:
        return q.delete_mode(self._session, subject)

    def put_consumer_checks(self, subject: str, mode: str) -> None:
        q.put_consumer_checks(self._session, subject, mode)

    def delete_consumer_checks(self, subject: str) -> ConsumerChecksRow | None:
        return q.delete_consumer_checks(self._session, subject)

    def put_application(self, subject: str, version: int, schema_id: int, name: str) -> None:
        q.put_application(self._session, subject, version, schema_id, name)

    # ------------------------------------------------------------ tokens

    def add_token(self, name: str, token_sha256: str, role: str) -> None:
        tokens.add_token(self._session, name, token_sha256, role)

    def revoke_token(self, token_id: int) -> tuple[ApiToken | None, bool]:
        """The token row, and whether this call revoked it (False: it already was, or
        there is no such token)."""
        row = self._session.get(ApiToken, token_id)
        if row is None or row.revoked_at is not None:
            return row, False
        row.revoked_at = datetime.now(UTC)
        self._session.add(row)
        return row, True


@contextmanager
def failures_as_store_errors() -> Iterator[None]:
    """A database failure inside the block becomes :class:`~evreg.registry.errors.StoreFailure`
    (or ``StoreUnavailable``): the error the API maps to a 500 (or 503) without a trace."""
    try:
        yield
    except SQLAlchemyError as exc:
        raise errors.store_failure(exc) from exc
