"""AVRO on the Confluent API, through confluent-kafka's own client and Avro serializers against a
real server on SQLite and PostgreSQL: a body without ``schemaType`` is AVRO (Confluent's
default), the serializers round-trip with ``use.latest.version`` and a rule set present, Avro's
resolution rules decide compatibility (the cases in tests/fixtures/avro_compat_cases.json, over
HTTP), identical schemas share an id, and Protobuf is refused naming the type."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import fastavro
import httpx
import pytest
from confluent_kafka.schema_registry import (
    Rule,
    RuleKind,
    RuleMode,
    RuleSet,
    Schema,
    SchemaRegistryClient,
)
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.schema_registry.error import SchemaRegistryError
from confluent_kafka.serialization import MessageField, SerializationContext, SerializationError

from .conftest import Server

cel = pytest.importorskip(
    "confluent_kafka.schema_registry.rules.cel.cel_executor",
    reason="confluent-kafka's CEL executor needs cel-python (the dev extra installs it)",
)
cel.CelExecutor.register()

CASES = json.loads(
    (Path(__file__).resolve().parents[2] / "fixtures" / "avro_compat_cases.json").read_text()
)["cases"]

V1 = {
    "type": "record",
    "name": "Payment",
    "namespace": "shop",
    "fields": [{"name": "id", "type": "string"}, {"name": "amount", "type": "double"}],
}
V2 = {  # BACKWARD-compatible: a field with a default
    **V1,
    "fields": [*V1["fields"], {"name": "currency", "type": "string", "default": "EUR"}],
}
V3 = {  # not: a field without a default
    **V1,
    "fields": [*V1["fields"], {"name": "payer", "type": "string"}],
}


@pytest.fixture
def client(server: Server) -> SchemaRegistryClient:
    return SchemaRegistryClient({"url": server.url, "max.retries": 0})


def post(server: Server, path: str, payload: dict[str, Any]) -> httpx.Response:
    return httpx.post(server.url + path, json=payload, timeout=10)


def test_a_body_without_schema_type_is_avro(server: Server, subject: str) -> None:
    created = post(server, f"/subjects/{subject}/versions", {"schema": json.dumps(V1)})
    assert created.status_code == 200, created.text
    version = httpx.get(f"{server.url}/subjects/{subject}/versions/1", timeout=10).json()
    assert "schemaType" not in version  # AVRO, which Confluent leaves out
    stored = httpx.get(f"{server.url}/schemas/ids/{created.json()['id']}", timeout=10).json()
    assert fastavro.parse_schema(json.loads(stored["schema"]))["name"] == "shop.Payment"
    # the same schema spelled differently (key order, whitespace) is the same schema and id
    respelled = json.dumps(dict(reversed(list(V1.items()))), indent=3)
    again = post(server, f"/subjects/{subject}/versions", {"schema": respelled})
    assert again.json() == created.json()
    found = post(server, f"/subjects/{subject}", {"schema": respelled, "schemaType": "AVRO"})
    assert found.status_code == 200 and found.json()["version"] == 1
    # a JSON Schema without schemaType is read as Avro, and refused as one
    refused = post(server, f"/subjects/{subject}/versions", {"schema": '{"type": "object"}'})
    assert refused.status_code == 422 and refused.json()["error_code"] == 42201
    assert "Avro" in refused.json()["message"]


def test_protobuf_is_refused_naming_the_type(server: Server, subject: str) -> None:
    proto = 'syntax = "proto3"; message M { string id = 1; }'
    refused = post(
        server, f"/subjects/{subject}/versions", {"schema": proto, "schemaType": "PROTOBUF"}
    )
    assert refused.status_code == 422, refused.text
    assert refused.json()["error_code"] == 42201
    assert "PROTOBUF" in refused.json()["message"]
    assert httpx.get(f"{server.url}/subjects/{subject}/versions", timeout=10).status_code == 404


def test_evregs_own_api_still_needs_a_schema_type(server: Server, subject: str) -> None:
    refused = post(server, f"/api/subjects/{subject}/check", {"schema": json.dumps(V1)})
    assert refused.status_code == 422 and refused.json()["error_code"] == 42201
    assert "schemaType" in refused.json()["message"]
    checked = post(
        server, f"/api/subjects/{subject}/check", {"schema": json.dumps(V1), "schemaType": "AVRO"}
    )
    assert checked.status_code == 200, checked.text


def test_avro_serializer_round_trip_with_latest_version_and_rules(
    client: SchemaRegistryClient, subject: str
) -> None:
    topic = subject.removesuffix("-value")
    not_negative = Rule(
        "amountNotNegative", None, RuleKind.CONDITION, RuleMode.WRITE, "CEL", None, None,
        "message.amount >= 0.0", None, None, None,
    )  # fmt: skip
    first = client.register_schema(
        subject, Schema(json.dumps(V1), "AVRO", [], None, RuleSet(None, [not_negative]))
    )
    latest = client.get_latest_version(subject)
    assert latest.schema_id == first and latest.schema.schema_type == "AVRO"
    assert latest.schema.rule_set is not None and latest.schema.rule_set.domain_rules
    serializer = AvroSerializer(
        client,
        json.dumps(V1),
        conf={"auto.register.schemas": False, "use.latest.version": True},
    )
    ctx = SerializationContext(topic, MessageField.VALUE)
    data = serializer({"id": "p1", "amount": 5.0}, ctx)
    assert data is not None and int.from_bytes(data[1:5], "big") == first
    assert AvroDeserializer(client)(data, ctx) == {"id": "p1", "amount": 5.0}
    with pytest.raises(SerializationError) as info:
        serializer({"id": "p2", "amount": -1.0}, ctx)  # the registry's rule, run by the client
    assert "message.amount >= 0.0" in str(info.value.__cause__)


def test_avro_evolution_by_resolution_rules(client: SchemaRegistryClient, subject: str) -> None:
    topic = subject.removesuffix("-value")
    ctx = SerializationContext(topic, MessageField.VALUE)
    old_producer = AvroSerializer(client, json.dumps(V1))  # auto-registers, no schemaType sent
    data = old_producer({"id": "p1", "amount": 2.5}, ctx)
    assert client.test_compatibility(subject, Schema(json.dumps(V2), "AVRO"))
    second = client.register_schema(subject, Schema(json.dumps(V2), "AVRO"))
    # a consumer on v2 reads v1's event: the default fills the new field
    reader = AvroDeserializer(client, json.dumps(V2))
    assert reader(data, ctx) == {"id": "p1", "amount": 2.5, "currency": "EUR"}
    assert not client.test_compatibility(subject, Schema(json.dumps(V3), "AVRO"))
    with pytest.raises(SchemaRegistryError) as info:
        client.register_schema(subject, Schema(json.dumps(V3), "AVRO"))
    assert info.value.http_status_code == 409
    assert "AVRO_FIELD_ADDED_WITHOUT_DEFAULT" in info.value.error_message
    assert client.get_latest_version(subject).schema_id == second


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_avro_compatibility_cases_over_http(server: Server, subject: str, case: Any) -> None:
    def put_config(level: str) -> None:
        answer = httpx.put(
            f"{server.url}/config/{subject}", json={"compatibility": level}, timeout=10
        )
        assert answer.status_code == 200, answer.text

    put_config("NONE")
    created = post(server, f"/subjects/{subject}/versions", {"schema": json.dumps(case["old"])})
    assert created.status_code == 200, created.text
    put_config(case["level"])
    verdict = post(
        server,
        f"/compatibility/subjects/{subject}/versions/latest?verbose=true",
        {"schema": json.dumps(case["new"])},
    )
    assert verdict.status_code == 200, verdict.text
    assert verdict.json()["is_compatible"] is case["compatible"], verdict.json()


def asyncapi(address: str, payload: Any) -> str:
    return json.dumps(
        {
            "asyncapi": "3.0.0",
            "info": {"title": f"payments {address}", "version": "1.0.0"},
            "channels": {
                "payments": {
                    "address": address,
                    "messages": {"Paid": {"$ref": "#/components/messages/Paid"}},
                }
            },
            "operations": {"pay": {"action": "send", "channel": {"$ref": "#/channels/payments"}}},
            "components": {
                "messages": {
                    "Paid": {
                        "payload": {
                            "schemaFormat": "application/vnd.apache.avro;version=1.9.0",
                            "schema": payload,
                        }
                    }
                }
            },
        }
    )


def test_an_asyncapi_avro_payload_is_an_avro_payload_subject(
    client: SchemaRegistryClient, server: Server, subject: str
) -> None:
    topic = subject.removesuffix("-value")
    contract = subject.replace("-value", "-contract")
    pushed = post(
        server,
        f"/subjects/{contract}/versions",
        {"schema": asyncapi(topic, V1), "schemaType": "ASYNCAPI"},
    )
    assert pushed.status_code == 200, pushed.text
    latest = client.get_latest_version(f"{topic}-value")
    assert latest.schema.schema_type == "AVRO"
    assert json.loads(latest.schema.schema_str) == V1
    ctx = SerializationContext(topic, MessageField.VALUE)
    producer = AvroSerializer(
        client, json.dumps(V1), conf={"auto.register.schemas": False, "use.latest.version": True}
    )
    data = producer({"id": "p1", "amount": 1.0}, ctx)
    assert AvroDeserializer(client)(data, ctx) == {"id": "p1", "amount": 1.0}
    # a contract whose Avro payload a v1 reader cannot read is refused, naming the payload
    refused = post(
        server,
        f"/subjects/{contract}/versions",
        {"schema": asyncapi(topic, V3), "schemaType": "ASYNCAPI"},
    )
    assert refused.status_code == 409, refused.text
    assert "AVRO_FIELD_ADDED_WITHOUT_DEFAULT" in refused.text
    assert "/components/messages/Paid/payload/schema/fields/2" in refused.text


def test_the_ui_shows_an_avro_schema_and_its_fields(server: Server, subject: str) -> None:
    created = post(server, f"/subjects/{subject}/versions", {"schema": json.dumps(V2)})
    assert created.status_code == 200, created.text
    page = httpx.get(f"{server.url}/ui/subjects/{subject}/versions/1", timeout=10)
    assert page.status_code == 200
    text = page.text
    assert 'class="type type-avro">Avro<' in text and "Dialect" not in text
    for field in ("id", "amount", "currency"):  # the record's fields, in the property table
        assert f">{field}<" in text


def test_avro_references_define_named_types(server: Server, subject: str) -> None:
    status_subject = subject.replace("-value", "-status")
    status = {"type": "enum", "name": "Status", "namespace": "shop", "symbols": ["NEW", "PAID"]}
    post(server, f"/subjects/{status_subject}/versions", {"schema": json.dumps(status)})
    order = {
        "type": "record",
        "name": "Order",
        "namespace": "shop",
        "fields": [{"name": "id", "type": "long"}, {"name": "status", "type": "shop.Status"}],
    }
    reference = [{"name": "shop.Status", "subject": status_subject, "version": 1}]
    created = post(
        server,
        f"/subjects/{subject}/versions",
        {"schema": json.dumps(order), "references": reference},
    )
    assert created.status_code == 200, created.text
    # without the reference the named type is unknown: refused naming it
    alone = post(server, f"/subjects/{subject}/versions", {"schema": json.dumps(order)})
    assert alone.status_code == 422 and "shop.Status" in alone.json()["message"]
    # a second version of the enum without PAID: an order referencing it cannot read old orders
    fewer = {**status, "symbols": ["NEW"]}
    httpx.put(f"{server.url}/config/{status_subject}", json={"compatibility": "NONE"}, timeout=10)
    second = post(server, f"/subjects/{status_subject}/versions", {"schema": json.dumps(fewer)})
    assert second.status_code == 200, second.text
    moved = [{"name": "shop.Status", "subject": status_subject, "version": 2}]
    verdict = post(
        server,
        f"/compatibility/subjects/{subject}/versions/latest?verbose=true",
        {"schema": json.dumps(order), "references": moved},
    )
    assert verdict.status_code == 200, verdict.text
    assert verdict.json()["is_compatible"] is False
    assert "AVRO_ENUM_SYMBOL_REMOVED" in json.dumps(verdict.json())
