"""The watch that lets ``GET /schemas/ids/{id}`` serve an id from memory until the database may
have changed (``evreg.registry.id_watch``), on real SQLite files and a real PostgreSQL: two
stores on one database stand for two registry processes."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from evreg.registry import errors
from evreg.registry.service import RegistryService
from evreg.registry.store import Store, id_watch
from evreg.registry.store.schema_ids import SchemaIds
from evreg.registry.values import SchemaInput

from .conftest import until

SCHEMA = {"type": "object", "properties": {"n": {"type": "integer"}}}
SQLITE_INTERVAL = 0.002  # more than DataVersion's interval (1 ms)


def _register(service: RegistryService, subject: str) -> int:
    text_ = json.dumps({**SCHEMA, "title": subject})
    return service.register(subject, SchemaInput(text_)).id


def _found(reader: RegistryService, schema_id: int) -> None:
    """What the hot path does on a read: load, then note the id in use under the token."""
    ids = reader.schema_ids
    token = ids.token()
    assert token is not None
    reader.get_schema(schema_id)
    ids.found_in_use((schema_id,), token)


def test_an_id_found_in_use_is_fresh_until_another_process_deletes_it(
    two_services: tuple[RegistryService, RegistryService],
) -> None:
    writer, reader = two_services
    sid = _register(writer, "watch-a")
    other = _register(writer, "watch-b")
    assert reader.schema_ids.fresh(sid) is None  # never read: ask the database
    _found(reader, sid)
    _found(reader, other)
    assert reader.schema_ids.fresh(sid) is not None
    # a soft delete keeps the id served (SQLite: any commit makes the reader ask again)
    writer.delete_version("watch-a", 1)
    _found(reader, sid)
    assert reader.schema_ids.fresh(sid) is not None
    writer.delete_version("watch-a", 1, permanent=True)
    if writer.store.is_postgres:  # the notification reaches the other process
        assert until(lambda: reader.schema_ids.fresh(sid) is None)
    else:  # data_version has changed: seen once a millisecond has passed since its last read
        time.sleep(SQLITE_INTERVAL)
        assert reader.schema_ids.fresh(sid) is None
    # no id is fresh after a delete: even the untouched one is asked of the database again
    assert reader.schema_ids.fresh(other) is None
    assert reader.schema_ids.in_use_many([sid, other]) == {other}


def test_this_process_own_delete_is_seen_at_once(
    two_services: tuple[RegistryService, RegistryService],
) -> None:
    _, service = two_services  # the service whose watch runs deletes, and reads
    sid = _register(service, "watch-own")
    _found(service, sid)
    assert service.schema_ids.fresh(sid) is not None
    service.delete_version("watch-own", 1)
    _found(service, sid)
    service.delete_version("watch-own", 1, permanent=True)
    assert service.schema_ids.fresh(sid) is None  # no waiting for a notification


def test_a_failed_delete_changes_nothing(
    two_services: tuple[RegistryService, RegistryService],
) -> None:
    writer, reader = two_services
    sid = _register(writer, "watch-live")
    _found(reader, sid)
    _found(writer, sid)
    with pytest.raises(errors.VersionNotSoftDeleted):
        writer.delete_version("watch-live", 1, permanent=True)  # still live: refused, rolled back
    assert writer.schema_ids.fresh(sid) is not None
    if not writer.store.is_postgres:
        assert reader.schema_ids.fresh(sid) is not None  # nothing was committed
    else:  # nor notified: the count has not moved
        time.sleep(0.2)
        assert reader.schema_ids.fresh(sid) is not None


def test_without_a_started_watch_every_read_asks_the_database(database_url: str) -> None:
    store = Store(database_url)
    try:
        service = RegistryService(store)
        sid = _register(service, "watch-none")
        ids: SchemaIds[Any] = service.schema_ids
        assert ids.token() is None
        ids.found_in_use((sid,), ids.token())
        service.get_schema(sid)
        assert ids.fresh(sid) is None
    finally:
        store.close()


# ------------------------------------------------------------------- PostgreSQL's connection


@pytest.fixture
def notifications(fresh_postgres: str) -> Iterator[tuple[id_watch.Notifications, Any]]:
    engine = create_engine(fresh_postgres)
    watch = id_watch.Notifications(engine, poll=0.05, retry=0.05, check_every=0.1, ping_timeout=0.5)
    watch.start()
    assert id_watch.wait_until_up(watch, 10)
    yield watch, engine
    watch.close()
    engine.dispose()


def test_a_notification_moves_the_token(
    notifications: tuple[id_watch.Notifications, Any],
) -> None:
    watch, engine = notifications
    before = watch.token()
    with engine.begin() as connection:
        connection.execute(text("SELECT pg_notify(:c, '')"), {"c": id_watch.CHANNEL})
    assert until(lambda: watch.token() != before)
    settled = watch.token()
    with engine.begin() as connection:  # a rolled-back transaction notifies nobody
        connection.execute(text("SELECT pg_notify(:c, '')"), {"c": id_watch.CHANNEL})
        connection.rollback()
    time.sleep(0.3)
    assert watch.token() == settled


def test_its_own_pings_are_not_changes(
    notifications: tuple[id_watch.Notifications, Any],
) -> None:
    watch, engine = notifications
    before = watch.token()
    pings = watch._pings
    time.sleep(0.6)  # a ping every 0.1 s
    assert watch._pings >= pings + 3
    with engine.begin() as connection:  # nor are another process's pings
        connection.execute(text("SELECT pg_notify(:c, 'ping 1 2 3')"), {"c": id_watch.CHANNEL})
    time.sleep(0.2)
    assert watch.token() == before


def test_a_listen_that_stops_delivering_takes_the_watch_down(
    notifications: tuple[id_watch.Notifications, Any],
) -> None:
    """What a proxy that does not carry LISTEN (PgBouncer's transaction pooling) looks like
    from the client: the statement succeeded, but nothing comes back. Here: UNLISTEN."""
    watch, _ = notifications
    before = watch.token()
    watch._connection.execute("UNLISTEN *")
    seen: list[int | None] = []
    assert until(lambda: seen.append(watch.token()) or (None in seen and watch.up))
    after = watch.token()
    assert after is not None and before is not None and after > before


def test_a_lost_connection_means_ask_the_database_until_it_is_back(
    notifications: tuple[id_watch.Notifications, Any],
) -> None:
    watch, engine = notifications
    before = watch.token()
    with engine.connect() as connection:
        killed = connection.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND application_name = :name"
            ),
            {"name": id_watch.APPLICATION_NAME},
        ).scalars()
        assert list(killed) == [True]
    # down: no token, so nothing is served from memory; then back, with a token never seen
    # before (whatever was deleted while nobody listened is asked of the database)
    seen: list[int | None] = []
    assert until(lambda: seen.append(watch.token()) or (None in seen and watch.up))
    after = watch.token()
    assert after is not None and before is not None and after > before


# ---------------------------------------------------------------------- through the app


class _Still:
    """A watch that never sees a change (as if no other process existed): only this process's
    own deletes can make an id stale."""

    up = True

    def start(self) -> None:
        pass

    def token(self) -> int:
        return 0

    def close(self) -> None:
        pass


def test_own_delete_needs_no_watch(database_url: str) -> None:
    store = Store(database_url)
    try:
        service = RegistryService(store)
        service.changes = id_watch.Changes(store.engine, watch=_Still())
        service.schema_ids = SchemaIds(store.engine, 16, service.changes)
        sid = _register(service, "watch-still")
        _found(service, sid)
        service.delete_version("watch-still", 1)
        assert service.schema_ids.fresh(sid) is not None
        service.delete_version("watch-still", 1, permanent=True)
        assert service.schema_ids.fresh(sid) is None
    finally:
        store.close()


def test_the_hot_path_asks_the_database_only_after_a_change(database_url: str) -> None:
    from fastapi.testclient import TestClient

    from evreg.registry.app import create_app
    from evreg.registry.settings import Settings

    app = create_app(Settings(database_url=database_url))
    service: RegistryService = app.state.service
    statements: list[list[int]] = []
    real = service.schema_ids.in_use_many

    def counted(ids: Any) -> set[int]:
        statements.append(list(ids))
        return real(ids)

    service.schema_ids.in_use_many = counted  # type: ignore[method-assign]
    with TestClient(app) as client:
        body = {"schema": json.dumps(SCHEMA), "schemaType": "JSON"}
        sid = client.post("/subjects/watch-http/versions", json=body).json()["id"]
        for _ in range(5):
            assert client.get(f"/schemas/ids/{sid}").status_code == 200
        assert statements == []  # first read loaded it; the rest came from memory
        assert client.delete("/subjects/watch-http/versions/1").status_code == 200
        time.sleep(SQLITE_INTERVAL)  # SQLite reads data_version at most once a millisecond
        for _ in range(3):
            assert client.get(f"/schemas/ids/{sid}").status_code == 200
        # SQLite: any commit changes data_version, so it asked once, then served from memory;
        # PostgreSQL: only a permanent delete notifies
        asked = 0 if service.store.is_postgres else 1
        assert len(statements) == asked
        assert client.delete("/subjects/watch-http/versions/1?permanent=true").status_code == 200
        for _ in range(2):
            assert client.get(f"/schemas/ids/{sid}").json()["error_code"] == 40403
        assert statements == [[sid]] * (asked + 2)
        assert "evreg_schema_ids_watch_up 1.0" in client.get("/metrics").text


def test_sqlite_reads_data_version_at_most_once_per_interval(tmp_path: Any) -> None:
    url = f"sqlite:///{tmp_path / 'interval.db'}"
    writer = Store(url)
    reader = Store(url, migrate=False)
    # within the interval, the value read last: an hour, as a registration on a loaded machine
    # can take longer than any short interval (0.2 s was not enough in CI, 2026-12-08)
    held = id_watch.DataVersion(reader.engine, interval=3600)
    # past it, read again
    watch = id_watch.DataVersion(reader.engine, interval=0.2)
    try:
        held.start()
        watch.start()
        first, before = held.token(), watch.token()  # (each connection's own count)
        service = RegistryService(writer)
        _register(service, "watch-interval")  # a commit by another connection
        assert held.token() == first
        time.sleep(0.25)
        assert watch.token() not in (None, before)
        assert held.token() == first
    finally:
        held.close()
        watch.close()
        writer.close()
        reader.close()
