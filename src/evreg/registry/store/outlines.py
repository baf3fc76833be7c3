"""The stored outlines and content verdicts of the BACKWARD_TRANSITIVE check (tables
``outline_entries``, ``outlines``, ``content_verdicts``; see ``tables.py``): read in bulk (one
statement per 500 keys), written without touching a row already there (by this transaction or
a concurrent one; rows are content-keyed, never stale)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from evreg.registry.store.tables import ContentVerdictRow, OutlineEntryRow, OutlineRow

_CHUNK = 500

# (fingerprint, draft, frame key, required names as JSON, entry ids as bytes, digest)
StoredOutline = tuple[str, str, str, str, bytes, str]


# the reads of a check after a restart, as the driver's SQL: per execution, SQLAlchemy's
# statements with an expanding IN are rebuilt and their rows processed, a few microseconds per
# key (~1,000 verdicts and ~1,200 entries at version 200); ``{in}`` is the keys' placeholders
_OUTLINES = (
    "SELECT fingerprint, draft, frame, required, entries, digest FROM outlines "
    "WHERE maker = {mark} AND fingerprint IN ({in})"
)
_ENTRIES = "SELECT id, name, content_key FROM outline_entries WHERE id IN ({in})"
_VERDICTS = "SELECT identity, verdict FROM content_verdicts WHERE identity IN ({in})"


def _read(session: Session, sql: str, keys: Iterable[Any], *first: object) -> list[Any]:
    """The rows of ``sql`` for ``keys`` (one statement per 500 keys; ``first``: the values of
    its placeholders before the keys')."""
    connection = session.connection()
    mark = "?" if connection.dialect.paramstyle == "qmark" else "%s"  # (sqlite3; psycopg)
    wanted = sorted(set(keys))
    out: list[Any] = []
    for start in range(0, len(wanted), _CHUNK):
        chunk = wanted[start : start + _CHUNK]
        statement = sql.format(mark=mark, **{"in": ", ".join([mark] * len(chunk))})
        out.extend(connection.exec_driver_sql(statement, (*first, *chunk)))
    return out


def outlines(session: Session, fingerprints: Iterable[str], maker: str) -> list[StoredOutline]:
    return [
        (str(f), str(d), str(fr), str(r), bytes(e), str(g))
        for f, d, fr, r, e, g in _read(session, _OUTLINES, fingerprints, maker)
    ]


def entries(session: Session, ids: Iterable[int]) -> dict[int, tuple[str, str]]:
    """id -> (name, content key)."""
    return {int(ident): (str(name), str(key)) for ident, name, key in _read(session, _ENTRIES, ids)}


def entry_ids(session: Session, named: Mapping[str, str]) -> dict[str, int]:
    """content key -> id of each of ``named`` (content key -> name), added where missing."""
    keys = sorted(named)
    _insert(session, OutlineEntryRow, [{"content_key": k, "name": named[k]} for k in keys])
    out: dict[str, int] = {}
    for start in range(0, len(keys), _CHUNK):
        statement = select(OutlineEntryRow.content_key, OutlineEntryRow.id).where(
            col(OutlineEntryRow.content_key).in_(keys[start : start + _CHUNK])
        )
        for key, ident in session.exec(statement):
            out[key] = int(ident or 0)
    return out


def add_outlines(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    _insert(session, OutlineRow, sorted(rows, key=lambda r: (r["fingerprint"], r["maker"])))


def verdicts(session: Session, identities: Iterable[str]) -> dict[str, int]:
    return {
        str(identity): int(verdict) for identity, verdict in _read(session, _VERDICTS, identities)
    }


def add_verdicts(session: Session, found: Mapping[str, int]) -> None:
    _insert(
        session, ContentVerdictRow, [{"identity": k, "verdict": found[k]} for k in sorted(found)]
    )


def _insert(session: Session, table: Any, rows: Sequence[dict[str, Any]]) -> None:
    """(in the order given: concurrent writers of the same keys wait, never deadlock)"""
    if not rows:
        return
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    # (one statement, its rows as parameters: compiled once for the process)
    session.execute(insert(table.__table__).on_conflict_do_nothing(), list(rows))
