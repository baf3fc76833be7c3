"""What a registration against a long BACKWARD_TRANSITIVE history costs, on SQLite and
PostgreSQL (no HTTP): counted as work, never timed.

A registration (and the Confluent compatibility test) needs the verdict and the breaking
findings for its 409 message; ``/api/subjects/{s}/check`` shows every finding. The first two
must build no accepted-change finding at all (a subject whose versions each add a property
would otherwise list N(N+1)/2 of them per registration), give the same messages as the full
check, and a restarted registry must load its stored schemas without checking them against
their meta-schema again.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import text

import evreg.contracts.compat.check as check_module
from evreg.contracts.compat.diff import changes as diff_module
from evreg.contracts.schemacheck import SchemaChecker
from evreg.registry import errors
from evreg.registry.service import RegistryService
from evreg.registry.store import Store
from evreg.registry.values import SchemaInput

SUBJECT = "orders-value"


def version(n: int, **extra: Any) -> SchemaInput:
    """Version ``n`` of a closed object: each adds one optional property."""
    props: dict[str, Any] = {"id": {"type": "string"}}
    props.update({f"f{k}": {"type": "string", "maxLength": 64} for k in range(1, n)})
    props.update(extra)
    doc = {"type": "object", "additionalProperties": False, "required": ["id"], "properties": props}
    return SchemaInput(schema=json.dumps(doc), schema_type="JSON")


@pytest.fixture
def built(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """Counts, as they happen, the changes the diff builds, the findings the engine builds and
    the root schemas checked against their meta-schema (the real functions run)."""
    counts = {"changes": 0, "findings": 0, "meta_checks": 0}

    def counting(owner: Any, attr: str, key: str) -> None:
        real: Callable[..., Any] = getattr(owner, attr)

        def counted(*args: Any, **kwargs: Any) -> Any:
            counts[key] += 1
            return real(*args, **kwargs)

        monkeypatch.setattr(owner, attr, counted)

    counting(diff_module, "change", "changes")
    counting(check_module, "_finding", "findings")
    counting(SchemaChecker, "check", "meta_checks")
    return counts


def _fill(svc: RegistryService, subject: str, versions: int) -> None:
    svc.set_config(subject, "BACKWARD_TRANSITIVE")
    for n in range(1, versions + 1):
        svc.register(subject, version(n))


def test_a_registration_builds_no_finding_whatever_the_history(
    store: Store, built: dict[str, int]
) -> None:
    """Every pair is new for a new version; with 5 or 25 earlier versions alike, nothing is
    built: no change, no finding. The full check of the same schema lists the quadratic
    number of accepted changes (proof that the counters count)."""
    svc = RegistryService(store)
    for subject, versions in (("short-value", 5), ("long-value", 25)):
        _fill(svc, subject, versions)
        for key in built:
            built[key] = 0
        assert svc.register(subject, version(versions + 1)).version == versions + 1
        # the new schema itself is checked (meta-schema) once; the earlier ones were cached
        assert built == {"changes": 0, "findings": 0, "meta_checks": 1}
    full = svc.check_against("long-value", version(27))
    assert full.is_compatible
    assert built["findings"] == len(full.findings) == 26 * 27 // 2


def test_a_confluent_compatibility_test_builds_no_finding_either(
    store: Store, built: dict[str, int]
) -> None:
    svc = RegistryService(store)
    _fill(svc, SUBJECT, 20)
    built.update(changes=0, findings=0)
    result = svc.test_compatibility(SUBJECT, version(21), breaking_only=True)
    assert result.is_compatible and result.messages == () and result.findings == ()
    assert (built["changes"], built["findings"]) == (0, 0)
    # the registration after it reuses those answers: no engine work at all
    misses = svc.caches.reports.misses
    svc.register(SUBJECT, version(21))
    assert svc.caches.reports.misses == misses


def _incompatible(svc: RegistryService) -> SchemaInput:
    """f1 becomes an integer (breaks against versions 2-12), f3 gets maxLength 8 (breaks
    against 4-12, with a witness: a 9-character string), and a new property is added."""
    _fill(svc, SUBJECT, 12)
    return version(
        14, f1={"type": "integer"}, f3={"type": "string", "maxLength": 8}, f13={"type": "string"}
    )


def test_a_refusal_says_exactly_what_the_full_check_says(store: Store) -> None:
    svc = RegistryService(store)
    bad = _incompatible(svc)
    full = svc.check_against(SUBJECT, bad)
    assert not full.is_compatible
    accepted = [f for f in full.findings if not f.breaking]
    assert accepted  # the full check also lists the accepted changes
    fresh = RegistryService(store)  # nothing cached: the verdict-only path computes it all
    quick = fresh.test_compatibility(SUBJECT, bad, breaking_only=True)
    assert quick.messages == full.messages
    assert quick.findings == tuple(f for f in full.findings if f.breaking)
    assert {f.version for f in quick.findings} == set(range(2, 13))
    assert any(f.has_witness for f in quick.findings)
    assert fresh.test_compatibility(SUBJECT, bad).messages == full.messages
    for svc_ in (svc, fresh, RegistryService(store)):
        with pytest.raises(errors.IncompatibleSchema) as refused:
            svc_.register(SUBJECT, bad)
        assert refused.value.details == list(full.messages)
    assert svc.list_versions(SUBJECT) == list(range(1, 13))


def test_a_cached_full_report_answers_a_registration(store: Store) -> None:
    """An /api check first (full reports cached), then the registration: its verdict comes
    from those reports, with no engine run."""
    svc = RegistryService(store)
    _fill(svc, SUBJECT, 8)
    full = svc.check_against(SUBJECT, version(9))
    assert full.is_compatible and full.findings
    misses = svc.caches.reports.misses
    svc.register(SUBJECT, version(9))
    assert svc.caches.reports.misses == misses


def test_a_restarted_registry_trusts_its_stored_schemas(
    store: Store, built: dict[str, int]
) -> None:
    """After a restart the earlier contracts are loaded from their text: against 3 or 15
    earlier versions, only the new schema is checked against its meta-schema. (Those whose
    stored outline and verdicts answer are not loaded at all: test_stored_outlines.py; here
    the rows are dropped, so every one is.)"""
    for subject, versions in (("short-value", 3), ("long-value", 15)):
        _fill(RegistryService(store), subject, versions)
        with store.engine.begin() as conn:
            for table in ("outlines", "content_verdicts"):
                conn.execute(text(f"DELETE FROM {table}"))
        fresh = RegistryService(store)
        built["meta_checks"] = 0
        fresh.register(subject, version(versions + 1))
        assert fresh.caches.contracts.misses == versions  # every earlier contract loaded, once
        assert built["meta_checks"] == 1


def test_new_input_is_still_checked_and_bounded(store: Store) -> None:
    """Trusting stored text changes nothing for new input: an invalid schema is refused
    naming the place, before any comparison."""
    svc = RegistryService(store)
    _fill(svc, SUBJECT, 3)
    bad = SchemaInput(
        schema=json.dumps({"type": "object", "properties": {"a": {"type": 7}}}),
        schema_type="JSON",
    )
    with pytest.raises(errors.InvalidSchema, match="properties/a"):
        svc.register(SUBJECT, bad)
    assert svc.list_versions(SUBJECT) == [1, 2, 3]
