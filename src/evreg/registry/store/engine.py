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

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import URL, Engine, create_engine, event, make_url, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError
from sqlalchemy.orm import configure_mappers
from sqlalchemy.pool import NullPool
from sqlmodel import Session

from evreg.registry.store.work import ReadWork, WriteWork, failures_as_store_errors

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
DEFAULT_URL = "sqlite:///./evreg.db"

# Namespace (first key) of the registry's PostgreSQL advisory locks.
_LOCK_NAMESPACE = 0x65767267  # "evrg"
_MIGRATION_LOCK = 1


SQLITE_EXAMPLE = "sqlite:///path/to/evreg.db"
POSTGRES_EXAMPLE = "postgresql+psycopg://user:password@host:5432/db"
_EXAMPLES = f"{SQLITE_EXAMPLE} or {POSTGRES_EXAMPLE}"
PROBE_TIMEOUT = 10  # seconds :func:`probe` waits for a PostgreSQL server to answer


class StoreError(Exception):
    """The database failed (unreachable, full, or a constraint that should never fail)."""


class StoreUnreachable(StoreError):
    """Nothing answered at the database URL (refused, no route, timed out)."""


class StoreRefused(StoreError):
    """The database answered with an error (unknown database, wrong password), or the SQLite
    file cannot be opened as a database."""


class DatabaseUrlError(ValueError):
    """A database URL evreg cannot use; the message says why and what to write instead."""


def check_database_url(url: str) -> str:
    """``url`` if evreg can open a database by it, else a :class:`DatabaseUrlError`.

    Only the URL and the filesystem are looked at (nothing is created or connected to): the
    URL parses; it names SQLite (pysqlite) or PostgreSQL through psycopg 3 (the registry uses
    its notifications), whose module imports; a SQLite file is not in memory (each of the
    server's threads would get its own empty database), and its folder exists and is writable
    (SQLite in WAL mode writes ``-wal`` and ``-shm`` files beside it).
    """
    if not url.strip():
        raise DatabaseUrlError(f"empty; give {_EXAMPLES}")
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):
        raise DatabaseUrlError(f"not a database URL; expected {_EXAMPLES}") from None
    backend = parsed.get_backend_name()
    if backend not in ("sqlite", "postgresql"):
        raise DatabaseUrlError(
            f"evreg stores its data in SQLite or PostgreSQL, not {backend!r}: use {_EXAMPLES}"
        )
    try:
        dialect = parsed.get_dialect()
    except NoSuchModuleError:
        dialect = None
    wanted = "pysqlite" if backend == "sqlite" else "psycopg"
    if dialect is None or dialect.driver != wanted:
        example = SQLITE_EXAMPLE if backend == "sqlite" else POSTGRES_EXAMPLE
        raise DatabaseUrlError(
            f"evreg opens {'SQLite' if backend == 'sqlite' else 'PostgreSQL'} only through "
            f"{wanted}, not {parsed.drivername!r}: use {example}"
        )
    try:
        dialect.import_dbapi()
    except ImportError as exc:
        raise DatabaseUrlError(
            f"the {wanted} driver is not installed ({exc}): pip install 'evreg[server]'"
        ) from None
    if backend == "sqlite":
        _check_sqlite_file(parsed)
    return url


def _check_sqlite_file(parsed: URL) -> None:
    database = parsed.database or ""
    if database in ("", ":memory:") or parsed.query.get("mode") == "memory":
        raise DatabaseUrlError(
            "an in-memory SQLite database is not shared between the server's threads: name a "
            f"file, {SQLITE_EXAMPLE}"
        )
    if parsed.query.get("uri") == "true":
        return  # a sqlite3 URI ("file:..."): SQLite reads it, not a plain path
    path = Path(database)
    if path.is_dir():
        raise DatabaseUrlError(f"{path} is a folder: name a file in it, such as {path}/evreg.db")
    folder = path.parent
    if not folder.exists():
        raise DatabaseUrlError(f"the folder {folder} does not exist")
    if not folder.is_dir():
        raise DatabaseUrlError(f"{folder} is not a folder")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise DatabaseUrlError(
            f"the folder {folder} is not writable by this user (SQLite writes the database and "
            "its -wal and -shm files there)"
        )
    if path.exists() and not os.access(path, os.R_OK | os.W_OK):
        raise DatabaseUrlError(f"{path} is not readable and writable by this user")


def redact(url: str) -> str:
    """``url`` with its password replaced by ``***``."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except (ArgumentError, ValueError):
        pass
    if "@" not in url or "://" not in url:
        return url
    scheme, rest = url.split("://", 1)
    credentials, host = rest.rsplit("@", 1)
    if ":" not in credentials:
        return url
    return f"{scheme}://{credentials.split(':', 1)[0]}:***@{host}"


def probe(url: str) -> None:
    """Open one connection to ``url`` and read from it, as the registry will when it starts
    (an absent SQLite file is created). Raises :class:`StoreUnreachable` when nothing answers
    (within :data:`PROBE_TIMEOUT` seconds on PostgreSQL), :class:`StoreRefused` when the
    database answers with an error or the SQLite file cannot be used; the message is the
    driver's, on one line.
    """
    options: dict[str, Any] = {"poolclass": NullPool}
    if url.startswith("postgresql"):
        options["connect_args"] = {"connect_timeout": PROBE_TIMEOUT}
    engine = make_engine(url, **options)
    query = "SELECT count(*) FROM sqlite_master" if engine.dialect.name == "sqlite" else "SELECT 1"
    try:
        with engine.connect() as connection:
            connection.execute(text(query))
    except DBAPIError as exc:
        cause = " ".join(str(exc.orig).split())
        refused = engine.dialect.name == "sqlite" or _refused_by_server(cause)
        raise (StoreRefused if refused else StoreUnreachable)(cause) from None
    finally:
        engine.dispose()


# libpq reports a server's refusal as "FATAL:  ..." (psycopg gives no SQLSTATE for errors while
# connecting); these refusals are passing states of the server, not wrong settings.
_PASSING = ("starting up", "shutting down", "too many", "recovery mode", "remaining connection")


def _refused_by_server(message: str) -> bool:
    return "FATAL:" in message and not any(state in message for state in _PASSING)


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
        self._head: str | None = None
        if migrate:
            self.migrate()

    @property
    def is_postgres(self) -> bool:
        return self.dialect == "postgresql"

    @property
    def head_revision(self) -> str:
        """The last migration this evreg ships (what ``migrate`` brings a database to)."""
        if self._head is None:
            head = ScriptDirectory(str(MIGRATIONS)).get_current_head()
            assert head is not None  # the package ships its migrations
            self._head = head
        return self._head

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

    @contextmanager
    def reading(self) -> Iterator[ReadWork]:
        """A read-only unit of work (see :mod:`evreg.registry.store.work`)."""
        with failures_as_store_errors(), self.read() as session:
            yield ReadWork(session, self)

    @contextmanager
    def writing(self, *subjects: str) -> Iterator[WriteWork]:
        """A write unit of work holding the lock of each subject named, committed on exit."""
        with failures_as_store_errors(), self.write(*subjects) as session:
            yield WriteWork(session, self)

    def prepare(self) -> None:
        """What the process's first statements would pay on their own, done ahead: the ORM's
        mappers set up, and a registration's reads compiled (``ReadWork.compile_reads``, which
        reads no row)."""
        configure_mappers()
        with self.reading() as work:
            work.compile_reads()

    def close(self) -> None:
        self.engine.dispose()
