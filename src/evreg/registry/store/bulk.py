"""Queries over many rows at once: what a compatibility check against a long history and the
event-flow map read (one statement per 500 ids, never one per row), and the import of a schema
under an id the client chose."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, NamedTuple

from sqlalchemy import text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import defer
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, col, select

from evreg.registry.store.queries import NO_EXTRAS, Reference, SchemaExtras, add_references
from evreg.registry.store.tables import InclusionRow, SchemaReference, SchemaRow, SubjectSummary

# ids per SELECT ... IN (...): well under SQLite's and PostgreSQL's bound-parameter limits
_CHUNK = 500


class SchemaHead(NamedTuple):
    """What a compatibility check reads of each earlier schema before it knows which ones it
    must load: a tuple, several times cheaper to read than an ORM row (200 versions)."""

    id: int
    fingerprint: str
    schema_type: str


def by_keys(session: Session, sql: str, keys: Iterable[Any], *first: object) -> list[Any]:
    """The rows of ``sql`` for ``keys``, one statement per 500 keys, as the driver's SQL:
    ``{in}`` is replaced by the keys' placeholders, ``{mark}`` by one placeholder (of the
    values ``first``, before the keys'). SQLAlchemy's statements with an expanding IN are
    rebuilt and their rows processed at each execution, a few microseconds per key (the 200
    heads, ~1,000 verdicts and ~1,200 outline entries a check reads after a restart)."""
    connection = session.connection()
    mark = "?" if connection.dialect.paramstyle == "qmark" else "%s"  # (sqlite3; psycopg)
    wanted = sorted(set(keys))
    out: list[Any] = []
    for start in range(0, len(wanted), _CHUNK):
        chunk = wanted[start : start + _CHUNK]
        statement = sql.format(mark=mark, **{"in": ", ".join([mark] * len(chunk))})
        out.extend(connection.exec_driver_sql(statement, (*first, *chunk)))
    return out


_HEADS = (
    "SELECT schemas.id, schemas.fingerprint, schemas.schema_type FROM schemas "
    "WHERE schemas.id IN ({in})"
)


def schema_heads(session: Session, schema_ids: Iterable[int]) -> dict[int, SchemaHead]:
    """id -> (id, fingerprint, type), one query per 500 ids."""
    return {
        int(i): SchemaHead(int(i), str(f), str(t))
        for i, f, t in by_keys(session, _HEADS, schema_ids)
    }


def schema_rows(session: Session, schema_ids: Iterable[int]) -> dict[int, SchemaRow]:
    """id -> schema row, one query per 500 ids; a row's text is read only if it is used (to
    load a contract the cache does not hold)."""
    wanted = sorted(set(schema_ids))
    out: dict[int, SchemaRow] = {}
    for start in range(0, len(wanted), _CHUNK):
        statement = (
            select(SchemaRow)
            .where(col(SchemaRow.id).in_(wanted[start : start + _CHUNK]))
            .options(defer(SchemaRow.canonical))  # type: ignore[arg-type]
        )
        for row in session.exec(statement):
            out[int(row.id or 0)] = row
    return out


def prefetch(session: Session, rows: Sequence[SchemaRow]) -> dict[int, list[Reference]]:
    """Read the text and the references of ``rows`` in two queries per 500 rows (instead of two
    per row): what loading their contracts needs. Returns id -> references, in order."""
    texts, references = texts_and_references(session, [int(row.id or 0) for row in rows])
    for row in rows:
        set_committed_value(row, "canonical", texts[int(row.id or 0)])
    return references


def texts_and_references(
    session: Session, ids: Sequence[int]
) -> tuple[dict[int, str], dict[int, list[Reference]]]:
    """id -> text of the schemas ``ids`` found, and id -> references (in order) of each."""
    texts: dict[int, str] = {}
    references: dict[int, list[Reference]] = {schema_id: [] for schema_id in ids}
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        for schema_id, canonical in session.exec(
            select(SchemaRow.id, SchemaRow.canonical).where(col(SchemaRow.id).in_(chunk))
        ):
            texts[int(schema_id or 0)] = canonical
        for ref in session.exec(
            select(SchemaReference)
            .where(col(SchemaReference.schema_id).in_(chunk))
            .order_by(col(SchemaReference.schema_id), col(SchemaReference.position))
        ):
            references[ref.schema_id].append(Reference(ref.name, ref.subject, ref.version))
    return texts, references


def inclusions(session: Session, writers: Iterable[str], prover: str) -> list[tuple[str, str]]:
    """(writer, reader) fingerprints of the inclusions ``prover`` proved whose writer is one
    of ``writers``: one query per 500 fingerprints."""
    wanted = sorted(set(writers))
    out: list[tuple[str, str]] = []
    for start in range(0, len(wanted), _CHUNK):
        statement = (
            select(InclusionRow.writer_fingerprint, InclusionRow.reader_fingerprint)
            .where(col(InclusionRow.writer_fingerprint).in_(wanted[start : start + _CHUNK]))
            .where(col(InclusionRow.prover) == prover)
        )
        out.extend((str(writer), str(reader)) for writer, reader in session.exec(statement))
    return out


def add_inclusions(session: Session, facts: Sequence[tuple[str, str]], prover: str) -> None:
    """Store proven inclusions (writer, reader fingerprints); one already stored, by this
    transaction or a concurrent one, is left as it is."""
    if not facts:
        return
    table = InclusionRow.__table__  # type: ignore[attr-defined]
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    rows = [
        {"writer_fingerprint": w, "reader_fingerprint": r, "prover": prover}
        for w, r in dict.fromkeys(facts)
    ]
    for start in range(0, len(rows), _CHUNK):
        session.execute(insert(table).values(rows[start : start + _CHUNK]).on_conflict_do_nothing())


def latest_asyncapi(session: Session) -> list[tuple[str, int, int]]:
    """(subject, latest live version, its schema id) of every AsyncAPI subject, by name: one
    query over the subject summaries."""
    rows = session.exec(
        select(SubjectSummary.subject, SubjectSummary.version, SubjectSummary.schema_id)
        .where(col(SubjectSummary.schema_type) == "ASYNCAPI")
        .where(col(SubjectSummary.version).is_not(None))
        .order_by(col(SubjectSummary.subject))
    ).all()
    return [
        (subject, version, schema_id)
        for subject, version, schema_id in rows
        if version is not None and schema_id is not None
    ]


def insert_schema_with_id(
    session: Session,
    schema_id: int,
    *,
    schema_type: str,
    canonical: str,
    content_fingerprint: str,
    fingerprint: str,
    references: Sequence[Reference],
    postgres: bool,
    extras: SchemaExtras = NO_EXTRAS,
) -> None:
    """Store a schema (and its references) under ``schema_id`` (IMPORT mode); on PostgreSQL
    the id sequence moves past the largest id, so later inserts do not collide."""
    session.add(
        SchemaRow(
            id=schema_id,
            schema_type=schema_type,
            canonical=canonical,
            content_fingerprint=content_fingerprint,
            fingerprint=fingerprint,
            metadata_json=extras.metadata_json,
            rule_set_json=extras.rule_set_json,
            default_draft=extras.default_draft,
        )
    )
    session.flush()  # the schema row before the rows that reference it
    add_references(session, schema_id, references)
    if postgres:
        session.execute(
            text(
                "SELECT setval(pg_get_serial_sequence('schemas', 'id'), "
                "(SELECT max(id) FROM schemas))"
            )
        )
