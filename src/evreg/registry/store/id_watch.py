"""Whether the database may have changed since something was read into memory.

Two reads are answered from memory while nothing has changed: whether a schema id is still in
use (it stops being served only when a permanent delete removes the last version that uses it)
and whether a token is valid (until it is revoked). Either can change in another registry
process sharing the database. Instead of asking the database on every request, the registry
remembers the *token* (:class:`Changes`) under which it read, and answers from memory while the
token is unchanged. A token is ``None`` when the watch cannot tell (not started, or its
connection is down): then every request asks the database.

- SQLite: the token is ``PRAGMA data_version`` on a connection of the watch's own, which
  changes whenever any other connection, in this process or another, commits. It is read on
  the request's thread (a read transaction: microseconds, but a few system calls for the WAL's
  shared-memory locks), at most once per millisecond: a delete committed in another process is
  seen by every request that arrives a millisecond later; this process's own deletes at once.
- PostgreSQL: every permanent delete sends ``NOTIFY evreg_schema_ids`` in its transaction; a
  thread of the watch ``LISTEN``\\ s on a connection of its own and counts what arrives. A delete
  is seen by the process that made it at once (the service also counts its own commits), and by
  other processes when the notification reaches them (milliseconds on a LAN). The watch checks
  that notifications reach it by sending one of its own every few seconds. While its connection
  is down, or its own notification does not come back, the token is ``None``; once it is back
  the count has moved on, so nothing deleted meanwhile is served.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from typing import Any, Protocol

from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

CHANNEL = "evreg_schema_ids"
APPLICATION_NAME = "evreg-id-watch"
log = logging.getLogger("evreg.registry.ids")


class Watch(Protocol):
    def start(self) -> None: ...

    def token(self) -> int | None: ...

    def close(self) -> None: ...

    @property
    def up(self) -> bool: ...


Token = tuple[int, int]  # (this process's own changes, the watch's token)


class Changes:
    """The state of the database as far as in-memory reads care: the watch's token, and a count
    of this process's own changes (seen at once, before any notification). Two reads made under
    equal tokens saw the same database, as far as permanent deletes and revoked tokens go."""

    def __init__(self, engine: Engine, watch: Watch | None = None) -> None:
        self.watch = watch or watch_for(engine)
        self._own = 0
        self._lock = threading.Lock()

    def token(self) -> Token | None:
        """None: unknown (the watch is down or not started): read from the database."""
        watched = self.watch.token()
        return None if watched is None else (self._own, watched)

    def changed(self) -> None:
        """This process committed such a change."""
        with self._lock:
            self._own += 1

    def start(self) -> None:
        self.watch.start()

    def close(self) -> None:
        self.watch.close()


def watch_for(engine: Engine) -> Watch:
    if engine.dialect.name == "postgresql":
        return Notifications(engine)
    return DataVersion(engine)


def announce_change(session: Session) -> None:
    """Tell the other processes' watches, when this transaction commits, that what they read
    may be stale: a version deleted permanently, a token revoked (PostgreSQL; on SQLite the
    commit itself is what they see)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_notify(:channel, '')"), {"channel": CHANNEL})


class DataVersion:
    """SQLite: ``PRAGMA data_version`` on a connection of its own (read on the caller's thread,
    under a lock, at most every ``interval`` seconds; the busy timeout is 0 so it can never
    block the event loop: a busy database gives ``None``)."""

    def __init__(self, engine: Engine, *, interval: float = 0.001) -> None:
        self._engine = engine
        self._own: Any = None
        self._lock = threading.Lock()
        self._interval = interval
        self._read_at = float("-inf")  # time.monotonic() of the last read
        self._last: int | None = None

    def start(self) -> None:
        with self._lock:
            if self._own is None:
                fairy = self._engine.raw_connection()
                fairy.detach()  # no longer the pool's: closing it closes the connection
                own: Any = fairy.dbapi_connection
                own.execute("PRAGMA busy_timeout=0")
                self._own = own

    @property
    def up(self) -> bool:
        return self._own is not None

    def token(self) -> int | None:
        now = time.monotonic()
        with self._lock:
            if now - self._read_at < self._interval:
                return self._last
            if self._own is None:
                return None
            try:
                self._last = int(self._own.execute("PRAGMA data_version").fetchone()[0])
            except Exception:  # busy, or the file went away: ask the database instead
                self._last = None
            self._read_at = now
            return self._last

    def close(self) -> None:
        with self._lock:
            own, self._own, self._last = self._own, None, None
        if own is not None:
            with contextlib.suppress(Exception):
                own.close()


class Notifications:
    """PostgreSQL: a thread that ``LISTEN``\\ s and counts notifications; reconnects after a
    failure (every ``retry`` seconds), and counts the reconnection itself as a change.

    The watch is up only while notifications are known to arrive: every ``check_every``
    seconds it sends one of its own (``ping <pid> <n>``, which other watches ignore) and goes
    down if it does not come back within ``ping_timeout`` — a connection that died silently,
    or a proxy that does not carry ``LISTEN`` (PgBouncer's transaction pooling). Down, every
    read by id asks the database."""

    def __init__(
        self,
        engine: Engine,
        *,
        poll: float = 0.5,
        retry: float = 0.5,
        check_every: float = 5.0,
        ping_timeout: float = 2.0,
    ) -> None:
        self._engine = engine
        self._poll = min(poll, ping_timeout)
        self._retry = retry
        self._check_every = check_every
        self._ping_timeout = ping_timeout
        self._count = 0
        self._up = False
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._connection: Any = None
        self._pings = 0
        self._quiet = False  # a failure has been logged; the next ones are not, until up again

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="evreg-id-watch", daemon=True)
            self._thread.start()

    @property
    def up(self) -> bool:
        return self._up

    def token(self) -> int | None:
        return self._count if self._up else None

    def close(self) -> None:
        self._stop.set()
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.join(self._poll * 4)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self._listen()
            except Exception as exc:  # the database restarted, is unreachable, or is proxied
                if not self._quiet:
                    log.warning(
                        "schema id watch down (reads by id ask the database until it is back): %s",
                        exc,
                    )
                    self._quiet = True
            finally:
                self._up = False
                self._disconnect()
            self._stop.wait(self._retry)

    def _listen(self) -> None:
        fairy = self._engine.raw_connection()
        fairy.detach()
        connection: Any = fairy.dbapi_connection
        self._connection = connection
        connection.rollback()
        connection.autocommit = True
        connection.execute(f"SET application_name = '{APPLICATION_NAME}'")  # pg_stat_activity
        connection.execute(f"LISTEN {CHANNEL}")
        self._count += 1  # whatever was deleted while nobody listened
        waiting: str | None = None  # the ping in flight
        sent = next_ping = time.monotonic()
        while not self._stop.is_set():
            if waiting is None and time.monotonic() >= next_ping:
                self._pings += 1
                waiting = f"ping {os.getpid()} {id(self)} {self._pings}"
                sent = time.monotonic()
                connection.execute("SELECT pg_notify(%s, %s)", (CHANNEL, waiting))
            for notification in connection.notifies(timeout=self._poll):
                payload = notification.payload
                if payload == waiting:  # notifications arrive: up (again)
                    waiting, next_ping = None, time.monotonic() + self._check_every
                    self._up, self._quiet = True, False
                elif not payload.startswith("ping "):  # another watch's ping: not a change
                    self._count += 1
            if waiting is not None and time.monotonic() - sent > self._ping_timeout:
                raise TimeoutError(
                    f"its own notification did not come back within {self._ping_timeout} s "
                    "(a connection lost, or a proxy that does not carry LISTEN)"
                )

    def _disconnect(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            with contextlib.suppress(Exception):
                connection.close()


def wait_until_up(watch: Watch, timeout: float) -> bool:
    """Whether the watch is up within ``timeout`` seconds (tests and start-up)."""
    deadline = time.monotonic() + timeout
    while not watch.up:
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True
