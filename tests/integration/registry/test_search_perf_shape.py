"""``/api/search`` and ``GET /subjects`` read the registry in a constant number of SQL statements.

It used to run two queries per subject (its versions, then its latest schema): about 20,000
statements and several seconds for 10,000 subjects (bench/bench_registry.py). The statements
are counted with a SQLAlchemy ``before_cursor_execute`` listener on the store's engine, for 3
and for 30 subjects: the count must not grow. The hits are checked too (latest live version,
soft-deleted versions and subjects left out, subject matches before schema matches, order by
subject, the limit).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import event

from evreg.registry.service import RegistryService
from evreg.registry.store import Store
from evreg.registry.usecases.views import Views
from evreg.registry.values import SchemaInput


def _schema(marker: str, extra: int) -> SchemaInput:
    properties: dict[str, Any] = {"id": {"type": "string", "description": marker}}
    for n in range(extra):
        properties[f"f{n}"] = {"type": "string"}
    return SchemaInput(
        json.dumps({"type": "object", "additionalProperties": False, "properties": properties})
    )


@pytest.fixture
def svc(database_url: str) -> Iterator[RegistryService]:
    store = Store(database_url)
    yield RegistryService(store)
    store.close()


def _statements(
    svc: RegistryService, query: str, run: Callable[[], list[Any]] | None = None
) -> tuple[int, list[Any]]:
    seen: list[str] = []

    def count(*args: Any) -> None:
        seen.append(str(args[2]))

    engine = svc.store.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        hits = run() if run is not None else Views(svc).search(query, limit=500)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return len(seen), hits


def test_search_runs_a_constant_number_of_statements(svc: RegistryService) -> None:
    for n in range(3):
        svc.register(f"s{n:03d}-value", _schema("needle-a", 0))
    small, hits = _statements(svc, "needle-a")
    assert len(hits) == 3
    for n in range(3, 30):
        svc.register(f"s{n:03d}-value", _schema("needle-a", 0))
    large, hits = _statements(svc, "needle-a")
    assert len(hits) == 30
    assert large == small, (small, large)
    assert large <= 3, large  # the one query, plus at most a BEGIN/ROLLBACK of the backend


def test_search_hits_are_the_latest_live_versions_in_subject_order(svc: RegistryService) -> None:
    svc.register("b-value", _schema("old-text", 0))
    svc.register("b-value", _schema("new-text", 1))
    svc.register("a-value", _schema("old-text", 0))
    svc.register("c-value", _schema("new-text", 0))
    svc.register("c-value", _schema("newer-text", 1))
    svc.delete_version("c-value", 2)  # soft: version 1 is the latest live one again
    svc.register("d-value", _schema("new-text", 0))
    svc.delete_subject("d-value")
    views = Views(svc)
    assert [(h.subject, h.version, h.match) for h in views.search("new-text")] == [
        ("b-value", 2, "schema"),
        ("c-value", 1, "schema"),
    ]
    assert [(h.subject, h.version) for h in views.search("old-text")] == [("a-value", 1)]
    assert [h.subject for h in views.search("NEWER")] == []
    assert [(h.subject, h.match) for h in views.search("B-VAL")] == [("b-value", "subject")]
    assert [h.subject for h in views.search("-value", limit=2)] == ["a-value", "b-value"]
    assert views.search("   ") == []


def test_listing_subjects_runs_one_statement_whatever_their_number(svc: RegistryService) -> None:
    """``GET /subjects`` reads one row per subject from the summaries: no DISTINCT over every
    version, no per-subject query, the page cut in SQL."""
    for n in range(3):
        svc.register(f"s{n:03d}-value", _schema("x", 0))
        svc.register(f"s{n:03d}-value", _schema("x", 1))
    small, names = _statements(svc, "", lambda: svc.list_subjects())
    assert names == ["s000-value", "s001-value", "s002-value"]
    for n in range(3, 30):
        svc.register(f"s{n:03d}-value", _schema("x", 0))
    large, names = _statements(svc, "", lambda: svc.list_subjects(offset=10, limit=5))
    assert names == [f"s{n:03d}-value" for n in range(10, 15)]
    assert large == small <= 3, (small, large)
