"""Stored outlines and content verdicts (migration 0008), on SQLite and PostgreSQL (no HTTP).

A BACKWARD_TRANSITIVE registration stores the new version's outline and the verdicts its walk
proved; after a restart (a new process: empty caches, nothing of the engine's module state) the
next registration reads them and loads only the earlier contracts a verdict it needs is missing
for (here: the newest, whose inclusion the guard proves), and answers exactly as a registry
without those rows: same verdict, same findings and messages, for a compatible version and for
one that breaks. A damaged row is not read (the schema is loaded, as without rows), and a
database migrated from 0007 with a history fills the rows lazily.
"""

from __future__ import annotations

import json
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import text

from evreg.contracts.compat.diff import history
from evreg.registry.service import RegistryService
from evreg.registry.store import Store
from evreg.registry.store.engine import MIGRATIONS
from evreg.registry.values import SchemaInput

SUBJECT = "orders-value"
COUNT = 12


def version(n: int, *, narrowed: bool = False) -> SchemaInput:
    """Version ``n``: a closed object with a `$ref`'d definition, one optional property more
    than the version before (``narrowed``: and property ``p1`` shorter, which breaks)."""
    props: dict[str, Any] = {f"p{k}": {"type": "string", "maxLength": 10 + k} for k in range(n)}
    props["price"] = {"$ref": "#/$defs/money"}
    if narrowed:
        props["p1"] = {"type": "string", "maxLength": 5}
    doc = {
        "type": "object",
        "additionalProperties": False,
        "required": ["price"],
        "properties": props,
        "$defs": {"money": {"type": "object", "properties": {"amount": {"type": "number"}}}},
    }
    return SchemaInput(schema=json.dumps(doc), schema_type="JSON")


def restarted(store: Store) -> RegistryService:
    """A registry process started anew on ``store``: empty caches, and none of the engine's
    module state (outlines, numbers, verdicts)."""
    for name in ("_outlines", "_refused", "_numbers", "_frames", "_names", "_keys", "_by_key"):
        getattr(history, name).clear()
    for name in ("_verdicts", "_found", "_skips"):
        getattr(history, name).clear()
    for part in history._held:
        history._held[part] = 0
    return RegistryService(store)


def rows(store: Store, table: str) -> int:
    with store.engine.connect() as conn:
        return int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar() or 0)


def registered(store: Store) -> None:
    first = restarted(store)
    first.set_config(SUBJECT, "BACKWARD_TRANSITIVE")
    for n in range(1, COUNT + 1):
        first.register(SUBJECT, version(n))


def emptied(store: Store) -> None:
    with store.engine.begin() as conn:
        for table in ("outlines", "outline_entries", "content_verdicts"):
            conn.execute(text(f"DELETE FROM {table}"))


def test_a_restarted_registry_reads_outlines_and_verdicts_not_contracts(store: Store) -> None:
    registered(store)
    assert rows(store, "outlines") == COUNT  # each version's, written with its registration
    assert rows(store, "content_verdicts") > 0
    fresh = restarted(store)
    ok = fresh.register(SUBJECT, version(COUNT + 1))
    # 12 earlier versions: the newest loaded (its inclusion is proven, as ever), the others not
    assert fresh.caches.contracts.misses == 1
    assert ok.version == COUNT + 1
    assert rows(store, "outlines") == COUNT + 1
    # a version that breaks against versions 2..13: those are walked for their findings
    breaking = fresh.test_compatibility(SUBJECT, version(COUNT + 2, narrowed=True))

    # the same answers from a registry without the rows (every earlier contract loaded)
    emptied(store)
    bare = restarted(store)
    again = bare.test_compatibility(SUBJECT, version(COUNT + 2, narrowed=True))
    assert bare.caches.contracts.misses == COUNT + 1
    assert not breaking.is_compatible
    assert again == breaking
    narrowed = {f.version for f in breaking.findings if f.rule == "MAX_LENGTH_DECREASED"}
    assert narrowed == set(range(2, COUNT + 2))  # p1 from version 2 on


def test_a_check_after_a_restart_lists_what_it_lists_without_the_rows(store: Store) -> None:
    registered(store)
    new = version(COUNT + 1)
    with_rows = restarted(store).test_compatibility(SUBJECT, new)
    emptied(store)
    without = restarted(store).test_compatibility(SUBJECT, new)
    assert with_rows == without and with_rows.is_compatible


def test_a_damaged_outline_row_is_not_read(store: Store) -> None:
    registered(store)
    with store.engine.begin() as conn:  # one row's ids cut short, another's digest changed
        conn.execute(
            text("UPDATE outlines SET digest = :d WHERE fingerprint IN "
                 "(SELECT fingerprint FROM outlines ORDER BY fingerprint LIMIT 1)"),
            {"d": "0" * 64},
        )  # fmt: skip
        conn.execute(text("UPDATE content_verdicts SET verdict = 7"))  # out of range: unread
    fresh = restarted(store)
    result = fresh.test_compatibility(SUBJECT, version(COUNT + 1))
    assert fresh.caches.contracts.misses == COUNT  # every verdict computed again
    emptied(store)
    assert restarted(store).test_compatibility(SUBJECT, version(COUNT + 1)) == result


def test_a_history_migrated_from_0007_fills_the_rows_lazily(store: Store) -> None:
    registered(store)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with store.engine.begin() as connection:  # a registry at 0007 registered the history
        config.attributes["connection"] = connection
        command.downgrade(config, "0007")
    store.migrate()  # what the server does on start
    assert rows(store, "outlines") == 0
    fresh = restarted(store)
    fresh.register(SUBJECT, version(COUNT + 1))  # loads the history, stores its outlines
    assert rows(store, "outlines") == COUNT + 1
    after = restarted(store)
    assert after.register(SUBJECT, version(COUNT + 2)).version == COUNT + 2
    assert after.caches.contracts.misses == 1


def test_entry_ids_are_never_given_again(store: Store) -> None:
    """A process remembers the id of a content key: ids of deleted rows are not reused (so a
    remembered id never names another content)."""
    registered(store)
    with store.engine.connect() as conn:
        top = int(conn.execute(text("SELECT max(id) FROM outline_entries")).scalar() or 0)
    emptied(store)
    restarted(store).register(SUBJECT, version(COUNT + 1))
    with store.engine.connect() as conn:
        low = int(conn.execute(text("SELECT min(id) FROM outline_entries")).scalar() or 0)
    assert low > top > 0
