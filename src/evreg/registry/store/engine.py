"""Engines, transactions and migrations.

SQLite (the default, ``sqlite:///./evreg.db``) runs in WAL mode with ``synchronous=FULL`` so that
an acknowledged write survives a crash or power loss; every write transaction starts with
``BEGIN IMMEDIATE`` so that writers (threads or processes) are serialised by SQLite itself.

PostgreSQL (``postgresql+psycopg://...``) runs at READ COMMITTED; a write transaction that
allocates versions for a subject takes ``pg_advisory_xact_lock`` on the subject first, so that
several registry processes can share one database. Schema ids come from the table's identity
sequence and are deduplicated by the unique (fingerprint, schema_type) constraint.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import Connection
from sqlmodel import Session

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
DEFAULT_URL = "sqlite:///./evreg.db"

# Namespace (first key) of the registry's PostgreSQL advisory locks.
_LOCK_NAMESPACE = 0x65767267  # "evrg"
_MIGRATION_LOCK = 1


class StoreError(Exception):
    """The database failed (unreachable, full, or a constraint that should never fail)."""


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for ``url``; SQLite gets WAL, FULL sync, a busy timeout and manual BEGIN."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False}, **kwargs)
        event.listen(engine, "connect", _sqlite_connect)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    if url.startswith("postgresql"):
        kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy's "begin" event emit BEGIN itself (pysqlite's own is deferred and late).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
    finally:
        cursor.close()


def _sqlite_begin(connection: Connection) -> None:
    connection.exec_driver_sql(connection.get_execution_options().get("evreg_begin", "BEGIN"))


class Store:
    """The database behind one registry process: sessions for reads and locked writes."""

    def __init__(
        self,
        url: str = DEFAULT_URL,
        *,
        migrate: bool = True,
        pool_size: int | None = None,
        max_overflow: int | None = None,
    ) -> None:
        self.url = url
        pool: dict[str, Any] = {}
        if pool_size is not None:
            pool["pool_size"] = pool_size
        if max_overflow is not None:
            pool["max_overflow"] = max_overflow
        self.engine = make_engine(url, **pool)
        self.dialect = self.engine.dialect.name
        self._write_engine: Engine = self.engine
        if self.dialect == "sqlite":
            self._write_engine = self.engine.execution_options(evreg_begin="BEGIN IMMEDIATE")
        if migrate:
            self.migrate()

    @property
    def is_postgres(self) -> bool:
        return self.dialect == "postgresql"

    def migrate(self) -> None:
        """``alembic upgrade head`` on this database (serialised between processes)."""
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        with self._write_engine.begin() as connection:
            if self.is_postgres:
                connection.execute(
                    text("SELECT pg_advisory_xact_lock(:ns, :key)"),
                    {"ns": _LOCK_NAMESPACE, "key": _MIGRATION_LOCK},
                )
            config.attributes["connection"] = connection
            command.upgrade(config, "head")

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A read-only transaction (one consistent snapshot on SQLite WAL)."""
        with Session(self.engine, expire_on_commit=False) as session, session.begin():
            yield session

    @contextmanager
    def write(self, *subjects: str) -> Iterator[Session]:
        """A write transaction holding the lock of each subject named, committed on exit."""
        with Session(self._write_engine, expire_on_commit=False) as session, session.begin():
            if self.is_postgres:
                for subject in sorted(set(subjects)):
                    session.execute(
                        text("SELECT pg_advisory_xact_lock(:ns, hashtext(:subject))"),
                        {"ns": _LOCK_NAMESPACE, "subject": subject},
                    )
            yield session

    def close(self) -> None:
        self.engine.dispose()
