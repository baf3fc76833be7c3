"""The store on SQLite and PostgreSQL: migrations, dedupe, locking, queries."""

from __future__ import annotations

import threading
from collections import Counter
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text
from sqlmodel import SQLModel

from evreg.registry.store import Reference, Store, tokens
from evreg.registry.store import audit as audit_log
from evreg.registry.store import queries as q


def test_migrations_match_the_tables(store: Store) -> None:
    with store.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
    assert diff == []


def test_migrate_twice_is_a_no_op(store: Store) -> None:
    store.migrate()
    with store.engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == "0008"


def test_sqlite_is_wal_with_full_sync(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'evreg.db'}")
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000
    store.close()


def _schema(session: object, fp: str, schema_type: str = "JSON") -> int:
    return q.insert_schema(
        session,  # type: ignore[arg-type]
        schema_type=schema_type,
        canonical="{}",
        content_fingerprint=fp,
        fingerprint=fp,
        references=[],
    )


def test_schemas_are_deduplicated_by_fingerprint_and_type(store: Store) -> None:
    with store.write() as s:
        a = _schema(s, "f1")
        b = _schema(s, "f1")
        c = _schema(s, "f1", "ASYNCAPI")
        d = _schema(s, "f2")
    assert a == b
    assert len({a, c, d}) == 3


def test_references_round_trip_and_referenced_by(store: Store) -> None:
    with store.write("common", "app") as s:
        common = _schema(s, "common")
        q.add_version(s, "common", 1, common)
        app = q.insert_schema(
            s,
            schema_type="JSON",
            canonical='{"$ref":"common.json"}',
            content_fingerprint="app",
            fingerprint="app",
            references=[Reference("common.json", "common", 1)],
        )
        q.add_version(s, "app", 1, app)
    with store.read() as s:
        assert q.get_references(s, app) == [Reference("common.json", "common", 1)]
        assert q.referenced_by(s, "common", 1) == [app]
        assert q.referenced_by(s, "common", 2) == []


def test_subjects_listing_with_prefix_and_deleted(store: Store) -> None:
    with store.write() as s:
        sid = _schema(s, "x")
        q.add_version(s, "orders-value", 1, sid)
        q.add_version(s, "orders_x", 1, sid)
        gone = q.add_version(s, "payments-value", 1, sid)
        gone.deleted = True
        s.add(gone)
    with store.read() as s:
        assert q.subjects(s) == ["orders-value", "orders_x"]
        assert q.subjects(s, deleted=True) == ["orders-value", "orders_x", "payments-value"]
        assert q.subjects(s, prefix="orders-") == ["orders-value"]
        assert q.subjects(s, prefix="orders_") == ["orders_x"]  # '_' is not a LIKE wildcard
        assert q.versions_of_schema(s, sid) == [("orders-value", 1), ("orders_x", 1)]
        assert q.max_version(s, "payments-value") == 1
        assert q.versions(s, "payments-value") == []


def test_a_failed_write_rolls_back(store: Store) -> None:
    with pytest.raises(RuntimeError), store.write("s") as s:
        q.add_version(s, "s", 1, _schema(s, "y"))
        raise RuntimeError("boom")
    with store.read() as s:
        assert q.subjects(s, deleted=True) == []
        assert q.find_schema_id(s, "y", "JSON") is None


def test_concurrent_writers_never_allocate_the_same_version(store: Store) -> None:
    with store.write() as s:
        sid = _schema(s, "z")
    errors: list[BaseException] = []

    def work() -> None:
        try:
            for _ in range(15):
                with store.write("hot") as s:
                    q.add_version(s, "hot", q.max_version(s, "hot") + 1, sid)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with store.read() as s:
        numbers = [v.version for v in q.versions(s, "hot")]
    assert Counter(numbers).most_common(1)[0][1] == 1
    assert numbers == list(range(1, 91))


def test_config_mode_tokens_and_audit(store: Store) -> None:
    with store.write() as s:
        q.put_config(s, "", "FULL", None)
        q.put_config(s, "a", None, "LENIENT")
        q.put_mode(s, "", "READONLY")
        tokens.add_token(s, "ci", "ab" * 32, "write")
        audit_log.audit(s, actor="t", action="config.set", subject="a", after={"x": 1})
    with store.read() as s:
        glob = q.get_config(s)
        assert glob is not None and glob.compatibility_level == "FULL"
        sub = q.get_config(s, "a")
        assert sub is not None and sub.compatibility_policy == "LENIENT"
        assert sub.compatibility_level is None
        mode = q.get_mode(s)
        assert mode is not None and mode.mode == "READONLY"
        token = tokens.find_token(s, "ab" * 32)
        assert token is not None and token.role == "write"
        assert tokens.count_tokens(s) == 1
        events = audit_log.audit_events(s)
        assert [(e.action, e.after) for e in events] == [("config.set", {"x": 1})]
    with store.write() as s:
        assert q.delete_config(s, "a") is not None
        assert q.delete_mode(s, "") is not None
    with store.read() as s:
        assert q.get_config(s, "a") is None
        assert q.get_mode(s) is None


def test_migrations_downgrade_and_upgrade_again(store: Store) -> None:
    from alembic import command
    from alembic.config import Config

    from evreg.registry.store.engine import MIGRATIONS

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with store.engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "base")
    with store.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM alembic_version")).scalar() == 0
    store.migrate()
    with store.write() as s:
        assert _schema(s, "again") > 0


def test_pool_size_is_configurable(database_url: str) -> None:
    store = Store(database_url, pool_size=2, max_overflow=1)
    try:
        assert store.engine.pool.size() == 2  # type: ignore[attr-defined]
        with store.read() as s:
            assert q.subjects(s) == []
    finally:
        store.close()
