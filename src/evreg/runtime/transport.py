"""The ``Transport`` protocol: what generated producers and consumers need from a broker.

A transport moves bytes with string headers on a subject (a NATS subject, an AMQP routing key,
a Kafka topic). Acknowledgement is the transport's business and follows one rule: a delivery
handler that returns normally is acknowledged; one that raises is handed back to the broker for
redelivery when the broker can redeliver (``Delivery.redeliverable``), otherwise it is dropped
with an error log. Consumers built on ``BaseConsumer`` never let an invalid message reach that
point: they give it to a dead-letter hook first.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable


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


DeliveryHandler = Callable[[Delivery], Awaitable[None]]


class Subscription(Protocol):
    async def stop(self) -> None:
        """Stop receiving; return once the handlers already running have finished."""
        ...


@runtime_checkable
class Transport(Protocol):
    async def publish(self, subject: str, body: bytes, headers: Mapping[str, str]) -> None:
        """Send one message; return once the broker has it (or raise ``TransportError``)."""
        ...

    async def subscribe(
        self, subject: str, handler: DeliveryHandler, *, group: str | None = None
    ) -> Subscription:
        """Call ``handler`` for each message on ``subject``.

        ``group`` names a durable, shared subscription: each message goes to one member of the
        group (a JetStream durable consumer, an AMQP queue, a Kafka consumer group).
        """
        ...

    async def close(self) -> None:
        """Stop every subscription gracefully and release the connection."""
        ...
