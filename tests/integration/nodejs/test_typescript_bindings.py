"""The AsyncAPI bindings honoured by a generated TypeScript package, as by the Python one
(``tests/integration/brokers/test_bindings.py``): the package is generated from
``tests/fixtures/runtime/bindings.asyncapi.yaml`` with this test's own names, run in ``node``,
and what reaches RabbitMQ and Mosquitto is read back with the bare Python clients.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import pytest

import evreg
from evreg.codegen import generate, write_package
from evreg.codegen.schemas import SourceContract

from . import node

pytestmark = pytest.mark.services

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "runtime" / "bindings.asyncapi.yaml"

SCRIPT = """
import { InMemoryTransport } from "@evreg/runtime";
import { AmqpTransport } from "@evreg/runtime/amqp";
import { MqttTransport } from "@evreg/runtime/mqtt";
import { Consumer, Producer } from "./dist/src/index.js";
const [amqpUrl, exchange, mqttUrl] = process.argv.slice(2);
const out = {};
// Kafka keys, as the producer computes them (the Kafka transport sends Published.key)
const memory = new Producer(new InMemoryTransport());
out.keys = [
  (await memory.reading({ sensorId: "s-17", value: 1.5 })).key,
  (await memory.reading({ sensorId: "s-9", value: 2 }, { key: "mine" })).key,
  (await memory.fixed({ text: "a" })).key,
  (await memory.given({ text: "b" }, { key: "k-given" })).key,
];
// AMQP: the binding's exchange (direct), queue and routing keys
const amqp = await AmqpTransport.connect(amqpUrl, { exchange });
const got = [];
const consumer = new Consumer(amqp).onRouted((note) => void got.push(note.text));
await consumer.start();
console.log(JSON.stringify({ ready: true }));
await new Promise((resolve) => process.stdin.once("data", resolve));
await new Producer(amqp).routed({ text: "routed" });
for (let i = 0; i < 200 && got.length === 0; i += 1) await new Promise((r) => setTimeout(r, 50));
out.got = got;
await consumer.stop();
await amqp.close();
// MQTT: QoS and retain from the operation binding
const mqtt = await MqttTransport.connect(mqttUrl);
await new Producer(mqtt).state({ text: "on" });
await mqtt.close();
console.log(JSON.stringify(out));
"""


def test_typescript_bindings_reach_the_brokers(
    ts_folder: Path, amqp_url: str, mqtt_url: str
) -> None:
    import aio_pika
    import aiomqtt

    uid = uuid.uuid4().hex[:10]
    contract = evreg.load_contract(FIXTURE.read_text().replace("UID", uid), name="bound.yaml")
    write_package(
        generate([SourceContract(contract, "bound", "bound")], "typescript", package="bound-ts"),
        ts_folder,
    )
    package = ts_folder / "bound-ts"
    node.tsc("-p", package, cwd=ts_folder)
    (package / "bound.mjs").write_text(SCRIPT, encoding="utf-8")
    exchange, direct, queue = f"evreg-test-{uid}", f"bound-{uid}-direct", f"bound-{uid}-queue"
    url = urlsplit(mqtt_url)

    async def scenario() -> tuple[dict[str, object], dict[str, bytes | None], tuple[int, bool]]:
        connection = await aio_pika.connect(amqp_url)
        channel = await connection.channel()
        process = await asyncio.create_subprocess_exec(
            "node",
            "bound.mjs",
            amqp_url,
            exchange,
            mqtt_url,
            cwd=package,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        assert process.stdin is not None and process.stdout is not None
        try:
            ready = await asyncio.wait_for(process.stdout.readline(), 60)
            assert json.loads(ready) == {"ready": True}, ready
            witnesses = {}
            for key in ("route-a", "route-b"):
                witnesses[key] = await channel.declare_queue(exclusive=True)
                await witnesses[key].bind(direct, routing_key=f"bound.{uid}.{key}")
            out, err = await asyncio.wait_for(process.communicate(b"go\n"), 60)
            assert process.returncode == 0, err.decode()[-3000:]
            seen = {}
            for key, witness in witnesses.items():
                message = await witness.get(no_ack=True, fail=False)
                seen[key] = None if message is None else message.body
            async with aiomqtt.Client(
                url.hostname or "127.0.0.1",
                url.port or 1883,
                protocol=aiomqtt.ProtocolVersion.V5,
            ) as client:
                await client.subscribe(f"bound/{uid}/state", qos=2)
                retained = await asyncio.wait_for(anext(aiter(client.messages)), 10)
                await client.publish(f"bound/{uid}/state", b"", retain=True)  # clear it
            return json.loads(out), seen, (retained.qos, retained.retain)
        finally:
            if process.returncode is None:
                process.kill()
                await process.wait()
            for leftover in (queue, f"{queue}.dlq"):
                await channel.queue_delete(leftover)
            for name in (direct, exchange, f"{exchange}.dlx"):
                await channel.exchange_delete(name)
            await connection.close()

    out, seen, retained = asyncio.run(asyncio.wait_for(scenario(), 180))
    assert out["keys"] == ["s-17", "mine", "all-notes", "k-given"]
    assert out["got"] == ["routed"]  # read from the binding's queue, bound by both keys
    assert seen == {"route-a": b'{"text":"routed"}', "route-b": b'{"text":"routed"}'}
    assert retained == (2, True)
