"""What generated producers and consumers are built on: specs, validation, headers, retries.

A generated ``Producer`` has one method per *send* operation; each calls ``BaseProducer._send``
with a module-level ``OperationSpec``. A generated ``Consumer`` has one decorator per *receive*
operation; each calls ``BaseConsumer._register``. Everything contract-specific is in the specs,
so this module stays small and the generated code stays declarative.
"""

from __future__ import annotations

import asyncio
import contextvars
import json
import logging
import random
import re
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ValidationError

from evreg.runtime.memory import InMemoryTransport
from evreg.runtime.transport import Delivery, Subscription, Transport, TransportError

log = logging.getLogger("evreg.runtime")

# transport headers evreg adds beside the ones the contract declares
CONTENT_TYPE = "content-type"
SCHEMA_ID = "evreg-schema-id"
MESSAGE = "evreg-message"

AutoHeader = Literal["event_id", "correlation_id", "timestamp", "content_type", "schema_id"]


@dataclass(frozen=True, slots=True)
class MessageSpec:
    """One message of an operation: its name, models and the headers evreg fills in."""

    name: str
    payload: type[BaseModel]
    headers: type[BaseModel] | None = None
    content_type: str = "application/json"
    schema_id: int | None = None
    auto_headers: Mapping[str, AutoHeader] = field(default_factory=dict)  # wire name -> kind


@dataclass(frozen=True, slots=True)
class OperationSpec:
    """One operation: where it sends or receives, and which messages."""

    operation: str
    address: str  # may hold {parameters}
    messages: tuple[MessageSpec, ...]

    def subject(self, parameters: Mapping[str, str] | None = None) -> str:
        """The concrete address, ``{name}`` placeholders filled from ``parameters``."""
        values = parameters or {}

        def fill(match: re.Match[str]) -> str:
            value = values.get(match.group(1))
            if value is None:
                raise ValueError(f"{self.operation}: no value for address parameter {match[0]}")
            if not value or any(c in value for c in ".*> \t\r\n"):
                raise ValueError(f"{self.operation}: {match[0]} = {value!r} is not one token")
            return value

        return re.sub(r"\{([^{}]+)\}", fill, self.address)

    @property
    def pattern(self) -> str:
        """The address with each parameter as a one-token wildcard, to subscribe to."""
        return re.sub(r"\{[^{}]+\}", "*", self.address)


@dataclass(frozen=True, slots=True)
class Published:
    subject: str
    body: bytes
    headers: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class Received:
    """The message a handler is running for (see ``current_message``)."""

    subject: str
    message: str
    headers: Mapping[str, str]
    parsed_headers: BaseModel | None
    attempt: int


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """A message that was not handled: invalid, unknown, or its handler kept failing."""

    reason: Literal["invalid", "handler-failed"]
    operation: str
    delivery: Delivery
    error: Exception


DeadLetterHook = Callable[[DeadLetter], Awaitable[None]]

_CURRENT: contextvars.ContextVar[Received | None] = contextvars.ContextVar(
    "evreg_current_message", default=None
)


def current_message() -> Received | None:
    """Inside a consumer handler: the message being handled (headers, subject, attempt)."""
    return _CURRENT.get()


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Publish retries: ``attempts`` in all, exponential backoff with jitter between them."""

    attempts: int = 5
    initial_delay: float = 0.05
    max_delay: float = 2.0
    multiplier: float = 2.0

    def delays(self) -> list[float]:
        out, delay = [], self.initial_delay
        for _ in range(max(self.attempts - 1, 0)):
            out.append(min(delay, self.max_delay) * (0.5 + random.random() / 2))
            delay *= self.multiplier
        return out


RETRYABLE: tuple[type[BaseException], ...] = (TransportError, ConnectionError, TimeoutError)


def _wire_value(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))


def _now() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


class BaseProducer:
    """Validates, serialises and publishes; generated subclasses add one method per operation."""

    def __init__(self, transport: Transport | None = None, *, retry: RetryPolicy | None = None):
        self.transport: Transport = transport if transport is not None else InMemoryTransport()
        self.retry = retry if retry is not None else RetryPolicy()

    async def close(self) -> None:
        await self.transport.close()

    async def _send(
        self,
        spec: OperationSpec,
        event: BaseModel,
        *,
        headers: BaseModel | Mapping[str, object] | None = None,
        correlation_id: str | None = None,
        parameters: Mapping[str, str] | None = None,
    ) -> Published:
        message = next((m for m in spec.messages if type(event) is m.payload), None)
        if message is None:
            message = next((m for m in spec.messages if isinstance(event, m.payload)), None)
        if message is None:
            expected = " | ".join(m.payload.__name__ for m in spec.messages)
            raise TypeError(f"{spec.operation} sends {expected}, not {type(event).__name__}")
        body = event.model_dump_json(by_alias=True).encode()
        # validate what goes on the wire, not the object: catches mutation after construction
        message.payload.model_validate_json(body, by_alias=True, by_name=False)
        wire = self._headers(message, headers, correlation_id)
        subject = spec.subject(parameters)
        await self._publish(subject, body, wire)
        return Published(subject, body, wire)

    def _headers(
        self,
        message: MessageSpec,
        given: BaseModel | Mapping[str, object] | None,
        correlation_id: str | None,
    ) -> dict[str, str]:
        wire: dict[str, str] = {CONTENT_TYPE: message.content_type, MESSAGE: message.name}
        if message.schema_id is not None:
            wire[SCHEMA_ID] = str(message.schema_id)
        if message.headers is None:
            return wire
        values: dict[str, object] = {}
        for name, kind in message.auto_headers.items():
            auto = self._auto(kind, message, correlation_id)
            if auto is not None:
                values[name] = auto
        if isinstance(given, BaseModel):
            values.update(given.model_dump(mode="json", by_alias=True))
        elif given is not None:
            values.update(given)
        model = message.headers.model_validate(values, by_alias=True, by_name=False)
        for name, value in model.model_dump(mode="json", by_alias=True).items():
            if value is not None:
                wire[name] = _wire_value(value)
        return wire

    @staticmethod
    def _auto(kind: AutoHeader, message: MessageSpec, correlation_id: str | None) -> str | None:
        if kind == "event_id":
            return str(uuid.uuid4())
        if kind == "correlation_id":
            if correlation_id is not None:
                return correlation_id
            received = current_message()  # propagate the one of the message being handled
            if received is not None:
                for key, value in received.headers.items():
                    if key.replace("-", "").replace("_", "").lower() == "correlationid":
                        return value
            return str(uuid.uuid4())
        if kind == "timestamp":
            return _now()
        if kind == "content_type":
            return message.content_type
        if kind == "schema_id":
            return None if message.schema_id is None else str(message.schema_id)
        return None

    async def _publish(self, subject: str, body: bytes, headers: Mapping[str, str]) -> None:
        delays = self.retry.delays()
        for attempt in range(len(delays) + 1):
            try:
                await self.transport.publish(subject, body, headers)
                return
            except RETRYABLE as exc:
                if attempt == len(delays):
                    raise
                log.warning(
                    "publish to %s failed (%s); retry %d of %d in %.2fs",
                    subject,
                    exc,
                    attempt + 1,
                    len(delays),
                    delays[attempt],
                )
                await asyncio.sleep(delays[attempt])


async def log_dead_letter(dead: DeadLetter) -> None:
    """The default dead-letter hook: an error log with the reason and the validation error."""
    log.error(
        "dead letter (%s) on %s for %s: %s",
        dead.reason,
        dead.delivery.subject,
        dead.operation,
        dead.error,
    )


@dataclass(slots=True)
class _Route:
    spec: OperationSpec
    handler: Callable[[Any], Awaitable[None]]


class BaseConsumer:
    """Decodes, validates and dispatches; generated subclasses add one decorator per operation.

    An invalid message (bad JSON, schema violation, unknown message, bad declared headers)
    goes to ``dead_letter`` with the validation error and is then acknowledged. A handler that
    raises is redelivered while the broker can and ``max_attempts`` allows, then dead-lettered.
    If the dead-letter hook itself raises, the message is not acknowledged.
    """

    def __init__(
        self,
        transport: Transport | None = None,
        *,
        group: str | None = None,
        dead_letter: DeadLetterHook | None = None,
        max_attempts: int = 3,
    ) -> None:
        self.transport: Transport = transport if transport is not None else InMemoryTransport()
        self.group = group
        self.dead_letter: DeadLetterHook = dead_letter or log_dead_letter
        self.max_attempts = max_attempts
        self._routes: list[_Route] = []
        self._subscriptions: list[Subscription] = []

    def _register(self, spec: OperationSpec, handler: Callable[[Any], Awaitable[None]]) -> None:
        if self._subscriptions:
            raise RuntimeError("register handlers before start()")
        if any(route.spec is spec for route in self._routes):
            raise ValueError(f"a handler for {spec.operation} is already registered")
        self._routes.append(_Route(spec, handler))

    async def start(self) -> None:
        """Subscribe every registered handler."""
        if self._subscriptions:
            return
        for route in self._routes:

            async def on_delivery(delivery: Delivery, route: _Route = route) -> None:
                await self._dispatch(route, delivery)

            subscription = await self.transport.subscribe(
                route.spec.pattern, on_delivery, group=self.group
            )
            self._subscriptions.append(subscription)

    async def stop(self) -> None:
        """Stop receiving; waits for the handlers already running."""
        subscriptions, self._subscriptions = self._subscriptions, []
        for subscription in subscriptions:
            await subscription.stop()

    async def __aenter__(self) -> BaseConsumer:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    def decode(self, spec: OperationSpec, delivery: Delivery) -> tuple[MessageSpec, BaseModel]:
        """The message and its validated payload; raises ``ValueError`` when invalid."""
        if len(spec.messages) == 1:  # the common case, kept short: it runs for every message
            only = spec.messages[0]
            return only, only.payload.model_validate_json(
                delivery.body, by_alias=True, by_name=False
            )
        named = delivery.headers.get(MESSAGE)
        candidates = [m for m in spec.messages if m.name == named] or list(spec.messages)
        errors: list[str] = []
        for message in candidates:
            try:
                payload = message.payload.model_validate_json(
                    delivery.body, by_alias=True, by_name=False
                )
            except ValidationError as exc:
                if len(candidates) == 1:
                    raise
                errors.append(f"{message.name}: {exc}")
                continue
            return message, payload
        raise ValueError(f"matches none of the messages of {spec.operation}: {errors}")

    def decode_headers(self, message: MessageSpec, delivery: Delivery) -> BaseModel | None:
        if message.headers is None:
            return None
        fields = message.headers.model_fields
        wanted = {f.alias or name for name, f in fields.items()}
        declared = {k: v for k, v in delivery.headers.items() if k in wanted}
        return message.headers.model_validate(declared, by_alias=True, by_name=False)

    async def _dispatch(self, route: _Route, delivery: Delivery) -> None:
        try:
            message, payload = self.decode(route.spec, delivery)
            parsed_headers = self.decode_headers(message, delivery)
        except ValueError as exc:  # ValidationError is a ValueError
            await self._dead("invalid", route, delivery, exc)
            return
        token = _CURRENT.set(
            Received(
                delivery.subject, message.name, delivery.headers, parsed_headers, delivery.attempt
            )
        )
        try:
            await route.handler(payload)
        except Exception as exc:
            if delivery.redeliverable and delivery.attempt < self.max_attempts:
                log.warning(
                    "handler for %s failed (attempt %d): %s; redelivery requested",
                    route.spec.operation,
                    delivery.attempt,
                    exc,
                )
                raise
            await self._dead("handler-failed", route, delivery, exc)
        finally:
            _CURRENT.reset(token)

    async def _dead(
        self,
        reason: Literal["invalid", "handler-failed"],
        route: _Route,
        delivery: Delivery,
        error: Exception,
    ) -> None:
        dead = DeadLetter(reason, route.spec.operation, delivery, error)
        try:
            await self.dead_letter(dead)
        except Exception:
            log.exception("the dead-letter hook failed for %s", delivery.subject)
            raise
