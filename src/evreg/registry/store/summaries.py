"""The ``subject_summaries`` table: kept in step with the versions, and read for lists and search.

:func:`refresh` recomputes one subject's row inside the writer's transaction (the service calls
it after every registration and deletion, under the subject's lock); :func:`rebuild` recomputes
every row (migration 0003's backfill, and bulk loads that bypass the service). Listing and
search read this table alone: one row per subject instead of a ``GROUP BY`` over every version
and the text of every latest schema.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import Connection, and_, bindparam, case, delete, func, insert, select
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session

from evreg.registry.store import search_text as st
from evreg.registry.store.tables import SchemaRow, SubjectSummary, SubjectVersion

summaries = SubjectSummary.__table__  # type: ignore[attr-defined]
_versions = SubjectVersion.__table__  # type: ignore[attr-defined]
_schemas = SchemaRow.__table__  # type: ignore[attr-defined]

Executor = Session | Connection


def name_order(executor: Executor) -> ColumnElement[Any]:
    """Subjects in code-point order (Python's ``sorted``) on both backends.

    SQLite compares UTF-8 bytes already; PostgreSQL would use the database's collation.
    """
    column: ColumnElement[Any] = summaries.c.subject
    bind = executor.get_bind() if isinstance(executor, Session) else executor
    if bind.dialect.name == "postgresql":
        return column.collate("C")
    return column


def matches(executor: Executor, folded: str) -> ColumnElement[bool]:
    """The search text contains ``folded`` (a query case-folded by :func:`search_text.fold`).

    PostgreSQL: ``strpos``, several times faster there than ``LIKE '%...%'`` on UTF-8 text.
    SQLite: ``LIKE`` with ``%`` and ``_`` escaped (its ASCII case-insensitivity is moot: both
    sides are case-folded).
    """
    column: ColumnElement[str] = summaries.c.search_text
    bind = executor.get_bind() if isinstance(executor, Session) else executor
    if bind.dialect.name == "postgresql":
        return func.strpos(column, folded) > 0
    return column.like(st.like_contains(folded), escape="\\")


def _row(
    subject: str,
    live: int,
    latest: Any,
    schema_type: str | None,
    canonical: str | None,
) -> dict[str, Any]:
    document = st.parse(canonical) if canonical is not None else None
    return {
        "subject": subject,
        "version": latest.version if latest is not None else None,
        "schema_id": latest.schema_id if latest is not None else None,
        "schema_type": schema_type,
        "live_versions": live,
        "changed_at": latest.created_at if latest is not None else None,
        "title": st.title_of(schema_type or "", document) if latest is not None else None,
        "search_text": st.search_text(subject, document) if latest is not None else "",
    }


def refresh(session: Session, subject: str) -> None:
    """Recompute ``subject``'s row from its versions (call with the subject's lock held): one
    statement counts them and reads the latest live one, so a subject's history is not read
    row by row at each registration."""
    session.flush()
    found = session.execute(_ONE_SUBJECT, {"subject": subject}).first()
    session.execute(delete(summaries).where(summaries.c.subject == subject))
    if found is None:
        return
    latest = found if found.version is not None else None
    session.execute(
        insert(summaries),
        [
            _row(
                subject,
                int(found.live),
                latest,
                str(found.schema_type) if latest is not None else None,
                str(found.canonical) if latest is not None else None,
            )
        ],
    )


def _latest(one: bool = False) -> Any:
    """Per subject with any version (with ``one``, the subject bound as ``subject``'s alone):
    its live versions' count and its latest live version (None when none is live) with that
    version's schema type and text."""
    live_version = case((_versions.c.deleted.is_(False), _versions.c.version))
    per_subject = select(
        _versions.c.subject.label("subject"),
        func.max(live_version).label("latest"),
        func.count(live_version).label("live"),
    )
    if one:
        per_subject = per_subject.where(_versions.c.subject == bindparam("subject"))
    counted = per_subject.group_by(_versions.c.subject).subquery("per_subject")
    return (
        select(
            counted.c.subject,
            counted.c.live,
            _versions.c.version,
            _versions.c.schema_id,
            _versions.c.created_at,
            _schemas.c.schema_type,
            _schemas.c.canonical,
        )
        .select_from(
            counted.outerjoin(
                _versions,
                and_(
                    _versions.c.subject == counted.c.subject,
                    _versions.c.version == counted.c.latest,
                ),
            ).outerjoin(_schemas, _schemas.c.id == _versions.c.schema_id)
        )
        .order_by(counted.c.subject)
    )


_ONE_SUBJECT: Any = _latest(one=True)  # (built once: a registration runs it)


def rebuild(connection: Connection, *, batch: int = 1000) -> int:
    """Recompute every row from the versions and schemas; returns the number of subjects."""
    statement = _latest()
    connection.execute(delete(summaries))
    count = 0
    pending: list[dict[str, Any]] = []
    for r in connection.execute(statement):
        latest = r if r.version is not None else None
        pending.append(
            _row(
                str(r.subject),
                int(r.live),
                latest,
                r.schema_type if latest is not None else None,
                r.canonical if latest is not None else None,
            )
        )
        count += 1
        if len(pending) >= batch:
            connection.execute(insert(summaries), pending)
            pending = []
    if pending:
        connection.execute(insert(summaries), pending)
    return count


# ---------------------------------------------------------------- reads


def names(
    session: Session,
    *,
    deleted: bool = False,
    deleted_only: bool = False,
    prefix: str | None = None,
    offset: int = 0,
    limit: int = -1,
    default_context_only: bool = False,
) -> list[str]:
    """Subject names in code-point order: with a live version (default), with any version
    (``deleted``), or with versions none of which is live (``deleted_only``); only those of
    the default context (no ``:.context:`` qualifier) with ``default_context_only``."""
    statement = select(summaries.c.subject)
    if default_context_only:
        statement = statement.where(~summaries.c.subject.startswith(":.", autoescape=True))
    if deleted_only:
        statement = statement.where(summaries.c.version.is_(None))
    elif not deleted:
        statement = statement.where(summaries.c.version.is_not(None))
    if prefix:
        statement = statement.where(summaries.c.subject.startswith(prefix, autoescape=True))
    statement = statement.order_by(name_order(session))
    if offset:
        statement = statement.offset(offset)
    if limit >= 0:
        statement = statement.limit(limit)
    # One value for the whole page instead of a row object per name (at 10,000 names the rows
    # cost more than the query, and the garbage collector's passes over them 100 ms at times).
    if session.get_bind().dialect.name == "postgresql":
        # ``ARRAY(SELECT ...)`` keeps the subquery's order; psycopg loads the array in C.
        return list(session.execute(select(func.array(statement.scalar_subquery()))).scalar_one())
    # SQLite: a JSON array of the page. The page is chosen in order by the subquery, but
    # SQLite does not promise to aggregate in that order: sort it again (cheap when sorted;
    # Python's order of str is SQLite's BINARY order of their UTF-8 bytes).
    page = statement.subquery()
    found = session.execute(select(func.json_group_array(page.c.subject))).scalar_one()
    return sorted(orjson.loads(found))


def contexts(session: Session) -> list[str]:
    """The contexts other than the default one that have a subject (sorted)."""
    names = session.execute(
        select(summaries.c.subject).where(summaries.c.subject.startswith(":.", autoescape=True))
    ).scalars()
    found = set()
    for name in names:
        end = name.find(":", 1)
        context = name[1:] if end < 0 else name[1:end]
        if context != ".":
            found.add(context)
    return sorted(found)


@dataclass(frozen=True, slots=True)
class Found:
    subject: str
    version: int
    schema_id: int
    schema_type: str


def search(session: Session, folded: str, *, limit: int) -> Sequence[Found]:
    """Subjects with a live version whose search text contains ``folded`` (already case-folded
    with :func:`search_text.fold`), in code-point order of their names."""
    statement = (
        select(
            summaries.c.subject, summaries.c.version, summaries.c.schema_id, summaries.c.schema_type
        )
        .where(
            summaries.c.version.is_not(None),
            matches(session, folded),
        )
        .order_by(name_order(session))
        .limit(limit)
    )
    return [
        Found(str(r.subject), int(r.version), int(r.schema_id), str(r.schema_type))
        for r in session.execute(statement).all()
    ]
