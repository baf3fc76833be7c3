"""Kafka transport (confluent-kafka, ``pip install "evreg[kafka]"``).

The subject is the topic. When a message carries the registry schema id (the
``evreg-schema-id`` header, set by generated producers built from the registry), its value is
written in Confluent's wire format: magic byte 0, the id as 4 bytes big-endian, then the JSON
payload, so Confluent's deserializers read it; a consumer strips that prefix again and exposes
the id as the same header. ``publish`` waits for the delivery report. A subscription with a
``group`` is a consumer group with manual commits: an offset is committed after the handler
returns; when it raises, the consumer seeks back to the message (redelivery) until
``max_attempts``, then commits past it (the consumer dead-letters it first).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import struct
import uuid
from collections.abc import Mapping
from typing import Any

from evreg.runtime.transport import Delivery, DeliveryHandler, MissingExtraError, TransportError

log = logging.getLogger("evreg.runtime.kafka")

MAGIC = 0
SCHEMA_ID_HEADER = "evreg-schema-id"


def frame(schema_id: int, payload: bytes) -> bytes:
    """Confluent's wire format: ``0x00``, the schema id (uint32 big-endian), the payload."""
    if not 0 <= schema_id < 2**32:
        raise ValueError(f"schema id {schema_id} does not fit in 4 bytes")
    return struct.pack(">bI", MAGIC, schema_id) + payload


def unframe(value: bytes) -> tuple[int | None, bytes]:
    """``(schema id, payload)``; ``(None, value)`` when the value is not framed.

    A JSON document never starts with a zero byte, so the check is unambiguous for JSON.
    """
    if len(value) >= 5 and value[0] == MAGIC:
        (schema_id,) = struct.unpack(">I", value[1:5])
        return schema_id, value[5:]
    return None, value


def _client() -> Any:
    try:
        import confluent_kafka
    except ImportError as exc:
        raise MissingExtraError("confluent-kafka", "kafka") from exc
    return confluent_kafka


class _KafkaSubscription:
    def __init__(self, consumer: Any, task: asyncio.Task[None] | None = None) -> None:
        self.consumer = consumer
        self.task = task
        self.stopping = False

    async def stop(self) -> None:
        self.stopping = True
        if self.task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self.task
        await asyncio.to_thread(self.consumer.close)


class KafkaTransport:
    def __init__(
        self,
        config: Mapping[str, Any],
        *,
        producer: Any = None,
        max_attempts: int = 3,
        poll_timeout: float = 0.2,
        flush_timeout: float = 10.0,
    ) -> None:
        self.config = dict(config)
        self._producer = producer
        self.max_attempts = max_attempts
        self.poll_timeout = poll_timeout
        self.flush_timeout = flush_timeout
        self.subscriptions: list[_KafkaSubscription] = []

    @property
    def producer(self) -> Any:
        if self._producer is None:
            self._producer = _client().Producer(self.config)
        return self._producer

    async def publish(self, subject: str, body: bytes, headers: Mapping[str, str]) -> None:
        schema_id = headers.get(SCHEMA_ID_HEADER)
        value = frame(int(schema_id), body) if schema_id and schema_id.isdigit() else body
        loop = asyncio.get_running_loop()
        done: asyncio.Future[None] = loop.create_future()

        def report(error: Any, _message: Any) -> None:
            def settle() -> None:
                if done.done():
                    return
                if error is not None:
                    done.set_exception(TransportError(f"Kafka delivery to {subject}: {error}"))
                else:
                    done.set_result(None)

            loop.call_soon_threadsafe(settle)

        try:
            self.producer.produce(
                subject,
                value=value,
                headers=[(k, v.encode()) for k, v in headers.items()],
                on_delivery=report,
            )
        except Exception as exc:
            raise TransportError(f"Kafka produce to {subject} failed: {exc}") from exc
        while not done.done():
            await asyncio.to_thread(self.producer.poll, 0.05)
        await done

    async def subscribe(
        self, subject: str, handler: DeliveryHandler, *, group: str | None = None
    ) -> _KafkaSubscription:
        config = {
            **self.config,
            "group.id": group or f"evreg-{uuid.uuid4()}",
            "enable.auto.commit": False,
            "auto.offset.reset": "earliest" if group else "latest",
        }
        consumer = _client().Consumer(config)
        consumer.subscribe([subject])
        subscription = _KafkaSubscription(consumer)
        subscription.task = asyncio.get_running_loop().create_task(self._run(subscription, handler))
        self.subscriptions.append(subscription)
        return subscription

    async def _run(self, subscription: _KafkaSubscription, handler: DeliveryHandler) -> None:
        consumer = subscription.consumer
        attempts: dict[tuple[str, int, int], int] = {}
        while not subscription.stopping:
            message = await asyncio.to_thread(consumer.poll, self.poll_timeout)
            if message is None:
                continue
            if message.error():
                log.warning("Kafka consumer error: %s", message.error())
                continue
            key = (message.topic(), message.partition(), message.offset())
            attempt = attempts.get(key, 0) + 1
            headers = {k: v.decode() for k, v in (message.headers() or []) if v is not None}
            schema_id, payload = unframe(message.value() or b"")
            if schema_id is not None:
                headers[SCHEMA_ID_HEADER] = str(schema_id)
            redeliverable = attempt < self.max_attempts
            delivery = Delivery(message.topic(), payload, headers, attempt, redeliverable)
            try:
                await handler(delivery)
            except Exception:
                if redeliverable:
                    attempts[key] = attempt
                    tp = _client().TopicPartition(key[0], key[1], key[2])
                    await asyncio.to_thread(consumer.seek, tp)
                    continue
                log.exception("handler failed on %s; message dropped", delivery.subject)
            attempts.pop(key, None)
            await asyncio.to_thread(consumer.commit, message=message, asynchronous=False)

    async def close(self) -> None:
        for subscription in list(self.subscriptions):
            await subscription.stop()
        self.subscriptions.clear()
        if self._producer is not None:
            await asyncio.to_thread(self._producer.flush, self.flush_timeout)
