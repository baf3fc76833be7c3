"""The ``Transport`` protocol: what generated producers and consumers need from a broker.

A transport moves bytes with string headers on a subject (a NATS subject, an AMQP routing key,
a Kafka topic, an MQTT topic). Acknowledgement is the transport's business and follows one
rule: a delivery handler that returns normally is acknowledged; one that raises is handed back
to the broker for redelivery when it can be redelivered (``Delivery.redeliverable``). Consumers
built on ``BaseConsumer`` never let a message reach that point without a decision: when it is
invalid, or its last attempt failed, they hand it to ``Transport.dead_letter`` first, which
puts it in the broker's dead-letter place (see ``evreg.runtime.wire``), and only then return.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable


class TransportError(Exception):
    """Publishing or subscribing failed in the broker client (the cause is chained)."""


class MissingExtraError(ImportError):
    """A broker client is not installed; the message names the extra that installs it."""

    def __init__(self, client: str, extra: str) -> None:
        super().__init__(
            f"{client} is not installed: this transport needs it. Install it with "
            f'pip install "evreg[{extra}]"'
        )
        self.extra = extra


@dataclass(frozen=True, slots=True)
class Delivery:
    """One received message, as a transport hands it to a handler."""

    subject: str
    body: bytes
    headers: Mapping[str, str] = field(default_factory=dict)
    attempt: int = 1  # 1 for the first delivery, 2 for the first redelivery...
    redeliverable: bool = False  # will the broker deliver it again if the handler raises?
    group: str | None = None  # the consumer group it was received for
    durable: str | None = None  # the (group, channel) subscription name (wire.subscription_name)
    key: bytes | None = None  # the Kafka record key, when there is one
    raw: Any = field(default=None, compare=False, repr=False)  # the client library's message


DeliveryHandler = Callable[[Delivery], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class ChannelOptions:
    """What a channel's (or operation's) bindings ask of publishing and subscribing; ``None``
    leaves the transport's default."""

    key: str | None = None  # Kafka record key (of one publish)
    qos: int | None = None  # MQTT QoS
    retain: bool | None = None  # MQTT retain flag
    exchange: str | None = None  # AMQP exchange instead of the transport's
    exchange_type: str | None = None  # its type: topic (default), direct, fanout, headers
    queue: str | None = None  # AMQP queue a consumer reads (see AmqpTransport.subscribe)
    routing_keys: tuple[str, ...] = ()  # AMQP routing keys instead of the subject


class Subscription(Protocol):
    async def stop(self) -> None:
        """Stop receiving; return once the handlers already running have finished."""
        ...


@runtime_checkable
class Transport(Protocol):
    system: str  # for traces: "nats", "rabbitmq", "kafka", "mqtt", "memory"

    async def publish(
        self,
        subject: str,
        body: bytes,
        headers: Mapping[str, str],
        options: ChannelOptions | None = None,
    ) -> None:
        """Send one message; return once the broker has it (or raise ``TransportError``)."""
        ...

    async def subscribe(
        self,
        subject: str,
        handler: DeliveryHandler,
        *,
        group: str | None = None,
        durable: str | None = None,
        max_attempts: int = 3,
        options: ChannelOptions | None = None,
    ) -> Subscription:
        """Call ``handler`` for each message on ``subject`` (a pattern: ``*`` one token).

        ``group`` names a consumer group; ``durable`` the shared subscription of that group on
        this channel (``wire.subscription_name``; defaults to ``group``): each message goes to
        one member (a JetStream durable consumer, an AMQP queue, a Kafka consumer group, an
        MQTT shared subscription). Every group gets every message.

        A message is delivered up to ``max_attempts + 1`` times where the broker counts: the
        extra delivery is for one whose last attempt ended without an outcome (its consumer
        died), which the consumer then dead-letters without running the handler again.
        """
        ...

    async def dead_letter(self, delivery: Delivery, headers: Mapping[str, str]) -> None:
        """Put ``delivery``'s body with ``headers`` in the broker's dead-letter place; return
        once the broker has it (or raise, and the delivery is not acknowledged)."""
        ...

    async def close(self) -> None:
        """Stop every subscription gracefully and release the connection."""
        ...
