"""The Kafka transport against a real Kafka-protocol broker (Tansu, see conftest.py), read back
with Confluent's own client and deserializer, and a real evreg registry for schema ids."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from confluent_kafka import OFFSET_BEGINNING, Consumer, Producer, TopicPartition
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.json_schema import JSONDeserializer, JSONSerializer
from confluent_kafka.serialization import MessageField, SerializationContext

from evreg.runtime.kafka import KafkaTransport, unframe
from evreg.runtime.schema_ids import RegistrySchemaIds
from servers import RegistryProcess

from .cluster import FIXTURE, generate

pytestmark = pytest.mark.services


def read_all(bootstrap: str, topic: str, count: int, timeout: float = 30.0) -> list[Any]:
    """The records of ``topic`` from its start. Its partitions are assigned to the reader (no
    consumer group): a group join costs half the session timeout on Tansu."""
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"reader-{uuid.uuid4().hex}"})
    out: list[Any] = []
    deadline = time.monotonic() + timeout
    try:
        partitions: list[int] = []
        while not partitions and time.monotonic() < deadline:
            metadata = consumer.list_topics(topic, timeout=timeout).topics[topic]
            partitions = [] if metadata.error else sorted(metadata.partitions)
        consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in partitions])
        while len(out) < count and time.monotonic() < deadline:
            message = consumer.poll(0.2)
            if message is not None and not message.error():
                out.append(message)
    finally:
        consumer.close()
    return out


def registered(
    tmp_path: Path, registry_process: Callable[..., RegistryProcess]
) -> tuple[Any, str, str, dict[str, Any]]:
    """The parcels package with this test's addresses, a registry holding the contract (and
    so its payload subjects), the `delivered` address and its payload subject's latest."""
    uid = uuid.uuid4().hex[:10]
    delivered = f"parcels.{uid}.delivered"
    package = generate(tmp_path, (f"parcels.{uid}.scanned.{{hub}}", delivered))
    server = registry_process(f"sqlite:///{tmp_path / 'registry.db'}")
    text = FIXTURE.read_text().replace("SCANNED", f"parcels.{uid}.scanned.{{hub}}")
    text = text.replace("DELIVERED", delivered)
    pushed = httpx.post(
        f"{server.url}/subjects/parcels-{uid}/versions",
        json={"schema": text, "schemaType": "ASYNCAPI"},
    )
    assert pushed.status_code == 200, pushed.text
    latest = httpx.get(f"{server.url}/subjects/{delivered}-value/versions/latest").json()
    return package, server.url, delivered, latest


def test_the_schema_id_is_looked_up_at_run_time_and_framed_for_confluent(
    kafka_bootstrap: str, tmp_path: Path, registry_process: Callable[..., RegistryProcess]
) -> None:
    package, registry_url, delivered, latest = registered(tmp_path, registry_process)
    parcel = package.models.Parcel(parcel_id="p1", seq=1, mode="ok")

    async def publish() -> Any:
        producer = package.Producer(
            KafkaTransport({"bootstrap.servers": kafka_bootstrap}), registry=registry_url
        )
        try:
            return await producer.parcel_delivered(parcel)
        finally:
            await producer.close()

    published = asyncio.run(publish())
    assert published.headers["evreg-schema-id"] == str(latest["id"])

    async def unknown() -> int | None:
        ids = RegistrySchemaIds(registry_url)
        try:
            return await ids.id_for("no.such.channel")
        finally:
            await ids.close()

    assert asyncio.run(unknown()) is None  # then the id generated into the code is sent
    [record] = read_all(kafka_bootstrap, delivered, 1)
    schema_id, body = unframe(record.value())
    assert schema_id == latest["id"] and body == published.body
    # Confluent's deserializer fetches the writer schema by the framed id from the registry
    deserialize = JSONDeserializer(
        None, schema_registry_client=SchemaRegistryClient({"url": registry_url, "max.retries": 0})
    )
    value = deserialize(record.value(), SerializationContext(delivered, MessageField.VALUE))
    assert value == {"parcelId": "p1", "seq": 1, "mode": "ok"}
    headers = dict(record.headers())
    assert headers["evreg-message"] == b"ParcelDelivered" and b"traceparent" not in headers


def test_sends_are_batched_with_a_result_per_record(kafka_bootstrap: str) -> None:
    topic = f"batch.{uuid.uuid4().hex[:10]}"

    async def send_all() -> list[Any]:
        transport = KafkaTransport({"bootstrap.servers": kafka_bootstrap})
        try:
            futures = [
                transport.send(
                    topic, json.dumps({"n": n}).encode(), {"n": str(n)}, key=f"k{n % 7}".encode()
                )
                for n in range(300)
            ]
            return list(await asyncio.gather(*futures))
        finally:
            await transport.close()

    results = asyncio.run(send_all())
    assert len({(r.partition, r.offset) for r in results}) == 300
    records = read_all(kafka_bootstrap, topic, 300)
    assert len(records) == 300
    by_key: dict[bytes, set[int]] = {}
    for record in records:
        by_key.setdefault(record.key(), set()).add(record.partition())
        position = results[int(dict(record.headers())["n"])]
        assert (position.partition, position.offset) == (record.partition(), record.offset())
    assert all(len(partitions) == 1 for partitions in by_key.values())  # a key, a partition


def test_a_generated_consumer_reads_what_confluents_serializer_wrote(
    kafka_bootstrap: str, tmp_path: Path, registry_process: Callable[..., RegistryProcess]
) -> None:
    package, registry_url, delivered, latest = registered(tmp_path, registry_process)
    serialize = JSONSerializer(
        latest["schema"],
        SchemaRegistryClient({"url": registry_url, "max.retries": 0}),
        conf={"auto.register.schemas": False, "use.latest.version": True},
    )
    value = serialize(
        {"parcelId": "p9", "seq": 9, "mode": "ok"},
        SerializationContext(delivered, MessageField.VALUE),
    )
    producer = Producer({"bootstrap.servers": kafka_bootstrap})
    producer.produce(
        delivered,
        value=value,
        key=b"p9",
        headers=[("correlationId", b"c-9"), ("eventId", str(uuid.uuid4()).encode())],
    )
    assert producer.flush(30) == 0

    async def consume() -> list[tuple[Any, str, str]]:
        transport = KafkaTransport(
            {"bootstrap.servers": kafka_bootstrap}, consumer_config={"session.timeout.ms": 6000}
        )
        consumer = package.Consumer(transport, group=f"g-{uuid.uuid4().hex[:8]}")
        got: list[tuple[Any, str, str]] = []

        @consumer.on_parcel_delivered
        async def handle(parcel: Any) -> None:
            received = package.current_message()
            got.append((parcel, received.headers["evreg-schema-id"], received.headers["eventId"]))

        async with consumer:
            for _ in range(300):
                if got:
                    break
                await asyncio.sleep(0.1)
        await transport.close()
        return got

    [(parcel, schema_id, _)] = asyncio.run(consume())
    assert (parcel.parcel_id, parcel.seq, parcel.mode.value) == ("p9", 9, "ok")
    assert schema_id == str(latest["id"])  # the frame Confluent's serializer wrote, read back


def test_a_failing_record_is_redelivered_then_dead_lettered_on_a_topic(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    uid = uuid.uuid4().hex[:10]
    delivered = f"parcels.{uid}.delivered"
    package = generate(tmp_path, (f"parcels.{uid}.scanned.{{hub}}", delivered))
    group = f"g-{uid}"
    prefix = f"evregtest.{uid}.dlq"

    async def scenario() -> tuple[list[tuple[str, int]], Any]:
        config = {"bootstrap.servers": kafka_bootstrap}
        transport = KafkaTransport(
            config, consumer_config={"session.timeout.ms": 6000}, dead_letter_prefix=prefix
        )
        consumer = package.Consumer(transport, group=group, max_attempts=3)
        attempts: list[tuple[str, int]] = []

        @consumer.on_parcel_delivered
        async def handle(parcel: Any) -> None:
            received = package.current_message()
            attempts.append((parcel.parcel_id, received.attempt))
            if parcel.mode.value == "poison":
                raise RuntimeError(f"poison parcel {parcel.parcel_id}")

        producer = package.Producer(KafkaTransport(config))
        sent = await producer.parcel_delivered(
            package.models.Parcel(parcel_id="bad", seq=1, mode="poison")
        )
        await producer.parcel_delivered(package.models.Parcel(parcel_id="good", seq=2, mode="ok"))
        await producer.close()
        async with consumer:
            for _ in range(400):
                if ("good", 1) in attempts and ("bad", 3) in attempts:
                    await asyncio.sleep(0.5)  # a fourth attempt would come now
                    break
                await asyncio.sleep(0.1)
        await transport.close()
        return attempts, sent

    attempts, sent = asyncio.run(scenario())
    # without a key the two records may sit in different partitions: no order between them
    assert [n for p, n in attempts if p == "bad"] == [1, 2, 3]
    assert [n for p, n in attempts if p == "good"] == [1]
    [letter] = read_all(kafka_bootstrap, f"{prefix}.{group}.{delivered}", 1)
    assert letter.value() == sent.body  # no schema id here: the value is the bare JSON
    headers = {k: v.decode() for k, v in letter.headers()}
    assert headers["eventId"] == sent.headers["eventId"]
    assert headers["evreg-dead-letter-reason"] == "handler-failed"
    assert headers["evreg-dead-letter-error"] == "RuntimeError: poison parcel bad"
    assert headers["evreg-dead-letter-attempts"] == "3"
    assert headers["evreg-dead-letter-subject"] == delivered
