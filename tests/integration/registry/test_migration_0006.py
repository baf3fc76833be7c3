"""Migration 0006 on a database a registry at 0005 left, on SQLite and PostgreSQL: stored
schemas keep the reading they had (2020-12 without ``$schema``), and the versions of a subject
whose name was context-qualified (stored literally before) move into their context, with ids
of that context, while the default context keeps its ids."""

from __future__ import annotations

import json

from alembic import command
from alembic.config import Config
from sqlalchemy import text

from evreg.registry.service import RegistryService
from evreg.registry.store import Store
from evreg.registry.store.engine import MIGRATIONS
from evreg.registry.store.identity import identity_fingerprint
from evreg.registry.values import SchemaInput

# a 2020-12 reading matters: prefixItems is a tuple there, nothing in draft-07
TUPLE = json.dumps({"type": "array", "prefixItems": [{"type": "string"}], "items": False})


def _database_at_0005(url: str) -> None:
    store = Store(url, migrate=False)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with store.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0005")
    canonical = json.dumps(json.loads(TUPLE), sort_keys=True, separators=(",", ":"))
    with store.engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO schemas (id, schema_type, canonical, content_fingerprint, "
                "fingerprint, created_at) VALUES (1, 'JSON', :c, 'c1', :fp, CURRENT_TIMESTAMP)"
            ),
            {"c": canonical, "fp": identity_fingerprint("JSON", canonical, [])},
        )
        for subject in ("orders-value", ":.staging:orders-value"):
            connection.execute(
                text(
                    "INSERT INTO subject_versions (subject, version, schema_id, deleted, "
                    "created_at) VALUES (:s, 1, 1, false, CURRENT_TIMESTAMP)"
                ),
                {"s": subject},
            )
        if store.is_postgres:
            connection.execute(text("SELECT setval(pg_get_serial_sequence('schemas', 'id'), 1)"))
    store.close()


def test_upgrade_from_0005(database_url: str) -> None:
    _database_at_0005(database_url)
    store = Store(database_url)  # upgrades to head, as the server does on start
    try:
        svc = RegistryService(store, default_draft="2020-12")
        assert svc.list_contexts() == [".", ".staging"]
        assert svc.get_version("orders-value", 1).id == 1
        staged = svc.get_version(":.staging:orders-value", 1)
        assert staged.id == 1  # the first id of the .staging context
        assert json.loads(svc.get_schema(1, subject=":.staging:orders-value").schema) == json.loads(
            TUPLE
        )
        # what was stored keeps its 2020-12 reading: the same text registers as the same
        # version under that dialect, and a tuple of one string still refuses a second item
        again = svc.register("orders-value", SchemaInput(TUPLE))
        assert (again.version, again.id) == (1, 1)
        wider = json.dumps({"type": "array", "prefixItems": [{"type": "string"}]})
        result = svc.test_compatibility("orders-value", SchemaInput(wider))
        assert result.is_compatible  # 2020-12: items false -> absent widens the reader
        draft7 = RegistryService(store)  # the default dialect: draft-07
        as_draft7 = draft7.register("orders-value", SchemaInput(TUPLE))
        assert as_draft7.version == 2  # the same text read as draft-07 is another schema
    finally:
        store.close()
