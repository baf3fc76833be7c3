"""Schemas by global id: the read path of every Kafka serializer (``GET /schemas/ids/{id}``).

What an id names never changes: rows of ``schemas`` are never updated or deleted (registering
the same content again, even after a permanent delete, gives the same id back), so the content
(type, canonical text, references) is kept in memory, in a bounded LRU, once read.

What can change is whether the id is still served: once the last version that uses it, live or
soft-deleted, is deleted permanently, the registry answers 40403. Several registry processes may
share one database. The database is asked (one indexed statement on a connection of its own,
:meth:`SchemaIds.in_use_many`) when an id is first read and again after anything that may have
deleted a version; in between, an id found in use is served from memory. What "anything that may
have deleted a version" means is the watch's token (:mod:`evreg.registry.store.id_watch`): SQLite's
``data_version``, PostgreSQL notifications, and this process's own permanent deletes.
"""

from __future__ import annotations

import contextlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Generic, TypeVar

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from evreg.registry import errors
from evreg.registry.store.id_watch import Changes, Token
from evreg.registry.store.tables import SubjectVersion

T = TypeVar("T")
MAX_BATCH = 500  # ids per ``in_use_many`` statement


class SchemaIds(Generic[T]):
    """Content by id (bounded LRU, thread-safe), the existence check, and the ids found in use
    since the last change the watch saw."""

    def __init__(
        self,
        engine: Engine,
        size: int,
        changes: Changes | None = None,
        *,
        max_bytes: int | None = None,
        weigh: Callable[[T], int] | None = None,
    ) -> None:
        self.size = max(size, 1)
        self.max_bytes = max_bytes  # estimated bytes of the contents kept (``weigh``)
        self._weigh = weigh
        self._weights: dict[int, int] = {}
        self.bytes = 0
        self.hits = 0
        self.misses = 0
        self.changes = changes or Changes(engine)
        self._engine = engine
        self._data: OrderedDict[int, T] = OrderedDict()
        self._verified: dict[int, Token] = {}  # id -> the token under which it was in use
        self._lock = threading.Lock()
        self._own: Any = None  # in_use_many's connection (a detached pool connection)
        self._own_lock = threading.Lock()
        self._mark = "?" if engine.dialect.paramstyle == "qmark" else "%s"
        self._table = SubjectVersion.__tablename__
        self._sql = f"SELECT 1 FROM {self._table} WHERE schema_id = {self._mark} LIMIT 1"

    def cached(self, schema_id: int, *, count_miss: bool = True) -> T | None:
        """The content of the id if in memory (``count_miss`` False: the caller will ask
        again, through the service, and that counts the miss)."""
        with self._lock:
            value = self._data.get(schema_id)
            if value is None:
                self.misses += count_miss
            else:
                self._data.move_to_end(schema_id)
                self.hits += 1
            return value

    def remember(self, schema_id: int, value: T) -> None:
        weight = self._weigh(value) if self._weigh is not None else 0
        with self._lock:
            self.bytes += weight - self._weights.get(schema_id, 0)
            self._weights[schema_id] = weight
            self._data[schema_id] = value
            self._data.move_to_end(schema_id)
            most = self.max_bytes
            while len(self._data) > self.size or (
                most is not None and self.bytes > most and len(self._data) > 1
            ):
                evicted, _ = self._data.popitem(last=False)
                self._verified.pop(evicted, None)
                self.bytes -= self._weights.pop(evicted, 0)

    def token(self) -> Token | None:
        """What the database's state is known as now; None: unknown (ask the database)."""
        return self.changes.token()

    def fresh(self, schema_id: int) -> T | None:
        """The content of the id if it was found in use under the current token: nothing can
        have deleted its versions since. None: ask the database (:meth:`in_use_many`)."""
        token = self.token()
        if token is None:
            return None
        with self._lock:
            if self._verified.get(schema_id) != token:
                return None
            value = self._data.get(schema_id)
            if value is not None:
                self._data.move_to_end(schema_id)
                self.hits += 1
            return value

    def found_in_use(self, schema_ids: Iterable[int], token: Token | None) -> None:
        """These ids were found in use by a statement that started after ``token`` was read."""
        if token is None:
            return
        with self._lock:
            for schema_id in schema_ids:
                if schema_id in self._data:
                    self._verified[schema_id] = token

    def in_use(self, schema_id: int) -> bool:
        """Whether a version (live or soft-deleted) uses the id, asked of the database now."""
        return bool(self._query(self._sql, (schema_id,)))

    def in_use_many(self, schema_ids: Sequence[int]) -> set[int]:
        """Those of the ids that a version uses, in one statement (at most ``MAX_BATCH``).

        It runs on a connection of its own, outside the pool and in autocommit mode: one
        round trip (no pool ping, no BEGIN, no ROLLBACK). A connection found broken (the
        database restarted) is replaced once, at once; a second failure is the store's."""
        if not schema_ids:
            return set()
        marks = ", ".join([self._mark] * len(schema_ids))
        sql = f"SELECT DISTINCT schema_id FROM {self._table} WHERE schema_id IN ({marks})"
        dbapi_error = self._engine.dialect.loaded_dbapi.Error
        with self._own_lock:
            for attempt in (1, 2):
                fresh = self._own is None
                try:
                    cursor = self._own_connection().cursor()
                    try:
                        cursor.execute(sql, tuple(schema_ids))
                        return {int(row[0]) for row in cursor.fetchall()}
                    finally:
                        cursor.close()
                except (SQLAlchemyError, dbapi_error) as exc:
                    self._close_own()
                    if fresh or attempt == 2:
                        raise _failure(exc) from exc
        raise AssertionError("unreachable")  # pragma: no cover

    def _own_connection(self) -> Any:
        if self._own is None:
            fairy = self._engine.raw_connection()
            fairy.detach()  # no longer the pool's: closing it closes the connection
            dbapi: Any = fairy.dbapi_connection
            if self._engine.dialect.name == "postgresql":
                dbapi.rollback()
                dbapi.autocommit = True
            self._own = fairy
        return self._own

    def _close_own(self) -> None:
        own, self._own = self._own, None
        if own is not None:
            with contextlib.suppress(Exception):  # already broken: nothing left to release
                own.close()

    def close(self) -> None:
        """Close the connection of ``in_use_many`` (the app's shutdown)."""
        with self._own_lock:
            self._close_own()

    def _query(self, sql: str, parameters: tuple[int, ...]) -> list[tuple[Any, ...]]:
        dbapi_error = self._engine.dialect.loaded_dbapi.Error
        try:
            connection = self._engine.raw_connection()
        except (SQLAlchemyError, dbapi_error) as exc:  # the pool raises the driver's own error
            raise _failure(exc) from exc
        try:
            cursor = connection.cursor()
            try:
                cursor.execute(sql, parameters)
                return list(cursor.fetchall())
            finally:
                cursor.close()
        except dbapi_error as exc:
            raise _failure(exc) from exc
        finally:
            connection.close()  # back to the pool, which rolls back what the SELECT began

    def __len__(self) -> int:
        return len(self._data)


def _failure(exc: Exception) -> errors.StoreFailure:
    return errors.store_failure(exc)
