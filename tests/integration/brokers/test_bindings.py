"""The AsyncAPI bindings of a contract, honoured by the code generated from it, over the real
brokers and read back with their bare client libraries (the oracle): Kafka keys (a payload
field, a fixed key, a key the caller gives), an AMQP exchange of its own type with a named queue
and routing keys, MQTT QoS and retain.

The contract is ``tests/fixtures/runtime/bindings.asyncapi.yaml`` with this test's own names.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import sys
import uuid
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import urlsplit

import pytest

import evreg
from evreg.codegen import SourceContract, plan_python, write_package

pytestmark = pytest.mark.services

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "runtime" / "bindings.asyncapi.yaml"


def bound(tmp_path: Path) -> tuple[ModuleType, str]:
    uid = uuid.uuid4().hex[:10]
    contract = evreg.load_contract(FIXTURE.read_text().replace("UID", uid), name="bound.yaml")
    package = f"bound_{uid}"
    write_package(
        plan_python([SourceContract(contract, "bound", "bound")], package=package), tmp_path
    )
    sys.path.insert(0, str(tmp_path))
    try:
        return importlib.import_module(package), uid
    finally:
        sys.path.remove(str(tmp_path))


def test_kafka_keys_come_from_the_bindings(kafka_bootstrap: str, tmp_path: Path) -> None:
    from evreg.runtime.kafka import KafkaTransport

    from .test_kafka import read_all

    package, uid = bound(tmp_path)
    models = package.models

    async def publish() -> list[Any]:
        producer = package.Producer(KafkaTransport({"bootstrap.servers": kafka_bootstrap}))
        try:
            return [
                await producer.reading(models.Reading(sensor_id="s-17", value=1.5)),
                await producer.reading(models.Reading(sensor_id="s-9", value=2), key="mine"),
                await producer.fixed(models.Note(text="a")),
                await producer.given(models.Note(text="b"), key="k-given"),
            ]
        finally:
            await producer.close()

    sent = asyncio.run(publish())
    assert [p.key for p in sent] == ["s-17", "mine", "all-notes", "k-given"]
    keyed = read_all(kafka_bootstrap, f"bound.{uid}.keyed", 2)
    assert sorted(r.key() for r in keyed) == [b"mine", b"s-17"]
    [fixed] = read_all(kafka_bootstrap, f"bound.{uid}.fixed", 1)
    [given] = read_all(kafka_bootstrap, f"bound.{uid}.given", 1)
    assert (fixed.key(), given.key()) == (b"all-notes", b"k-given")
    with pytest.raises(TypeError, match="key"):  # the contract's key has no value: give one
        asyncio.run(package.Producer().given(models.Note(text="c")))


def test_an_amqp_binding_names_the_exchange_its_type_the_queue_and_the_routing_keys(
    amqp_url: str, tmp_path: Path
) -> None:
    import aio_pika

    from evreg.runtime.amqp import AmqpTransport

    package, uid = bound(tmp_path)
    exchange, queue = f"bound-{uid}-direct", f"bound-{uid}-queue"
    default = f"evreg-test-{uid}"

    async def scenario() -> tuple[list[str], dict[str, bytes | None], Any]:
        connection = await aio_pika.connect(amqp_url)
        channel = await connection.channel()
        transport = await AmqpTransport.connect(amqp_url, exchange=default)
        consumer = package.Consumer(transport)  # no group: the binding's queue
        got: list[str] = []

        @consumer.on_routed
        async def handle(note: Any) -> None:
            got.append(note.text)

        witnesses: dict[str, Any] = {}
        try:
            await consumer.start()
            for key in ("route-a", "route-b"):
                witnesses[key] = await channel.declare_queue(exclusive=True)
                await witnesses[key].bind(exchange, routing_key=f"bound.{uid}.{key}")
            await package.Producer(transport).routed(package.models.Note(text="routed"))
            for _ in range(200):
                if got:
                    break
                await asyncio.sleep(0.05)
            seen = {}
            for key, witness in witnesses.items():
                message = await witness.get(no_ack=True, fail=False)
                seen[key] = None if message is None else message.body
            declared = await channel.get_queue(queue, ensure=True)  # the binding's own queue
            return got, seen, declared.name
        finally:
            await consumer.stop()
            await transport.close()
            for leftover in (queue, f"{queue}.dlq"):
                with contextlib.suppress(Exception):
                    await channel.queue_delete(leftover)
            for leftover in (exchange, default, f"{default}.dlx"):
                with contextlib.suppress(Exception):
                    await channel.exchange_delete(leftover)
            await connection.close()

    got, seen, declared = asyncio.run(asyncio.wait_for(scenario(), 60))
    assert got == ["routed"]  # the consumer read the binding's queue, bound by both keys
    # published to the direct exchange with the first key, the second in CC
    assert seen == {"route-a": b'{"text":"routed"}', "route-b": b'{"text":"routed"}'}
    assert declared == queue


def test_mqtt_qos_and_retain_come_from_the_operation_binding(mqtt_url: str, tmp_path: Path) -> None:
    import aiomqtt

    from evreg.runtime.mqtt import MqttTransport

    package, uid = bound(tmp_path)
    url = urlsplit(mqtt_url)
    topic = f"bound/{uid}/state"

    async def scenario() -> tuple[int, bool, bytes]:
        transport = await MqttTransport.connect(mqtt_url)
        try:
            await package.Producer(transport).state(package.models.Note(text="on"))
        finally:
            await transport.close()
        async with aiomqtt.Client(
            url.hostname or "127.0.0.1", url.port or 1883, protocol=aiomqtt.ProtocolVersion.V5
        ) as client:
            await client.subscribe(topic, qos=2)
            message = await asyncio.wait_for(anext(aiter(client.messages)), 10)
            await client.publish(topic, b"", retain=True)  # clear it
        return message.qos, message.retain, bytes(message.payload)

    qos, retain, payload = asyncio.run(asyncio.wait_for(scenario(), 60))
    assert (qos, retain, payload) == (2, True, b'{"text":"on"}')
