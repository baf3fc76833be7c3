"""MQTT 5 transport (aiomqtt over paho-mqtt, ``pip install "evreg[mqtt]"``).

aiomqtt is the asyncio client of the MQTT field: a thin layer over paho-mqtt, the Eclipse
reference client, without its own protocol code. aiomqtt 2.5 has no option for manual
acknowledgements, so this module switches them on in the paho client it wraps
(``manual_ack_set``) and acknowledges each message (PUBACK) only after its handler returned
or it was dead-lettered.

The subject is the MQTT topic (``/`` levels; a ``*`` level is subscribed as ``+``, a final
``>`` as ``#``). Headers travel as MQTT 5 user properties (and ``content-type`` also as the
content type property). ``publish`` uses QoS 1 and waits for the PUBACK; ``ChannelOptions``
(from the channel's MQTT bindings) may ask for another QoS or ``retain``.

A subscription with a group is a shared subscription ``$share/<name>/<topic>`` (name: the
(group, channel) subscription), so each message goes to one member. Give every member a
stable ``client_id``: the session is then persistent (``clean_start`` off, expiry
``session_expiry`` seconds), and what the broker sent a member that died (un-acked) or queued
for it while it was away is delivered when it comes back under the same client id. Each
member handles its messages one at a time, in order. MQTT cannot hand a message back, so a
handler that raises is retried in this process (``attempt`` + 1) until ``max_attempts``;
after a crash the broker's redelivery counts as a first attempt again.

Dead letters are QoS 1 publishes (PUBACK awaited) to ``<dead_letter_prefix>/<group>/<topic>``:
an MQTT broker keeps them only for sessions subscribed there.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from evreg.runtime import wire
from evreg.runtime.transport import (
    ChannelOptions,
    Delivery,
    DeliveryHandler,
    MissingExtraError,
    TransportError,
)

log = logging.getLogger("evreg.runtime.mqtt")

RETRY_DELAY = 0.05  # seconds before a failed handler runs again


def _client() -> Any:
    try:
        import aiomqtt
    except ImportError as exc:
        raise MissingExtraError("aiomqtt", "mqtt") from exc
    return aiomqtt


def topic_filter(pattern: str) -> str:
    """A subject pattern as an MQTT topic filter: ``*`` levels as ``+``, a last ``>`` as ``#``."""
    levels = pattern.split("/")
    out = ["+" if level == "*" else level for level in levels]
    if out and out[-1] == ">":
        out[-1] = "#"
    return "/".join(out)


@dataclass(eq=False)
class _MqttSubscription:
    transport: MqttTransport
    filter: str
    handler: DeliveryHandler
    group: str | None
    durable: str | None
    max_attempts: int
    busy: asyncio.Event = field(default_factory=asyncio.Event)
    stopped: bool = False

    def __post_init__(self) -> None:
        self.busy.set()  # set = idle

    async def stop(self) -> None:
        """Unsubscribe, then wait for the message being handled (if any)."""
        if self.stopped:
            return
        self.stopped = True
        with contextlib.suppress(Exception):
            await self.transport.client.unsubscribe(self.transport.wire_filter(self))
        await self.busy.wait()
        with contextlib.suppress(ValueError):
            self.transport.subscriptions.remove(self)


class MqttTransport:
    system = "mqtt"

    def __init__(
        self,
        client: Any,
        *,
        qos: int = 1,
        dead_letter_prefix: str = "evreg/dlq",
    ) -> None:
        self.client = client
        self.qos = qos
        self.dead_letter_prefix = dead_letter_prefix
        self.subscriptions: list[_MqttSubscription] = []
        self._reader: asyncio.Task[None] | None = None
        # one message handled at a time; messages a resumed session delivers before their
        # subscription is made again wait here, un-acked, for it
        self._lock = asyncio.Lock()
        self._parked: list[Any] = []

    @classmethod
    async def connect(
        cls,
        url: str = "mqtt://127.0.0.1:1883",
        *,
        client_id: str | None = None,
        session_expiry: int = 3600,
        qos: int = 1,
        dead_letter_prefix: str = "evreg/dlq",
        keepalive: int = 30,
    ) -> MqttTransport:
        aiomqtt = _client()
        from paho.mqtt.packettypes import PacketTypes
        from paho.mqtt.properties import Properties

        parts = urlsplit(url)
        properties = None
        if client_id:
            properties = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
            properties.SessionExpiryInterval = session_expiry
        client = aiomqtt.Client(
            parts.hostname or "127.0.0.1",
            parts.port or 1883,
            username=parts.username,
            password=parts.password,
            identifier=client_id,
            protocol=aiomqtt.ProtocolVersion.V5,
            clean_start=not client_id,
            properties=properties,
            keepalive=keepalive,
        )
        client._client.manual_ack_set(True)  # PUBACK after the handler (see the module doc)
        try:
            await client.__aenter__()
        except Exception as exc:
            raise TransportError(f"cannot connect to MQTT at {url}: {exc}") from exc
        transport = cls(client, qos=qos, dead_letter_prefix=dead_letter_prefix)
        transport._reader = asyncio.get_running_loop().create_task(transport._read())
        return transport

    @staticmethod
    def _properties(headers: Mapping[str, str]) -> Any:
        from paho.mqtt.packettypes import PacketTypes
        from paho.mqtt.properties import Properties

        properties = Properties(PacketTypes.PUBLISH)  # type: ignore[no-untyped-call]
        if "content-type" in headers:
            properties.ContentType = headers["content-type"]
        properties.UserProperty = list(headers.items())
        return properties

    async def publish(
        self,
        subject: str,
        body: bytes,
        headers: Mapping[str, str],
        options: ChannelOptions | None = None,
    ) -> None:
        qos = self.qos if options is None or options.qos is None else options.qos
        retain = bool(options is not None and options.retain)
        await self._publish(subject, body, headers, qos, retain)

    async def _publish(
        self, topic: str, body: bytes, headers: Mapping[str, str], qos: int, retain: bool
    ) -> None:
        try:
            await self.client.publish(
                topic, body, qos=qos, retain=retain, properties=self._properties(headers)
            )
        except Exception as exc:
            raise TransportError(f"MQTT publish to {topic} failed: {exc}") from exc

    def wire_filter(self, subscription: _MqttSubscription) -> str:
        if subscription.durable:
            return f"$share/{subscription.durable}/{subscription.filter}"
        return subscription.filter

    async def subscribe(
        self,
        subject: str,
        handler: DeliveryHandler,
        *,
        group: str | None = None,
        durable: str | None = None,
        max_attempts: int = 3,
        options: ChannelOptions | None = None,
    ) -> _MqttSubscription:
        subscription = _MqttSubscription(
            self, topic_filter(subject), handler, group, durable or group, max_attempts
        )
        async with self._lock:
            self.subscriptions.append(subscription)
            qos = 1 if options is None or options.qos is None else options.qos
            try:
                await self.client.subscribe(self.wire_filter(subscription), qos=qos)
            except Exception as exc:
                self.subscriptions.remove(subscription)
                raise TransportError(f"MQTT subscribe to {subject} failed: {exc}") from exc
            parked, self._parked = self._parked, []
            for message in parked:
                await self._handle(message)
        return subscription

    async def _read(self) -> None:
        """Hand each incoming message to its subscription, one at a time, in order."""
        try:
            async for message in self.client.messages:
                async with self._lock:
                    await self._handle(message)
        except _client().MqttError as exc:
            log.warning("MQTT connection lost: %s", exc)

    async def _handle(self, message: Any) -> None:
        topic = str(message.topic)
        subscription = next(
            (s for s in self.subscriptions if not s.stopped and message.topic.matches(s.filter)),
            None,
        )
        if subscription is None:  # the session's, before its subscription is made again
            self._parked.append(message)
            return
        properties = message.properties
        headers = dict(getattr(properties, "UserProperty", None) or [])
        body = bytes(message.payload) if message.payload is not None else b""
        subscription.busy.clear()
        try:
            attempt = 1
            while True:
                redeliverable = attempt <= subscription.max_attempts
                delivery = Delivery(
                    topic,
                    body,
                    headers,
                    attempt,
                    redeliverable,
                    subscription.group,
                    subscription.durable,
                    raw=message,
                )
                try:
                    await subscription.handler(delivery)
                except Exception:
                    if redeliverable and not subscription.stopped:
                        attempt += 1
                        await asyncio.sleep(RETRY_DELAY)
                        continue
                    log.exception("handler failed on %s and was not dead-lettered", topic)
                    return  # not acknowledged: the broker resends it when the session resumes
                self._ack(message)
                return
        finally:
            subscription.busy.set()

    def _ack(self, message: Any) -> None:
        if message.qos > 0:
            self.client._client.ack(message.mid, message.qos)

    async def dead_letter(self, delivery: Delivery, headers: Mapping[str, str]) -> None:
        topic = wire.dead_letter_subject(
            self.dead_letter_prefix, delivery.group, delivery.subject, separator="/"
        )
        await self._publish(topic, delivery.body, headers, 1, False)

    async def close(self) -> None:
        for subscription in list(self.subscriptions):
            await subscription.stop()
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._reader
        with contextlib.suppress(Exception):
            await self.client.__aexit__(None, None, None)
