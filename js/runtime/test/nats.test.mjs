// NATS (core and JetStream) at EVREG_TEST_NATS_URL (default nats://127.0.0.1:4222).
import { randomUUID } from "node:crypto";
import { after, before, test } from "node:test";

import { NatsTransport } from "../dist/nats.js";
import { semantics } from "./harness.mjs";
import { reachable } from "./services.mjs";

const url = process.env.EVREG_TEST_NATS_URL ?? "nats://127.0.0.1:4222";
const up = await reachable("nats", url);
const run = randomUUID().slice(0, 8);
const stream = `EVREG_TS_TEST_${run}`;
let admin;

async function storedDeadLetters(group, subject, _durable, count) {
  const nats = await import("nats");
  const jsm = await admin.connection.jetstreamManager();
  const filter = `evreg.dlq.${group}.${subject}`;
  const info = await jsm.consumers.add("EVREG_DLQ", {
    filter_subject: filter,
    ack_policy: nats.AckPolicy.None,
    deliver_policy: nats.DeliverPolicy.All,
    inactive_threshold: nats.nanos(30_000),
  });
  const consumer = await admin.connection.jetstream().consumers.get("EVREG_DLQ", info.name);
  const out = [];
  for await (const m of await consumer.fetch({ max_messages: count, expires: 5000 })) {
    const headers = {};
    for (const key of m.headers?.keys() ?? []) headers[key] = m.headers.get(key);
    out.push({ body: m.data, headers });
  }
  await jsm.consumers.delete("EVREG_DLQ", info.name);
  await jsm.streams.purge("EVREG_DLQ", { filter });
  return out;
}

if (up) {
  before(async () => {
    admin = await NatsTransport.connect(url, { jetstream: true });
    await admin.ensureStream(stream, [`tsrt.${run}.>`]);
  });
  after(async () => {
    await (await admin.connection.jetstreamManager()).streams.delete(stream);
    await admin.close();
  });
  semantics(test, "core NATS", () => NatsTransport.connect(url), {
    redelivers: false,
    address: (name) => `tsrt.core${run}.${name}`,
    storedDeadLetters,
  });
  semantics(test, "JetStream", () => NatsTransport.connect(url, { jetstream: true, nakDelay: 50 }), {
    redelivers: true,
    address: (name) => `tsrt.${run}.${name}`,
    storedDeadLetters,
  });
}
