"""The registry driven by Confluent's own Python client against a real uvicorn server."""

from __future__ import annotations

import json
from typing import Any

import pytest
from confluent_kafka.schema_registry import Schema, SchemaReference, SchemaRegistryClient
from confluent_kafka.schema_registry.error import SchemaRegistryError
from confluent_kafka.schema_registry.json_schema import JSONDeserializer, JSONSerializer
from confluent_kafka.serialization import MessageField, SerializationContext

from .conftest import Server


def schema(props: dict[str, Any], required: list[str] | None = None) -> Schema:
    doc: dict[str, Any] = {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "title": "Order",
        "type": "object",
        "properties": props,
        "additionalProperties": False,
    }
    if required:
        doc["required"] = required
    return Schema(json.dumps(doc), schema_type="JSON")


V1 = schema({"id": {"type": "string"}, "total": {"type": "number"}}, ["id"])
V2 = schema(
    {"id": {"type": "string"}, "total": {"type": "number"}, "note": {"type": "string"}}, ["id"]
)
BREAKING = schema({"id": {"type": "integer"}, "total": {"type": "number"}}, ["id"])


@pytest.fixture
def client(server: Server) -> SchemaRegistryClient:
    return SchemaRegistryClient({"url": server.url, "max.retries": 0})


def test_register_get_versions_latest(client: SchemaRegistryClient, subject: str) -> None:
    first = client.register_schema(subject, V1)
    assert client.register_schema(subject, V1) == first
    second = client.register_schema(subject, V2)
    assert second != first
    assert client.get_versions(subject) == [1, 2]
    latest = client.get_latest_version(subject)
    assert (latest.schema_id, latest.version, latest.subject) == (second, 2, subject)
    assert latest.schema.schema_type == "JSON"
    fetched = SchemaRegistryClient({"url": client.config()["url"], "max.retries": 0})
    got = fetched.get_schema(first)
    assert got.schema_type == "JSON"
    assert json.loads(got.schema_str) == json.loads(V1.schema_str)
    assert subject in client.get_subjects()
    assert client.get_version(subject, 1).schema_id == first


def test_lookup_schema(client: SchemaRegistryClient, subject: str) -> None:
    sid = client.register_schema(subject, V1)
    found = client.lookup_schema(subject, V1)
    assert (found.schema_id, found.version) == (sid, 1)
    with pytest.raises(SchemaRegistryError) as info:
        client.lookup_schema(subject, V2)
    assert (info.value.http_status_code, info.value.error_code) == (404, 40403)


def test_compatibility_and_409(client: SchemaRegistryClient, subject: str) -> None:
    client.register_schema(subject, V1)
    assert client.test_compatibility(subject, V2) is True
    assert client.test_compatibility(subject, BREAKING) is False
    assert client.test_compatibility_all_versions(subject, BREAKING) is False
    with pytest.raises(SchemaRegistryError) as info:
        client.register_schema(subject, BREAKING)
    assert (info.value.http_status_code, info.value.error_code) == (409, 409)
    assert "TYPE_" in info.value.error_message


def test_set_config_then_incompatible_is_accepted(
    client: SchemaRegistryClient, subject: str
) -> None:
    from confluent_kafka.schema_registry import ServerConfig
    from confluent_kafka.schema_registry.common.schema_registry_client import (
        ConfigCompatibilityLevel,
    )

    client.register_schema(subject, V1)
    answer = client.set_config(subject, ServerConfig(compatibility=ConfigCompatibilityLevel.NONE))
    assert answer["compatibility"] == "NONE"
    assert client.get_compatibility(subject) == "NONE"
    client.register_schema(subject, BREAKING)
    assert client.get_versions(subject) == [1, 2]
    client.set_compatibility(subject, "FULL")
    assert client.get_config(subject).compatibility_level.value == "FULL"
    client.delete_config(subject)
    with pytest.raises(SchemaRegistryError) as info:
        client.get_compatibility(subject)
    assert info.value.error_code == 40408


def test_delete_subject_soft_then_permanent(client: SchemaRegistryClient, subject: str) -> None:
    sid = client.register_schema(subject, V1)
    client.register_schema(subject, V2)
    with pytest.raises(SchemaRegistryError) as info:
        client.delete_subject(subject, permanent=True)
    assert info.value.error_code == 40405
    assert client.delete_subject(subject) == [1, 2]
    with pytest.raises(SchemaRegistryError) as info:
        client.delete_subject(subject)
    assert info.value.error_code == 40404
    assert subject not in client.get_subjects()
    assert subject in client.get_subjects(deleted=True)
    assert client.delete_subject(subject, permanent=True) == [1, 2]
    assert subject not in client.get_subjects(deleted=True)
    again = SchemaRegistryClient({"url": client.config()["url"], "max.retries": 0})
    assert again.register_schema(subject, V1) == sid  # one id per content, still


def test_delete_version(client: SchemaRegistryClient, subject: str) -> None:
    client.register_schema(subject, V1)
    client.register_schema(subject, V2)
    assert client.delete_version(subject, 2) == 2
    assert client.get_versions(subject) == [1]
    with pytest.raises(SchemaRegistryError) as info:
        client.delete_version(subject, 1, permanent=True)
    assert info.value.error_code == 40407
    assert client.delete_version(subject, 2, permanent=True) == 2


def test_references(client: SchemaRegistryClient, subject: str) -> None:
    common_subject = f"{subject}-common"
    money = Schema(
        json.dumps(
            {
                "type": "object",
                "properties": {"amount": {"type": "number"}, "currency": {"type": "string"}},
            }
        ),
        schema_type="JSON",
    )
    client.register_schema(common_subject, money)
    order = Schema(
        json.dumps({"type": "object", "properties": {"total": {"$ref": "money.json"}}}),
        schema_type="JSON",
        references=[SchemaReference("money.json", common_subject, 1)],
    )
    oid = client.register_schema(subject, order)
    latest = client.get_latest_version(subject)
    assert [r.name for r in latest.schema.references] == ["money.json"]
    assert client.get_referenced_by(common_subject, 1) == [oid]
    with pytest.raises(SchemaRegistryError) as info:
        client.delete_version(common_subject, 1)
    assert info.value.error_code == 42206


def test_json_serializer_round_trip_with_auto_registration(
    client: SchemaRegistryClient, subject: str
) -> None:
    topic = subject.removesuffix("-value")
    serializer = JSONSerializer(V1.schema_str, client, conf={"auto.register.schemas": True})
    ctx = SerializationContext(topic, MessageField.VALUE)
    event = {"id": "o-1", "total": 12.5}
    data = serializer(event, ctx)
    assert data is not None and data[0] == 0  # magic byte, then the schema id
    schema_id = int.from_bytes(data[1:5], "big")
    assert client.get_latest_version(f"{topic}-value").schema_id == schema_id
    reader = SchemaRegistryClient({"url": client.config()["url"], "max.retries": 0})
    deserializer = JSONDeserializer(None, schema_registry_client=reader)
    assert deserializer(data, ctx) == event
    with pytest.raises(Exception, match="not of type"):
        serializer({"id": "o-2", "total": "lots"}, ctx)  # the schema still validates


def test_kafka_serializer_uses_the_payload_subject_of_an_asyncapi_contract(
    client: SchemaRegistryClient, subject: str
) -> None:
    """Contract-first: push the AsyncAPI contract, then produce with Confluent's serializer
    against ``<channel address>-value`` without registering anything from the producer."""
    from pathlib import Path

    import yaml

    text = (Path(__file__).resolve().parents[3] / "contracts" / "order_placed.yaml").read_text()
    client.register_schema(subject, Schema(text, schema_type="ASYNCAPI"))
    example = yaml.safe_load(text)["components"]["messages"]["OrderPlaced"]["examples"][0]
    ctx = SerializationContext("orders.placed", MessageField.VALUE)
    serializer = JSONSerializer(
        None,
        client,
        conf={"auto.register.schemas": False, "use.latest.version": True},
    )
    data = serializer(example["payload"], ctx)
    assert data is not None
    latest = client.get_latest_version("orders.placed-value")
    assert int.from_bytes(data[1:5], "big") == latest.schema_id
    deserializer = JSONDeserializer(None, schema_registry_client=client)
    assert deserializer(data, ctx) == example["payload"]
    with pytest.raises(Exception, match="required"):
        serializer({"orderId": "6f1c2d1e-5a0b-4a8e-9c57-1b2f0c9d7e11"}, ctx)
