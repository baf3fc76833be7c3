"""NATS transport (nats-py, ``pip install "evreg[nats]"``), core NATS or JetStream.

Core NATS (``jetstream=False``): at most once. A subscription with a group is a queue group
named after the (group, channel) subscription: each message goes to one live member. Nothing
is stored: a message published while no member of a group is connected, or on its way to a
member that dies, is lost for that group, and a failing handler cannot be redelivered (the
consumer dead-letters it at once).

JetStream (``jetstream=True``): at least once. ``publish`` waits for the stream's ack (and sets
``Nats-Msg-Id`` from the event id header when there is one, so the stream drops duplicates).
A subscription with a group is a durable pull consumer named after the (group, channel)
subscription, shared by the group's members, with explicit acks: a message is acked after its
handler returns, ``nak``-ed with a delay when it raises, redelivered up to ``max_attempts``
times, and redelivered after ``ack_wait`` when its member died holding it. ``ensure_stream``
creates a stream for a set of subjects when it does not exist.

Dead letters (either mode) are published through JetStream, stream ack awaited, to
``<dead_letter_prefix>.<group>.<subject>``, stored by the stream ``dead_letter_stream``
(created over ``<dead_letter_prefix>.>`` when missing); with ``dead_letter_stream=None`` they
are plain publishes, kept only if something listens.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping, Sequence
from typing import Any

from evreg.runtime import wire
from evreg.runtime.transport import (
    ChannelOptions,
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
        self.task: asyncio.Task[None] | None = None
        self.stopping = False
        self._transport = transport
        self.busy = 0
        self.idle = asyncio.Event()
        self.idle.set()

    async def stop(self) -> None:
        """Stop fetching or unsubscribe, then wait for the handler running now (if any)."""
        self.stopping = True
        if self.task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self.task
        with contextlib.suppress(Exception):
            await self.raw.unsubscribe()
        await self.idle.wait()
        with contextlib.suppress(ValueError):
            self._transport.subscriptions.remove(self)


class NatsTransport:
    system = "nats"

    def __init__(
        self,
        connection: Any,
        *,
        jetstream: bool = False,
        nak_delay: float = 0.5,
        ack_wait: float = 30.0,
        fetch_batch: int = 64,
        dead_letter_prefix: str = "evreg.dlq",
        dead_letter_stream: str | None = "EVREG_DLQ",
    ) -> None:
        self.connection = connection
        self.jetstream = connection.jetstream() if jetstream else None
        self.nak_delay = nak_delay
        self.ack_wait = ack_wait
        self.fetch_batch = fetch_batch
        self.dead_letter_prefix = dead_letter_prefix
        self.dead_letter_stream = dead_letter_stream
        self._dead_letter_ready = False
        self.subscriptions: list[_NatsSubscription] = []

    @classmethod
    async def connect(
        cls,
        url: str = "nats://127.0.0.1:4222",
        *,
        jetstream: bool = False,
        nak_delay: float = 0.5,
        ack_wait: float = 30.0,
        fetch_batch: int = 64,
        dead_letter_prefix: str = "evreg.dlq",
        dead_letter_stream: str | None = "EVREG_DLQ",
        **options: Any,
    ) -> NatsTransport:
        nats = _client()
        try:
            connection = await nats.connect(url, **options)
        except Exception as exc:
            raise TransportError(f"cannot connect to NATS at {url}: {exc}") from exc
        return cls(
            connection,
            jetstream=jetstream,
            nak_delay=nak_delay,
            ack_wait=ack_wait,
            fetch_batch=fetch_batch,
            dead_letter_prefix=dead_letter_prefix,
            dead_letter_stream=dead_letter_stream,
        )

    async def ensure_stream(self, name: str, subjects: Sequence[str]) -> None:
        """Create the JetStream stream ``name`` over ``subjects`` unless it exists."""
        js = self.jetstream or self.connection.jetstream()
        try:
            await js.stream_info(name)
        except _client().js.errors.NotFoundError:
            await js.add_stream(name=name, subjects=list(subjects))

    async def publish(
        self,
        subject: str,
        body: bytes,
        headers: Mapping[str, str],
        options: ChannelOptions | None = None,
    ) -> None:
        wire_headers = dict(headers)
        try:
            if self.jetstream is not None:
                event_id = next((wire_headers[k] for k in EVENT_ID_HEADERS if k in headers), None)
                if event_id is not None:
                    wire_headers.setdefault("Nats-Msg-Id", event_id)
                await self.jetstream.publish(subject, body, headers=wire_headers)
            else:
                await self.connection.publish(subject, body, headers=wire_headers)
        except Exception as exc:
            raise TransportError(f"NATS publish to {subject} failed: {exc}") from exc

    async def subscribe(
        self,
        subject: str,
        handler: DeliveryHandler,
        *,
        group: str | None = None,
        durable: str | None = None,
        max_attempts: int = 3,
        options: ChannelOptions | None = None,
    ) -> _NatsSubscription:
        durable = durable or group
        subscription = _NatsSubscription(self)
        max_deliver = max_attempts + 1

        async def on_message(msg: Any) -> None:
            subscription.busy += 1
            subscription.idle.clear()
            try:
                await self._handle(msg, handler, group, durable, max_deliver)
            finally:
                subscription.busy -= 1
                if not subscription.busy:
                    subscription.idle.set()

        try:
            if self.jetstream is not None and durable:
                nats = _client()
                config = nats.js.api.ConsumerConfig(
                    max_deliver=max_deliver,
                    ack_policy=nats.js.api.AckPolicy.EXPLICIT,
                    ack_wait=self.ack_wait,
                )
                subscription.raw = await self.jetstream.pull_subscribe(
                    subject, durable=durable, config=config
                )
                loop = asyncio.get_running_loop()
                subscription.task = loop.create_task(self._fetch(subscription, on_message))
            elif self.jetstream is not None:  # no group: from now on, like the other brokers
                nats = _client()
                config = nats.js.api.ConsumerConfig(
                    max_deliver=max_deliver,
                    ack_policy=nats.js.api.AckPolicy.EXPLICIT,
                    deliver_policy=nats.js.api.DeliverPolicy.NEW,
                )
                subscription.raw = await self.jetstream.subscribe(
                    subject, cb=on_message, manual_ack=True, config=config
                )
            else:
                subscription.raw = await self.connection.subscribe(
                    subject, queue=durable or "", cb=on_message
                )
                await self.connection.flush()  # the server has the subscription on return
        except Exception as exc:
            raise TransportError(f"NATS subscribe to {subject} failed: {exc}") from exc
        self.subscriptions.append(subscription)
        return subscription

    async def _fetch(self, subscription: _NatsSubscription, on_message: Any) -> None:
        """A member's loop on a durable pull consumer: fetch a batch, handle it in order."""
        while not subscription.stopping:
            try:
                batch = await subscription.raw.fetch(self.fetch_batch, timeout=0.5)
            except TimeoutError:
                continue
            except Exception as exc:
                if subscription.stopping:
                    return
                log.warning("JetStream fetch failed: %s; retrying", exc)
                await asyncio.sleep(0.5)
                continue
            for msg in batch:
                await on_message(msg)

    async def _handle(
        self,
        msg: Any,
        handler: DeliveryHandler,
        group: str | None,
        durable: str | None,
        max_deliver: int,
    ) -> None:
        headers = {k: v for k, v in (msg.headers or {}).items() if isinstance(v, str)}
        attempt, redeliverable = 1, False
        if self.jetstream is not None:
            attempt = int(msg.metadata.num_delivered)
            redeliverable = attempt < max_deliver
        delivery = Delivery(
            msg.subject, msg.data, headers, attempt, redeliverable, group, durable, raw=msg
        )
        try:
            await handler(delivery)
        except Exception:
            if self.jetstream is not None and redeliverable:
                await msg.nak(delay=self.nak_delay)
                return
            # the consumer could not dead-letter it: leave it un-acked (JetStream's
            # max-deliveries advisory names it) or, on core NATS, lost
            log.exception("handler failed on %s and was not dead-lettered", msg.subject)
            return
        if self.jetstream is not None:
            await msg.ack()

    async def dead_letter(self, delivery: Delivery, headers: Mapping[str, str]) -> None:
        """Publish the dead letter (without ``Nats-Msg-Id``: the dead-letter stream would take
        a second group's letter for the same event as a duplicate)."""
        subject = wire.dead_letter_subject(
            self.dead_letter_prefix, delivery.group, delivery.subject
        )
        letter = {k: v for k, v in headers.items() if k != "Nats-Msg-Id"}
        try:
            if self.dead_letter_stream is None:
                await self.connection.publish(subject, delivery.body, headers=letter)
                return
            js = self.jetstream or self.connection.jetstream()
            if not self._dead_letter_ready:
                await self.ensure_stream(self.dead_letter_stream, [f"{self.dead_letter_prefix}.>"])
                self._dead_letter_ready = True
            await js.publish(subject, delivery.body, headers=letter)
        except Exception as exc:
            raise TransportError(f"NATS dead letter to {subject} failed: {exc}") from exc

    async def close(self) -> None:
        """Stop every subscription (each waits for its running handler), send what is
        buffered, close the connection."""
        for subscription in list(self.subscriptions):
            await subscription.stop()
        with contextlib.suppress(Exception):
            await self.connection.flush(timeout=5)
        with contextlib.suppress(Exception):
            await self.connection.close()
