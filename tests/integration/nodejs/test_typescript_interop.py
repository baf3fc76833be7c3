"""A TypeScript producer and a Python consumer (and the reverse) exchange events over real
NATS, RabbitMQ and Kafka (Tansu, a Kafka-protocol broker; kafkajs on the TypeScript side): the
peer implementation side by side is the oracle of the wire format.

Both packages are generated from one contract (``INTEROP``) whose channel address is unique
to the test, with a payload of every shape the wire has to carry (uuid, date-time, enum,
nested array, integer, number, nullable, optional) and headers of which one is an integer
(``attempt``: JSON text on the wire, a number again on the other side). The TypeScript side
runs in ``node`` (scripts below, on the compiled package); the Python side in this process.
"""

from __future__ import annotations

import asyncio
import importlib
import json
import sys
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

import evreg
from evreg.codegen import SourceContract, generate, plan_python, write_package
from evreg.runtime import Transport, current_message
from evreg.runtime.wire import subscription_name

from . import node

pytestmark = pytest.mark.services

INTEROP = """
asyncapi: 3.0.0
info: {title: interop, version: 1.0.0}
defaultContentType: application/json
channels:
  placed:
    address: ADDRESS
    messages:
      OrderPlaced: {$ref: '#/components/messages/OrderPlaced'}
operations:
  sendOrderPlaced:
    action: send
    channel: {$ref: '#/channels/placed'}
    messages: [{$ref: '#/channels/placed/messages/OrderPlaced'}]
components:
  messages:
    OrderPlaced:
      name: OrderPlaced
      headers:
        type: object
        required: [eventId, correlationId]
        properties:
          eventId: {type: string, format: uuid}
          correlationId: {type: string}
          occurredAt: {type: string, format: date-time}
          attempt: {type: integer, minimum: 1}
      payload:
        type: object
        additionalProperties: false
        required: [orderId, placedAt, currency, items, total]
        properties:
          orderId: {type: string, format: uuid}
          placedAt: {type: string, format: date-time}
          currency: {type: string, enum: [EUR, USD]}
          items:
            type: array
            minItems: 1
            items:
              type: object
              additionalProperties: false
              required: [sku, quantity]
              properties:
                sku: {type: string}
                quantity: {type: integer, minimum: 1}
          total: {type: number}
          coupon: {type: [string, "null"]}
          note: {type: string}
"""

# the transport of a script: NATS, RabbitMQ, or Kafka through kafkajs (KafkaJS's own client,
# from the npm registry) adapted to the KafkaJS-compatible API @evreg/runtime/kafka takes
CONNECT = """
export async function connect(kind, url, exchange) {
  if (kind === "nats") return (await import("@evreg/runtime/nats")).NatsTransport.connect(url);
  if (kind === "amqp") {
    return (await import("@evreg/runtime/amqp")).AmqpTransport.connect(url, { exchange });
  }
  const { Kafka, logLevel } = (await import("kafkajs")).default;
  const kafka = new Kafka({ brokers: [url], logLevel: logLevel.ERROR });
  const client = {
    producer: () => kafka.producer(),
    consumer: (config) => {
      const { groupId, fromBeginning, autoCommit } = config.kafkaJS;
      // Tansu holds a join for half the session timeout (kafkajs's default: 30 s)
      const consumer = kafka.consumer({ groupId, sessionTimeout: 6000 });
      return {
        connect: () => consumer.connect(),
        disconnect: () => consumer.disconnect(),
        subscribe: ({ topics }) => consumer.subscribe({ topics, fromBeginning }),
        run: ({ eachMessage }) => consumer.run({ autoCommit, eachMessage }),
        commitOffsets: (offsets) => consumer.commitOffsets(offsets),
      };
    },
  };
  return (await import("@evreg/runtime/kafka")).KafkaTransport.fromClient(client);
}
"""

PRODUCE = """
import { readFileSync } from "node:fs";
import { Producer } from "./dist/src/index.js";
import { connect } from "./connect.mjs";
const [kind, url, exchange] = process.argv.slice(2);
const transport = await connect(kind, url, exchange);
const producer = new Producer(transport);
const sent = [];
for (const event of JSON.parse(readFileSync(0, "utf8"))) {
  const options = { headers: { attempt: 2 }, correlationId: "corr-ts" };
  const published = await producer.orderPlaced(event, options);
  sent.push(published.headers);
}
await producer.close();
console.log(JSON.stringify(sent));
"""

CONSUME = """
import { Consumer } from "./dist/src/index.js";
import { connect } from "./connect.mjs";
const [kind, url, exchange, group, count, wait = "30000"] = process.argv.slice(2);
const transport = await connect(kind, url, exchange);
const consumer = new Consumer(transport, group ? { group } : {});
let seen = 0;
let finish;
const finished = new Promise((resolve) => { finish = resolve; });
consumer.onOrderPlaced((event, message) => {
  const { subject, headers, parsedHeaders } = message;
  console.log(JSON.stringify({ event, subject, headers, parsedHeaders }));
  seen += 1;
  if (seen === Number(count)) finish();
});
await consumer.start();
console.log("ready");
const timer = setTimeout(finish, Number(wait));
await finished;
clearTimeout(timer);
await consumer.stop();
await transport.close();
"""


class Packages:
    def __init__(self, root: Path, python: ModuleType, typescript: Path, address: str) -> None:
        self.root = root
        self.python = python
        self.typescript = typescript
        self.address = address


def address_for(uid: str) -> str:
    return f"interop.{uid}.orders.placed"


def typescript_package(folder: Path, address: str) -> Path:
    """The contract with ``address``, generated as a TypeScript package in ``folder`` (not
    compiled); the contract file beside it."""
    contract_file = folder / "interop.asyncapi.yaml"
    contract_file.write_text(INTEROP.replace("ADDRESS", address), encoding="utf-8")
    contract = evreg.load_contract(contract_file.read_text(encoding="utf-8"), name="interop.yaml")
    # as generated --from-registry: the channel's payload subject has schema id 42
    registered = SourceContract(
        contract, "interop.yaml", "interop", schema_id=41, payload_schema_ids={address: 42}
    )
    write_package(generate([registered], "typescript", package="interop-ts"), folder)
    return folder / "interop-ts"


@pytest.fixture(scope="module")
def compiled(node_modules: Path, tmp_path_factory: pytest.TempPathFactory) -> Path | None:
    """The TypeScript package compiled once for the module, at a template address, for the
    tests to reuse (``node.build_like``: its ``dist`` with the test's own address and
    fingerprint written in): tsc costs ~1.7 s of CPU per package, generating it ~0.4 s.

    Compiled at two addresses, in one ``tsc -b``: when the second build is not exactly the
    first one with the address and fingerprint replaced, None, and each test compiles its own.
    """
    root = tmp_path_factory.mktemp("interop-template")
    first, second = (
        typescript_package(node.link_workspace(root / uid), address_for(uid))
        for uid in ("0" * 12, "1" * 12)
    )
    node.tsc("-b", first, second, cwd=root)
    same = node.same_build(first, address_for("0" * 12), second, address_for("1" * 12))
    return first if same else None


@pytest.fixture
def packages(ts_folder: Path, compiled: Path | None) -> Packages:
    """The contract with a unique address, generated in both languages (TypeScript compiled,
    or the module's build of the same sources with this address)."""
    address = address_for(uuid.uuid4().hex[:12])
    typescript = typescript_package(ts_folder, address)
    reused = compiled is not None and node.build_like(
        compiled, address_for("0" * 12), typescript, address
    )
    if not reused:
        node.tsc("-p", typescript, cwd=ts_folder)
    (typescript / "produce.mjs").write_text(PRODUCE, encoding="utf-8")
    (typescript / "consume.mjs").write_text(CONSUME, encoding="utf-8")
    (typescript / "connect.mjs").write_text(CONNECT, encoding="utf-8")
    name = f"interop_{uuid.uuid4().hex[:10]}"
    python_root = ts_folder / "py"
    contract = evreg.load_contract(
        (ts_folder / "interop.asyncapi.yaml").read_text(), name="interop.yaml"
    )
    write_package(
        plan_python([SourceContract(contract, "interop.yaml", "interop")], package=name),
        python_root,
    )
    sys.path.insert(0, str(python_root))
    try:
        module = importlib.import_module(name)
    finally:
        sys.path.remove(str(python_root))
    return Packages(ts_folder, module, typescript, address)


def events(count: int) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for n in range(count):
        event: dict[str, Any] = {
            "orderId": str(uuid.uuid4()),
            "placedAt": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
            "currency": ["EUR", "USD"][n % 2],
            "items": [{"sku": f"SKU-{n}", "quantity": n + 1}],
            "total": 12.5 * (n + 1),
            "coupon": None if n % 2 else "WELCOME",
        }
        if n == 1:
            event["note"] = "gift wrap, \u00e9t\u00e9 \u2014 \U0001f381"
        out.append(event)
    return out


async def python_transport(kind: str, url: str, exchange: str) -> Transport:
    if kind == "nats":
        from evreg.runtime.nats import NatsTransport

        return await NatsTransport.connect(url)
    if kind == "kafka":
        from evreg.runtime.kafka import KafkaTransport

        # Tansu holds a join for half the session timeout (librdkafka's default, 45 s, would
        # make the join cost 20 s); the consumer subscribes by pattern before the producer
        # creates the topic and sees it at its next metadata refresh (by default in 5 min)
        consumer = {"session.timeout.ms": 6000, "topic.metadata.refresh.interval.ms": 1000}
        return KafkaTransport({"bootstrap.servers": url}, consumer_config=consumer)
    from evreg.runtime.amqp import AmqpTransport

    return await AmqpTransport.connect(url, exchange=exchange)


async def node_process(packages: Packages, *args: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        "node",
        *args,
        cwd=packages.typescript,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def finish(process: asyncio.subprocess.Process, stdin: bytes | None = None) -> str:
    out, err = await asyncio.wait_for(process.communicate(stdin), 60)
    assert process.returncode == 0, err.decode()[-3000:]
    return out.decode()


async def ts_to_python(packages: Packages, kind: str, url: str, exchange: str, group: str) -> None:
    sent = events(3)
    transport = await python_transport(kind, url, exchange)
    consumer = packages.python.Consumer(transport, group=group)
    received: list[tuple[Any, Any]] = []

    @consumer.on_order_placed
    async def handle(event: Any) -> None:
        message = current_message()
        assert message is not None
        received.append((event, message))

    async with consumer:
        producer = await node_process(packages, "produce.mjs", kind, url, exchange)
        headers = json.loads(await finish(producer, json.dumps(sent).encode()))
        for _ in range(2500):
            if len(received) == len(sent):
                break
            await asyncio.sleep(0.02)
    await transport.close()
    assert len(received) == len(sent), f"received {len(received)} of {len(sent)}"
    # matched by order id: a Kafka topic's partitions do not keep the order between them
    by_id = {str(event.order_id): (event, message) for event, message in received}
    for wire, published in zip(sent, headers, strict=True):
        event, message = by_id[wire["orderId"]]
        assert str(event.order_id) == wire["orderId"]
        assert event.placed_at == datetime.fromisoformat(wire["placedAt"])
        dumped = event.model_dump(mode="json", by_alias=True)
        for key in ("currency", "items", "total", "coupon"):
            assert dumped[key] == wire[key], key
        assert dumped.get("note") == wire.get("note")
        assert message.subject == packages.address
        assert message.headers["evreg-message"] == "OrderPlaced"
        assert message.headers["eventId"] == published["eventId"]
        assert message.parsed_headers.correlation_id == "corr-ts"
        assert message.parsed_headers.attempt == 2  # "2" on the wire, an int again
        assert message.headers["evreg-schema-id"] == "42"  # on Kafka: read from the frame
        assert datetime.fromisoformat(message.headers["occurredAt"]).tzinfo is not None


async def python_to_ts(packages: Packages, kind: str, url: str, exchange: str, group: str) -> None:
    sent = events(3)
    consumer = await node_process(
        packages, "consume.mjs", kind, url, exchange, group, str(len(sent))
    )
    assert consumer.stdout is not None
    ready = await asyncio.wait_for(consumer.stdout.readline(), 60)
    assert ready.decode().strip() == "ready", ready
    transport = await python_transport(kind, url, exchange)
    producer = packages.python.Producer(transport)
    models = packages.python.models
    published = []
    for wire in sent:
        event = models.OrderPlaced.model_validate(wire, by_alias=True, by_name=False)
        published.append(
            await producer.order_placed(event, headers={"attempt": 3}, correlation_id="corr-py")
        )
    await transport.close()
    lines = [json.loads(line) for line in (await finish(consumer)).splitlines() if line]
    assert len(lines) == len(sent), lines
    by_id = {line["event"]["orderId"]: line for line in lines}
    for out in published:
        got = by_id[json.loads(out.body)["orderId"]]
        assert got["event"] == json.loads(out.body)  # the JSON the Python producer wrote
        assert got["subject"] == packages.address
        assert got["headers"]["eventId"] == out.headers["eventId"]
        assert got["parsedHeaders"]["correlationId"] == "corr-py"
        assert got["parsedHeaders"]["attempt"] == 3  # a number again in TypeScript
        assert got["headers"]["evreg-message"] == "OrderPlaced"


@pytest.fixture
def rabbit(amqp_url: str, packages: Packages) -> Iterator[tuple[str, str]]:
    """A unique exchange and consumer group; their exchanges and queues deleted afterwards."""
    exchange, group = f"evreg-interop-{uuid.uuid4().hex[:10]}", f"g{uuid.uuid4().hex[:8]}"
    yield exchange, group
    queue = subscription_name(group, packages.address)  # the wire convention, both runtimes
    asyncio.run(delete_amqp(amqp_url, [queue, f"{queue}.dlq"], [exchange, f"{exchange}.dlx"]))


async def delete_amqp(url: str, queues: list[str], exchanges: list[str]) -> None:
    import aio_pika

    connection = await aio_pika.connect(url)
    async with connection:
        channel = await connection.channel()
        for queue in queues:
            await channel.queue_delete(queue)
        for exchange in exchanges:
            await channel.exchange_delete(exchange)


def test_typescript_producer_python_consumer_over_nats(packages: Packages, nats_url: str) -> None:
    asyncio.run(ts_to_python(packages, "nats", nats_url, "", f"g{uuid.uuid4().hex[:8]}"))


def test_python_producer_typescript_consumer_over_nats(packages: Packages, nats_url: str) -> None:
    asyncio.run(python_to_ts(packages, "nats", nats_url, "", f"g{uuid.uuid4().hex[:8]}"))


def test_typescript_producer_python_consumer_over_rabbitmq(
    packages: Packages, amqp_url: str, rabbit: tuple[str, str]
) -> None:
    """The Python consumer in a group (its quorum queue named by the wire convention)."""
    asyncio.run(ts_to_python(packages, "amqp", amqp_url, *rabbit))


def test_python_producer_typescript_consumer_over_rabbitmq(
    packages: Packages, amqp_url: str, rabbit: tuple[str, str]
) -> None:
    """The TypeScript consumer in a group: its quorum queue named by the wire convention."""
    asyncio.run(python_to_ts(packages, "amqp", amqp_url, *rabbit))


def test_python_and_typescript_members_share_one_group_on_rabbitmq(
    packages: Packages, amqp_url: str, rabbit: tuple[str, str]
) -> None:
    """One group, a member in each language: both declare the group's quorum queue and its
    dead-letter queue identically (else RabbitMQ refuses the second declaration), and each
    event is handled once, by one of them."""
    exchange, group = rabbit

    async def scenario() -> tuple[list[str], list[str]]:
        ts = await node_process(
            packages, "consume.mjs", "amqp", amqp_url, exchange, group, "6", "6000"
        )
        assert ts.stdout is not None
        ready = await asyncio.wait_for(ts.stdout.readline(), 60)
        assert ready.decode().strip() == "ready", ready
        transport = await python_transport("amqp", amqp_url, exchange)
        python_seen: list[str] = []
        consumer = packages.python.Consumer(transport, group=group)

        @consumer.on_order_placed
        async def handle(event: Any) -> None:
            python_seen.append(str(event.order_id))

        async with consumer:
            producer = packages.python.Producer(transport)
            for wire in events(6):
                event = packages.python.models.OrderPlaced.model_validate(
                    wire, by_alias=True, by_name=False
                )
                await producer.order_placed(event, headers={"attempt": 1})
            lines = (await finish(ts)).splitlines()
        await transport.close()
        return python_seen, [json.loads(line)["event"]["orderId"] for line in lines if line]

    python_seen, ts_seen = asyncio.run(scenario())
    assert len(python_seen) + len(ts_seen) == 6, (python_seen, ts_seen)
    assert len(set(python_seen) | set(ts_seen)) == 6  # each event once


def raw_values(bootstrap: str, topic: str, count: int) -> list[bytes]:
    """The record values on ``topic`` as stored (confluent-kafka, from the start)."""
    from confluent_kafka import Consumer

    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": f"raw-{uuid.uuid4().hex[:8]}",
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
            "session.timeout.ms": 6000,  # Tansu holds a join for half of it (default 45 s)
        }
    )
    consumer.subscribe([topic])
    values: list[bytes] = []
    try:
        for _ in range(300):
            record = consumer.poll(0.1)
            if record is not None and record.error() is None:
                values.append(record.value())
                if len(values) == count:
                    break
    finally:
        consumer.close()
    return values


def test_typescript_producer_python_consumer_over_kafka(
    packages: Packages, kafka_bootstrap: str
) -> None:
    """Over Tansu (a Kafka-protocol broker), the TypeScript side on kafkajs: the records are in
    Confluent's wire format with the registry's schema id, which the Python consumer reads."""
    asyncio.run(ts_to_python(packages, "kafka", kafka_bootstrap, "", f"g{uuid.uuid4().hex[:8]}"))
    values = raw_values(kafka_bootstrap, packages.address, 3)
    assert len(values) == 3
    assert all(v[:5] == b"\x00\x00\x00\x00\x2a" and v[5:6] == b"{" for v in values)


def test_python_producer_typescript_consumer_over_kafka(
    packages: Packages, kafka_bootstrap: str
) -> None:
    asyncio.run(python_to_ts(packages, "kafka", kafka_bootstrap, "", f"g{uuid.uuid4().hex[:8]}"))
