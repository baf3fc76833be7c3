// A producer and a consumer built on the runtime the way generated code builds them, and the
// delivery semantics every transport must have (the Python runtime's, docs/codegen.md):
// groups share messages, each group gets every message, a failing handler is redelivered,
// invalid messages and exhausted ones are dead-lettered with the evreg-dead-letter-* headers,
// the correlation id of a handled message goes on to what its handler publishes.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";

import { BaseConsumer, BaseProducer, Catalog, subscriptionName } from "../dist/index.js";

const DRAFT = "https://json-schema.org/draft/2020-12/schema";

export function contract(address, replyAddress) {
  const payloadSchema = {
    $schema: DRAFT,
    type: "object",
    required: ["id", "n"],
    additionalProperties: false,
    properties: { id: { type: "string", format: "uuid" }, n: { type: "integer" } },
  };
  const headersSchema = {
    $schema: DRAFT,
    type: "object",
    required: ["eventId", "correlationId"],
    properties: { eventId: { type: "string", format: "uuid" }, correlationId: { type: "string" } },
  };
  const message = { id: "t:Ping", message: "Ping", subject: "t", payloadClass: "Ping", headersClass: "H", payloadSchema, headersSchema, examples: [] };
  const catalog = new Catalog({ generator: "test", contracts: [], messages: [message], operations: [] });
  const autoHeaders = { eventId: "event_id", correlationId: "correlation_id" };
  const ping = { operation: "sendPing", address, messages: [{ id: "t:Ping", name: "Ping", autoHeaders }] };
  const reply = { operation: "sendReply", address: replyAddress, messages: [{ id: "t:Ping", name: "Ping", autoHeaders }] };
  class Producer extends BaseProducer {
    constructor(transport) {
      super(catalog, transport, {});
    }
    ping(event, options = {}) {
      return this.send(ping, event, options);
    }
    reply(event, options = {}) {
      return this.send(reply, event, options);
    }
  }
  class Consumer extends BaseConsumer {
    constructor(transport, options) {
      super(catalog, transport, options);
    }
    onPing(handler) {
      this.register(ping, handler);
      return this;
    }
    onReply(handler) {
      this.register(reply, handler);
      return this;
    }
  }
  return { Producer, Consumer };
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export async function until(condition, what, timeout = 20000) {
  const deadline = Date.now() + timeout;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

const event = (n) => ({ id: randomUUID(), n });

/**
 * Runs the semantics on `connect()` (a new transport each call).
 * options: redelivers (can the broker hand a message back), address(suffix), deadLetters(t, group, subject)
 * -> async function returning the dead letters stored in the broker's place ({body, headers}).
 */
export function semantics(test, name, connect, options) {
  const { redelivers, address, storedDeadLetters, beforeDeadLetters, settle = 300 } = options;

  test(`${name}: a group shares the messages, another group gets every one`, async () => {
    const at = address("share");
    const { Producer, Consumer } = contract(at, `${at}.reply`);
    const transports = [await connect(), await connect(), await connect(), await connect()];
    const group = `g${randomUUID().slice(0, 8)}`;
    const other = `h${randomUUID().slice(0, 8)}`;
    const seen = { a: [], b: [], c: [] };
    const consumers = [
      new Consumer(transports[0], { group }).onPing((e) => void seen.a.push(e.n)),
      new Consumer(transports[1], { group }).onPing((e) => void seen.b.push(e.n)),
      new Consumer(transports[2], { group: other }).onPing((e) => void seen.c.push(e.n)),
    ];
    for (const c of consumers) await c.start();
    await sleep(settle);
    const producer = new Producer(transports[3]);
    for (let n = 0; n < 6; n += 1) await producer.ping(event(n));
    await until(() => seen.a.length + seen.b.length === 6 && seen.c.length === 6, "both groups");
    await sleep(settle);
    assert.deepEqual([...seen.a, ...seen.b].sort(), [0, 1, 2, 3, 4, 5]);
    assert.deepEqual([...seen.c].sort(), [0, 1, 2, 3, 4, 5]);
    for (const c of consumers) await c.stop();
    for (const t of transports) await t.close();
  });

  test(`${name}: a failing handler is ${redelivers ? "redelivered" : "dead-lettered at once"}; the correlation id goes on`, async () => {
    const at = address("retry");
    const { Producer, Consumer } = contract(at, `${at}.reply`);
    const [one, two] = [await connect(), await connect()];
    const group = `g${randomUUID().slice(0, 8)}`;
    const attempts = [];
    const replies = [];
    const dead = [];
    const producer = new Producer(two);
    const consumer = new Consumer(one, { group, deadLetter: (d) => void dead.push(d) })
      .onPing(async (e, message) => {
        attempts.push(message.attempt);
        if (message.attempt === 1) throw new Error("first attempt fails");
        await producer.reply({ id: e.id, n: e.n + 1 }); // inside the handler: correlation id goes on
      })
      .onReply((e, message) => void replies.push(message.parsedHeaders.correlationId));
    await consumer.start();
    await sleep(settle);
    await producer.ping(event(1), { correlationId: "corr-42" });
    if (redelivers) {
      await until(() => replies.length === 1, "the reply");
      assert.deepEqual(attempts, [1, 2]);
      assert.deepEqual(replies, ["corr-42"]);
      assert.equal(dead.length, 0);
    } else {
      await until(() => dead.length === 1, "the dead letter");
      assert.equal(dead[0].reason, "handler-failed");
      assert.deepEqual(attempts, [1]);
    }
    await consumer.stop();
    await one.close();
    await two.close();
  });

  test(`${name}: invalid and exhausted messages go to the dead-letter place with the evreg headers`, async () => {
    const at = address("dead");
    const { Producer, Consumer } = contract(at, `${at}.reply`);
    const [one, two] = [await connect(), await connect()];
    const group = `g${randomUUID().slice(0, 8)}`;
    const dead = [];
    if (beforeDeadLetters) await beforeDeadLetters(group, at);
    const consumer = new Consumer(one, { group, maxAttempts: 2, deadLetter: (d) => void dead.push(d) }).onPing(() => {
      throw new Error("never handled");
    });
    await consumer.start();
    await sleep(settle);
    const producer = new Producer(two);
    await two.publish(at, new TextEncoder().encode("{not json"), { "content-type": "application/json", "evreg-message": "Ping" });
    await producer.ping(event(7), { correlationId: "corr-dead" });
    await until(() => dead.length === 2, "two dead letters");
    const invalid = dead.find((d) => d.reason === "invalid");
    const failed = dead.find((d) => d.reason === "handler-failed");
    assert.ok(invalid && failed, JSON.stringify(dead.map((d) => d.reason)));
    assert.equal(invalid.headers["evreg-dead-letter-attempts"], "1");
    assert.match(invalid.headers["evreg-dead-letter-error"], /^ValidationError: /);
    assert.equal(failed.headers["evreg-dead-letter-attempts"], redelivers ? "2" : "1");
    assert.equal(failed.headers["evreg-dead-letter-error"], "Error: never handled");
    assert.equal(failed.headers["evreg-dead-letter-operation"], "sendPing");
    assert.equal(failed.headers["evreg-dead-letter-group"], group);
    assert.equal(failed.headers["evreg-dead-letter-subject"], at);
    assert.equal(failed.headers.correlationId, "corr-dead");
    if (storedDeadLetters) {
      const stored = await storedDeadLetters(group, at, subscriptionName(group, at), 2);
      const bodies = stored.map((s) => new TextDecoder().decode(s.body)).sort();
      assert.equal(bodies.length, 2);
      assert.equal(bodies[1], "{not json");
      assert.equal(JSON.parse(bodies[0]).n, 7);
      const reasons = stored.map((s) => s.headers["evreg-dead-letter-reason"]).sort();
      assert.deepEqual(reasons, ["handler-failed", "invalid"]);
    }
    await consumer.stop();
    await one.close();
    await two.close();
  });
}
