"""The stored outlines and content verdicts of the BACKWARD_TRANSITIVE check (tables
``outline_entries``, ``outlines``, ``content_verdicts``; see ``tables.py``): read in bulk (one
statement per 500 keys), written without touching a row already there (by this transaction or
a concurrent one; rows are content-keyed, never stale)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from evreg.registry.store.bulk import by_keys
from evreg.registry.store.tables import ContentVerdictRow, OutlineEntryRow, OutlineRow

# (fingerprint, draft, frame key, required names as JSON, entry ids as bytes, digest)
StoredOutline = tuple[str, str, str, str, bytes, str]


# the reads of a check after a restart, and the entries' ids, as the driver's SQL
# (``bulk.by_keys``)
_OUTLINES = (
    "SELECT fingerprint, draft, frame, required, entries, digest FROM outlines "
    "WHERE maker = {mark} AND fingerprint IN ({in})"
)
_ENTRIES = "SELECT id, name, content_key FROM outline_entries WHERE id IN ({in})"
_VERDICTS = "SELECT identity, verdict FROM content_verdicts WHERE identity IN ({in})"
_ENTRY_IDS = "SELECT content_key, id FROM outline_entries WHERE content_key IN ({in})"


def outlines(session: Session, fingerprints: Iterable[str], maker: str) -> list[StoredOutline]:
    return [
        (str(f), str(d), str(fr), str(r), bytes(e), str(g))
        for f, d, fr, r, e, g in by_keys(session, _OUTLINES, fingerprints, maker)
    ]


def entries(session: Session, ids: Iterable[int]) -> dict[int, tuple[str, str]]:
    """id -> (name, content key)."""
    return {
        int(ident): (str(name), str(key)) for ident, name, key in by_keys(session, _ENTRIES, ids)
    }


def entry_ids(session: Session, named: Mapping[str, str]) -> dict[str, int]:
    """content key -> id of each of ``named`` (content key -> name), added where missing."""
    keys = sorted(named)
    _insert(session, OutlineEntryRow, [{"content_key": k, "name": named[k]} for k in keys])
    return {str(key): int(ident) for key, ident in by_keys(session, _ENTRY_IDS, keys)}


def add_outlines(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    _insert(session, OutlineRow, sorted(rows, key=lambda r: (r["fingerprint"], r["maker"])))


def verdicts(session: Session, identities: Iterable[str]) -> dict[str, int]:
    return {
        str(identity): int(verdict) for identity, verdict in by_keys(session, _VERDICTS, identities)
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
