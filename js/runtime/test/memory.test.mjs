import { test } from "node:test";

import { InMemoryTransport } from "../dist/index.js";
import { semantics } from "./harness.mjs";

/** One in-memory broker; each "connection" to it closes nothing. */
class Connection {
  constructor(broker) {
    this.broker = broker;
    this.system = "memory";
  }
  publish(...args) {
    return this.broker.publish(...args);
  }
  subscribe(...args) {
    return this.broker.subscribe(...args);
  }
  deadLetter(...args) {
    return this.broker.deadLetter(...args);
  }
  async close() {}
}

const broker = new InMemoryTransport();
semantics(test, "memory", async () => new Connection(broker), {
  redelivers: true,
  settle: 0,
  address: (name) => `memory.${name}`,
  storedDeadLetters: async (_group, subject) => broker.deadLetters.filter((d) => d.subject === subject),
});

test("memory: a message published from a handler carries the handled message's traceparent", async () => {
  const { randomUUID } = await import("node:crypto");
  const assert = (await import("node:assert/strict")).default;
  const { contract, until } = await import("./harness.mjs");
  const { Producer, Consumer } = contract("trace.ping", "trace.reply");
  const transport = new InMemoryTransport();
  const producer = new Producer(transport);
  const replies = [];
  const consumer = new Consumer(transport)
    .onPing(async (event) => {
      await producer.reply({ id: event.id, n: event.n + 1 });
    })
    .onReply((_event, message) => void replies.push(message.headers));
  await consumer.start();
  const traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
  const body = new TextEncoder().encode(JSON.stringify({ id: randomUUID(), n: 1 }));
  await transport.publish("trace.ping", body, {
    "content-type": "application/json",
    "evreg-message": "Ping",
    eventId: randomUUID(),
    correlationId: "c-trace",
    traceparent,
    tracestate: "vendor=1",
  });
  await until(() => replies.length === 1, "the reply");
  assert.equal(replies[0].traceparent, traceparent);
  assert.equal(replies[0].tracestate, "vendor=1");
  assert.equal(replies[0].correlationId, "c-trace");
  await consumer.stop();
});
