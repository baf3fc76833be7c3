"""The subject summaries (listing and search read them) on SQLite and PostgreSQL.

Every registration and deletion keeps the subject's row in step inside its own transaction; the
rows always equal what a full rebuild from the versions and schemas computes; migration 0003
backfills a database written before it existed; the search is case-insensitive beyond ASCII and
takes ``%`` and ``_`` literally; names come in code-point order.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import insert, select, text

from evreg.registry import errors
from evreg.registry.inputs import identity_fingerprint
from evreg.registry.service import RegistryService
from evreg.registry.store import Store, summaries
from evreg.registry.store.engine import MIGRATIONS
from evreg.registry.store.tables import SubjectVersion, utcnow
from evreg.registry.usecases.views import Views
from evreg.registry.values import SchemaInput

REPO = Path(__file__).resolve().parents[3]


def _schema(description: str, *fields: str) -> SchemaInput:
    """A closed object: adding a field to it is a BACKWARD-compatible change."""
    properties: dict[str, Any] = {"id": {"type": "string", "description": description}}
    for name in fields:
        properties[name] = {"type": "string"}
    return SchemaInput(
        json.dumps({"type": "object", "additionalProperties": False, "properties": properties})
    )


@pytest.fixture
def svc(database_url: str) -> Iterator[RegistryService]:
    store = Store(database_url)
    yield RegistryService(store)
    store.close()


def _rows(store: Store) -> list[tuple[Any, ...]]:
    table = summaries.summaries
    with store.read() as session:
        found = session.execute(select(table).order_by(table.c.subject)).all()
    return [tuple(r) for r in found]


def _rebuilt(store: Store) -> list[tuple[Any, ...]]:
    """The rows a full rebuild computes, in a transaction that is rolled back."""
    table = summaries.summaries
    with store.engine.connect() as connection, connection.begin() as transaction:
        summaries.rebuild(connection)
        found = connection.execute(select(table).order_by(table.c.subject)).all()
        transaction.rollback()
    return [tuple(r) for r in found]


def _search(svc: RegistryService, query: str) -> list[tuple[str, int, str]]:
    return [(h.subject, h.version, h.match) for h in Views(svc).search(query)]


def test_register_and_deletes_keep_the_summary_in_step(svc: RegistryService) -> None:
    svc.register("a-value", _schema("Straße alpha"))
    assert _search(svc, "STRASSE") == [("a-value", 1, "schema")]  # casefold, not lower()
    svc.register("a-value", _schema("beta", "extra_field"))
    assert _search(svc, "alpha") == []  # only the latest live version is searched
    assert _search(svc, "beta") == [("a-value", 2, "schema")]
    assert _search(svc, "EXTRA_FIELD") == [("a-value", 2, "schema")]  # a property name
    assert _rows(svc.store) == _rebuilt(svc.store)

    svc.delete_version("a-value", 2)  # soft: version 1 is the latest live one again
    assert _search(svc, "alpha") == [("a-value", 1, "schema")]
    assert _search(svc, "beta") == []
    assert _rows(svc.store) == _rebuilt(svc.store)

    svc.register("b-value", _schema("gamma"))
    svc.delete_subject("a-value")  # soft
    assert svc.list_subjects() == ["b-value"]
    assert svc.list_subjects(deleted=True) == ["a-value", "b-value"]
    assert svc.list_subjects(deleted_only=True) == ["a-value"]
    assert _search(svc, "alpha") == [] and _search(svc, "-value") == [("b-value", 1, "subject")]
    assert _rows(svc.store) == _rebuilt(svc.store)

    svc.delete_subject("a-value", permanent=True)
    assert svc.list_subjects(deleted=True) == ["b-value"]
    assert _rows(svc.store) == _rebuilt(svc.store)

    svc.register("b-value", _schema("gamma", "x"))
    svc.delete_version("b-value", 2)
    svc.delete_version("b-value", 2, permanent=True)  # the live version 1 stays
    svc.delete_version("b-value", 1)
    svc.delete_version("b-value", 1, permanent=True)  # the last row: the subject is gone
    assert svc.list_subjects(deleted=True) == []
    assert _rows(svc.store) == []
    with pytest.raises(errors.SubjectNotFound):
        svc.list_versions("b-value", deleted=True)


def test_a_refused_registration_leaves_the_summary_unchanged(svc: RegistryService) -> None:
    svc.register("c-value", _schema("first", "kept"))
    before = _rows(svc.store)
    with pytest.raises(errors.IncompatibleSchema):
        svc.register("c-value", _schema("second"))  # drops "kept" from a closed object
    assert _rows(svc.store) == before
    assert _search(svc, "second") == []


def test_asyncapi_contracts_and_their_payload_subjects_are_searchable(
    svc: RegistryService,
) -> None:
    contract = (REPO / "contracts" / "order_placed.yaml").read_text()
    svc.register("order_placed", SchemaInput(contract, "ASYNCAPI"))
    by_message = _search(svc, "orderplaced")
    assert ("order_placed", 1, "schema") in by_message  # the message name
    assert [s for s, _, _ in _search(svc, "orders.placed")] == [
        "order_placed",  # the channel address
        "orders.placed-value",  # the derived payload subject, by name
    ]
    assert _search(svc, "object") == []  # JSON Schema keywords are not searched
    assert _rows(svc.store) == _rebuilt(svc.store)
    table = summaries.summaries
    with svc.store.read() as session:
        title, kind = session.execute(
            select(table.c.title, table.c.schema_type).where(table.c.subject == "order_placed")
        ).one()
    assert (title, kind) == ("orders", "ASYNCAPI")


def test_search_takes_like_wildcards_literally_and_orders_by_code_point(
    svc: RegistryService,
) -> None:
    for subject in ("Zeta", "alpha", "Émile", "beta_1", "beta-1"):
        svc.register(subject, _schema(f"{subject} costs 100%"))
    assert svc.list_subjects() == sorted(["Zeta", "alpha", "Émile", "beta_1", "beta-1"])
    assert [h.subject for h in Views(svc).search("_")] == ["beta_1"]
    assert [h.subject for h in Views(svc).search("0%")] == sorted(
        ["Zeta", "alpha", "Émile", "beta_1", "beta-1"]
    )
    assert [h.subject for h in Views(svc).search("1000")] == []
    assert [h.subject for h in Views(svc).search("émile")] == ["Émile"]
    assert svc.list_subjects(prefix="beta_") == ["beta_1"]
    assert svc.list_subjects(offset=1, limit=2) == sorted(svc.list_subjects())[1:3]
    assert svc.list_subjects(offset=4, limit=-1) == sorted(svc.list_subjects())[4:]
    assert svc.list_subjects(limit=0) == []


def _old_database(url: str) -> None:
    """A database as a registry before migration 0003 left it: versions, no summaries."""
    store = Store(url, migrate=False)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with store.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0002")
    now = utcnow()
    docs = {
        1: ("orders-value", 1, False, {"title": "Order", "description": "an order was placed"}),
        2: ("orders-value", 2, False, {"title": "Order", "description": "now with a total"}),
        3: ("orders-value", 3, True, {"title": "Order", "description": "a withdrawn draft"}),
        4: ("gone-value", 1, True, {"title": "Gone", "description": "soft-deleted"}),
    }
    with store.write() as session:
        for schema_id, (subject, version, deleted, doc) in docs.items():
            canonical = json.dumps(doc, sort_keys=True, separators=(",", ":"))
            session.execute(  # the columns of 0002 (today's table has more)
                text(
                    "INSERT INTO schemas (id, schema_type, canonical, content_fingerprint, "
                    "fingerprint, created_at) VALUES (:id, 'JSON', :c, :cfp, :fp, :at)"
                ),
                {
                    "id": schema_id,
                    "c": canonical,
                    "cfp": f"c{schema_id}",
                    "fp": identity_fingerprint("JSON", canonical, []),
                    "at": now,
                },
            )
            session.execute(
                insert(SubjectVersion.__table__),  # type: ignore[attr-defined]
                [
                    {
                        "subject": subject,
                        "version": version,
                        "schema_id": schema_id,
                        "deleted": deleted,
                        "created_at": now,
                    }
                ],
            )
        if store.is_postgres:
            session.execute(text("SELECT setval(pg_get_serial_sequence('schemas', 'id'), 4)"))
    store.close()


def test_migration_0003_backfills_a_pre_existing_database(database_url: str) -> None:
    _old_database(database_url)
    store = Store(database_url)  # upgrades to head, as the server does on start
    try:
        svc = RegistryService(store)
        assert svc.list_subjects() == ["orders-value"]
        assert svc.list_subjects(deleted_only=True) == ["gone-value"]
        assert _search(svc, "TOTAL") == [("orders-value", 2, "schema")]
        assert _search(svc, "withdrawn") == [] and _search(svc, "soft-deleted") == []
        assert _rows(store) == _rebuilt(store)
        row = next(r for r in _rows(store) if r[0] == "orders-value")
        assert (row[1], row[4]) == (2, 2)  # latest live version 2, two live versions
        svc.register("orders-value", SchemaInput(json.dumps({"title": "Order"})))
        assert _search(svc, "total") == []
        assert [(h.subject, h.version) for h in Views(svc).search("order")] == [("orders-value", 4)]
    finally:
        store.close()
