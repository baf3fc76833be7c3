"""``GET /subjects`` lists names in byte (code-point) order, and migration 0005's index serves it.

The PostgreSQL database here is created with an ICU ``en-US`` default collation, under which
``"a" < "B"`` and ``"ä"`` sorts next to ``"a"``: a list that followed the database's collation
instead of ``COLLATE "C"`` would come out in another order, and an index built in the database's
collation could not give the order without a sort. SQLite compares bytes (``BINARY``) anyway.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import Connection, create_engine, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import SQLModel

from evreg.registry.service import RegistryService
from evreg.registry.store import Store, summaries
from evreg.registry.store.engine import MIGRATIONS

from .conftest import Server

# In byte order: "B" < "Z1" < "_x" < "a" < "a b" < "e" < "Ä" < "ä" < "é" < "ž";
# en-US collation: "_x", "a", "a b", "ä", "Ä", "B", "e", "é", "Z1", "ž" (roughly).
NAMES = ["B", "a", "_x", "ä", "Z1", "Ä", "é", "e", "a b", "ž"]
BYTE_ORDER = sorted(NAMES, key=lambda name: name.encode("utf-8"))
INDEX = "ix_subject_summaries_subject_version"


def _schema(n: int) -> str:
    return json.dumps({"type": "object", "properties": {f"f{n}": {"type": "string"}}})


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh database; on PostgreSQL one whose default collation is ICU ``en-US``."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'evreg.db'}"
        return
    server = str(request.getfixturevalue("postgres_url"))
    name = f"evreg_test_{uuid.uuid4().hex[:16]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            try:
                conn.execute(
                    text(
                        f'CREATE DATABASE "{name}" TEMPLATE template0 '
                        "LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LOCALE 'C.UTF-8'"
                    )
                )
            except SQLAlchemyError as exc:
                pytest.skip(f"this PostgreSQL cannot create an ICU en-US database: {exc}")
        url = make_url(server).set(database=name).render_as_string(hide_password=False)
        _check_collation_differs(url)
        yield url
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


def _check_collation_differs(url: str) -> None:
    """The database's own order of NAMES is not byte order (else these tests prove nothing)."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            values = ", ".join(f"('{n}')" for n in NAMES)
            own = conn.execute(text(f"SELECT n FROM (VALUES {values}) AS t(n) ORDER BY n")).all()
    finally:
        engine.dispose()
    assert [r[0] for r in own] != BYTE_ORDER


def test_get_subjects_lists_names_in_byte_order(database: str, tmp_path: Path) -> None:
    srv = Server(database, tmp_path).start()
    try:
        with httpx.Client(base_url=srv.url, timeout=30) as http:
            for n, name in enumerate(NAMES):
                r = http.post(
                    f"/subjects/{name}/versions", json={"schema": _schema(n), "schemaType": "JSON"}
                )
                assert r.status_code == 200, r.text
            assert http.delete("/subjects/ä").status_code == 200  # soft: "ä" has no live version

            def listed(**params: str | int) -> list[str]:
                r = http.get("/subjects", params=params)
                assert r.status_code == 200, r.text
                names: list[str] = r.json()
                return names

            live = [n for n in BYTE_ORDER if n != "ä"]
            assert listed() == live
            assert listed(deleted="true") == BYTE_ORDER
            assert listed(deleted_only="true") == ["ä"]
            assert listed(subjectPrefix="a") == ["a", "a b"]
            assert listed(offset=2, limit=3) == live[2:5]
            assert listed(offset=8) == live[8:]
            assert listed(limit=0) == []
            assert listed(subjectPrefix="nothing") == []
    finally:
        srv.stop()


def _config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def _migrate(url: str, revision: str, *, down: bool = False) -> None:
    store = Store(url, migrate=False)
    config = _config()
    try:
        with store.engine.begin() as connection:
            config.attributes["connection"] = connection
            (command.downgrade if down else command.upgrade)(config, revision)
    finally:
        store.close()


def _uses_index_without_sort(conn: Connection) -> bool:
    """Whether PostgreSQL can list live names in ``name_order`` straight from the index."""
    table = summaries.summaries
    statement = (
        select(table.c.subject)
        .where(table.c.version.is_not(None))
        .order_by(summaries.name_order(conn))
    )
    sql = str(statement.compile(conn, compile_kwargs={"literal_binds": True}))
    conn.execute(text("SET LOCAL enable_seqscan = off"))
    conn.execute(text("SET LOCAL enable_sort = off"))
    plan = "\n".join(r[0] for r in conn.execute(text(f"EXPLAIN {sql}")))
    return INDEX in plan and "Sort" not in plan


def _index_sql(conn: Connection) -> str:
    if conn.dialect.name == "postgresql":
        found = conn.execute(
            text("SELECT indexdef FROM pg_indexes WHERE indexname = :name"), {"name": INDEX}
        ).scalar_one()
    else:
        found = conn.execute(
            text("SELECT sql FROM sqlite_master WHERE type = 'index' AND name = :name"),
            {"name": INDEX},
        ).scalar_one()
    return str(found)


def test_migration_0005_upgrades_a_0004_database(database: str) -> None:
    _migrate(database, "0004")
    old = Store(database, migrate=False)
    try:
        # rows as a registry at 0004 wrote them (today's service writes today's columns)
        with old.engine.begin() as conn:
            for n, name in enumerate(NAMES, start=1):
                conn.execute(
                    text(
                        "INSERT INTO schemas (id, schema_type, canonical, content_fingerprint, "
                        "fingerprint, created_at) VALUES (:n, 'JSON', :c, :fp, :fp, "
                        "CURRENT_TIMESTAMP)"
                    ),
                    {"n": n, "c": _schema(n - 1), "fp": f"fp{n}"},
                )
                conn.execute(
                    text(
                        "INSERT INTO subject_versions (subject, version, schema_id, deleted, "
                        "created_at) VALUES (:s, 1, :n, false, CURRENT_TIMESTAMP)"
                    ),
                    {"s": name, "n": n},
                )
            summaries.rebuild(conn)
        with old.engine.begin() as conn:
            before = _index_sql(conn)
            if old.is_postgres:
                assert 'COLLATE "C"' not in before
                assert not _uses_index_without_sort(conn)
    finally:
        old.close()

    store = Store(database)  # upgrades to head, as the server does on start
    try:
        with store.engine.begin() as conn:
            head = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
            assert head == store.head_revision  # (0005 and every migration after it)
            assert compare_metadata(MigrationContext.configure(conn), SQLModel.metadata) == []
            after = _index_sql(conn)
            if store.is_postgres:
                assert '(subject COLLATE "C", version)' in after
                assert _uses_index_without_sort(conn)
            else:
                assert after == before  # SQLite's BINARY order is byte order already
        assert RegistryService(store).list_subjects() == BYTE_ORDER
    finally:
        store.close()

    _migrate(database, "0004", down=True)
    downgraded = Store(database, migrate=False)
    try:
        with downgraded.engine.begin() as conn:
            assert _index_sql(conn) == before
    finally:
        downgraded.close()
