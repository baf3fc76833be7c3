"""evreg.runtime with generated packages, in memory: publish, consume, dead letters, retries."""

from __future__ import annotations

import asyncio
import importlib
import sys
import uuid
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from pydantic import BaseModel, Field, ValidationError

import evreg
from evreg.codegen import SourceContract, plan_python, subject_for, write_package
from evreg.runtime import (
    BaseConsumer,
    BaseProducer,
    ChannelOptions,
    DeadLetter,
    InMemoryTransport,
    MessageSpec,
    MissingExtraError,
    OperationSpec,
    RetryPolicy,
    TransportError,
    current_message,
)
from evreg.runtime.kafka import frame, topic_pattern, unframe
from evreg.runtime.memory import subject_matches

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "codegen"


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> ModuleType:
    """A package generated from the shared orders and payments contracts."""
    root = tmp_path_factory.mktemp("shop")
    sources = []
    for name in ("orders.asyncapi.yaml", "payments.asyncapi.yaml"):
        contract = evreg.load_contract((FIXTURES / name).read_text(), name=name)
        sources.append(SourceContract(contract, name, subject_for(name, contract.document)))
    package = f"shop_{uuid.uuid4().hex[:8]}"
    write_package(plan_python(sources, package=package), root)
    sys.path.insert(0, str(root))
    try:
        return importlib.import_module(package)
    finally:
        sys.path.remove(str(root))


def order_placed(shop: ModuleType) -> Any:
    m = shop.models
    money = m.OrdersServiceMoney(amount="33.00", currency="EUR")
    item = m.LineItem(sku="BOOK-0042", quantity=2, unit_price=money)
    return m.OrdersServiceOrderPlaced(
        order_id=uuid.uuid4(),
        customer_id="cus_1",
        placed_at=datetime.now(UTC),
        currency=m.OrdersServiceOrderPlacedCurrency.EUR,
        items=[item],
        total=money,
        payment=m.CardPayment(method="card", last4="4242"),
    )


def run(coroutine: Awaitable[Any]) -> Any:
    async def bounded() -> Any:
        return await asyncio.wait_for(coroutine, 30)

    return asyncio.run(bounded())


def test_order_placed_from_producer_to_consumer_in_memory(shop: ModuleType) -> None:
    event = order_placed(shop)

    async def scenario() -> tuple[list[Any], Any]:
        transport = InMemoryTransport()
        consumer = shop.Consumer(transport)
        received: list[Any] = []

        @consumer.on_order_placed
        async def handle(order: Any) -> None:
            received.append((order, current_message()))

        async with consumer:
            published = await shop.Producer(transport).order_placed(event)
            await transport.drain()
        await transport.close()
        return received, published

    received, published = run(scenario())
    [(order, context)] = received
    assert isinstance(order, shop.models.PaymentsServiceOrderPlaced)  # the consumer's own view
    assert order.order_id == event.order_id and order.total.amount == "33.00"
    assert published.subject == "orders.placed" == context.subject
    headers = published.headers
    assert headers["content-type"] == "application/json"
    assert headers["evreg-message"] == "OrderPlaced"
    uuid.UUID(headers["eventId"])
    assert headers["correlationId"]
    assert context.headers == headers and context.attempt == 1
    assert b'"orderId"' in published.body and b'"couponCode"' not in published.body


def test_invalid_messages_go_to_the_dead_letter_hook_and_the_loop_goes_on(shop: ModuleType) -> None:
    async def scenario() -> tuple[list[Any], list[DeadLetter]]:
        transport = InMemoryTransport()
        dead: list[DeadLetter] = []

        async def hook(letter: DeadLetter) -> None:
            dead.append(letter)

        consumer = shop.Consumer(transport, dead_letter=hook)
        received: list[Any] = []

        @consumer.on_order_placed
        async def handle(order: Any) -> None:
            received.append(order)

        await consumer.start()
        await transport.publish("orders.placed", b"{not json", {})
        await transport.publish("orders.placed", b'{"orderId": "nope", "total": 1}', {})
        await shop.Producer(transport).order_placed(order_placed(shop))
        await transport.drain()
        await consumer.stop()
        return received, dead

    received, dead = run(scenario())
    assert len(received) == 1
    assert [d.reason for d in dead] == ["invalid", "invalid"]
    assert all(isinstance(d.error, ValidationError) for d in dead)
    assert dead[1].delivery.body == b'{"orderId": "nope", "total": 1}'
    assert "orderId" in str(dead[1].error)


class Thing(BaseModel):
    thing_id: str = Field(alias="thingId")


class Headers(BaseModel):
    correlation_id: str = Field(alias="correlationId")
    tenant: str


THING = OperationSpec(
    "sendThing",
    "things.{region}.created",
    (
        MessageSpec(
            "ThingCreated",
            Thing,
            headers=Headers,
            auto_headers={"correlationId": "correlation_id"},
        ),
    ),
)


class ThingProducer(BaseProducer):
    async def thing(self, event: Thing, **kwargs: Any) -> Any:
        return await self._send(THING, event, parameters={"region": "eu"}, **kwargs)


class ThingConsumer(BaseConsumer):
    def on_thing(self, handler: Callable[[Thing], Awaitable[None]]) -> None:
        self._register(THING, handler)


def test_failing_handlers_are_retried_then_dead_lettered() -> None:
    async def scenario() -> tuple[list[int], list[DeadLetter]]:
        transport = InMemoryTransport()
        dead: list[DeadLetter] = []

        async def hook(letter: DeadLetter) -> None:
            dead.append(letter)

        consumer = ThingConsumer(transport, dead_letter=hook, max_attempts=3)
        attempts: list[int] = []

        async def handle(thing: Thing) -> None:
            received = current_message()
            assert received is not None
            attempts.append(received.attempt)
            if thing.thing_id == "always" or received.attempt < 2:
                raise RuntimeError("boom")

        consumer.on_thing(handle)
        await consumer.start()
        producer = ThingProducer(transport)
        await producer.thing(Thing(thingId="once"), headers={"tenant": "t"})
        await transport.drain()
        await producer.thing(Thing(thingId="always"), headers={"tenant": "t"})
        await transport.drain()
        await consumer.stop()
        return attempts, dead

    attempts, dead = run(scenario())
    assert attempts == [1, 2, 1, 2, 3]
    [letter] = dead
    assert letter.reason == "handler-failed" and str(letter.error) == "boom"
    assert letter.delivery.subject == "things.eu.created"


def test_correlation_id_is_propagated_and_headers_are_validated() -> None:
    async def scenario() -> list[str]:
        transport = InMemoryTransport()
        consumer = ThingConsumer(transport)
        producer = ThingProducer(transport)
        seen: list[str] = []

        async def handle(thing: Thing) -> None:
            received = current_message()
            assert received is not None and isinstance(received.parsed_headers, Headers)
            seen.append(received.headers["correlationId"])
            if thing.thing_id == "first":
                await producer.thing(Thing(thingId="second"), headers={"tenant": "t"})

        consumer.on_thing(handle)
        async with consumer:
            await producer.thing(
                Thing(thingId="first"), headers={"tenant": "t"}, correlation_id="c-9"
            )
            await transport.drain()
            with pytest.raises(ValidationError, match="tenant"):
                await producer.thing(Thing(thingId="x"))  # a required header nobody fills in
        return seen

    assert run(scenario()) == ["c-9", "c-9"]


def test_the_producer_validates_what_goes_on_the_wire(shop: ModuleType) -> None:
    event = order_placed(shop)
    event.items = []  # no validate_assignment: the wire check catches it
    producer = shop.Producer(InMemoryTransport())
    with pytest.raises(ValidationError, match="items"):
        run(producer.order_placed(event))
    with pytest.raises(TypeError, match="OrdersServiceOrderPlaced"):
        run(producer.order_placed(shop.models.OrderMoney(amount="1", currency="EUR")))


class Flaky(InMemoryTransport):
    def __init__(self, failures: int) -> None:
        super().__init__()
        self.failures = failures
        self.calls = 0

    async def publish(
        self,
        subject: str,
        body: bytes,
        headers: Mapping[str, str],
        options: ChannelOptions | None = None,
    ) -> None:
        self.calls += 1
        if self.calls <= self.failures:
            raise TransportError("broker away")
        await super().publish(subject, body, headers, options)


def test_publish_retries_with_backoff() -> None:
    retry = RetryPolicy(attempts=4, initial_delay=0.001, max_delay=0.01)
    flaky = Flaky(failures=3)
    run(ThingProducer(flaky, retry=retry).thing(Thing(thingId="a"), headers={"tenant": "t"}))
    assert flaky.calls == 4 and len(flaky.published) == 1
    down = Flaky(failures=10)
    with pytest.raises(TransportError):
        run(ThingProducer(down, retry=retry).thing(Thing(thingId="a"), headers={"tenant": "t"}))
    assert down.calls == 4
    delays = RetryPolicy(attempts=6, initial_delay=0.1, max_delay=0.4).delays()
    assert len(delays) == 5 and all(0.05 <= d <= 0.4 for d in delays)


def test_stop_waits_for_the_running_handler() -> None:
    async def scenario() -> list[str]:
        transport = InMemoryTransport()
        consumer = ThingConsumer(transport)
        log: list[str] = []
        started = asyncio.Event()

        async def handle(thing: Thing) -> None:
            started.set()
            await asyncio.sleep(0.05)
            log.append("handled")

        consumer.on_thing(handle)
        await consumer.start()
        await ThingProducer(transport).thing(Thing(thingId="a"), headers={"tenant": "t"})
        await started.wait()
        await consumer.stop()
        log.append("stopped")
        return log

    assert run(scenario()) == ["handled", "stopped"]


def test_address_parameters_and_wildcards() -> None:
    assert THING.subject({"region": "eu"}) == "things.eu.created"
    assert THING.pattern == "things.*.created"
    with pytest.raises(ValueError, match="region"):
        THING.subject({})
    with pytest.raises(ValueError, match="one token"):
        THING.subject({"region": "eu.x"})
    assert subject_matches("things.*.created", "things.eu.created")
    assert subject_matches("things.>", "things.eu.created")
    assert not subject_matches("things.*", "things.eu.created")
    assert not subject_matches("things.>", "things")


def test_a_group_shares_messages_round_robin() -> None:
    async def scenario() -> tuple[int, int]:
        transport = InMemoryTransport()
        counts = [0, 0]

        def handler(n: int) -> Callable[[Any], Awaitable[None]]:
            async def handle(delivery: Any) -> None:
                counts[n] += 1

            return handle

        await transport.subscribe("a", handler(0), group="g", durable="g__a")
        await transport.subscribe("a", handler(1), group="g", durable="g__a")
        for _ in range(6):
            await transport.publish("a", b"{}", {})
        await transport.drain()
        await transport.close()
        return counts[0], counts[1]

    assert run(scenario()) == (3, 3)


@pytest.mark.parametrize(
    ("module", "client", "extra"),
    [("nats", "nats", "nats"), ("amqp", "aio_pika", "amqp"), ("kafka", "confluent_kafka", "kafka")],
)
def test_a_missing_broker_client_names_its_extra(
    module: str, client: str, extra: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, client, None)  # makes `import client` fail
    adapter = importlib.import_module(f"evreg.runtime.{module}")
    with pytest.raises(MissingExtraError, match=rf'pip install "evreg\[{extra}\]"'):
        adapter._client()


def test_kafka_wire_format() -> None:
    framed = frame(42, b'{"a":1}')
    assert framed == b"\x00\x00\x00\x00\x2a" + b'{"a":1}'
    assert unframe(framed) == (42, b'{"a":1}')
    assert unframe(b'{"a":1}') == (None, b'{"a":1}')
    with pytest.raises(ValueError):
        frame(2**32, b"")


def test_kafka_topic_patterns() -> None:
    assert topic_pattern("orders.placed") == "orders.placed"
    assert topic_pattern("orders.*.placed") == r"^orders\.[^.]+\.placed$"
    assert topic_pattern("orders.>") == r"^orders\..+$"
