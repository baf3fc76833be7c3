"""The runtime's wire conventions (names, dead letters, keys) and its OpenTelemetry spans,
checked on the in-memory transport; spans read from the SDK's in-memory exporter."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from opentelemetry.trace import SpanKind, StatusCode
from pydantic import BaseModel, Field

from evreg.runtime import (
    BaseConsumer,
    BaseProducer,
    ChannelOptions,
    InMemoryTransport,
    MessageSpec,
    OperationSpec,
    current_message,
    wire,
)
from evreg.runtime.mqtt import topic_filter
from evreg.runtime.wire import key_from
from tracing_sdk import in_memory_spans


class Parcel(BaseModel):
    parcel_id: str = Field(alias="parcelId")
    hub: dict[str, str] = Field(default_factory=dict)


class Headers(BaseModel):
    event_id: str = Field(alias="eventId")


SPEC = OperationSpec(
    "sendParcel",
    "parcels.{region}.scanned",
    (MessageSpec("ParcelScanned", Parcel, headers=Headers, auto_headers={"eventId": "event_id"}),),
    options=ChannelOptions(qos=1),
    key="$message.payload#/parcelId",
)
NEXT = OperationSpec("sendNext", "parcels.next", (MessageSpec("ParcelNext", Parcel),))


class Producer(BaseProducer):
    async def parcel(self, event: Parcel, **kwargs: Any) -> Any:
        return await self._send(SPEC, event, parameters={"region": "eu"}, **kwargs)

    async def next(self, event: Parcel) -> Any:
        return await self._send(NEXT, event)


class Consumer(BaseConsumer):
    def on_parcel(self, handler: Callable[[Parcel], Awaitable[None]]) -> None:
        self._register(SPEC, handler)

    def on_next(self, handler: Callable[[Parcel], Awaitable[None]]) -> None:
        self._register(NEXT, handler)


def test_subscription_names() -> None:
    assert wire.slug("orders.{region}.placed") == "orders-region-placed"
    assert wire.slug("lights/{id}/measured") == "lights-id-measured"
    assert wire.subscription_name("billing", "orders.placed") == "billing__orders-placed"
    long = wire.subscription_name("g", "a." * 150)
    assert len(long) == 200 and long != wire.subscription_name("g", "a." * 151)
    for bad in ("", "a.b", "a b", "ä"):
        with pytest.raises(ValueError, match="group"):
            wire.check_group(bad)
    with pytest.raises(ValueError, match="group"):
        Consumer(InMemoryTransport(), group="has.dot")


def test_address_parameters_refuse_separators_of_their_address() -> None:
    assert SPEC.subject({"region": "eu-1"}) == "parcels.eu-1.scanned"
    slashed = OperationSpec("op", "lights/{id}/on", ())
    assert slashed.subject({"id": "a.b"}) == "lights/a.b/on"  # a dot is fine in MQTT levels
    for bad in ("a/b", "+", "#"):
        with pytest.raises(ValueError, match="one token"):
            slashed.subject({"id": bad})
    assert SPEC.parameters("parcels.eu-1.scanned") == {"region": "eu-1"}
    assert SPEC.parameters("parcels.eu.1.scanned") == {}  # not one token: not this address
    two = OperationSpec("op", "lights/{site}/{id}/on", ())
    assert two.parameters("lights/s.1/42/on") == {"site": "s.1", "id": "42"}
    assert NEXT.parameters("parcels.next") == {}
    assert topic_filter("lights/*/on") == "lights/+/on"
    assert topic_filter("lights/>") == "lights/#"


def test_keys_come_from_the_caller_or_the_key_expression() -> None:
    body = b'{"parcelId": "p-7", "hub": {"code": 12}}'
    assert key_from("$message.payload#/parcelId", body, {}) == "p-7"
    assert key_from("$message.payload#/hub/code", b'{"hub": {"code": 12}}', {}) == "12"
    assert key_from("$message.header#/eventId", body, {"eventId": "e1"}) == "e1"
    assert key_from("$message.payload#/missing", body, {}) is None
    with pytest.raises(ValueError, match="key"):
        key_from("$message.body#/x", body, {})

    async def scenario() -> list[Any]:
        transport = InMemoryTransport()
        producer = Producer(transport)
        await producer.parcel(Parcel(parcelId="p-7"))
        await producer.parcel(Parcel(parcelId="p-8"), key="explicit")
        return transport.published

    first, second = asyncio.run(scenario())
    assert first.key == b"p-7" and second.key == b"explicit"


def test_dead_letters_keep_the_message_and_name_the_error() -> None:
    async def scenario() -> InMemoryTransport:
        transport = InMemoryTransport()
        consumer = Consumer(transport, group="billing", max_attempts=2)

        async def fail(parcel: Parcel) -> None:
            raise RuntimeError(f"cannot bill {parcel.parcel_id}")

        consumer.on_parcel(fail)
        await consumer.start()
        await Producer(transport).parcel(Parcel(parcelId="p-1"))
        await transport.publish("parcels.eu.scanned", b'{"parcel": 1}', {"x": "y"})
        await transport.drain()
        await consumer.stop()
        return transport

    transport = asyncio.run(scenario())
    sent = transport.published[0]
    letters = {d.headers[wire.DEAD_REASON]: d for d in transport.dead_letters}
    failed, invalid = letters["handler-failed"], letters["invalid"]
    assert len(transport.dead_letters) == 2
    assert failed.body == sent.body and failed.key == b"p-1"
    assert {k: failed.headers[k] for k in sent.headers} == dict(sent.headers)
    assert failed.headers[wire.DEAD_REASON] == "handler-failed"
    assert failed.headers[wire.DEAD_ERROR] == "RuntimeError: cannot bill p-1"
    assert failed.headers[wire.DEAD_ATTEMPTS] == "2"
    assert failed.headers[wire.DEAD_GROUP] == "billing"
    assert failed.headers[wire.DEAD_OPERATION] == "sendParcel"
    assert failed.headers[wire.DEAD_SUBJECT] == "parcels.eu.scanned"
    assert failed.durable == "billing__parcels-region-scanned"
    assert invalid.body == b'{"parcel": 1}' and invalid.headers["x"] == "y"
    assert invalid.headers[wire.DEAD_REASON] == "invalid"
    assert invalid.headers[wire.DEAD_ATTEMPTS] == "1"
    assert "parcelId" in invalid.headers[wire.DEAD_ERROR]


def test_traces_go_from_producer_to_consumer_and_on() -> None:
    spans = in_memory_spans()

    async def scenario() -> InMemoryTransport:
        transport = InMemoryTransport()
        consumer = Consumer(transport, group="relay")

        async def relay(parcel: Parcel) -> None:
            await Producer(transport).next(parcel)

        async def fail(parcel: Parcel) -> None:
            raise RuntimeError("no")

        consumer.on_parcel(relay)
        consumer.on_next(fail)
        await consumer.start()
        await Producer(transport).parcel(Parcel(parcelId="p-1"))
        await transport.drain()
        await consumer.stop()
        return transport

    transport = asyncio.run(scenario())
    by_name = {s.name: s for s in spans.get_finished_spans()}
    publish = by_name["parcels.eu.scanned publish"]
    process = by_name["parcels.eu.scanned process"]
    forward = by_name["parcels.next publish"]
    assert publish.kind == SpanKind.PRODUCER and process.kind == SpanKind.CONSUMER
    assert process.parent is not None and process.parent.span_id == publish.context.span_id
    assert forward.parent is not None and forward.parent.span_id == process.context.span_id
    assert len({publish.context.trace_id, process.context.trace_id, forward.context.trace_id}) == 1
    assert publish.attributes is not None and process.attributes is not None
    assert publish.attributes["messaging.system"] == "memory"
    assert process.attributes["messaging.consumer.group.name"] == "relay"
    # the traceparent on the wire is the producer span's
    sent = transport.published[0].headers["traceparent"]
    assert sent.startswith(f"00-{publish.context.trace_id:032x}-{publish.context.span_id:016x}-")
    # a failing handler's span is an error, with the exception recorded
    failures = [s for s in spans.get_finished_spans() if s.name == "parcels.next process"]
    assert failures and all(s.status.status_code == StatusCode.ERROR for s in failures)
    assert all(any(e.name == "exception" for e in s.events) for s in failures)
    assert json.loads(transport.dead_letters[0].body) == {"parcelId": "p-1", "hub": {}}


def test_an_unreachable_registry_is_an_error_not_a_silent_id() -> None:
    from evreg.runtime.schema_ids import RegistrySchemaIds, SchemaIdLookupError
    from servers import free_port

    async def lookup() -> int | None:
        ids = RegistrySchemaIds(f"http://127.0.0.1:{free_port()}", timeout=2)
        try:
            return await ids.id_for("orders.placed")
        finally:
            await ids.close()

    with pytest.raises(SchemaIdLookupError, match=r"registry http://127\.0\.0\.1"):
        asyncio.run(lookup())


def test_a_handler_sees_the_address_parameters() -> None:
    async def scenario() -> list[Any]:
        transport = InMemoryTransport()
        consumer = Consumer(transport)
        seen: list[Any] = []

        async def handle(parcel: Parcel) -> None:
            received = current_message()
            assert received is not None
            assert current_message() is received  # one record per message, made once
            seen.append(received)

        consumer.on_parcel(handle)
        await consumer.start()
        await Producer(transport).parcel(Parcel(parcelId="p-1"))
        await Producer(transport).parcel(Parcel(parcelId="p-2"))
        await transport.drain()
        await consumer.stop()
        assert current_message() is None
        return seen

    first, second = asyncio.run(scenario())
    assert first.parameters == {"region": "eu"} and first.subject == "parcels.eu.scanned"
    assert (first.message, first.attempt) == ("ParcelScanned", 1)
    assert isinstance(first.parsed_headers, Headers) and "eventId" in first.headers
    assert first.parsed_headers.event_id == first.headers["eventId"]
    assert first is not second and first.headers["eventId"] != second.headers["eventId"]


def test_headers_for_a_message_that_declares_none_are_refused() -> None:
    transport = InMemoryTransport()
    with pytest.raises(TypeError, match=r"ParcelNext declares no headers.*tenant"):
        asyncio.run(Producer(transport)._send(NEXT, Parcel(parcelId="p"), headers={"tenant": "t"}))
    assert transport.published == []


class StrictHeaders(BaseModel):
    model_config = {"extra": "forbid"}
    event_id: str = Field(alias="eventId")


def test_headers_the_contract_does_not_declare_are_sent_or_refused_never_dropped() -> None:
    """A header schema allows other headers unless it says otherwise (JSON Schema's default):
    a given header it does not declare goes on the wire as given; one whose schema forbids
    others (``additionalProperties: false``, a model with ``extra="forbid"``) is refused,
    naming it, and nothing is published."""
    transport = InMemoryTransport()
    given = {"tenant": "t-1", "retries": 2}
    sent = asyncio.run(Producer(transport).parcel(Parcel(parcelId="p"), headers=given))
    assert sent.headers["tenant"] == "t-1" and sent.headers["retries"] == "2"
    assert transport.published[0].headers["tenant"] == "t-1"

    strict = OperationSpec(
        "sendStrict",
        "parcels.strict",
        (
            MessageSpec(
                "Strict", Parcel, headers=StrictHeaders, auto_headers={"eventId": "event_id"}
            ),
        ),
    )
    transport = InMemoryTransport()
    with pytest.raises(ValueError, match="tenant"):
        asyncio.run(
            Producer(transport)._send(strict, Parcel(parcelId="p"), headers={"tenant": "t"})
        )
    assert transport.published == []


def test_a_dead_letter_replayed_is_handled_like_the_original() -> None:
    """wire.replay: the original subject and headers of a dead letter; published again, the
    consumer handles it (here the handler fails once, then works)."""

    async def scenario() -> tuple[list[str], list[Any], Any]:
        transport = InMemoryTransport()
        consumer = Consumer(transport, max_attempts=1)
        seen: list[str] = []
        failing = [True]

        async def handle(parcel: Parcel) -> None:
            if failing[0]:
                raise RuntimeError("down")
            seen.append(parcel.parcel_id)

        consumer.on_parcel(handle)
        await consumer.start()
        sent = await Producer(transport).parcel(Parcel(parcelId="p-7"))
        await transport.drain()
        [letter] = transport.dead_letters
        subject, headers = wire.replay(letter.headers)
        failing[0] = False
        await transport.publish(subject, letter.body, headers)
        await transport.drain()
        await consumer.stop()
        return seen, [subject, headers], sent

    seen, (subject, headers), sent = asyncio.run(scenario())
    assert seen == ["p-7"]
    assert subject == sent.subject and headers == dict(sent.headers)
    with pytest.raises(ValueError, match="not a dead letter"):
        wire.replay(dict(sent.headers))
