"""What generated code imports at run time: the ``Transport`` protocol, its adapters, and the
bases of generated producers and consumers.

Only pydantic is needed; each broker adapter lives in its own module and imports its client
when it connects, so a missing client is a clear error naming the extra to install:
``evreg.runtime.nats`` (``evreg[nats]``), ``evreg.runtime.amqp`` (``evreg[amqp]``),
``evreg.runtime.kafka`` (``evreg[kafka]``), ``evreg.runtime.mqtt`` (``evreg[mqtt]``). Tracing uses
``opentelemetry-api`` when installed (``evreg[otel]``). The wire conventions shared with the
TypeScript runtime (names, headers, dead letters) are in ``evreg.runtime.wire``.
"""

from evreg.runtime import wire
from evreg.runtime.memory import InMemoryTransport
from evreg.runtime.messaging import (
    BaseConsumer,
    BaseProducer,
    DeadLetter,
    DeadLetterHook,
    MessageSpec,
    OperationSpec,
    Published,
    Received,
    RetryPolicy,
    current_message,
)
from evreg.runtime.transport import (
    ChannelOptions,
    Delivery,
    DeliveryHandler,
    MissingExtraError,
    Subscription,
    Transport,
    TransportError,
)

__all__ = [
    "BaseConsumer",
    "BaseProducer",
    "ChannelOptions",
    "DeadLetter",
    "DeadLetterHook",
    "Delivery",
    "DeliveryHandler",
    "InMemoryTransport",
    "MessageSpec",
    "MissingExtraError",
    "OperationSpec",
    "Published",
    "Received",
    "RetryPolicy",
    "Subscription",
    "Transport",
    "TransportError",
    "current_message",
    "wire",
]
