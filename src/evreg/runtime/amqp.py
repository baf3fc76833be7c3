"""AMQP 0-9-1 transport for RabbitMQ (aio-pika, ``pip install "evreg[amqp]"``).

Messages are published persistent to a durable topic exchange (``evreg`` by default, or the one
a channel's AMQP binding names: ``ChannelOptions.exchange`` and ``exchange_type``) with the
subject as routing key (or the binding's ``routing_keys``: the first, the others in ``CC``),
with publisher confirms: ``publish`` returns once the broker has the message. A subscription
with a group is a durable quorum queue named after the (group, channel) subscription, bound
to the channel's pattern (``*`` one token; a NATS-style ``>`` is
bound as ``#``) and shared by the group's members; without a group, an exclusive queue that
goes away with the connection, unless the channel's binding names a queue
(``ChannelOptions.queue``): then that durable queue, shared by every consumer without a group.
Each member handles its queue's messages one at a time, in
order (prefetch ``prefetch``). A message is acked after its handler returns; when the handler
raises it is returned to the queue (``nack(requeue=True)``), and the quorum queue counts its
deliveries (``x-delivery-count``).

Dead letters go to the direct exchange ``<exchange>.dlx`` with the subscription's name as
routing key, into the durable queue ``<name>.dlq`` bound there: the consumer publishes them
(original body and headers plus the ``evreg-dead-letter-*`` headers, confirm awaited) before
it acks; and the queue's own ``x-dead-letter-exchange`` / ``x-delivery-limit`` send a message
there too when it was delivered ``max_attempts + 1`` times with no outcome (RabbitMQ's
``x-death`` header then says why). A consumer without a group dead-letters with the routing key
``_`` into the durable queue ``<exchange>.dlq`` (declared with its first dead letter), so its
dead letters are kept too.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping
from typing import Any

from evreg.runtime.transport import (
    ChannelOptions,
    Delivery,
    DeliveryHandler,
    MissingExtraError,
    TransportError,
)

log = logging.getLogger("evreg.runtime.amqp")

NO_GROUP = "_"  # the dead-letter routing key of a subscription without a group


def _client() -> Any:
    try:
        import aio_pika
    except ImportError as exc:
        raise MissingExtraError("aio-pika", "amqp") from exc
    return aio_pika


def routing_key(subject: str) -> str:
    """A NATS-style subject pattern as an AMQP topic binding (``>`` -> ``#``)."""
    return ".".join("#" if token == ">" else token for token in subject.split("."))


def _text(value: Any) -> str | None:
    if isinstance(value, bytes):
        return value.decode(errors="replace")
    if isinstance(value, str | int) and not isinstance(value, bool):
        return str(value)
    return None


class _AmqpSubscription:
    """A consumer on one queue: the broker's deliveries wait in ``inbox`` and one task handles
    them in order."""

    def __init__(self, transport: AmqpTransport, queue: Any) -> None:
        self.transport = transport
        self.queue = queue
        self.tag: Any = None
        self.inbox: asyncio.Queue[Any] = asyncio.Queue()
        self.task: asyncio.Task[None] | None = None

    async def stop(self) -> None:
        """Cancel the consumer, finish the message being handled, hand back the waiting ones."""
        if self.tag is not None:
            with contextlib.suppress(Exception):
                await self.queue.cancel(self.tag)
            self.tag = None
        self.inbox.put_nowait(None)
        if self.task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self.task
        while not self.inbox.empty():
            message = self.inbox.get_nowait()
            if message is not None:
                with contextlib.suppress(Exception):
                    await message.nack(requeue=True)
        with contextlib.suppress(ValueError):
            self.transport.subscriptions.remove(self)


class AmqpTransport:
    system = "rabbitmq"

    def __init__(
        self, connection: Any, channel: Any, exchange: Any, dead_letters: Any, *, prefetch: int
    ) -> None:
        self.connection = connection
        self.channel = channel
        self.exchange = exchange
        self.dead_letters = dead_letters
        self.prefetch = prefetch
        self.subscriptions: list[_AmqpSubscription] = []
        self._exchanges: dict[str, Any] = {exchange.name: exchange}
        self._no_group_dlq = False

    @classmethod
    async def connect(
        cls,
        url: str = "amqp://guest:guest@127.0.0.1:5672/",
        *,
        exchange: str = "evreg",
        prefetch: int = 16,
    ) -> AmqpTransport:
        aio_pika = _client()
        try:
            connection = await aio_pika.connect_robust(url)
            channel = await connection.channel(publisher_confirms=True)
            await channel.set_qos(prefetch_count=prefetch)
            topic = await channel.declare_exchange(
                exchange, aio_pika.ExchangeType.TOPIC, durable=True
            )
            dlx = await channel.declare_exchange(
                f"{exchange}.dlx", aio_pika.ExchangeType.DIRECT, durable=True
            )
        except Exception as exc:
            raise TransportError(f"cannot connect to AMQP at {url}: {exc}") from exc
        return cls(connection, channel, topic, dlx, prefetch=prefetch)

    async def _exchange(self, options: ChannelOptions | None) -> Any:
        """The transport's exchange, or the one a channel's AMQP binding names (declared
        durable the first time, of the binding's type, else a topic exchange)."""
        name = options.exchange if options is not None and options.exchange else None
        if name is None:
            return self.exchange
        if name not in self._exchanges:
            aio_pika = _client()
            kind = aio_pika.ExchangeType(
                options.exchange_type if options and options.exchange_type else "topic"
            )
            self._exchanges[name] = await self.channel.declare_exchange(name, kind, durable=True)
        return self._exchanges[name]

    async def publish(
        self,
        subject: str,
        body: bytes,
        headers: Mapping[str, str],
        options: ChannelOptions | None = None,
    ) -> None:
        try:
            exchange = await self._exchange(options)
        except Exception as exc:
            raise TransportError(f"AMQP exchange for {subject}: {exc}") from exc
        keys = options.routing_keys if options is not None and options.routing_keys else ()
        if len(keys) > 1:  # RabbitMQ's sender-selected distribution: the others in CC
            headers = {**headers, "CC": list(keys[1:])}  # type: ignore[dict-item]
        await self._publish(exchange, keys[0] if keys else subject, body, headers, mandatory=False)

    async def _publish(
        self, exchange: Any, key: str, body: bytes, headers: Mapping[str, str], *, mandatory: bool
    ) -> None:
        aio_pika = _client()
        message = aio_pika.Message(
            body,
            headers=dict(headers),
            content_type=headers.get("content-type"),
            delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
        )
        try:
            await exchange.publish(message, routing_key=key, mandatory=mandatory)
        except Exception as exc:
            raise TransportError(f"AMQP publish to {exchange.name} {key} failed: {exc}") from exc

    async def subscribe(
        self,
        subject: str,
        handler: DeliveryHandler,
        *,
        group: str | None = None,
        durable: str | None = None,
        max_attempts: int = 3,
        options: ChannelOptions | None = None,
    ) -> _AmqpSubscription:
        # a channel binding's queue is the queue of a consumer without a group
        durable = durable or group or (options.queue if options is not None else None)
        try:
            exchange = await self._exchange(options)
            if durable:
                queue = await self.channel.declare_queue(
                    durable,
                    durable=True,
                    arguments={
                        "x-queue-type": "quorum",
                        "x-dead-letter-exchange": self.dead_letters.name,
                        "x-dead-letter-routing-key": durable,
                        "x-delivery-limit": max_attempts,
                    },
                )
                dlq = await self.channel.declare_queue(
                    f"{durable}.dlq", durable=True, arguments={"x-queue-type": "quorum"}
                )
                await dlq.bind(self.dead_letters, routing_key=durable)
            else:
                queue = await self.channel.declare_queue(exclusive=True, auto_delete=True)
            keys = options.routing_keys if options is not None and options.routing_keys else ()
            for key in keys or (routing_key(subject),):
                await queue.bind(exchange, routing_key=key)
        except Exception as exc:
            raise TransportError(f"AMQP subscribe to {subject} failed: {exc}") from exc
        subscription = _AmqpSubscription(self, queue)
        subscription.task = asyncio.get_running_loop().create_task(
            self._run(subscription, handler, group, durable, max_attempts)
        )
        subscription.tag = await queue.consume(subscription.inbox.put, no_ack=False)
        self.subscriptions.append(subscription)
        return subscription

    async def _run(
        self,
        subscription: _AmqpSubscription,
        handler: DeliveryHandler,
        group: str | None,
        durable: str | None,
        max_attempts: int,
    ) -> None:
        while (message := await subscription.inbox.get()) is not None:
            try:
                await self._handle(message, handler, group, durable, max_attempts)
            except Exception:  # the channel went away: the broker redelivers what is un-acked
                log.exception("AMQP delivery on %s could not be settled", message.routing_key)

    async def _handle(
        self,
        message: Any,
        handler: DeliveryHandler,
        group: str | None,
        durable: str | None,
        max_attempts: int,
    ) -> None:
        raw = message.headers or {}
        headers = {k: text for k, v in raw.items() if (text := _text(v)) is not None}
        count = raw.get("x-delivery-count")  # a quorum queue's count of earlier deliveries
        attempt = count + 1 if isinstance(count, int) else 2 if message.redelivered else 1
        redeliverable = durable is not None and attempt <= max_attempts
        delivery = Delivery(
            message.routing_key or "",
            message.body,
            headers,
            attempt,
            redeliverable,
            group,
            durable,
            raw=message,
        )
        try:
            await handler(delivery)
        except Exception:
            if redeliverable:
                await message.nack(requeue=True)
                return
            log.exception("handler failed on %s and was not dead-lettered", delivery.subject)
            await message.nack(requeue=durable is not None)
            return
        await message.ack()

    async def dead_letter(self, delivery: Delivery, headers: Mapping[str, str]) -> None:
        if delivery.durable is None and not self._no_group_dlq:
            try:
                queue = await self.channel.declare_queue(
                    f"{self.exchange.name}.dlq", durable=True, arguments={"x-queue-type": "quorum"}
                )
                await queue.bind(self.dead_letters, routing_key=NO_GROUP)
            except Exception as exc:
                raise TransportError(f"AMQP dead-letter queue: {exc}") from exc
            self._no_group_dlq = True
        key = delivery.durable or NO_GROUP
        await self._publish(self.dead_letters, key, delivery.body, headers, mandatory=True)

    async def close(self) -> None:
        for subscription in list(self.subscriptions):
            await subscription.stop()
        with contextlib.suppress(Exception):
            await self.connection.close()
