"""What a channel's bindings ask (``ChannelOptions``) reaches the real broker: an AMQP exchange
of its own, MQTT QoS and retain; checked with the bare client libraries."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from typing import Any
from urllib.parse import urlsplit

import aio_pika
import aiomqtt
import pytest
from pydantic import BaseModel

from evreg.runtime import BaseConsumer, BaseProducer, ChannelOptions, MessageSpec, OperationSpec
from evreg.runtime.amqp import AmqpTransport
from evreg.runtime.mqtt import MqttTransport

pytestmark = pytest.mark.services


class Ping(BaseModel):
    n: int


def ping_spec(address: str, options: ChannelOptions) -> OperationSpec:
    return OperationSpec("sendPing", address, (MessageSpec("Ping", Ping),), options=options)


class Producer(BaseProducer):
    def __init__(self, transport: Any, spec: OperationSpec) -> None:
        super().__init__(transport)
        self.spec = spec

    async def ping(self, event: Ping) -> Any:
        return await self._send(self.spec, event)


class Consumer(BaseConsumer):
    def on_ping(self, spec: OperationSpec, handler: Any) -> None:
        self._register(spec, handler)


def test_an_amqp_binding_names_the_exchange(amqp_url: str) -> None:
    uid = uuid.uuid4().hex[:10]
    own, default = f"evreg-test-own-{uid}", f"evreg-test-{uid}"
    spec = ping_spec(f"pings.{uid}", ChannelOptions(exchange=own))

    async def scenario() -> tuple[list[int], bytes | None]:
        transport = await AmqpTransport.connect(amqp_url, exchange=default)
        connection = await aio_pika.connect(amqp_url)
        channel = await connection.channel()
        got: list[int] = []
        consumer = Consumer(transport, group=f"g-{uid}")

        async def handle(ping: Ping) -> None:
            got.append(ping.n)

        consumer.on_ping(spec, handle)
        try:
            await consumer.start()
            witness = await channel.declare_queue(exclusive=True)
            await witness.bind(own, routing_key=f"pings.{uid}")
            await Producer(transport, spec).ping(Ping(n=7))
            for _ in range(100):
                if got:
                    break
                await asyncio.sleep(0.05)
            seen = await witness.get(no_ack=True, fail=False)
            return got, None if seen is None else seen.body
        finally:
            await consumer.stop()
            for queue in (f"g-{uid}__pings-{uid}", f"g-{uid}__pings-{uid}.dlq"):
                with contextlib.suppress(Exception):
                    await channel.queue_delete(queue)
            for exchange in (own, default, f"{default}.dlx"):
                with contextlib.suppress(Exception):
                    await channel.exchange_delete(exchange)
            await connection.close()
            await transport.close()

    got, seen = asyncio.run(asyncio.wait_for(scenario(), 60))
    assert got == [7]  # the group's queue is bound to the binding's exchange
    assert seen == b'{"n":7}'  # and the message went through that exchange


def test_mqtt_qos_and_retain_come_from_the_binding(mqtt_url: str) -> None:
    uid = uuid.uuid4().hex[:10]
    url = urlsplit(mqtt_url)
    host, port = url.hostname or "127.0.0.1", url.port or 1883
    retained = ping_spec(f"pings/{uid}/state", ChannelOptions(qos=0, retain=True))

    async def scenario() -> tuple[int, bool, bytes]:
        transport = await MqttTransport.connect(mqtt_url)
        try:
            await Producer(transport, retained).ping(Ping(n=3))
        finally:
            await transport.close()
        # a subscriber that connects afterwards gets the retained message
        async with aiomqtt.Client(host, port, protocol=aiomqtt.ProtocolVersion.V5) as client:
            await client.subscribe(f"pings/{uid}/state", qos=1)
            message = await asyncio.wait_for(anext(aiter(client.messages)), 10)
            await client.publish(f"pings/{uid}/state", b"", retain=True)  # clear it
        return message.qos, message.retain, bytes(message.payload)

    qos, retain, payload = asyncio.run(asyncio.wait_for(scenario(), 60))
    assert (qos, retain, payload) == (0, True, b'{"n":3}')


def test_jetstream_without_a_group_gets_events_from_now_on(nats_url: str) -> None:
    """Like a consumer without a group on every other broker: no replay of the stream."""
    from evreg.runtime.nats import NatsTransport

    uid = uuid.uuid4().hex[:10]
    spec = ping_spec(f"pings.{uid}", ChannelOptions())

    async def scenario() -> list[int]:
        transport = await NatsTransport.connect(nats_url, jetstream=True)
        await transport.ensure_stream(f"EVREG_TEST_{uid}", [f"pings.{uid}"])
        got: list[int] = []
        consumer = Consumer(transport)

        async def handle(ping: Ping) -> None:
            got.append(ping.n)

        consumer.on_ping(spec, handle)
        producer = Producer(transport, spec)
        try:
            await producer.ping(Ping(n=1))  # stored before the consumer exists
            await consumer.start()
            await producer.ping(Ping(n=2))
            for _ in range(100):
                if got:
                    break
                await asyncio.sleep(0.05)
            await asyncio.sleep(0.3)
            return got
        finally:
            await consumer.stop()
            assert transport.jetstream is not None
            await transport.jetstream.delete_stream(f"EVREG_TEST_{uid}")
            await transport.close()

    assert asyncio.run(asyncio.wait_for(scenario(), 60)) == [2]
