// Mosquitto (MQTT v5) at EVREG_TEST_MQTT_URL (default mqtt://127.0.0.1:1883).
import { randomUUID } from "node:crypto";
import { test } from "node:test";

import { MqttTransport } from "../dist/mqtt.js";
import { semantics } from "./harness.mjs";
import { reachable } from "./services.mjs";

const url = process.env.EVREG_TEST_MQTT_URL ?? "mqtt://127.0.0.1:1883";
const up = await reachable("mosquitto", url);
const run = randomUUID().slice(0, 8);
const watchers = new Map();

async function watch(group, subject) {
  const mqtt = await import("mqtt");
  const client = await mqtt.connectAsync(url, { protocolVersion: 5, clientId: `watch-${randomUUID().slice(0, 8)}` });
  const seen = [];
  client.on("message", (_topic, payload, packet) => {
    seen.push({ body: new Uint8Array(payload), headers: { ...(packet.properties?.userProperties ?? {}) } });
  });
  await client.subscribeAsync(`evreg/dlq/${group}/${subject}`, { qos: 1 });
  return { client, seen };
}

if (up) {
  let n = 0;
  semantics(
    test,
    "MQTT",
    async () => {
      n += 1;
      return MqttTransport.connect(url, { clientId: `tsrt-${run}-${n}`, sessionExpiry: 30 });
    },
    {
      redelivers: true,
      address: (name) => `tsrt/${run}/${name}`,
      // the dead-letter topic has no subscriber unless one is there first: watch from the start
      storedDeadLetters: async (group, subject, _durable, count) => {
        const found = watchers.get(`${group} ${subject}`);
        if (!found) return [];
        for (let tries = 0; found.seen.length < count && tries < 200; tries += 1) await new Promise((r) => setTimeout(r, 50));
        await found.client.endAsync();
        return found.seen;
      },
      beforeDeadLetters: async (group, subject) => watchers.set(`${group} ${subject}`, await watch(group, subject)),
    },
  );
}
