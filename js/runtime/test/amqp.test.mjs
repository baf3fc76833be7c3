// RabbitMQ at EVREG_TEST_AMQP_URL (default amqp://guest:guest@127.0.0.1:5672/), on an exchange
// of its own; every queue and exchange it makes is deleted afterwards.
import { randomUUID } from "node:crypto";
import assert from "node:assert/strict";
import { after, test } from "node:test";

import { AmqpTransport } from "../dist/amqp.js";
import { contract, semantics, sleep, until } from "./harness.mjs";
import { reachable } from "./services.mjs";

const url = process.env.EVREG_TEST_AMQP_URL ?? "amqp://guest:guest@127.0.0.1:5672/";
const up = await reachable("rabbitmq", url);
const exchange = `evreg-ts-test-${randomUUID().slice(0, 8)}`;
const queues = new Set();
const connect = async () => {
  const transport = await AmqpTransport.connect(url, { exchange });
  const subscribe = transport.subscribe.bind(transport);
  transport.subscribe = (address, handler, options) => {
    if (options?.durable) queues.add(options.durable);
    return subscribe(address, handler, options);
  };
  return transport;
};

async function storedDeadLetters(_group, _subject, durable, count) {
  const amqp = await import("amqplib");
  const connection = await amqp.connect(url);
  const channel = await connection.createChannel();
  const out = [];
  for (let tries = 0; out.length < count && tries < 200; tries += 1) {
    const message = await channel.get(`${durable}.dlq`, { noAck: true });
    if (message === false) await new Promise((r) => setTimeout(r, 50));
    else {
      const headers = {};
      for (const [k, v] of Object.entries(message.properties.headers ?? {})) headers[k] = Buffer.isBuffer(v) ? v.toString() : String(v);
      out.push({ body: new Uint8Array(message.content), headers });
    }
  }
  await connection.close();
  return out;
}

if (up) {
  after(async () => {
    const amqp = await import("amqplib");
    const connection = await amqp.connect(url);
    const channel = await connection.createChannel();
    for (const queue of queues) {
      await channel.deleteQueue(queue);
      await channel.deleteQueue(`${queue}.dlq`);
    }
    await channel.deleteQueue(`${exchange}.dlq`);
    await channel.deleteExchange(exchange);
    await channel.deleteExchange(`${exchange}.dlx`);
    await connection.close();
  });
  test("RabbitMQ without a group: stop() then subscribe again; dead letters kept in <exchange>.dlq", async () => {
    const at = `tsrt.nogroup.${randomUUID().slice(0, 8)}`;
    const { Producer, Consumer } = contract(at, `${at}.reply`);
    const [one, two] = [await connect(), await connect()];
    const dead = [];
    const first = new Consumer(one, { deadLetter: (d) => void dead.push(d) }).onPing(() => {});
    await first.start();
    await sleep(200);
    await two.publish(at, new TextEncoder().encode("{not json"), { "content-type": "application/json", "evreg-message": "Ping" });
    await until(() => dead.length === 1, "one dead letter");
    await first.stop(); // the exclusive queue goes away with its consumer: no NOT_FOUND
    const seen = [];
    const again = new Consumer(one).onPing((e) => void seen.push(e.n));
    await again.start();
    await sleep(200);
    await new Producer(two).ping({ id: randomUUID(), n: 5 });
    await until(() => seen.length === 1, "the event after a new subscribe");
    await again.stop();
    const amqp = await import("amqplib");
    const connection = await amqp.connect(url);
    const channel = await connection.createChannel();
    const letter = await channel.get(`${exchange}.dlq`, { noAck: true });
    await connection.close();
    assert.ok(letter, "the dead letter is in the queue");
    assert.equal(letter.content.toString(), "{not json");
    assert.equal(String(letter.properties.headers["evreg-dead-letter-reason"]), "invalid");
    await one.close();
    await two.close();
  });
  semantics(test, "RabbitMQ", connect, { redelivers: true, address: (name) => `tsrt.${name}`, storedDeadLetters });
}
