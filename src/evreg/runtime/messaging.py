"""What generated producers and consumers are built on: specs, validation, headers, retries.

A generated ``Producer`` has one method per *send* operation; each calls ``BaseProducer._send``
with a module-level ``OperationSpec``. A generated ``Consumer`` has one decorator per *receive*
operation; each calls ``BaseConsumer._register``. Everything contract-specific is in the specs,
so this module stays small and the generated code stays declarative.
"""

from __future__ import annotations

import asyncio
import contextvars
import dataclasses
import json
import logging
import random
import re
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, ValidationError

from evreg.runtime import strict_json, tracing, wire
from evreg.runtime.memory import InMemoryTransport
from evreg.runtime.schema_ids import RegistrySchemaIds
from evreg.runtime.transport import (
    ChannelOptions,
    Delivery,
    Subscription,
    Transport,
    TransportError,
)
from evreg.runtime.wire import CONTENT_TYPE, MESSAGE, SCHEMA_ID, DeadReason

log = logging.getLogger("evreg.runtime")

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
    # an integral float (2.0) is an integer, as in JSON Schema since draft 6 (not draft-04)
    integral_floats: bool = True
    # the wire names of the headers model's fields, computed once: what a consumer reads
    header_names: frozenset[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        fields = {} if self.headers is None else self.headers.model_fields
        names = frozenset(f.alias or name for name, f in fields.items())
        object.__setattr__(self, "header_names", names)


@dataclass(frozen=True, slots=True)
class OperationSpec:
    """One operation: where it sends or receives, and which messages."""

    operation: str
    address: str  # may hold {parameters}
    messages: tuple[MessageSpec, ...]
    # what the channel's and operation's bindings ask of every publish (Kafka key, MQTT QoS...)
    options: ChannelOptions | None = None
    # where the Kafka key comes from when the caller gives none: "$message.payload#/orderId"
    # or "$message.header#/eventId" (an AsyncAPI runtime expression)
    key: str | None = None

    def subject(self, parameters: Mapping[str, str] | None = None) -> str:
        """The concrete address, ``{name}`` placeholders filled from ``parameters``.

        A value must be one token of the address: no separator (``/`` when the address has
        one, else ``.``), no wildcard, no whitespace.
        """
        values = parameters or {}
        forbidden = "/+#" if "/" in self.address else ".*>"

        def fill(match: re.Match[str]) -> str:
            value = values.get(match.group(1))
            if value is None:
                raise ValueError(f"{self.operation}: no value for address parameter {match[0]}")
            if not value or any(c in value for c in forbidden + " \t\r\n\0"):
                raise ValueError(f"{self.operation}: {match[0]} = {value!r} is not one token")
            return value

        return re.sub(r"\{([^{}]+)\}", fill, self.address)

    @property
    def pattern(self) -> str:
        """The address with each parameter as a one-token wildcard, to subscribe to."""
        return re.sub(r"\{[^{}]+\}", "*", self.address)

    def parameters(self, subject: str) -> dict[str, str]:
        """The parameter values a concrete ``subject`` of this address carries (empty when
        it does not match, or the address has none)."""
        if "{" not in self.address:
            return {}
        separator = "/" if "/" in self.address else "."
        pieces = re.split(r"\{([^{}]+)\}", self.address)
        regex = "".join(
            re.escape(piece) if n % 2 == 0 else f"(?P<p{n // 2}>[^{re.escape(separator)}]+)"
            for n, piece in enumerate(pieces)
        )
        match = re.fullmatch(regex, subject)
        if match is None:
            return {}
        return {pieces[2 * i + 1]: match[f"p{i}"] for i in range(len(pieces) // 2)}


@dataclass(frozen=True, slots=True)
class Published:
    subject: str
    body: bytes
    headers: Mapping[str, str]
    key: str | None = None


@dataclass(frozen=True, slots=True)
class Received:
    """The message a handler is running for (see ``current_message``)."""

    subject: str
    message: str
    headers: Mapping[str, str]
    parsed_headers: BaseModel | None
    attempt: int
    parameters: Mapping[str, str] = field(default_factory=dict)  # address {parameters}


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """A message that was not handled: invalid, unknown, or its handler kept failing. It is in
    the broker's dead-letter place (``headers`` as written there) when the hook sees it."""

    reason: DeadReason
    operation: str
    delivery: Delivery
    error: Exception
    headers: Mapping[str, str] = field(default_factory=dict)


DeadLetterHook = Callable[[DeadLetter], Awaitable[None]]

# while a handler runs: [delivery, message name, parsed headers, operation, its Received]; the
# Received is made when first asked for (most handlers never ask), then kept
_CURRENT: contextvars.ContextVar[list[Any] | None] = contextvars.ContextVar(
    "evreg_current_message", default=None
)


def current_message() -> Received | None:
    """Inside a consumer handler: the message being handled (headers, subject, attempt)."""
    handling = _CURRENT.get()
    if handling is None:
        return None
    received: Received | None = handling[4]
    if received is None:
        delivery, name, parsed_headers, spec = handling[:4]
        received = handling[4] = Received(
            delivery.subject,
            name,
            delivery.headers,
            parsed_headers,
            delivery.attempt,
            spec.parameters(delivery.subject),
        )
    return received


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


class BaseProducer:
    """Validates, serialises and publishes; generated subclasses add one method per operation.

    Given a ``registry`` (a URL, or a ``RegistrySchemaIds``), the schema id a message carries is
    looked up at run time: the latest version of ``<topic>-value`` (cached; see
    ``evreg.runtime.schema_ids``), else the id generated into the code.
    """

    def __init__(
        self,
        transport: Transport | None = None,
        *,
        retry: RetryPolicy | None = None,
        registry: str | RegistrySchemaIds | None = None,
    ):
        self.transport: Transport = transport if transport is not None else InMemoryTransport()
        self.retry = retry if retry is not None else RetryPolicy()
        self.registry = RegistrySchemaIds(registry) if isinstance(registry, str) else registry

    async def close(self) -> None:
        await self.transport.close()
        if self.registry is not None:
            await self.registry.close()

    async def _send(
        self,
        spec: OperationSpec,
        event: BaseModel,
        *,
        headers: BaseModel | Mapping[str, object] | None = None,
        correlation_id: str | None = None,
        parameters: Mapping[str, str] | None = None,
        key: str | None = None,
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
        schema_id = message.schema_id
        if self.registry is not None:
            looked_up = await self.registry.id_for(spec.address)
            schema_id = looked_up if looked_up is not None else schema_id
        wire_headers = self._headers(message, headers, correlation_id, schema_id)
        subject = spec.subject(parameters)
        options = spec.options or ChannelOptions()
        if key is None and spec.key is not None:
            key = wire.key_from(spec.key, body, wire_headers)
        if key is not None:
            options = dataclasses.replace(options, key=key)
        system = getattr(self.transport, "system", "unknown")
        with tracing.publishing(system, subject, message.name, wire_headers):
            await self._publish(subject, body, wire_headers, options)
        return Published(subject, body, wire_headers, options.key)

    def _headers(
        self,
        message: MessageSpec,
        given: BaseModel | Mapping[str, object] | None,
        correlation_id: str | None,
        schema_id: int | None,
    ) -> dict[str, str]:
        out: dict[str, str] = {CONTENT_TYPE: message.content_type, MESSAGE: message.name}
        if schema_id is not None:
            out[SCHEMA_ID] = str(schema_id)
        if message.headers is None:
            if given:  # nothing a caller sends is dropped silently
                names = given.model_fields_set if isinstance(given, BaseModel) else set(given)
                raise TypeError(
                    f"{message.name} declares no headers, but headers were given: "
                    f"{', '.join(sorted(map(str, names)))}"
                )
            return out
        values: dict[str, object] = {}
        for name, kind in message.auto_headers.items():
            auto = self._auto(kind, message, correlation_id, schema_id)
            if auto is not None:
                values[name] = auto
        if isinstance(given, BaseModel):
            values.update(given.model_dump(mode="json", by_alias=True))
        elif given is not None:
            values.update(given)
        # a header schema that forbids other headers refuses them here (extra="forbid")
        model = message.headers.model_validate(values, by_alias=True, by_name=False)
        for name, value in model.model_dump(mode="json", by_alias=True).items():
            if value is not None:
                out[name] = _wire_value(value)
        # one it allows (JSON Schema's default) goes on the wire as given, not dropped: what
        # a pydantic model ignores, the contract allows (the TypeScript runtime does the same)
        declared = {f.alias or n for n, f in message.headers.model_fields.items()}
        for name, value in values.items():
            if name not in declared and name not in out and value is not None:
                out[str(name)] = _wire_value(value)
        return out

    @staticmethod
    def _auto(
        kind: AutoHeader, message: MessageSpec, correlation_id: str | None, schema_id: int | None
    ) -> str | None:
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
            return wire.now()
        if kind == "content_type":
            return message.content_type
        if kind == "schema_id":
            return None if schema_id is None else str(schema_id)
        return None

    async def _publish(
        self, subject: str, body: bytes, headers: Mapping[str, str], options: ChannelOptions
    ) -> None:
        delays: list[float] | None = None  # drawn only when a publish failed
        attempt = 0
        while True:
            try:
                await self.transport.publish(subject, body, headers, options)
                return
            except RETRYABLE as exc:
                delays = self.retry.delays() if delays is None else delays
                if attempt >= len(delays):
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
                attempt += 1


async def log_dead_letter(dead: DeadLetter) -> None:
    """The default dead-letter hook: an error log with the reason and the error (the letter
    itself is already in the broker's dead-letter place)."""
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

    With a ``group``, each channel is one shared subscription of that group
    (``wire.subscription_name(group, address)``): the group's members compete for its messages,
    and every group gets every message. An invalid message (bad JSON, schema violation, unknown
    message, bad declared headers) is dead-lettered at once; a handler that raises is
    redelivered while the broker can and ``max_attempts`` allows, then dead-lettered. A dead
    letter goes to the broker's dead-letter place (``Transport.dead_letter``: the original body
    and headers plus the error), then to the ``dead_letter`` hook (default: an error log), and
    only then is the message acknowledged; if either fails, it is not.
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
        self.group = None if group is None else wire.check_group(group)
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
        """Subscribe every registered handler, one subscription per channel."""
        if self._subscriptions:
            return
        try:
            for route in self._routes:

                async def on_delivery(delivery: Delivery, route: _Route = route) -> None:
                    await self._dispatch(route, delivery)

                durable = None
                if self.group is not None:
                    durable = wire.subscription_name(self.group, route.spec.address)
                subscription = await self.transport.subscribe(
                    route.spec.pattern,
                    on_delivery,
                    group=self.group,
                    durable=durable,
                    max_attempts=self.max_attempts,
                    options=route.spec.options,
                )
                self._subscriptions.append(subscription)
        except BaseException:
            await self.stop()
            raise

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
            # strict JSON types, as the contract's JSON Schema reads them: strict_json.validate
            # with its first pass inline, the same call (a Python call less per message)
            try:
                payload = only.payload.__pydantic_validator__.validate_json(
                    delivery.body, strict=True, by_alias=True, by_name=False
                )
            except ValidationError as exc:
                payload = strict_json.retry(
                    only.payload, delivery.body, exc, integral_floats=only.integral_floats
                )
            return only, payload
        named = delivery.headers.get(MESSAGE)
        candidates = [m for m in spec.messages if m.name == named] or list(spec.messages)
        errors: list[str] = []
        for message in candidates:
            try:
                payload = strict_json.validate(
                    message.payload, delivery.body, integral_floats=message.integral_floats
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
        wanted = message.header_names
        declared = {k: v for k, v in delivery.headers.items() if k in wanted}
        headers: BaseModel = message.headers.__pydantic_validator__.validate_python(
            declared, by_alias=True, by_name=False
        )
        return headers

    async def _dispatch(self, route: _Route, delivery: Delivery) -> None:
        system = getattr(self.transport, "system", "unknown")
        with tracing.processing(
            system, delivery.subject, delivery.headers, self.group, delivery.attempt
        ) as failed:
            try:
                message, payload = self.decode(route.spec, delivery)
                parsed_headers = self.decode_headers(message, delivery)
            except ValueError as exc:  # ValidationError is a ValueError
                failed(exc)
                await self._dead("invalid", route, delivery, exc)
                return
            if delivery.attempt > self.max_attempts:
                # an earlier attempt ended with no outcome: its consumer stopped or died
                # while handling it (a message that crashes its consumer gets here too)
                error = RuntimeError(
                    f"attempt {delivery.attempt} of at most {self.max_attempts}: an earlier "
                    "attempt ended without an outcome (its consumer stopped or died)"
                )
                failed(error)
                await self._dead("handler-failed", route, delivery, error)
                return
            token = _CURRENT.set([delivery, message.name, parsed_headers, route.spec, None])
            try:
                await route.handler(payload)
            except Exception as exc:
                failed(exc)
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
        self, reason: DeadReason, route: _Route, delivery: Delivery, error: Exception
    ) -> None:
        headers = wire.dead_letter_headers(
            delivery.headers,
            reason=reason,
            error=error,
            operation=route.spec.operation,
            subject=delivery.subject,
            group=self.group,
            attempt=delivery.attempt,
        )
        try:
            await self.transport.dead_letter(delivery, headers)
            await self.dead_letter(
                DeadLetter(reason, route.spec.operation, delivery, error, headers)
            )
        except Exception:
            log.exception("dead-lettering failed for %s; not acknowledged", delivery.subject)
            raise
