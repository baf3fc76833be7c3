// The Kafka transport on a KafkaJS-compatible client kept in memory (no Kafka broker here, and
// @confluentinc/kafka-javascript cannot be installed without downloads from outside the npm
// registry): one partition per topic, committed offsets per group, one member of a group
// assigned the partition, a record handed back when eachMessage rejects (as KafkaJS does).
import assert from "node:assert/strict";
import { test } from "node:test";

import { KafkaTransport, frame, unframe } from "../dist/kafka.js";
import { semantics, until } from "./harness.mjs";

class Log {
  constructor() {
    this.topics = new Map(); // topic -> records
    this.committed = new Map(); // `${group} ${topic}` -> next offset
    this.owners = new Map(); // `${group} ${topic}` -> consumer holding the partition
  }
  records(topic) {
    if (!this.topics.has(topic)) this.topics.set(topic, []);
    return this.topics.get(topic);
  }
  producer() {
    const log = this;
    return {
      async connect() {},
      async disconnect() {},
      async send({ topic, messages }) {
        const records = log.records(topic);
        for (const m of messages) records.push({ key: m.key ?? null, value: Buffer.from(m.value), headers: { ...m.headers }, offset: String(records.length) });
      },
    };
  }
  consumer(config) {
    const log = this;
    const group = config.kafkaJS.groupId;
    let running = true;
    let topics = [];
    return {
      async connect() {},
      async disconnect() {
        running = false;
        for (const topic of topics) if (log.owners.get(`${group} ${topic}`) === this) log.owners.delete(`${group} ${topic}`);
      },
      async subscribe({ topics: wanted }) {
        topics = wanted;
      },
      async commitOffsets(offsets) {
        for (const { topic, offset } of offsets) log.committed.set(`${group} ${topic}`, Number(offset));
      },
      async run({ eachMessage }) {
        const self = this;
        void (async () => {
          while (running) {
            for (const topic of topics) {
              const key = `${group} ${topic}`;
              if (!log.owners.has(key)) log.owners.set(key, self);
              if (log.owners.get(key) !== self) continue;
              const next = log.committed.get(key) ?? 0;
              const record = log.records(topic)[next];
              if (record === undefined) continue;
              try {
                await eachMessage({ topic, partition: 0, message: record });
              } catch {
                // not committed: handed back on the next poll
              }
            }
            await new Promise((r) => setTimeout(r, 5));
          }
        })();
      },
    };
  }
}

const log = new Log();
semantics(test, "Kafka (in-memory client)", () => KafkaTransport.fromClient(log), {
  redelivers: true,
  settle: 0,
  address: (name) => `tsrt.kafka.${name}`,
  storedDeadLetters: async (group, subject) =>
    log.records(`evreg.dlq.${group}.${subject}`).map((r) => ({ body: new Uint8Array(r.value), headers: r.headers })),
});

test("Kafka: a schema id goes in Confluent's wire format, and comes back as the header", async () => {
  assert.deepEqual([...frame(258, new TextEncoder().encode("{}"))], [0, 0, 0, 1, 2, 123, 125]);
  assert.deepEqual(unframe(new Uint8Array([0, 0, 0, 1, 2, 123, 125])), [258, new Uint8Array([123, 125])]);
  assert.deepEqual(unframe(new TextEncoder().encode("{}"))[0], null);
  assert.throws(() => frame(2 ** 32, new Uint8Array()), RangeError);
  const transport = await KafkaTransport.fromClient(log);
  const got = [];
  await transport.subscribe("framed", async (d) => void got.push(d), { group: "g", durable: "g__framed" });
  await transport.publish("framed", new TextEncoder().encode('{"a":1}'), { "evreg-schema-id": "7", "content-type": "application/json" }, { key: "k1" });
  const [record] = log.records("framed");
  assert.deepEqual([...record.value.subarray(0, 5)], [0, 0, 0, 0, 7]);
  assert.equal(record.key.toString(), "k1");
  await until(() => got.length === 1, "the framed record");
  assert.equal(new TextDecoder().decode(got[0].body), '{"a":1}');
  assert.equal(got[0].headers["evreg-schema-id"], "7");
  assert.equal(new TextDecoder().decode(got[0].key), "k1");
  await transport.close();
});

test("Kafka: a parameterized address cannot be subscribed", async () => {
  const transport = await KafkaTransport.fromClient(log);
  await assert.rejects(transport.subscribe("a.{b}", async () => {}), /no wildcard/);
  await transport.close();
});
