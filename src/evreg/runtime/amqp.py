"""AMQP 0-9-1 transport for RabbitMQ (aio-pika, ``pip install "evreg[amqp]"``).

Messages are published persistent to a durable topic exchange (``evreg`` by default) with the
subject as routing key, with publisher confirms: ``publish`` returns once the broker has the
message. A subscription binds a queue to the subject (AMQP wildcards: a NATS-style ``>`` is
turned into ``#``): with a ``group``, a durable queue of that name shared by every member of
the group; without, an exclusive queue that goes away with the connection. A message is acked
after its handler returns; when the handler raises, it is requeued once (``redelivered`` is all
a classic queue tells), or up to ``x-delivery-count`` on a quorum queue, then dropped with an
error log (the consumer dead-letters it first).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping
from typing import Any

from evreg.runtime.transport import Delivery, DeliveryHandler, MissingExtraError, TransportError

log = logging.getLogger("evreg.runtime.amqp")


def _client() -> Any:
    try:
        import aio_pika
    except ImportError as exc:
        raise MissingExtraError("aio-pika", "amqp") from exc
    return aio_pika


def routing_key(subject: str) -> str:
    """A NATS-style subject pattern as an AMQP topic binding (``>`` -> ``#``)."""
    return ".".join("#" if token == ">" else token for token in subject.split("."))


class _AmqpSubscription:
    def __init__(self, transport: AmqpTransport, queue: Any) -> None:
        self.transport = transport
        self.queue = queue
        self.tag: Any = None
        self.busy = 0
        self.idle = asyncio.Event()
        self.idle.set()

    async def stop(self) -> None:
        if self.tag is not None:
            with contextlib.suppress(Exception):
                await self.queue.cancel(self.tag)
            self.tag = None
        await self.idle.wait()
        with contextlib.suppress(ValueError):
            self.transport.subscriptions.remove(self)


class AmqpTransport:
    def __init__(
        self,
        connection: Any,
        channel: Any,
        exchange: Any,
        *,
        max_deliveries: int = 3,
    ) -> None:
        self.connection = connection
        self.channel = channel
        self.exchange = exchange
        self.max_deliveries = max_deliveries
        self.subscriptions: list[_AmqpSubscription] = []

    @classmethod
    async def connect(
        cls,
        url: str = "amqp://guest:guest@127.0.0.1:5672/",
        *,
        exchange: str = "evreg",
        prefetch: int = 16,
        max_deliveries: int = 3,
    ) -> AmqpTransport:
        aio_pika = _client()
        try:
            connection = await aio_pika.connect_robust(url)
            channel = await connection.channel(publisher_confirms=True)
            await channel.set_qos(prefetch_count=prefetch)
            topic = await channel.declare_exchange(
                exchange, aio_pika.ExchangeType.TOPIC, durable=True
            )
        except Exception as exc:
            raise TransportError(f"cannot connect to AMQP at {url}: {exc}") from exc
        return cls(connection, channel, topic, max_deliveries=max_deliveries)

    async def publish(self, subject: str, body: bytes, headers: Mapping[str, str]) -> None:
        aio_pika = _client()
        message = aio_pika.Message(
            body,
            headers=dict(headers),
            content_type=headers.get("content-type"),
            delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
        )
        try:
            await self.exchange.publish(message, routing_key=subject)
        except Exception as exc:
            raise TransportError(f"AMQP publish to {subject} failed: {exc}") from exc

    async def subscribe(
        self, subject: str, handler: DeliveryHandler, *, group: str | None = None
    ) -> _AmqpSubscription:
        try:
            if group:
                queue = await self.channel.declare_queue(group, durable=True)
            else:
                queue = await self.channel.declare_queue(exclusive=True, auto_delete=True)
            await queue.bind(self.exchange, routing_key=routing_key(subject))
        except Exception as exc:
            raise TransportError(f"AMQP subscribe to {subject} failed: {exc}") from exc
        subscription = _AmqpSubscription(self, queue)

        async def on_message(message: Any) -> None:
            subscription.busy += 1
            subscription.idle.clear()
            try:
                await self._handle(message, handler)
            finally:
                subscription.busy -= 1
                if not subscription.busy:
                    subscription.idle.set()

        subscription.tag = await queue.consume(on_message, no_ack=False)
        self.subscriptions.append(subscription)
        return subscription

    async def _handle(self, message: Any, handler: DeliveryHandler) -> None:
        raw = message.headers or {}
        headers = {
            k: (v.decode() if isinstance(v, bytes) else str(v))
            for k, v in raw.items()
            if isinstance(v, str | bytes | int)
        }
        count = raw.get("x-delivery-count")
        if isinstance(count, int):  # quorum queues count deliveries
            attempt = count + 1
            redeliverable = attempt < self.max_deliveries
        else:
            attempt = 2 if message.redelivered else 1
            redeliverable = not message.redelivered and self.max_deliveries > 1
        delivery = Delivery(
            message.routing_key or "", message.body, headers, attempt, redeliverable
        )
        try:
            await handler(delivery)
        except Exception:
            if redeliverable:
                await message.nack(requeue=True)
                return
            log.exception("handler failed on %s; message dropped", delivery.subject)
            await message.reject(requeue=False)
            return
        await message.ack()

    async def close(self) -> None:
        for subscription in list(self.subscriptions):
            await subscription.stop()
        with contextlib.suppress(Exception):
            await self.connection.close()
