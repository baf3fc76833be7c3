"""The registry driven by python-schema-registry-client (package `schema_registry`) against a
real uvicorn server, on SQLite and PostgreSQL: the second real client issue 3 names."""

from __future__ import annotations

import asyncio
import struct
from typing import Any

import pytest
from schema_registry.client import AsyncSchemaRegistryClient, SchemaRegistryClient
from schema_registry.client.errors import ClientError
from schema_registry.client.schema import JsonSchema
from schema_registry.serializers import JsonMessageSerializer

from .conftest import Server


def order(props: dict[str, Any]) -> JsonSchema:
    return JsonSchema(
        {
            "$schema": "http://json-schema.org/draft-07/schema#",
            "title": "Order",
            "type": "object",
            "properties": props,
            "required": ["id"],
            "additionalProperties": False,
        }
    )


V1 = order({"id": {"type": "string"}, "total": {"type": "number"}})
V2 = order({"id": {"type": "string"}, "total": {"type": "number"}, "note": {"type": "string"}})
BREAKING = order({"id": {"type": "integer"}, "total": {"type": "number"}})


@pytest.fixture
def client(server: Server) -> SchemaRegistryClient:
    return SchemaRegistryClient(server.url)


def fresh(client: SchemaRegistryClient) -> SchemaRegistryClient:
    """A client with empty caches, so that every answer below comes from the server."""
    return SchemaRegistryClient(str(client.conf["url"]))


def test_register_get_by_id_versions_and_latest(client: SchemaRegistryClient, subject: str) -> None:
    first = client.register(subject, V1)
    second = client.register(subject, V2)
    assert first != second
    reader = fresh(client)
    assert reader.register(subject, V1) == first  # found by lookup (POST /subjects/{s})
    got = reader.get_by_id(first)
    assert isinstance(got, JsonSchema) and got.schema_type == "JSON"
    assert got.schema == V1.schema  # the canonical text parses back to the same document
    assert reader.get_by_id(2**31 - 2) is None  # 404/40403 is "not found" to this client
    assert reader.get_versions(subject) == [1, 2]
    latest = reader.get_schema(subject)
    assert latest is not None
    assert (latest.subject, latest.schema_id, latest.version) == (subject, second, 2)
    one = reader.get_schema(subject, version=1)
    assert one is not None and (one.schema_id, one.version) == (first, 1)
    assert reader.get_schema(subject, version=7) is None
    found = reader.check_version(subject, V2)
    assert found is not None and (found.schema_id, found.version) == (second, 2)
    assert reader.check_version(subject, BREAKING) is None
    pairs = reader.get_schema_subject_versions(first)
    assert pairs is not None and [(p.subject, p.version) for p in pairs] == [(subject, 1)]
    assert subject in reader.get_subjects()


def test_compatibility_config_and_409(client: SchemaRegistryClient, subject: str) -> None:
    client.register(subject, V1)
    assert client.test_compatibility(subject, V2) is True
    assert client.test_compatibility(subject, BREAKING) is False
    verbose = client.test_compatibility(subject, BREAKING, verbose=True)
    assert isinstance(verbose, dict) and verbose["is_compatible"] is False
    assert any("TYPE_" in message for message in verbose["messages"])
    with pytest.raises(ClientError) as info:
        client.register(subject, BREAKING)
    assert info.value.http_code == 409
    assert info.value.server_traceback["error_code"] == 409
    assert client.update_compatibility("NONE", subject) is True
    assert client.get_compatibility(subject) == "NONE"
    assert client.register(subject, BREAKING) > 0
    assert client.get_versions(subject) == [1, 2]


def test_delete_version_and_subject(client: SchemaRegistryClient, subject: str) -> None:
    client.register(subject, V1)
    client.register(subject, V2)
    assert client.delete_version(subject, 2) == 2
    assert client.get_versions(subject) == [1]
    assert client.delete_subject(subject) == [1]
    assert client.get_versions(subject) == []  # 404/40401 is "no versions" to this client
    assert subject not in client.get_subjects()
    assert client.delete_subject(subject) == []  # 40404: soft-deleted already


def test_json_message_serializer_round_trip(client: SchemaRegistryClient, subject: str) -> None:
    writer = JsonMessageSerializer(client)
    event = {"id": "o-1", "total": 12.5}
    encoded = writer.encode_record_with_schema(subject, V1, event)  # registers V1
    magic, schema_id = struct.unpack(">bI", encoded[:5])
    assert magic == 0 and schema_id == fresh(client).get_schema(subject).schema_id  # type: ignore[union-attr]
    reader = JsonMessageSerializer(fresh(client))  # fetches the writer schema by id
    assert reader.decode_message(encoded) == event


def test_async_client(server: Server, subject: str) -> None:
    async def scenario() -> None:
        aclient = AsyncSchemaRegistryClient(server.url)
        sid = await aclient.register(subject, V1)
        got = await AsyncSchemaRegistryClient(server.url).get_by_id(sid)
        assert got is not None and got.schema == V1.schema
        assert await aclient.get_versions(subject) == [1]
        assert await aclient.test_compatibility(subject, BREAKING) is False

    asyncio.run(scenario())
