"""What the web UI's pages list: subjects, one subject's history, the audit log.

Each function takes the :class:`RegistryService` and runs in one read unit of work of its store;
the SQL is :mod:`evreg.registry.store.ui_queries` (a fixed number of queries per page, never one
per subject).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from evreg.registry.inputs import storable
from evreg.registry.service import RegistryService
from evreg.registry.store.search_text import fold
from evreg.registry.store.tables import GLOBAL
from evreg.registry.store.ui_queries import ORDERS, SORTS
from evreg.registry.values import DEFAULT_LEVEL, DEFAULT_MODE, DEFAULT_POLICY, AuditEntry

MAX_PAGE_SIZE = 200


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
    with service.reading() as work:
        found = work.subject_page(
            needle=needle,
            sort=sort,
            order=order,
            page=page,
            size=size,
            default_level=DEFAULT_LEVEL.value,
            default_policy=DEFAULT_POLICY.value,
        )
    rows = []
    for r in found.rows:
        in_name = not needle or needle in r.subject.casefold()
        rows.append(
            SubjectSummary(
                subject=r.subject,
                version=r.version,
                versions=r.live_versions,
                id=r.schema_id,
                schema_type=r.schema_type,
                level=r.level,
                policy=r.policy,
                changed_at=_iso(r.changed_at),
                title=r.title,
                excerpt=None if in_name else _hint(found.texts.get(r.schema_id, ""), q.strip()),
            )
        )
    return SubjectPage(rows, found.total, page, size, sort, order, q)


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
    with service.reading() as work:
        history = work.subject_history(subject)
    if history is None:
        return None
    by_version = {}
    for event in history.registrations:  # the newest registration of a number wins (numbers
        by_version[event.version] = event  # can be reused)
    entries = []
    for r in history.versions:
        found = by_version.get(r.version)
        after = found.after if found is not None and isinstance(found.after, dict) else {}
        derived = after.get("derivedFrom")
        entries.append(
            VersionEntry(
                version=r.version,
                id=r.schema_id,
                schema_type=r.schema_type,
                deleted=r.deleted,
                registered_at=_iso(r.created_at),
                actor=found.actor if found is not None else None,
                derived_from=derived if isinstance(derived, dict) else None,
            )
        )
    level, level_source = DEFAULT_LEVEL.value, "default"
    policy, policy_source = DEFAULT_POLICY.value, "default"
    for key, source in ((GLOBAL, "global"), (subject, "subject")):
        config_level, config_policy = history.configs.get(key, (None, None))
        if config_level:
            level, level_source = config_level, source
        if config_policy:
            policy, policy_source = config_policy, source
    mode = history.modes.get(subject) or history.modes.get(GLOBAL) or DEFAULT_MODE
    return SubjectFacts(subject, entries, level, level_source, policy, policy_source, mode)


def live_subjects(service: RegistryService, names: list[str]) -> frozenset[str]:
    """Which of ``names`` have a live version (one query)."""
    wanted = [n for n in names if storable(n)]
    if not wanted:
        return frozenset()
    with service.reading() as work:
        return work.live_subjects(wanted)


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
    with service.reading() as work:
        entries = work.audit_page(
            subject=subject, actor=actor, action=action, before=before, limit=limit + 1
        )
    older = entries[limit - 1].id if len(entries) > limit else None
    return AuditPage(entries[:limit], older)
