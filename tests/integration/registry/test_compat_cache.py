"""The registry's compatibility caches, on SQLite and PostgreSQL (no HTTP).

What is counted is work, not time: the pair reports the engine computes (misses of the report
cache) and the earlier contracts loaded from their stored text (misses of the contract cache).
And what the caches must never do: let a version in on a cached answer about an older latest.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import partial
from typing import Any

import pytest
from sqlalchemy import event

from evreg.contracts import check_compatibility
from evreg.contracts.compat import check as compat_check
from evreg.registry import errors
from evreg.registry.service import RegistryService
from evreg.registry.store import Store
from evreg.registry.usecases import compatibility
from evreg.registry.values import SchemaInput

SUBJECT = "orders-value"


def version(n: int, *, extra: dict[str, Any] | None = None) -> SchemaInput:
    """Version ``n`` of a closed object: each adds one optional property."""
    props: dict[str, Any] = {"id": {"type": "string"}}
    props.update({f"f{k}": {"type": "string", "maxLength": 64} for k in range(1, n)})
    props.update(extra or {})
    doc = {"type": "object", "additionalProperties": False, "required": ["id"], "properties": props}
    return SchemaInput(schema=json.dumps(doc), schema_type="JSON")


def described(n: int) -> SchemaInput:
    """Version ``n`` of an open object: only its description changes (FULL-compatible)."""
    doc = {
        "type": "object",
        "description": f"version {n}",
        "properties": {"id": {"type": "string"}},
    }
    return SchemaInput(schema=json.dumps(doc), schema_type="JSON")


def work(svc: RegistryService) -> tuple[int, int]:
    """(pair reports computed by the engine, earlier contracts loaded from text) so far."""
    return svc.caches.reports.misses, svc.caches.contracts.misses


def test_a_checked_schema_registers_without_engine_work(store: Store) -> None:
    svc = RegistryService(store)
    svc.set_config(SUBJECT, "BACKWARD_TRANSITIVE")
    for n in range(1, 7):
        svc.register(SUBJECT, version(n))
    before = work(svc)
    checked = svc.test_compatibility(SUBJECT, version(7))
    assert checked.is_compatible
    # one pair per earlier version; of the earlier contracts only version 6 was never loaded
    # (versions 1-5 were, once, to check the version after each)
    assert work(svc) == (before[0] + 6, before[1] + 1)
    again = svc.test_compatibility(SUBJECT, version(7))
    assert again == checked
    assert work(svc) == (before[0] + 6, before[1] + 1)
    hits, touched = svc.caches.reports.hits, svc.caches.contracts.hits
    assert svc.register(SUBJECT, version(7)).version == 7
    assert work(svc) == (before[0] + 6, before[1] + 1)
    assert svc.caches.reports.hits == hits + 6
    assert svc.caches.contracts.hits == touched  # every pair cached: no earlier contract needed
    # the next version: 7 new pairs, and only version 7's contract is read from its text
    svc.register(SUBJECT, version(8))
    assert work(svc) == (before[0] + 13, before[1] + 2)


def test_a_restarted_registry_loads_each_earlier_contract_once(store: Store) -> None:
    first = RegistryService(store)
    first.set_config(SUBJECT, "FULL_TRANSITIVE")
    for n in range(1, 6):
        first.register(SUBJECT, described(n))
    fresh = RegistryService(store)  # another process, or this one restarted: empty caches
    answer = fresh.test_compatibility(SUBJECT, described(6))
    assert answer == first.test_compatibility(SUBJECT, described(6))
    # FULL: two directions per earlier version, five contracts loaded once for both
    assert work(fresh) == (10, 5)
    fresh.register(SUBJECT, described(6))
    fresh.register(SUBJECT, described(7))
    assert work(fresh) == (10 + 12, 5 + 1)


def test_findings_are_numbered_per_version_as_before(store: Store) -> None:
    svc = RegistryService(store)
    svc.set_config(SUBJECT, "BACKWARD_TRANSITIVE")
    for n in range(1, 4):
        svc.register(SUBJECT, version(n))
    bad = version(4, extra={"f1": {"type": "integer"}})
    result = svc.test_compatibility(SUBJECT, bad)
    assert not result.is_compatible
    breaking = sorted((f.version, f.rule, f.path) for f in result.findings if f.breaking)
    # f1 exists since version 2: its type change breaks against versions 2 and 3, not 1
    assert breaking == [
        (2, "TYPE_CHANGED", "#/properties/f1"),
        (3, "TYPE_CHANGED", "#/properties/f1"),
    ]
    # accepted findings stay listed per version (f3 added: against 1, 2 and 3)
    added = sorted(f.version for f in result.findings if f.path == "#/properties/f3")
    assert added == [1, 2, 3]
    with pytest.raises(errors.IncompatibleSchema) as refused:
        svc.register(SUBJECT, bad)
    assert refused.value.details == list(result.messages)


@pytest.mark.parametrize("level", ["BACKWARD", "BACKWARD_TRANSITIVE"])
def test_a_cached_answer_never_admits_a_version_past_a_newer_latest(
    store: Store, level: str
) -> None:
    """Two registry processes on one database: A checks ``n: integer`` against version 1
    (compatible, cached); B registers version 2 with ``n: string``; A must refuse, since the
    registration is checked against the latest it reads in its own transaction."""
    a, b = RegistryService(store), RegistryService(store)
    a.set_config(SUBJECT, level)
    a.register(SUBJECT, version(1))
    candidate = version(1, extra={"n": {"type": "integer"}})
    assert a.test_compatibility(SUBJECT, candidate).is_compatible
    b.register(SUBJECT, version(1, extra={"n": {"type": "string"}}))
    with pytest.raises(errors.IncompatibleSchema, match="TYPE_CHANGED"):
        a.register(SUBJECT, candidate)
    assert a.list_versions(SUBJECT) == [1, 2]


def statements(svc: RegistryService, call: Callable[[], object], holding: str = "") -> int:
    """The SQL statements ``call`` runs (those whose text holds ``holding``)."""
    count = 0

    def counted(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        nonlocal count
        count += holding in statement

    event.listen(svc.store.engine, "before_cursor_execute", counted)
    try:
        call()
    finally:
        event.remove(svc.store.engine, "before_cursor_execute", counted)
    return count


def test_a_cached_check_reads_the_same_rows_whatever_the_history(store: Store) -> None:
    """With every pair cached, a check reads the earlier schemas' fingerprints in one query:
    the number of SQL statements does not grow with the number of earlier versions."""
    svc = RegistryService(store)
    counts = []
    for subject, versions in (("short-value", 3), ("long-value", 12)):
        svc.set_config(subject, "BACKWARD_TRANSITIVE")
        for n in range(1, versions + 1):
            svc.register(subject, version(n))
        svc.test_compatibility(subject, version(versions + 1))  # fills the caches
        counts.append(
            statements(svc, lambda s=subject, n=versions: svc.test_compatibility(s, version(n + 1)))
        )
    assert counts[0] == counts[1]


def test_a_cold_check_reads_the_earlier_schemas_in_a_constant_number_of_statements(
    store: Store,
) -> None:
    """With nothing cached (a restarted process), the earlier contracts' texts and references
    are read together: the statements do not grow with the number of earlier versions."""
    counts = []
    for subject, versions in (("short-value", 3), ("long-value", 12)):
        writer = RegistryService(store)
        writer.set_config(subject, "BACKWARD_TRANSITIVE")
        for n in range(1, versions + 1):
            writer.register(subject, version(n))
        fresh = RegistryService(store)
        check = partial(fresh.test_compatibility, subject, version(versions + 1))
        counts.append(statements(fresh, check))
        # every pair computed, every earlier contract loaded, once
        assert work(fresh) == (versions, versions)
    assert counts[0] == counts[1]


def _engine(old: SchemaInput, new: SchemaInput, policy: str) -> set[tuple[str, str, bool]]:
    """The findings of one pair from the engine alone, on the texts (nothing cached)."""
    report = check_compatibility(old.schema, new.schema, "BACKWARD", policy)
    return {(f.rule, f.path, f.breaking) for f in report.findings}


@pytest.mark.parametrize("policy", ["STRICT", "LENIENT"])
def test_transitive_findings_equal_the_engines_pair_by_pair(store: Store, policy: str) -> None:
    """A BACKWARD_TRANSITIVE check through the registry's caches (warm, then again from the
    report cache) lists, version by version, exactly the findings the engine gives for that
    pair on its own; a registration is refused exactly when one of them breaks."""
    svc = RegistryService(store)
    svc.set_config(SUBJECT, "BACKWARD_TRANSITIVE")
    history = [version(n) for n in range(1, 6)]
    history.append(version(6, extra={"note": {"type": "string", "maxLength": 10}}))
    for schema in history:
        svc.register(SUBJECT, schema)
    candidates = [
        version(7, extra={"note": {"type": "string"}}),  # compatible: widened
        version(7, extra={"f2": {"type": "integer"}}),  # breaks against versions 3..6
        version(2),  # drops f2..f5 and note from a closed object: breaks against 3..6
    ]
    verdicts: set[bool] = set()
    for new in candidates:
        expected = {n: _engine(old, new, policy) for n, old in enumerate(history, start=1)}
        for _ in range(2):  # computed, then from the report cache
            result = svc.check_against(SUBJECT, new, policy=policy)
            got: dict[int, set[tuple[str, str, bool]]] = {n: set() for n in expected}
            for f in result.findings:
                assert f.version is not None
                got[f.version].add((f.rule, f.path, f.breaking))
            assert got == expected
            breaks = any(b for found in expected.values() for _, _, b in found)
            assert result.is_compatible is not breaks
            verdicts.add(result.is_compatible)
    assert verdicts == {True, False}  # the candidates exercise both verdicts


@pytest.fixture
def proofs(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the engine guard's whole-schema inclusion proofs (the real ones, counted)."""
    count = [0]
    real: Callable[..., bool] = compat_check.included

    def counted(*args: Any) -> bool:
        count[0] += 1
        return real(*args)

    monkeypatch.setattr(compat_check, "included", counted)
    return count


@pytest.mark.parametrize("level", ["BACKWARD_TRANSITIVE", "FORWARD_TRANSITIVE"])
def test_a_restarted_registry_chains_the_stored_inclusions(
    store: Store, proofs: list[int], level: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each registration proves the new version's inclusion in (or of) the newest one and
    stores it; after a restart a transitive check reads them back and proves one inclusion, not
    one per earlier version, and lists exactly the findings the engine gives pair by pair."""
    # BACKWARD: each version adds an optional property to a closed object; FORWARD: removes one
    count = 8
    steps = [described_props(n) for n in range(1, count + 2)]
    if level == "FORWARD_TRANSITIVE":
        steps.reverse()
    first = RegistryService(store)
    first.set_config(SUBJECT, level)
    for schema in steps[:count]:
        first.register(SUBJECT, schema)
    assert proofs[0] == count - 1  # one per registration after the first
    fresh = RegistryService(store)  # restarted: empty caches
    proofs[0] = 0
    new = steps[count]
    result = fresh.check_against(SUBJECT, new)
    assert result.is_compatible
    assert proofs[0] == 1
    direction = level.removesuffix("_TRANSITIVE")
    expected = {
        n: {
            (f.rule, f.path, f.breaking)
            for f in check_compatibility(old.schema, new.schema, direction).findings
        }
        for n, old in enumerate(steps[:count], start=1)
    }
    got: dict[int, set[tuple[str, str, bool]]] = {n: set() for n in expected}
    for f in result.findings:
        assert f.version is not None
        got[f.version].add((f.rule, f.path, f.breaking))
    assert got == expected
    # without the stored inclusions (another prover's rows are not read), one proof per version
    other = RegistryService(store)
    proofs[0] = 0
    monkeypatch.setattr(compatibility, "PROVER", "another-prover")
    assert other.check_against(SUBJECT, new) == result
    assert proofs[0] == count


def described_props(n: int) -> SchemaInput:
    """Version ``n`` of a closed object with ``n`` optional properties."""
    props = {f"p{k}": {"type": "string", "maxLength": 10 + k} for k in range(n)}
    doc = {"type": "object", "properties": props, "additionalProperties": False}
    return SchemaInput(schema=json.dumps(doc), schema_type="JSON")


def test_a_contract_cache_smaller_than_the_history_gives_the_same_findings(store: Store) -> None:
    """The earlier contracts a check finds cached may leave the cache while it loads the
    others (two slots, six versions): the check keeps those it found, the others are read
    again, and the findings are those of a registry that holds them all."""
    roomy = RegistryService(store)
    roomy.set_config(SUBJECT, "BACKWARD_TRANSITIVE")
    for n in range(1, 6):
        roomy.register(SUBJECT, version(n))
    roomy.register(SUBJECT, version(6, extra={"note": {"type": "string", "maxLength": 10}}))
    small = RegistryService(store, cache_size=2)
    for new in (version(7, extra={"note": {"type": "string"}}), version(2)):
        small.check_against(SUBJECT, version(1))  # two contracts cached, then the check
        expected = roomy.check_against(SUBJECT, new)
        assert small.check_against(SUBJECT, new) == expected
        assert small.caches.contracts.misses > 6  # (loaded again: not all were kept)


def _head_reads(svc: RegistryService, call: Callable[[], object]) -> int:
    """The statements ``call`` runs that read schema heads (id, fingerprint, type) by id."""
    return statements(svc, call, "SELECT schemas.id, schemas.fingerprint, schemas.schema_type")


def test_a_process_reads_each_earlier_schemas_head_once(store: Store) -> None:
    """The earlier schemas' (id, fingerprint, type) are read from the database by the first
    check of a process only: a second check of another schema against the same history reads
    none, and answers as a process that reads them all."""
    writer = RegistryService(store)
    writer.set_config(SUBJECT, "BACKWARD_TRANSITIVE")
    for n in range(1, 9):
        writer.register(SUBJECT, version(n))
    fresh = RegistryService(store)
    first = partial(fresh.check_against, SUBJECT, version(9))
    assert _head_reads(fresh, first) == 1
    assert len(fresh.caches.heads) == 8
    narrowed = version(9, extra={"f1": {"type": "string", "maxLength": 8}})  # breaks all but 1
    second: list[object] = []
    assert _head_reads(fresh, lambda: second.append(fresh.check_against(SUBJECT, narrowed))) == 0
    expected = RegistryService(store).check_against(SUBJECT, narrowed)
    assert second == [expected]
    assert not expected.is_compatible
    assert {f.version for f in expected.findings if f.breaking} == set(range(2, 9))


def test_heads_read_in_a_rolled_back_write_are_not_remembered(store: Store) -> None:
    """A row read inside a write transaction is remembered once the transaction commits, never
    if it rolls back (SQLite may give a rolled-back insert's id to the next schema)."""
    svc = RegistryService(store)
    svc.register(SUBJECT, version(1))
    with svc.reading() as work:
        ids = [row.schema_id for row in work.versions(SUBJECT)]
    with pytest.raises(RuntimeError), svc.writing(SUBJECT) as work:
        assert [h.fingerprint for h in svc.caches.heads.of(work, ids).values()] != []
        raise RuntimeError("rolled back")
    assert len(svc.caches.heads) == 0
    with svc.writing(SUBJECT) as work:
        svc.caches.heads.of(work, ids)
        assert len(svc.caches.heads) == 0  # not before the commit
    assert len(svc.caches.heads) == 1
