"""Confluent data contracts through confluent-kafka's own client and serializers, against a real
server on SQLite and PostgreSQL: metadata and rule sets stored and returned in Confluent's
normalised form, part of a version's identity, merged with the config's defaults and overrides
(and the previous version's), ``get_latest_with_metadata``, ``compatibilityGroup``, and the
client-side rules the serializers run (CEL conditions, a JSONata migration)."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from confluent_kafka.schema_registry import (
    Metadata,
    MetadataProperties,
    MetadataTags,
    Rule,
    RuleKind,
    RuleMode,
    RuleSet,
    Schema,
    SchemaRegistryClient,
)
from confluent_kafka.schema_registry.error import SchemaRegistryError
from confluent_kafka.schema_registry.json_schema import JSONDeserializer, JSONSerializer
from confluent_kafka.schema_registry.schema_registry_client import (
    ConfigCompatibilityLevel as Level,
)
from confluent_kafka.schema_registry.schema_registry_client import ServerConfig
from confluent_kafka.serialization import MessageField, SerializationContext, SerializationError

from .conftest import Server

cel = pytest.importorskip(
    "confluent_kafka.schema_registry.rules.cel.cel_executor",
    reason="confluent-kafka's CEL executor needs cel-python (the dev extra installs it)",
)
jsonata = pytest.importorskip(
    "confluent_kafka.schema_registry.rules.jsonata.jsonata_executor",
    reason="confluent-kafka's JSONata executor needs jsonata-python (the dev extra installs it)",
)
cel.CelExecutor.register()
jsonata.JsonataExecutor.register()


def doc(props: dict[str, Any], required: list[str]) -> str:
    return json.dumps(
        {
            "$schema": "http://json-schema.org/draft-07/schema#",
            "title": "Payment",
            "type": "object",
            "properties": props,
            "required": required,
        }
    )


V1 = doc({"id": {"type": "string"}, "amount": {"type": "number"}}, ["id", "amount"])
V2 = doc({"id": {"type": "string"}, "total": {"type": "number"}}, ["id", "total"])  # breaking


def rule(name: str, kind: RuleKind, mode: RuleMode, kind_of: str, expr: str) -> Rule:
    return Rule(name, None, kind, mode, kind_of, None, None, expr, None, None, None)


def metadata(properties: dict[str, str], **tags: list[str]) -> Metadata:
    return Metadata(MetadataTags(tags), MetadataProperties(properties), ["ssn"] if tags else None)


AMOUNT_RULE = rule(
    "amountNotNegative", RuleKind.CONDITION, RuleMode.WRITE, "CEL", "message.amount >= 0.0"
)


def shown(value: Metadata | RuleSet | None) -> dict[str, Any]:
    """A contract as the client read it, without the empty lists its classes add."""
    assert value is not None
    return {k: v for k, v in value.to_dict().items() if v}


@pytest.fixture
def client(server: Server) -> SchemaRegistryClient:
    return SchemaRegistryClient({"url": server.url, "max.retries": 0})


def body(server: Server, path: str) -> Any:
    return httpx.get(server.url + path, timeout=10).json()


def test_metadata_and_rule_set_round_trip_in_confluents_form(
    client: SchemaRegistryClient, server: Server, subject: str
) -> None:
    meta = Metadata(
        MetadataTags({"$.id": ["PII", "ID", "PII"]}),
        MetadataProperties({"owner": "payments", "app.major": "1"}),
        ["ssn", "card"],
    )
    rules = RuleSet(
        migration_rules=[
            rule("upOne", RuleKind.TRANSFORM, RuleMode.UPGRADE, "JSONATA", "$"),
        ],
        domain_rules=[AMOUNT_RULE],
    )
    first = client.register_schema(subject, Schema(V1, "JSON", [], meta, rules))
    expected_meta = {
        "tags": {"$.id": ["ID", "PII"]},  # a set, sorted, as Confluent keeps it
        "properties": {"app.major": "1", "owner": "payments"},
        "sensitive": ["card", "ssn"],
    }
    expected_rules = {
        "migrationRules": [
            {"name": "upOne", "kind": "TRANSFORM", "mode": "UPGRADE", "type": "JSONATA",
             "expr": "$", "disabled": False}
        ],
        "domainRules": [
            {"name": "amountNotNegative", "kind": "CONDITION", "mode": "WRITE", "type": "CEL",
             "expr": "message.amount >= 0.0", "disabled": False}
        ],
    }  # fmt: skip
    latest = client.get_latest_version(subject)
    assert latest.schema_id == first
    assert latest.schema.metadata is not None and latest.schema.rule_set is not None
    assert shown(latest.schema.metadata) == expected_meta
    # (the client's RuleSet adds an empty encodingRules list of its own)
    assert shown(latest.schema.rule_set) == expected_rules
    by_id = body(server, f"/schemas/ids/{first}")
    assert (by_id["metadata"], by_id["ruleSet"]) == (expected_meta, expected_rules)
    assert body(server, f"/subjects/{subject}/versions/1")["metadata"] == expected_meta
    # the same schema and contract again: the same version; a lookup finds it
    assert client.register_schema(subject, Schema(V1, "JSON", [], meta, rules)) == first
    assert client.lookup_schema(subject, Schema(V1, "JSON", [], meta, rules)).version == 1
    # the same text with other metadata is another version and another schema id
    other = client.register_schema(
        subject, Schema(V1, "JSON", [], metadata({"owner": "ledger", "app.major": "1"}))
    )
    assert other != first and client.get_versions(subject) == [1, 2]
    # a lookup naming a contract finds only the version that has it; one naming none, the newest
    assert client.lookup_schema(subject, Schema(V1, "JSON", [], meta, None)).version == 1
    client_again = SchemaRegistryClient({"url": server.url, "max.retries": 0})
    assert client_again.lookup_schema(subject, Schema(V1, "JSON")).version == 2


def test_a_schema_without_a_contract_inherits_the_previous_versions(
    client: SchemaRegistryClient, subject: str
) -> None:
    rules = RuleSet(None, [AMOUNT_RULE])
    first = client.register_schema(subject, Schema(V1, "JSON", [], metadata({"a": "1"}), rules))
    # a serializer that auto-registers sends no contract: the version it matches keeps its own
    assert client.register_schema(subject, Schema(V1, "JSON")) == first
    v2 = doc({"id": {"type": "string"}, "amount": {"type": "number"}, "x": {}}, ["id", "amount"])
    client.register_schema(subject, Schema(v2, "JSON"))
    second = client.get_latest_version(subject).schema
    assert second.metadata is not None and second.rule_set is not None
    assert shown(second.metadata) == {"properties": {"a": "1"}}
    assert [r.name for r in second.rule_set.domain_rules or []] == ["amountNotNegative"]


def test_get_latest_with_metadata(
    client: SchemaRegistryClient, server: Server, subject: str
) -> None:
    v1 = client.register_schema(subject, Schema(V1, "JSON", [], metadata({"app.major": "1"})))
    client.set_config(subject, ServerConfig(compatibility=Level.NONE))
    client.register_schema(subject, Schema(V2, "JSON", [], metadata({"app.major": "2"})))
    found = client.get_latest_with_metadata(subject, {"app.major": "1"})
    assert (found.version, found.schema_id) == (1, v1)
    assert client.get_latest_with_metadata(subject, {"app.major": "2"}).version == 2
    with pytest.raises(SchemaRegistryError) as info:
        client.get_latest_with_metadata(subject, {"app.major": "3"})
    assert (info.value.http_status_code, info.value.error_code) == (404, 40403)
    client.delete_version(subject, 1)
    fresh = SchemaRegistryClient({"url": server.url, "max.retries": 0})
    with pytest.raises(SchemaRegistryError):
        fresh.get_latest_with_metadata(subject, {"app.major": "1"})
    assert fresh.get_latest_with_metadata(subject, {"app.major": "1"}, deleted=True).version == 1
    reply = httpx.get(f"{server.url}/subjects/{subject}/metadata?key=a&key=b&value=1", timeout=10)
    assert reply.status_code == 422 and "'value'" in reply.json()["message"]


def test_config_defaults_then_own_then_overrides(
    client: SchemaRegistryClient, server: Server, subject: str
) -> None:
    default_rules = RuleSet(None, [rule("dflt", RuleKind.CONDITION, RuleMode.WRITE, "CEL", "true")])
    override_rules = RuleSet(
        None, [rule("amountNotNegative", RuleKind.CONDITION, RuleMode.WRITEREAD, "CEL", "true")]
    )
    client.set_config(
        subject,
        ServerConfig(
            default_metadata=metadata({"owner": "default", "tier": "gold"}),
            override_metadata=metadata({"owner": "override"}),
            default_rule_set=default_rules,
            override_rule_set=override_rules,
        ),
    )
    config = client.get_config(subject)
    assert config.default_metadata is not None and config.override_rule_set is not None
    assert shown(config.default_metadata) == {"properties": {"owner": "default", "tier": "gold"}}
    own = metadata({"owner": "own", "team": "ledger"})
    client.register_schema(subject, Schema(V1, "JSON", [], own, RuleSet(None, [AMOUNT_RULE])))
    got = client.get_latest_version(subject).schema
    assert got.metadata is not None and got.rule_set is not None
    # defaults, then the schema's own, then the overrides (the later one wins a property)
    assert shown(got.metadata) == {
        "properties": {"owner": "override", "team": "ledger", "tier": "gold"}
    }
    # rules: the earlier rules whose name the later set does not use, then the later ones
    assert [(r.name, r.mode) for r in got.rule_set.domain_rules or []] == [
        ("dflt", RuleMode.WRITE),
        ("amountNotNegative", RuleMode.WRITEREAD),
    ]


def test_global_config_fields_apply_where_a_subject_sets_none(
    client: SchemaRegistryClient, server: Server, subject: str
) -> None:
    before = body(server, "/config")
    try:
        client.set_config(None, ServerConfig(default_metadata=metadata({"org": "acme"})))
        client.set_config(subject, ServerConfig(compatibility=Level.FULL))
        client.register_schema(subject, Schema(V1, "JSON"))
        got = client.get_latest_version(subject).schema
        assert got.metadata is not None
        assert shown(got.metadata) == {"properties": {"org": "acme"}}
        merged = body(server, f"/config/{subject}?defaultToGlobal=true")
        assert merged["compatibilityLevel"] == "FULL"
        assert merged["defaultMetadata"] == {"properties": {"org": "acme"}}
        assert "defaultMetadata" not in body(server, f"/config/{subject}")
    finally:
        httpx.delete(server.url + "/config", timeout=10)
        httpx.put(server.url + "/config", json={"compatibility": before["compatibilityLevel"]})


def test_compatibility_group_checks_only_the_same_group(
    client: SchemaRegistryClient, subject: str
) -> None:
    client.set_config(
        subject, ServerConfig(compatibility=Level.BACKWARD, compatibility_group="app.major")
    )
    assert client.get_config(subject).compatibility_group == "app.major"
    client.register_schema(subject, Schema(V1, "JSON", [], metadata({"app.major": "1"})))
    breaking = Schema(V2, "JSON", [], metadata({"app.major": "1"}))
    with pytest.raises(SchemaRegistryError) as info:
        client.register_schema(subject, breaking)
    assert info.value.http_status_code == 409
    assert client.test_compatibility(subject, breaking) is False
    # a new major version starts a new group: nothing earlier to be compatible with
    next_major = Schema(V2, "JSON", [], metadata({"app.major": "2"}))
    assert client.test_compatibility_all_versions(subject, next_major) is True
    client.register_schema(subject, next_major)
    # in the new group the new version is checked against version 2 only (it drops `total`)
    back_in_two = Schema(V1, "JSON", [], metadata({"app.major": "2"}))
    with pytest.raises(SchemaRegistryError) as again:
        client.register_schema(subject, back_in_two)
    assert "oldSchemaVersion:2" in again.value.error_message
    assert "oldSchemaVersion:1" not in again.value.error_message


def test_json_serializer_runs_the_rules_with_use_latest_version(
    client: SchemaRegistryClient, subject: str
) -> None:
    topic = subject.removesuffix("-value")
    client.register_schema(subject, Schema(V1, "JSON", [], None, RuleSet(None, [AMOUNT_RULE])))
    serializer = JSONSerializer(
        V1, client, conf={"auto.register.schemas": False, "use.latest.version": True}
    )
    ctx = SerializationContext(topic, MessageField.VALUE)
    assert subject == f"{topic}-value"
    data = serializer({"id": "p1", "amount": 5.0}, ctx)
    deserializer = JSONDeserializer(None, schema_registry_client=client)
    assert deserializer(data, ctx) == {"id": "p1", "amount": 5.0}
    with pytest.raises(SerializationError) as info:
        serializer({"id": "p2", "amount": -1.0}, ctx)  # the registry's rule, run by the client
    # the rule that failed: RuleConditionError names its expression
    assert "message.amount >= 0.0" in str(info.value.__cause__)


def test_a_jsonata_migration_rule_upgrades_old_events(
    client: SchemaRegistryClient, subject: str
) -> None:
    topic = subject.removesuffix("-value")
    client.set_config(
        subject, ServerConfig(compatibility=Level.BACKWARD, compatibility_group="app.major")
    )
    client.register_schema(subject, Schema(V1, "JSON", [], metadata({"app.major": "1"})))
    upgrade = rule(
        "amountToTotal",
        RuleKind.TRANSFORM,
        RuleMode.UPGRADE,
        "JSONATA",
        "$merge([$sift($, function($v, $k) {$k != 'amount'}), {'total': $.'amount'}])",
    )
    client.register_schema(
        subject, Schema(V2, "JSON", [], metadata({"app.major": "2"}), RuleSet([upgrade], None))
    )
    ctx = SerializationContext(topic, MessageField.VALUE)
    old_producer = JSONSerializer(
        V1,
        client,
        conf={"auto.register.schemas": False, "use.latest.with.metadata": {"app.major": "1"}},
    )
    data = old_producer({"id": "p1", "amount": 7.5}, ctx)
    new_consumer = JSONDeserializer(
        None, schema_registry_client=client, conf={"use.latest.version": True}
    )
    assert new_consumer(data, ctx) == {"id": "p1", "total": 7.5}


def test_contracts_that_are_not_confluents_are_refused_by_name(
    server: Server, subject: str
) -> None:
    def post(payload: dict[str, Any]) -> httpx.Response:
        return httpx.post(f"{server.url}/subjects/{subject}/versions", json=payload, timeout=10)

    base: dict[str, Any] = {"schemaType": "JSON", "schema": V1}
    cases = [
        ({**base, "ruleSet": {"domainRules": [{"name": "r", "kind": "CONDITION",
          "mode": "UPGRADE", "type": "CEL"}]}}, "ruleSet.domainRules[0].mode"),
        ({**base, "ruleSet": {"domainRules": [{"name": "r", "kind": "CONDITION",
          "mode": "WRITE", "type": "CEL"}, {"name": "r", "kind": "CONDITION", "mode": "READ",
          "type": "CEL"}]}}, "duplicate rule name"),
        ({**base, "metadata": {"properties": {"a": 1}}}, "metadata.properties.a"),
        ({**base, "metadata": {"labels": {}}}, "metadata.labels"),
        ({**base, "schemaTagsToAdd": [{"schemaTagPath": "x"}]}, "schemaTagsToAdd"),
        ({**base, "guid": "x"}, "'guid'"),
        ({**base, "schemaTagsToAdd": False}, "schemaTagsToAdd"),  # only null or [] ask nothing
        ({**base, "references": [{"name": "r", "subject": "s", "version": 1, "guid": "g"}]},
         "'guid' in a reference"),
    ]  # fmt: skip
    for payload, named in cases:
        reply = post(payload)
        assert reply.status_code == 422, payload
        assert named in reply.json()["message"], reply.json()
    assert httpx.get(f"{server.url}/subjects/{subject}/versions", timeout=10).status_code == 404
    refused = httpx.put(f"{server.url}/config/{subject}", json={"alias": "other"}, timeout=10)
    assert refused.status_code == 422 and "alias" in refused.json()["message"]
    # only null, false and "" ask nothing (as /openapi.json says): not 0, which Python's
    # 0 == False let through (found by schemathesis, ST201)
    for field in ("alias", "validateRules"):
        for value in (0, 0.0, 1, True, "x", []):
            setting = {"compatibilityGroup": "g", field: value}
            reply = httpx.put(f"{server.url}/config/{subject}", json=setting, timeout=10)
            assert reply.status_code == 422 and field in reply.json()["message"], (field, value)
    unknown = httpx.put(f"{server.url}/config/{subject}", json={"compatibilty": "NONE"})
    assert unknown.status_code == 422 and "compatibilty" in unknown.json()["message"]
    assert httpx.get(f"{server.url}/config/{subject}", timeout=10).status_code == 404


def test_server_metadata_and_features_evreg_refuses(server: Server) -> None:
    assert body(server, "/v1/metadata/id")["scope"]["clusters"]["schema-registry-cluster"]
    assert "version" in body(server, "/v1/metadata/version")
    for path, named in [
        ("/exporters", "exporters"),
        ("/exporters/x/status", "exporters"),
        ("/dek-registry/v1/keks", "DEK registry"),
        ("/schemas/guids/0f1e2d3c", "GUID"),
    ]:
        reply = httpx.get(server.url + path, timeout=10)
        assert reply.status_code == 404 and named in reply.json()["message"], path
    created = httpx.post(server.url + "/dek-registry/v1/keks", json={"name": "k"}, timeout=10)
    assert created.status_code == 404 and "DEK registry" in created.json()["message"]


def test_lookup_deleted_schema_is_read(client: SchemaRegistryClient, server: Server) -> None:
    subject = "lookup-deleted-" + server.url.rsplit(":", 1)[1]
    client.register_schema(subject, Schema(V1, "JSON"))
    client.delete_version(subject, 1)
    url = f"{server.url}/subjects/{subject}"
    payload = {"schemaType": "JSON", "schema": V1}
    # the subject has no live version left: 40401 unless soft-deleted ones are asked for
    assert httpx.post(url, json=payload, timeout=10).json()["error_code"] == 40401
    found = httpx.post(url + "?lookupDeletedSchema=true", json=payload, timeout=10)
    assert found.status_code == 200 and found.json()["version"] == 1
    client.delete_subject(subject, permanent=True)
