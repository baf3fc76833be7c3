"""The read-only queries of the web UI's pages, in SQL (what each page shows is built from them
in :mod:`evreg.registry.web.queries`).

Every page costs a fixed number of queries (never one per subject): the subject list is
filtered, sorted and paginated in SQL over the subject summaries.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, literal, or_, select
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session

from evreg.registry.store.audit import AuditEntry, audit_entry
from evreg.registry.store.summaries import matches, name_order, summaries
from evreg.registry.store.tables import (
    GLOBAL,
    AuditEvent,
    ConfigRow,
    ModeRow,
    SchemaRow,
    SubjectVersion,
)

SORTS = ("subject", "type", "version", "changed", "level")
ORDERS = ("asc", "desc")

_versions = SubjectVersion.__table__  # type: ignore[attr-defined]
_schemas = SchemaRow.__table__  # type: ignore[attr-defined]
_config = ConfigRow.__table__  # type: ignore[attr-defined]
_modes = ModeRow.__table__  # type: ignore[attr-defined]
_audit = AuditEvent.__table__  # type: ignore[attr-defined]


def like_pattern(text: str) -> str:
    """``%text%`` for ``LIKE ... ESCAPE '\\'``, with ``\\``, ``%`` and ``_`` escaped."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


# ---------------------------------------------------------------- the subject list


@dataclass(frozen=True, slots=True)
class SubjectRow:
    subject: str
    version: int  # the latest live version
    live_versions: int
    schema_id: int
    schema_type: str
    level: str
    policy: str
    changed_at: datetime | None  # when the latest version was registered
    title: str | None


@dataclass(frozen=True, slots=True)
class SubjectRows:
    rows: list[SubjectRow]
    total: int
    texts: dict[int, str] = field(default_factory=dict)  # schema id -> text, when searched


def _global_config(session: Session, default_level: str, default_policy: str) -> tuple[str, str]:
    row = session.get(ConfigRow, GLOBAL)
    level = (row.compatibility_level if row else None) or default_level
    policy = (row.compatibility_policy if row else None) or default_policy
    return level, policy


def subject_page(
    session: Session,
    *,
    needle: str,
    sort: str,
    order: str,
    page: int,
    size: int,
    default_level: str,
    default_policy: str,
) -> SubjectRows:
    """One page of subjects with a live version whose search text contains ``needle``
    (case-folded; empty: all), sorted by ``sort`` (one of :data:`SORTS`) in ``order``; with the
    total, and for a search the text of each row's schema (to show where the needle occurs)."""
    s = summaries
    global_level, global_policy = _global_config(session, default_level, default_policy)
    level = func.coalesce(_config.c.compatibility_level, literal(global_level))
    policy = func.coalesce(_config.c.compatibility_policy, literal(global_policy))
    live: list[ColumnElement[bool]] = [s.c.version.is_not(None)]
    if needle:
        live.append(matches(session, needle))
    columns: list[Any] = [
        s.c.subject,
        s.c.version,
        s.c.live_versions,
        s.c.schema_id,
        s.c.changed_at,
        s.c.schema_type,
        s.c.title,
        level.label("level"),
        policy.label("policy"),
    ]
    if needle:  # the count comes with the page, from the one scan of the search text
        columns.append(func.count().over().label("total"))
    statement: Select[Any] = (
        select(*columns)
        .select_from(s.outerjoin(_config, _config.c.subject == s.c.subject))
        .where(*live)
    )
    by_name = name_order(session)
    key = {
        "subject": by_name,
        "type": s.c.schema_type,
        "version": s.c.version,
        "changed": s.c.changed_at,
        "level": level,
    }[sort]
    ordering = [key.desc() if order == "desc" else key.asc()]
    if sort != "subject":
        ordering.append(by_name.asc())
    paged = statement.order_by(*ordering).limit(size).offset((page - 1) * size)
    found = session.execute(paged).all()
    if not needle:
        count = select(func.count()).select_from(s).where(*live)
        total = int(session.execute(count).scalar() or 0)
    elif found:
        total = int(found[0].total)
    elif page > 1:  # past the end: still say how many there are
        count = select(func.count()).select_from(s).where(*live)
        total = int(session.execute(count).scalar() or 0)
    else:
        total = 0
    texts: dict[int, str] = {}
    if needle and found:  # where the text occurs, for the rows of this page only
        ids = sorted({int(r.schema_id) for r in found})
        texts = {
            int(i): str(c)
            for i, c in session.execute(
                select(_schemas.c.id, _schemas.c.canonical).where(_schemas.c.id.in_(ids))
            ).all()
        }
    rows = [
        SubjectRow(
            subject=str(r.subject),
            version=int(r.version),
            live_versions=int(r.live_versions),
            schema_id=int(r.schema_id),
            schema_type=str(r.schema_type),
            level=str(r.level),
            policy=str(r.policy),
            changed_at=r.changed_at,
            title=r.title,
        )
        for r in found
    ]
    return SubjectRows(rows, total, texts)


# ---------------------------------------------------------------- one subject


@dataclass(frozen=True, slots=True)
class VersionRow:
    version: int
    schema_id: int
    deleted: bool
    created_at: datetime | None
    schema_type: str


@dataclass(frozen=True, slots=True)
class Registration:
    """A ``schema.register`` audit event of the subject."""

    version: int
    actor: str
    after: Any


@dataclass(frozen=True, slots=True)
class SubjectHistory:
    versions: list[VersionRow]  # oldest first, soft-deleted ones included
    registrations: list[Registration]  # oldest first
    configs: dict[str, tuple[str | None, str | None]]  # subject or GLOBAL -> (level, policy)
    modes: dict[str, str]  # subject or GLOBAL -> mode


def subject_history(session: Session, subject: str) -> SubjectHistory | None:
    """The subject's versions, their registrations, and its and the global config and mode
    rows (four queries); None when no version (not even a soft-deleted one) exists."""
    rows = session.execute(
        select(
            _versions.c.version,
            _versions.c.schema_id,
            _versions.c.deleted,
            _versions.c.created_at,
            _schemas.c.schema_type,
        )
        .join(_schemas, _schemas.c.id == _versions.c.schema_id)
        .where(_versions.c.subject == subject)
        .order_by(_versions.c.version)
    ).all()
    if not rows:
        return None
    events = session.execute(
        select(_audit.c.id, _audit.c.version, _audit.c.actor, _audit.c.after)
        .where(_audit.c.subject == subject, _audit.c.action == "schema.register")
        .order_by(_audit.c.id)
    ).all()
    configs = {
        str(r.subject): (r.compatibility_level, r.compatibility_policy)
        for r in session.execute(
            select(_config).where(_config.c.subject.in_([subject, GLOBAL]))
        ).all()
    }
    modes = {
        str(r.subject): str(r.mode)
        for r in session.execute(
            select(_modes.c.subject, _modes.c.mode).where(_modes.c.subject.in_([subject, GLOBAL]))
        ).all()
    }
    return SubjectHistory(
        [
            VersionRow(
                int(r.version), int(r.schema_id), bool(r.deleted), r.created_at, str(r.schema_type)
            )
            for r in rows
        ],
        [Registration(int(e.version or 0), str(e.actor), e.after) for e in events],
        configs,
        modes,
    )


def live_subjects(session: Session, names: list[str]) -> frozenset[str]:
    """Which of ``names`` have a live version (one query)."""
    if not names:
        return frozenset()
    found = session.execute(
        select(_versions.c.subject)
        .where(_versions.c.subject.in_(names), _versions.c.deleted.is_(False))
        .distinct()
    )
    return frozenset(str(s) for s in found.scalars().all())


# ---------------------------------------------------------------- the audit log


def audit_page(
    session: Session,
    *,
    subject: str | None = None,
    actor: str | None = None,
    action: str | None = None,
    before: int | None = None,
    limit: int = 50,
) -> list[AuditEntry]:
    """Up to ``limit`` audit events newest first, older than ``before``, filtered by subject
    (exact), actor (contains, any case on PostgreSQL) and action (``schema`` matches
    ``schema.register``: a prefix at a dot, or the exact action)."""
    statement = select(_audit)
    if before is not None:
        statement = statement.where(_audit.c.id < before)
    if subject:
        statement = statement.where(_audit.c.subject == subject)
    if actor:
        pattern = like_pattern(actor)
        statement = statement.where(
            _audit.c.actor.ilike(pattern, escape="\\")
            if session.get_bind().dialect.name == "postgresql"
            else _audit.c.actor.like(pattern, escape="\\")
        )
    if action:
        prefix = like_pattern(action.rstrip("."))[1:-1] + ".%"
        statement = statement.where(
            or_(_audit.c.action == action, _audit.c.action.like(prefix, escape="\\"))
        )
    statement = statement.order_by(_audit.c.id.desc()).limit(limit)
    return [audit_entry(r) for r in session.execute(statement).all()]
