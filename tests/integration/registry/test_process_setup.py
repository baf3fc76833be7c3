"""``RegistryService.prepare``: what a registry process sets up before it accepts requests
(``create_app``), on SQLite and PostgreSQL. It depends on no data: the ORM's mappers, the
meta-schema validators, and a registration's reads compiled by running each once for keys no
row holds (``ReadWork.compile_reads``)."""

from __future__ import annotations

import json
from collections.abc import Callable

from sqlalchemy import event
from sqlalchemy.engine.interfaces import CacheStats

from evreg.contracts import jsonschema_doc
from evreg.registry.service import RegistryService
from evreg.registry.store import Store
from evreg.registry.values import SchemaInput

SUBJECT = "orders-value"


def version(n: int) -> SchemaInput:
    """Version ``n``: one optional property more than the version before."""
    props = {f"p{k}": {"type": "string", "maxLength": 10 + k} for k in range(n)}
    doc = {"type": "object", "additionalProperties": False, "properties": props}
    return SchemaInput(schema=json.dumps(doc), schema_type="JSON")


def compiled_reads(store: Store, call: Callable[[], object]) -> tuple[list[str], list[str]]:
    """The SQL statements ``call`` runs that SQLAlchemy compiled (not taken from its cache; the
    driver's SQL is not compiled), and all the statements it runs (``BEGIN`` and the like left
    out)."""
    compiled: list[str] = []
    ran: list[str] = []

    def seen(
        _c: object, _cur: object, statement: str, _p: object, context: object, _m: bool
    ) -> None:
        if not statement.lstrip().upper().startswith(("SELECT", "INSERT", "UPDATE", "DELETE")):
            return
        ran.append(statement)
        if getattr(context, "compiled", None) is None:
            return  # (the driver's SQL, ``bulk.by_keys``: nothing to compile)
        if getattr(context, "cache_hit", None) is not CacheStats.CACHE_HIT:
            compiled.append(statement)

    event.listen(store.engine, "before_cursor_execute", seen)
    try:
        call()
    finally:
        event.remove(store.engine, "before_cursor_execute", seen)
    return compiled, ran


def test_after_prepare_the_first_check_of_a_process_compiles_none_of_its_reads(
    store: Store,
) -> None:
    """A BACKWARD_TRANSITIVE check against stored outlines, the first of a process: with the
    process prepared, each of its statements comes from SQLAlchemy's cache; without, most are
    compiled. Preparing only reads (no write), and the answer is the same."""
    writer = RegistryService(store)
    writer.set_config(SUBJECT, "BACKWARD_TRANSITIVE")
    for n in range(1, 5):
        writer.register(SUBJECT, version(n))
    answers = []
    counts = []
    for prepared in (False, True):
        fresh = Store(store.url)  # (a new engine: nothing compiled yet)
        try:
            service = RegistryService(fresh)
            if prepared:
                _, ran = compiled_reads(fresh, service.prepare)
                assert len(ran) >= 8 and all(s.lstrip().startswith("SELECT") for s in ran), ran
            compiled, ran = compiled_reads(
                fresh, lambda s=service: answers.append(s.test_compatibility(SUBJECT, version(5)))
            )
            counts.append((len(compiled), len(ran)))
        finally:
            fresh.close()
    (unprepared, ran_unprepared), (left, ran_prepared) = counts
    assert ran_unprepared == ran_prepared >= 8, counts
    assert unprepared >= 8 and left == 0, (counts, compiled)
    assert answers[0] == answers[1] and answers[0].is_compatible


def test_prepare_builds_every_meta_schema_validator_and_the_sample_is_a_schema() -> None:
    """The sample ``prepare`` checks reaches the parts of each meta-schema a common schema
    does: it must be a valid schema under each draft (else it stops where it is not)."""
    jsonschema_doc.prepare_meta_validators()
    assert jsonschema_doc._meta_validator.cache_info().currsize >= len(jsonschema_doc.DRAFT_NAMES)
    for draft in jsonschema_doc.DRAFT_NAMES:
        errors = list(jsonschema_doc._meta_validator(draft).iter_errors(jsonschema_doc._COMMON))
        assert errors == [], (draft, errors)
