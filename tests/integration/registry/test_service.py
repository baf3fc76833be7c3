"""The registry's use cases on SQLite and PostgreSQL (no HTTP)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from evreg.registry import errors
from evreg.registry.service import RegistryService
from evreg.registry.store import Reference, Store
from evreg.registry.store import audit as audit_log
from evreg.registry.values import SchemaInput

REPO = Path(__file__).resolve().parents[3]


def obj(props: dict[str, Any], *, closed: bool = True, required: list[str] | None = None) -> str:
    schema: dict[str, Any] = {"type": "object", "properties": props}
    if closed:
        schema["additionalProperties"] = False
    if required:
        schema["required"] = required
    return json.dumps(schema)


V1 = obj({"id": {"type": "string"}})
V2 = obj({"id": {"type": "string"}, "note": {"type": "string"}})
V3 = obj({"id": {"type": "string"}, "note": {"type": "string"}, "n": {"type": "integer"}})
BAD = obj({"id": {"type": "integer"}})


def js(text: str, refs: tuple[Reference, ...] = ()) -> SchemaInput:
    return SchemaInput(schema=text, schema_type="JSON", references=refs)


@pytest.fixture
def svc(database_url: str) -> Iterator[RegistryService]:
    store = Store(database_url)
    yield RegistryService(store)
    store.close()


def test_register_allocates_versions_and_is_idempotent(svc: RegistryService) -> None:
    a = svc.register("s", js(V1))
    again = svc.register("s", js(V1))
    b = svc.register("s", js(V2))
    assert (a.version, b.version) == (1, 2)
    assert again.id == a.id and again.version == 1
    assert svc.list_versions("s") == [1, 2]
    # key order and whitespace do not make a new schema
    spaced = json.dumps(json.loads(V1), indent=4, sort_keys=False)
    assert svc.register("s", js(spaced)).id == a.id
    assert svc.list_versions("s") == [1, 2]


def test_one_id_per_content_across_subjects(svc: RegistryService) -> None:
    a = svc.register("one", js(V1))
    b = svc.register("two", js(V1))
    assert a.id == b.id
    assert b.version == 1
    assert svc.schema_subjects(a.id) == ["one", "two"]
    assert svc.schema_versions(a.id) == [("one", 1), ("two", 1)]


def test_incompatible_change_is_refused_with_findings(svc: RegistryService) -> None:
    svc.register("s", js(V1))
    with pytest.raises(errors.IncompatibleSchema) as info:
        svc.register("s", js(BAD))
    assert "TYPE_" in info.value.message
    assert svc.list_versions("s") == [1]
    result = svc.test_compatibility("s", js(BAD))
    assert not result.is_compatible
    assert any(f.breaking and f.version == 1 for f in result.findings)
    assert svc.test_compatibility("s", js(V2)).is_compatible


def test_level_none_and_transitive(svc: RegistryService) -> None:
    svc.register("s", js(V1))
    svc.set_config("s", "NONE")
    svc.register("s", js(BAD))  # anything goes
    svc.set_config("s", "BACKWARD")
    # V1 reads BAD's events? no: but BACKWARD only checks the latest (BAD) -> V1 vs BAD breaks
    assert not svc.test_compatibility("s", js(V1)).is_compatible
    svc.set_config("s", "NONE")
    svc.register("s", js(V2))
    svc.set_config("s", "BACKWARD_TRANSITIVE")
    # V3 is fine after V2 but not after BAD (version 2)
    assert svc.test_compatibility("s", js(V3), 3).is_compatible
    result = svc.test_compatibility("s", js(V3))
    assert not result.is_compatible
    assert {f.version for f in result.findings if f.breaking} == {2}


def test_soft_deleted_versions_take_no_part(svc: RegistryService) -> None:
    svc.register("s", js(V1))
    svc.set_config("s", "NONE")
    svc.register("s", js(BAD))
    svc.set_config("s", "BACKWARD")
    svc.delete_version("s", 2)
    assert svc.test_compatibility("s", js(V2)).is_compatible
    registered = svc.register("s", js(V2))
    assert registered.version == 3  # numbers continue after a soft-deleted version


def test_policy_lenient_accepts_optional_property_in_open_model(svc: RegistryService) -> None:
    old = obj({"id": {"type": "string"}}, closed=False)
    new = obj({"id": {"type": "string"}, "x": {"type": "string"}}, closed=False)
    svc.register("s", js(old))
    assert not svc.test_compatibility("s", js(new)).is_compatible  # STRICT by default
    svc.set_config("s", None, "LENIENT")
    assert svc.get_config("s").policy is not None
    assert svc.register("s", js(new)).version == 2


def test_lookup(svc: RegistryService) -> None:
    with pytest.raises(errors.SubjectNotFound):
        svc.lookup("s", js(V1))
    svc.register("s", js(V1))
    found = svc.lookup("s", js(V1))
    assert (found.subject, found.version, found.schema_type) == ("s", 1, "JSON")
    with pytest.raises(errors.SchemaNotFound):
        svc.lookup("s", js(V2))


def test_reads(svc: RegistryService) -> None:
    svc.register("s", js(V1))
    svc.register("s", js(V2))
    assert svc.get_version("s", "latest").version == 2
    assert json.loads(svc.get_version("s", 1).schema) == json.loads(V1)
    with pytest.raises(errors.VersionNotFound):
        svc.get_version("s", 9)
    with pytest.raises(errors.SubjectNotFound):
        svc.get_version("nope", 1)
    with pytest.raises(errors.SchemaNotFound):
        svc.get_schema(999)
    assert svc.list_subjects(prefix="s") == ["s"]


def test_delete_semantics(svc: RegistryService) -> None:
    a = svc.register("s", js(V1))
    svc.register("s", js(V2))
    with pytest.raises(errors.SubjectNotSoftDeleted):
        svc.delete_subject("s", permanent=True)
    with pytest.raises(errors.VersionNotSoftDeleted):
        svc.delete_version("s", 1, permanent=True)
    assert svc.delete_version("s", "latest") == 2
    with pytest.raises(errors.VersionSoftDeleted):
        svc.delete_version("s", 2)
    assert svc.list_versions("s") == [1]
    assert svc.list_versions("s", deleted=True) == [1, 2]
    assert svc.list_versions("s", deleted_only=True) == [2]
    assert svc.delete_subject("s") == [1]
    with pytest.raises(errors.SubjectSoftDeleted):
        svc.delete_subject("s")
    assert svc.list_subjects() == []
    assert svc.list_subjects(deleted=True) == ["s"]
    assert svc.list_subjects(deleted_only=True) == ["s"]
    with pytest.raises(errors.SubjectNotFound):
        svc.list_versions("s")
    assert svc.get_version("s", 1, deleted=True).deleted
    assert svc.get_schema(a.id).id == a.id  # soft-deleted schemas stay readable by id
    assert svc.delete_subject("s", permanent=True) == [1, 2]
    with pytest.raises(errors.SubjectNotFound):
        svc.delete_subject("s")
    again = svc.register("s", js(V1))
    assert (again.version, again.id) == (1, a.id)


def test_references(svc: RegistryService) -> None:
    common = json.dumps({"type": "object", "properties": {"code": {"type": "string"}}})
    c = svc.register("common", js(common))
    app_schema = json.dumps({"type": "object", "properties": {"money": {"$ref": "common.json"}}})
    refs = (Reference("common.json", "common", 1),)
    app = svc.register("app", js(app_schema, refs))
    assert app.id != c.id
    got = svc.get_version("app", "latest")
    assert got.references == refs
    assert svc.referenced_by("common", 1) == [app.id]
    with pytest.raises(errors.ReferenceExists):
        svc.delete_version("common", 1)
    with pytest.raises(errors.InvalidSchema):
        svc.register("app2", js(app_schema, (Reference("common.json", "common", 7),)))
    # same text without references is a different schema
    assert svc.lookup("app", js(app_schema, refs)).id == app.id
    # version -1 means the latest at registration time, and is pinned then
    latest_ref = (Reference("common.json", "common", -1),)
    assert svc.lookup("app", js(app_schema, latest_ref)).id == app.id
    svc.register("common", js(json.dumps({"type": "object", "description": "v2"})))
    moved = svc.register("app3", js(app_schema, latest_ref))
    assert moved.id != app.id
    assert moved.references == (Reference("common.json", "common", 2),)


def test_invalid_inputs(svc: RegistryService) -> None:
    # no schema type: AVRO (Confluent's default); a record without a name or fields is no Avro
    with pytest.raises(errors.InvalidSchema, match="Avro record needs `fields`"):
        svc.register("s", SchemaInput(schema='{"type": "record"}', schema_type=None))
    with pytest.raises(errors.InvalidSchema, match="Protobuf schemas are not supported"):
        svc.register("s", SchemaInput(schema="syntax = 'proto3';", schema_type="PROTOBUF"))
    with pytest.raises(errors.InvalidSchema):
        svc.register("s", js("{not json"))
    asyncapi = (REPO / "contracts" / "order_placed.yaml").read_text()
    with pytest.raises(errors.InvalidSchema, match="ASYNCAPI"):
        svc.register("s", js(asyncapi))
    with pytest.raises(errors.InvalidCompatibilityLevel):
        svc.set_config(None, "SIDEWAYS")
    with pytest.raises(errors.InvalidMode):
        svc.set_mode(None, "SOMETIMES")


def test_asyncapi_contracts(svc: RegistryService) -> None:
    text = (REPO / "contracts" / "order_placed.yaml").read_text()
    first = svc.register("orders", SchemaInput(schema=text, schema_type="ASYNCAPI"))
    assert first.schema_type == "ASYNCAPI"
    assert svc.register("orders", SchemaInput(schema=text, schema_type="ASYNCAPI")) == first
    lookup = svc.lookup("orders", SchemaInput(schema=text, schema_type="ASYNCAPI"))
    assert lookup.id == first.id


def test_config_and_mode(svc: RegistryService) -> None:
    assert svc.get_config().level.value == "BACKWARD"
    with pytest.raises(errors.SubjectConfigNotFound):
        svc.get_config("s")
    assert svc.get_config("s", default_to_global=True).level.value == "BACKWARD"
    svc.set_config(None, "FULL")
    svc.set_config("s", "NONE")
    assert svc.get_config("s").level.value == "NONE"
    assert svc.delete_config("s").level.value == "NONE"
    assert svc.get_config("s", default_to_global=True).level.value == "FULL"

    assert svc.get_mode() == "READWRITE"
    svc.set_mode("s", "READONLY")
    with pytest.raises(errors.OperationNotPermitted):
        svc.register("s", js(V1))
    svc.register("t", js(V1))
    with pytest.raises(errors.OperationNotPermitted):
        svc.set_mode(None, "IMPORT")  # subjects exist
    assert svc.delete_mode("s") == "READONLY"
    with pytest.raises(errors.SubjectModeNotFound):
        svc.get_mode("s")
    assert svc.get_mode("s", default_to_global=True) == "READWRITE"


def test_import_mode_keeps_given_ids_and_versions(svc: RegistryService) -> None:
    svc.set_mode(None, "IMPORT")
    got = svc.register("s", js(V1), schema_id=100, version=5)
    assert (got.id, got.version) == (100, 5)
    svc.set_mode(None, "READWRITE")
    with pytest.raises(errors.OperationNotPermitted):
        svc.register("s", js(V2), schema_id=101)
    after = svc.register("s", js(V2))
    assert after.version == 6 and after.id > 100


def test_import_of_known_content_under_another_id_is_42207(svc: RegistryService) -> None:
    from evreg.registry.api.errors import status_and_code

    first = svc.register("s", js(V1))
    svc.set_mode(None, "IMPORT", force=True)
    with pytest.raises(errors.IdDoesNotMatch) as info:
        svc.register("t", js(V1), schema_id=first.id + 50, version=1)
    assert status_and_code(info.value) == (422, 42207)
    assert f"with id {first.id} instead of input id {first.id + 50}" in info.value.message
    assert svc.list_subjects() == ["s"]  # nothing written
    with pytest.raises(errors.OperationNotPermitted) as other:  # an id in use by other content
        svc.register("t", js(V2), schema_id=first.id, version=1)
    assert status_and_code(other.value) == (422, 42205)
    assert svc.register("t", js(V1), schema_id=first.id, version=1).id == first.id


def test_reports_are_cached(svc: RegistryService) -> None:
    svc.register("s", js(V1))
    svc.test_compatibility("s", js(V2))
    misses = svc.caches.reports.misses
    svc.test_compatibility("s", js(V2))
    assert svc.caches.reports.misses == misses
    assert svc.caches.reports.hits >= 1


def test_every_change_is_audited(svc: RegistryService) -> None:
    svc.register("s", js(V1), actor="alice")
    svc.set_config("s", "FULL", actor="bob")
    svc.delete_version("s", 1, actor="carol")
    with svc.store.read() as session:
        events = audit_log.audit_events(session)
    assert [(e.actor, e.action, e.subject, e.version) for e in events] == [
        ("alice", "schema.register", "s", 1),
        ("bob", "config.set", "s", None),
        ("carol", "version.delete", "s", 1),
    ]


def test_a_setting_changed_is_audited_with_its_value_before(svc: RegistryService) -> None:
    """``before`` is the value the change replaced (the row is updated in place: reading it
    after the update would record the new value twice)."""
    svc.set_mode("s", "READONLY", actor="a")
    svc.set_mode("s", "READWRITE", actor="b")
    svc.set_consumer_checks("s", "block", actor="c")
    svc.set_consumer_checks("s", "off", actor="d")
    with svc.store.read() as session:
        events = [e for e in audit_log.audit_events(session) if e.action.endswith(".set")]
    assert [(e.actor, e.before, e.after) for e in events] == [
        ("a", None, {"mode": "READONLY"}),
        ("b", {"mode": "READONLY"}, {"mode": "READWRITE"}),
        ("c", None, {"consumerChecks": "block"}),
        ("d", {"consumerChecks": "block"}, {"consumerChecks": "off"}),
    ]


def test_deletes_are_audited_with_before_and_after(svc: RegistryService) -> None:
    svc.register("s", js(V1))
    svc.register("s", js(V2))
    svc.set_config("s", "FULL", "LENIENT")
    svc.set_mode("s", "READWRITE")
    svc.delete_version("s", 2, actor="a")
    svc.delete_version("s", 2, permanent=True, actor="b")
    svc.delete_subject("s", actor="c")
    svc.delete_subject("s", permanent=True, actor="d")
    with svc.store.read() as session:
        events = [e for e in audit_log.audit_events(session) if "delete" in e.action]
    assert [(e.actor, e.action, e.version, e.before, e.after) for e in events] == [
        ("a", "version.delete", 2, {"deleted": False}, {"deleted": True}),
        ("b", "version.delete.permanent", 2, {"deleted": True}, None),
        (
            "c",
            "subject.delete",
            None,
            {"versions": [1], "deleted": False},
            {"versions": [1], "deleted": True},
        ),
        (
            "d",
            "subject.delete.permanent",
            None,
            {
                "versions": [1],
                "deleted": True,
                "config": {"compatibilityLevel": "FULL", "compatibilityPolicy": "LENIENT"},
                "mode": "READWRITE",
            },
            None,
        ),
    ]
    with pytest.raises(errors.SubjectConfigNotFound):  # the permanent delete took them along
        svc.get_config("s")


def test_full_lists_a_harmless_change_once(svc: RegistryService) -> None:
    described = json.dumps({**json.loads(V1), "description": "now documented"})
    svc.register("s", js(V1))
    svc.set_config("s", "FULL")
    result = svc.check_against("s", js(described))
    assert result.is_compatible
    assert [f.rule for f in result.findings] == ["DESCRIPTION_CHANGED"]


def test_a_loader_crash_is_an_invalid_schema_not_a_server_error(
    svc: RegistryService, monkeypatch: pytest.MonkeyPatch
) -> None:
    import evreg.registry.usecases.prepare as service_module

    def broken(*args: object, **kwargs: object) -> None:
        raise KeyError("boom")

    monkeypatch.setattr(service_module, "load_contract", broken)
    with pytest.raises(errors.InvalidSchema, match="likely an evreg bug"):
        svc.register("s", js(V1))
