"""Confluent's schema contexts through confluent-kafka's client, on SQLite and PostgreSQL:
qualified subjects, per-context schema ids, ``/contexts``, context-prefixed base URLs, ids read
with a subject hint, and a serializer round trip inside a context."""

from __future__ import annotations

import json
import uuid

import httpx
from confluent_kafka.schema_registry import Schema, SchemaRegistryClient
from confluent_kafka.schema_registry.error import SchemaRegistryError
from confluent_kafka.schema_registry.json_schema import JSONDeserializer, JSONSerializer
from confluent_kafka.serialization import MessageField, SerializationContext

from .conftest import Server

A = Schema(json.dumps({"title": "A", "type": "object", "properties": {"a": {}}}), "JSON")
B = Schema(json.dumps({"title": "B", "type": "object", "properties": {"b": {}}}), "JSON")


def test_contexts_are_listed_and_isolated(server: Server) -> None:
    client = SchemaRegistryClient({"url": server.url, "max.retries": 0})
    context = f".ctx{uuid.uuid4().hex[:8]}"
    name = f"orders-{uuid.uuid4().hex[:8]}-value"
    qualified = f":{context}:{name}"
    default_a = client.register_schema(name + "-a", A)
    default_b = client.register_schema(name, B)
    staged = client.register_schema(qualified, B)  # the same schema as default_b, another context
    assert staged == 1 != default_b  # the context's first id: ids are allocated per context
    assert context in client.get_contexts() and "." in client.get_contexts()
    assert client.get_subjects(subject_prefix=f":{context}:") == [qualified]
    assert qualified in client.get_subjects()  # no prefix: every context, qualified names
    assert qualified not in client.get_subjects(subject_prefix="")  # the default context only
    # id 1 of the context is B; id 1 of the default context is whatever the registry had first
    fresh = SchemaRegistryClient({"url": server.url, "max.retries": 0})
    assert json.loads(fresh.get_schema(1, subject_name=qualified).schema_str)["title"] == "B"
    by_default = httpx.get(f"{server.url}/schemas/ids/{default_a}", timeout=10).json()
    assert json.loads(by_default["schema"])["title"] == "A"
    assert fresh.get_schema_versions(staged, subject_name=qualified)[0].subject == qualified
    # deleting the context's subject leaves the default context's alone
    client.delete_subject(qualified)
    client.delete_subject(qualified, permanent=True)
    with_hint = httpx.get(f"{server.url}/schemas/ids/1?subject={qualified}", timeout=10)
    assert with_hint.status_code == 404 and with_hint.json()["error_code"] == 40403
    assert client.get_latest_version(name).schema_id == default_b


def test_a_context_as_the_base_url(server: Server) -> None:
    context = f".base{uuid.uuid4().hex[:8]}"
    topic = f"pay-{uuid.uuid4().hex[:8]}"
    in_context = SchemaRegistryClient({"url": f"{server.url}/contexts/{context}", "max.retries": 0})
    serializer = JSONSerializer(A.schema_str, in_context)
    ctx = SerializationContext(topic, MessageField.VALUE)
    data = serializer({"a": 1}, ctx)
    assert data[1:5] == (1).to_bytes(4, "big")  # the first id of a new context
    assert JSONDeserializer(None, schema_registry_client=in_context)(data, ctx) == {"a": 1}
    everywhere = SchemaRegistryClient({"url": server.url, "max.retries": 0})
    assert everywhere.get_subjects(subject_prefix=f":{context}:") == [f":{context}:{topic}-value"]
    assert in_context.get_subjects() == [f":{context}:{topic}-value"]
    assert in_context.get_latest_version(f"{topic}-value").version == 1
    # a context has a config of its own that its subjects inherit
    in_context.set_compatibility(level="NONE")
    assert everywhere.get_compatibility(f":{context}:") == "NONE"
    raw = httpx.get(f"{server.url}/config/:{context}:{topic}-value?defaultToGlobal=true")
    assert raw.json()["compatibilityLevel"] == "NONE"


def test_a_malformed_context_is_refused(server: Server) -> None:
    client = SchemaRegistryClient({"url": server.url, "max.retries": 0})
    try:
        client.register_schema(":.bad\u0001:x", A)
        raise AssertionError("registered")
    except SchemaRegistryError as exc:
        assert (exc.http_status_code, exc.error_code) == (422, 42208)
    try:
        client.register_schema(":.staging:", A)
        raise AssertionError("registered")
    except SchemaRegistryError as exc:
        assert exc.error_code == 42208 and "context" in exc.error_message
