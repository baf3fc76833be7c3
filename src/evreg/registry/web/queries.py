"""Read-only queries the web UI needs and the service does not offer.

Each function takes the :class:`RegistryService` and runs in one read transaction of its store,
as the service's own reads do. Every page costs a fixed number of queries (never one per
subject): the subject list is filtered, sorted and paginated in SQL.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, literal, or_, select
from sqlalchemy.sql.elements import ColumnElement

from evreg.registry.service import (
    DEFAULT_LEVEL,
    DEFAULT_MODE,
    DEFAULT_POLICY,
    AuditEntry,
    RegistryService,
)
from evreg.registry.store.search_text import fold
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
MAX_PAGE_SIZE = 200

_versions = SubjectVersion.__table__  # type: ignore[attr-defined]
_schemas = SchemaRow.__table__  # type: ignore[attr-defined]
_config = ConfigRow.__table__  # type: ignore[attr-defined]
_modes = ModeRow.__table__  # type: ignore[attr-defined]
_audit = AuditEvent.__table__  # type: ignore[attr-defined]


def storable(text: str) -> bool:
    """Can this text reach the database (no NUL, valid UTF-8)? Other text matches nothing."""
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _like_pattern(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


# ---------------------------------------------------------------- the subject list


@dataclass(frozen=True, slots=True)
class SubjectSummary:
    subject: str
    version: int  # the latest live version
    versions: int  # live versions
    id: int
    schema_type: str
    level: str
    policy: str
    changed_at: str | None  # when the latest version was registered
    title: str | None
    excerpt: str | None  # where the search text occurs in the contract, when not in the name

    def to_dict(self) -> dict[str, Any]:
        return {
            "subject": self.subject,
            "version": self.version,
            "versions": self.versions,
            "id": self.id,
            "schemaType": self.schema_type,
            "level": self.level,
            "policy": self.policy,
            "changedAt": self.changed_at,
            "title": self.title,
            "excerpt": self.excerpt,
        }


@dataclass(frozen=True, slots=True)
class SubjectPage:
    rows: list[SubjectSummary]
    total: int
    page: int
    size: int
    sort: str
    order: str
    q: str

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))

    def to_dict(self) -> dict[str, Any]:
        return {
            "q": self.q,
            "sort": self.sort,
            "order": self.order,
            "page": self.page,
            "size": self.size,
            "total": self.total,
            "pages": self.pages,
            "subjects": [r.to_dict() for r in self.rows],
        }


_NAMES = ("name", "title", "address", "messageId", "$id")
_PROSE = ("summary", "description")


def _where(document: Any, needle: str, limit: int = 2000) -> str | None:
    """Where ``needle`` occurs in a contract, best first: a name, title, channel address,
    summary or description holding it, then any other value, then a key; exact case before
    any case. ``components/messages/OrderPlaced/name: OrderPlaced``."""
    lowered = needle.casefold()
    best: tuple[int, str] | None = None
    stack: list[tuple[str, Any]] = [("", document)]
    seen = 0
    while stack and seen < limit and (best is None or best[0] > 0):
        path, node = stack.pop()
        seen += 1
        items: list[tuple[str, Any]] = []
        if isinstance(node, dict):
            items = [(str(k), v) for k, v in node.items()]
        elif isinstance(node, list):
            items = [(str(i), v) for i, v in enumerate(node)]
        children: list[tuple[str, Any]] = []
        for key, value in items:
            here = f"{path}/{key}" if path else key
            rank = None
            if isinstance(value, str) and lowered in value.casefold():
                rank = (0 if key in _NAMES else 2 if key in _PROSE else 4) + (needle not in value)
                shown = value if len(value) <= 80 else value[:79] + "…"
                hit = f"{here}: {shown}"
            elif isinstance(node, dict) and lowered in key.casefold():
                rank = 6 + (needle not in key)
                hit = here
            if rank is not None and (best is None or rank < best[0]):
                best = (rank, hit)
            if isinstance(value, dict | list):
                children.append((here, value))
        stack.extend(reversed(children))
    return best[1] if best else None


def _hint(canonical: str, needle: str) -> str | None:
    try:
        return _where(json.loads(canonical), needle)
    except ValueError:
        return None


def _global_config(session: Any) -> tuple[str, str]:
    row = session.get(ConfigRow, GLOBAL)
    level = (row.compatibility_level if row else None) or DEFAULT_LEVEL.value
    policy = (row.compatibility_policy if row else None) or DEFAULT_POLICY.value
    return level, policy


def list_subjects(
    service: RegistryService,
    *,
    q: str = "",
    sort: str = "subject",
    order: str = "asc",
    page: int = 1,
    size: int = 50,
) -> SubjectPage:
    """One page of subjects with a live version: the latest version of each, its type, level
    and when it changed; filtered by ``q`` (in the subject name or the latest contract's
    titles, message names, channel addresses, summaries, descriptions, property names; any
    case), sorted, paginated: all in SQL over the subject summaries, one row per subject."""
    sort = sort if sort in SORTS else "subject"
    order = order if order in ORDERS else "asc"
    size = max(1, min(size, MAX_PAGE_SIZE))
    page = max(1, page)
    needle = fold(q)
    if needle and not storable(needle):
        return SubjectPage([], 0, page, size, sort, order, q)
    s = summaries
    with service._read() as session:
        global_level, global_policy = _global_config(session)
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
    rows = []
    for r in found:
        in_name = not needle or needle in str(r.subject).casefold()
        rows.append(
            SubjectSummary(
                subject=str(r.subject),
                version=int(r.version),
                versions=int(r.live_versions),
                id=int(r.schema_id),
                schema_type=str(r.schema_type),
                level=str(r.level),
                policy=str(r.policy),
                changed_at=_iso(r.changed_at),
                title=r.title,
                excerpt=None if in_name else _hint(texts.get(int(r.schema_id), ""), q.strip()),
            )
        )
    return SubjectPage(rows, total, page, size, sort, order, q)


# ---------------------------------------------------------------- one subject


@dataclass(frozen=True, slots=True)
class VersionEntry:
    version: int
    id: int
    schema_type: str
    deleted: bool
    registered_at: str | None
    actor: str | None
    derived_from: dict[str, Any] | None  # for payload subjects: the contract that made them

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "id": self.id,
            "schemaType": self.schema_type,
            "deleted": self.deleted,
            "registeredAt": self.registered_at,
            "actor": self.actor,
            "derivedFrom": self.derived_from,
        }


@dataclass(frozen=True, slots=True)
class SubjectFacts:
    subject: str
    versions: list[VersionEntry]  # oldest first, soft-deleted ones included (marked)
    level: str
    level_source: str  # "subject", "global" or "default"
    policy: str
    policy_source: str
    mode: str


def subject_facts(service: RegistryService, subject: str) -> SubjectFacts | None:
    """The subject's versions with who registered each and when, its effective level, policy
    and mode; None when no version (not even a soft-deleted one) exists."""
    if not storable(subject):
        return None
    with service._read() as session:
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
            r.subject: r
            for r in session.execute(
                select(_config).where(_config.c.subject.in_([subject, GLOBAL]))
            ).all()
        }
        modes = {
            r.subject: r.mode
            for r in session.execute(
                select(_modes.c.subject, _modes.c.mode).where(
                    _modes.c.subject.in_([subject, GLOBAL])
                )
            ).all()
        }
    by_version: dict[int, Any] = {}
    for event in events:  # the newest registration of a number wins (numbers can be reused)
        by_version[int(event.version or 0)] = event
    entries = []
    for r in rows:
        found = by_version.get(int(r.version))
        after = found.after if found is not None and isinstance(found.after, dict) else {}
        derived = after.get("derivedFrom")
        entries.append(
            VersionEntry(
                version=int(r.version),
                id=int(r.schema_id),
                schema_type=str(r.schema_type),
                deleted=bool(r.deleted),
                registered_at=_iso(r.created_at),
                actor=str(found.actor) if found is not None else None,
                derived_from=derived if isinstance(derived, dict) else None,
            )
        )
    level, level_source = DEFAULT_LEVEL.value, "default"
    policy, policy_source = DEFAULT_POLICY.value, "default"
    for key, source in ((GLOBAL, "global"), (subject, "subject")):
        config = configs.get(key)
        if config is None:
            continue
        if config.compatibility_level:
            level, level_source = config.compatibility_level, source
        if config.compatibility_policy:
            policy, policy_source = config.compatibility_policy, source
    mode = modes.get(subject) or modes.get(GLOBAL) or DEFAULT_MODE
    return SubjectFacts(subject, entries, level, level_source, policy, policy_source, mode)


def live_subjects(service: RegistryService, names: list[str]) -> frozenset[str]:
    """Which of ``names`` have a live version (one query)."""
    wanted = [n for n in names if storable(n)]
    if not wanted:
        return frozenset()
    with service._read() as session:
        found = session.execute(
            select(_versions.c.subject)
            .where(_versions.c.subject.in_(wanted), _versions.c.deleted.is_(False))
            .distinct()
        )
        return frozenset(str(s) for s in found.scalars().all())


# ---------------------------------------------------------------- the audit log


@dataclass(frozen=True, slots=True)
class AuditPage:
    entries: list[AuditEntry]
    older: int | None  # pass as ``before`` for the next (older) page; None on the last page

    def to_dict(self) -> dict[str, Any]:
        return {"events": [e.to_dict() for e in self.entries], "older": self.older}


def audit_page(
    service: RegistryService,
    *,
    subject: str | None = None,
    actor: str | None = None,
    action: str | None = None,
    before: int | None = None,
    limit: int = 50,
) -> AuditPage:
    """Audit events newest first, filtered by subject (exact), actor (contains: ``alice``
    finds ``token:alice``) and action (``schema`` matches ``schema.register``: a prefix at a
    dot, or the exact action)."""
    limit = max(1, min(limit, MAX_PAGE_SIZE))
    filters = [f for f in (subject, actor, action) if f]
    if any(not storable(f) for f in filters):
        return AuditPage([], None)
    statement = select(_audit)
    if before is not None:
        statement = statement.where(_audit.c.id < before)
    if subject:
        statement = statement.where(_audit.c.subject == subject)
    if actor:
        pattern = _like_pattern(actor)
        statement = statement.where(
            _audit.c.actor.ilike(pattern, escape="\\")
            if service.store.is_postgres
            else _audit.c.actor.like(pattern, escape="\\")
        )
    if action:
        prefix = _like_pattern(action.rstrip("."))[1:-1] + ".%"
        statement = statement.where(
            or_(_audit.c.action == action, _audit.c.action.like(prefix, escape="\\"))
        )
    statement = statement.order_by(_audit.c.id.desc()).limit(limit + 1)
    with service._read() as session:
        rows = session.execute(statement).all()
    entries = [
        AuditEntry(
            id=int(r.id),
            at=_iso(r.at) or "",
            actor=str(r.actor),
            action=str(r.action),
            subject=r.subject,
            version=r.version,
            schema_id=r.schema_id,
            before=r.before,
            after=r.after,
        )
        for r in rows[:limit]
    ]
    older = entries[-1].id if len(rows) > limit and entries else None
    return AuditPage(entries, older)
