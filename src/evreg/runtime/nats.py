"""NATS transport (nats-py, ``pip install "evreg[nats]"``), core NATS or JetStream.

Core NATS (``jetstream=False``): at most once. A subscription with a ``group`` is a queue group;
a failing handler cannot be redelivered, so the consumer dead-letters it at once.

JetStream (``jetstream=True``): at least once. ``publish`` waits for the stream's ack (and sets
``Nats-Msg-Id`` from the event id header when there is one, so the stream drops duplicates);
a subscription with a ``group`` is a durable consumer of that name with explicit acks: a
message is acked after its handler returns, ``nak``-ed with a delay when it raises, and
redelivered up to ``max_deliver`` times. ``ensure_stream`` creates the stream for a set of
subjects when it does not exist.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping, Sequence
from typing import Any

from evreg.runtime.transport import (
    Delivery,
    DeliveryHandler,
    MissingExtraError,
    TransportError,
)

log = logging.getLogger("evreg.runtime.nats")

EVENT_ID_HEADERS = ("eventId", "event_id", "event-id", "messageId", "message-id", "id")


def _client() -> Any:
    try:
        import nats
    except ImportError as exc:
        raise MissingExtraError("nats-py", "nats") from exc
    return nats


class _NatsSubscription:
    def __init__(self, transport: NatsTransport) -> None:
        self.raw: Any = None
        self._transport = transport
        self.busy = 0
        self.idle = asyncio.Event()
        self.idle.set()

    async def stop(self) -> None:
        """Unsubscribe, then wait for the handler running now (if any) to finish."""
        with contextlib.suppress(Exception):
            await self.raw.unsubscribe()
        await self.idle.wait()
        with contextlib.suppress(ValueError):
            self._transport.subscriptions.remove(self)


class NatsTransport:
    def __init__(
        self,
        connection: Any,
        *,
        jetstream: bool = False,
        max_deliver: int = 3,
        nak_delay: float = 0.5,
    ) -> None:
        self.connection = connection
        self.jetstream = connection.jetstream() if jetstream else None
        self.max_deliver = max_deliver
        self.nak_delay = nak_delay
        self.subscriptions: list[_NatsSubscription] = []

    @classmethod
    async def connect(
        cls,
        url: str = "nats://127.0.0.1:4222",
        *,
        jetstream: bool = False,
        max_deliver: int = 3,
        nak_delay: float = 0.5,
        **options: Any,
    ) -> NatsTransport:
        nats = _client()
        try:
            connection = await nats.connect(url, **options)
        except Exception as exc:
            raise TransportError(f"cannot connect to NATS at {url}: {exc}") from exc
        return cls(connection, jetstream=jetstream, max_deliver=max_deliver, nak_delay=nak_delay)

    async def ensure_stream(self, name: str, subjects: Sequence[str]) -> None:
        """Create the JetStream stream ``name`` over ``subjects`` unless it exists."""
        if self.jetstream is None:
            raise TransportError("ensure_stream needs jetstream=True")
        try:
            await self.jetstream.stream_info(name)
        except Exception:
            await self.jetstream.add_stream(name=name, subjects=list(subjects))

    async def publish(self, subject: str, body: bytes, headers: Mapping[str, str]) -> None:
        wire = dict(headers)
        try:
            if self.jetstream is not None:
                event_id = next((wire[k] for k in EVENT_ID_HEADERS if k in wire), None)
                if event_id is not None:
                    wire.setdefault("Nats-Msg-Id", event_id)
                await self.jetstream.publish(subject, body, headers=wire)
            else:
                await self.connection.publish(subject, body, headers=wire)
        except Exception as exc:
            raise TransportError(f"NATS publish to {subject} failed: {exc}") from exc

    async def subscribe(
        self, subject: str, handler: DeliveryHandler, *, group: str | None = None
    ) -> _NatsSubscription:
        subscription = _NatsSubscription(self)

        async def on_message(msg: Any) -> None:
            subscription.busy += 1
            subscription.idle.clear()
            try:
                await self._handle(msg, handler)
            finally:
                subscription.busy -= 1
                if not subscription.busy:
                    subscription.idle.set()

        try:
            if self.jetstream is not None:
                nats = _client()
                config = nats.js.api.ConsumerConfig(
                    max_deliver=self.max_deliver, ack_policy=nats.js.api.AckPolicy.EXPLICIT
                )
                subscription.raw = await self.jetstream.subscribe(
                    subject, durable=group, cb=on_message, manual_ack=True, config=config
                )
            else:
                subscription.raw = await self.connection.subscribe(
                    subject, queue=group or "", cb=on_message
                )
        except Exception as exc:
            raise TransportError(f"NATS subscribe to {subject} failed: {exc}") from exc
        self.subscriptions.append(subscription)
        return subscription

    async def _handle(self, msg: Any, handler: DeliveryHandler) -> None:
        headers = {k: v for k, v in (msg.headers or {}).items() if isinstance(v, str)}
        attempt, redeliverable = 1, False
        if self.jetstream is not None:
            attempt = int(msg.metadata.num_delivered)
            redeliverable = attempt < self.max_deliver
        delivery = Delivery(msg.subject, msg.data, headers, attempt, redeliverable)
        try:
            await handler(delivery)
        except Exception:
            if self.jetstream is not None and redeliverable:
                await msg.nak(delay=self.nak_delay)
                return
            log.exception("handler failed on %s; message dropped", msg.subject)
            if self.jetstream is not None:
                await msg.term()
            return
        if self.jetstream is not None:
            await msg.ack()

    async def close(self) -> None:
        for subscription in list(self.subscriptions):
            await subscription.stop()
        with contextlib.suppress(Exception):
            await self.connection.drain()
