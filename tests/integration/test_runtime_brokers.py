"""A package generated from orders + payments, over real brokers: NATS (core and JetStream) and
RabbitMQ. The orders producer publishes ``OrderPlaced``; the payments consumer receives it.

Each test generates the package with its own channel address (``orders.placed.<uid>``), and
uses its own stream, durable, exchange and queue names, so tests never see each other's
messages.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import sys
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

import evreg
from evreg.codegen import SourceContract, plan_python, write_package
from evreg.runtime import DeadLetter, Transport, current_message, wire

pytestmark = pytest.mark.services

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "codegen"


def shop_for(tmp_path: Path, address: str) -> ModuleType:
    sources = []
    for name in ("orders.asyncapi.yaml", "payments.asyncapi.yaml"):
        text = (FIXTURES / name).read_text().replace("orders.placed", address)
        contract = evreg.load_contract(text, name=name)
        sources.append(SourceContract(contract, name, name.split(".")[0]))
    package = f"shop_{uuid.uuid4().hex[:10]}"
    write_package(plan_python(sources, package=package), tmp_path)
    sys.path.insert(0, str(tmp_path))
    try:
        return importlib.import_module(package)
    finally:
        sys.path.remove(str(tmp_path))


def order(shop: ModuleType) -> Any:
    m = shop.models
    money = m.OrdersServiceMoney(amount="33.00", currency="EUR")
    return m.OrdersServiceOrderPlaced(
        order_id=uuid.uuid4(),
        customer_id="cus_8812",
        placed_at=datetime.now(UTC),
        currency=m.OrdersServiceOrderPlacedCurrency.EUR,
        items=[m.LineItem(sku="BOOK-0042", quantity=2, unit_price=money)],
        total=money,
    )


async def wait_for(condition: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("timed out waiting for the broker")
        await asyncio.sleep(0.02)


async def round_trip(
    shop: ModuleType,
    connect: Callable[[], Awaitable[Transport]],
    *,
    group: str | None,
    fail_first: bool,
    raw_publish: bool = True,
) -> tuple[list[tuple[Any, int]], list[DeadLetter], Any]:
    """Publish an invalid message and an OrderPlaced; return what the consumer saw."""
    producer_transport, consumer_transport = await connect(), await connect()
    dead: list[DeadLetter] = []
    seen: list[tuple[Any, int]] = []

    async def hook(letter: DeadLetter) -> None:
        dead.append(letter)

    consumer = shop.Consumer(consumer_transport, group=group, dead_letter=hook)

    @consumer.on_order_placed
    async def handle(event: Any) -> None:
        received = current_message()
        assert received is not None
        seen.append((event, received.attempt))
        if fail_first and received.attempt == 1:
            raise RuntimeError("transient failure")

    event = order(shop)
    address = consumer._routes[0].spec.address
    try:
        await consumer.start()
        await asyncio.sleep(0.2)  # let the subscription settle on the broker
        if raw_publish:
            await producer_transport.publish(address, b'{"orderId": 1}', {})
        published = await shop.Producer(producer_transport).order_placed(event)
        await wait_for(lambda: any(e.order_id == event.order_id and n >= 1 for e, n in seen))
        if fail_first:
            await wait_for(lambda: len([1 for e, _ in seen if e.order_id == event.order_id]) >= 2)
        if raw_publish:
            await wait_for(lambda: bool(dead))
        await asyncio.sleep(0.3)  # nothing else may arrive (no redelivery of acked messages)
    finally:
        await consumer.stop()
        await consumer_transport.close()
        await producer_transport.close()
    assert published.subject == address
    return seen, dead, event


async def delete_streams(nats_url: str, *names: str) -> None:
    """Delete this test's JetStream streams (those that exist)."""
    import nats
    from nats.js.errors import NotFoundError

    connection = await nats.connect(nats_url)
    try:
        for name in names:
            with contextlib.suppress(NotFoundError):
                await connection.jetstream().delete_stream(name)
    finally:
        await connection.close()


def check(
    seen: list[tuple[Any, int]], dead: list[DeadLetter], event: Any, attempts: list[int]
) -> None:
    assert [n for e, n in seen if e.order_id == event.order_id] == attempts
    assert all(e.total.amount == "33.00" for e, _ in seen)
    assert [d.reason for d in dead] == ["invalid"]
    assert "orderId" in str(dead[0].error)


def test_order_placed_over_nats(nats_url: str, tmp_path: Path) -> None:
    from evreg.runtime.nats import NatsTransport

    uid = uuid.uuid4().hex
    address = f"orders.placed.{uid}"
    shop = shop_for(tmp_path, address)
    dead_letters = {"dead_letter_prefix": f"evregtest.{uid}.dlq"}
    dead_letters["dead_letter_stream"] = f"EVREG_TEST_DLQ_{uid}"

    async def connect() -> Transport:
        return await NatsTransport.connect(nats_url, **dead_letters)

    async def scenario() -> Any:
        try:
            return await round_trip(shop, connect, group=None, fail_first=False)
        finally:
            await delete_streams(nats_url, dead_letters["dead_letter_stream"])

    seen, dead, event = asyncio.run(asyncio.wait_for(scenario(), 60))
    check(seen, dead, event, [1])


def test_order_placed_over_nats_jetstream_durable(nats_url: str, tmp_path: Path) -> None:
    from evreg.runtime.nats import NatsTransport

    uid = uuid.uuid4().hex
    address = f"orders.placed.{uid}"
    shop = shop_for(tmp_path, address)
    stream = f"EVREG_TEST_{uid}"

    dlq = f"EVREG_TEST_DLQ_{uid}"

    async def connect() -> Transport:
        transport = await NatsTransport.connect(
            nats_url,
            jetstream=True,
            nak_delay=0.05,
            dead_letter_prefix=f"evregtest.{uid}.dlq",
            dead_letter_stream=dlq,
        )
        await transport.ensure_stream(stream, [address])
        return transport

    async def scenario() -> Any:
        try:
            return await round_trip(shop, connect, group=f"payments-{uid}", fail_first=True)
        finally:
            await delete_streams(nats_url, stream, dlq)

    seen, dead, event = asyncio.run(asyncio.wait_for(scenario(), 60))
    check(seen, dead, event, [1, 2])  # nak-ed once, redelivered, then acked


def test_order_placed_over_rabbitmq(amqp_url: str, tmp_path: Path) -> None:
    from evreg.runtime.amqp import AmqpTransport

    uid = uuid.uuid4().hex
    shop = shop_for(tmp_path, f"orders.placed.{uid}")
    exchange, queue = f"evreg-test-{uid}", f"payments-{uid}"

    async def connect() -> Transport:
        return await AmqpTransport.connect(amqp_url, exchange=exchange)

    async def scenario() -> Any:
        try:
            return await round_trip(shop, connect, group=queue, fail_first=True)
        finally:
            admin = await AmqpTransport.connect(amqp_url, exchange=exchange)
            name = wire.subscription_name(queue, f"orders.placed.{uid}")
            for leftover in (name, f"{name}.dlq"):
                await admin.channel.queue_delete(leftover)
            for leftover in (exchange, f"{exchange}.dlx"):
                await admin.channel.exchange_delete(leftover)
            await admin.close()

    seen, dead, event = asyncio.run(asyncio.wait_for(scenario(), 60))
    check(seen, dead, event, [1, 2])  # requeued once, redelivered, then acked


def test_order_placed_over_rabbitmq_without_a_group(amqp_url: str, tmp_path: Path) -> None:
    """Without a group: an exclusive queue that goes away with the consumer (stopping it,
    then subscribing again, works), and its dead letters are kept in ``<exchange>.dlq``."""
    import aio_pika

    from evreg.runtime.amqp import AmqpTransport

    uid = uuid.uuid4().hex
    shop = shop_for(tmp_path, f"orders.placed.{uid}")
    exchange = f"evreg-test-{uid}"

    async def connect() -> Transport:
        return await AmqpTransport.connect(amqp_url, exchange=exchange)

    async def stored() -> list[tuple[bytes, dict[str, Any]]]:
        connection = await aio_pika.connect(amqp_url)
        try:
            channel = await connection.channel()
            queue = await channel.get_queue(f"{exchange}.dlq", ensure=True)
            out = []
            while (message := await queue.get(no_ack=True, fail=False)) is not None:
                headers = {
                    k: v.decode() if isinstance(v, bytes) else v
                    for k, v in (message.headers or {}).items()
                }
                out.append((message.body, headers))
            await channel.queue_delete(f"{exchange}.dlq")
            for name in (exchange, f"{exchange}.dlx"):
                await channel.exchange_delete(name)
            return out
        finally:
            await connection.close()

    async def scenario() -> Any:
        first = await round_trip(shop, connect, group=None, fail_first=False)
        again = await round_trip(shop, connect, group=None, fail_first=False, raw_publish=False)
        return first, again, await stored()

    (seen, dead, event), (seen_again, _, _), letters = asyncio.run(asyncio.wait_for(scenario(), 60))
    check(seen, dead, event, [1])
    assert [n for _, n in seen_again] == [1]
    [(body, headers)] = letters
    assert body == b'{"orderId": 1}'
    assert headers["evreg-dead-letter-reason"] == "invalid"
    assert headers["evreg-dead-letter-group"] == ""
    assert "orderId" in headers["evreg-dead-letter-error"]
