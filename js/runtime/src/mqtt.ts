/**
 * MQTT v5 transport (the `mqtt` npm package), following the evreg wire conventions (the Python
 * runtime's MQTT transport does the same).
 *
 * The topic is the address (its `/` levels); each `{parameter}` is subscribed as `+`. Publish
 * with QoS 1 (or the binding's), not retained unless asked; headers travel as MQTT v5 user
 * properties. A subscription with a group is the shared subscription `$share/<name>/<topic>`
 * (name from `wire.subscriptionName`); each subscription has its own client, with a persistent
 * session (`clean: false`, one hour of session expiry) under a stable client id, so messages
 * queued for a member that died wait for its restart. PUBACK is sent after the handler
 * resolves; a failing handler is retried by this process up to the max attempts, then the
 * consumer dead-letters the message with a QoS 1 publish to `evreg/dlq/<group>/<topic>`.
 */

import { randomUUID } from "node:crypto";

import type * as Mqtt from "mqtt";

import { log } from "./log.js";
import {
  type Delivery,
  type DeliveryHandler,
  Inflight,
  type PublishOptions,
  type SubscribeOptions,
  type Subscription,
  type Transport,
  TransportError,
  loadClient,
} from "./transport.js";
import { type Headers, deadLetterSubject, pattern, slug } from "./wire.js";

type MqttApi = typeof Mqtt;

export interface MqttOptions {
  /** QoS of publishes (default 1). */
  qos?: 0 | 1 | 2;
  /** The base of the client ids of this transport (default: random); keep it stable across
   * restarts so a member's persistent session survives them. */
  clientId?: string;
  /** Session expiry of a group member's persistent session, in seconds (default 3600). */
  sessionExpiry?: number;
  deadLetterPrefix?: string;
  /** Passed to `mqtt.connectAsync` (credentials, keepalive...). */
  connection?: Partial<Mqtt.IClientOptions>;
}

function userProperties(packet: Mqtt.IPublishPacket): Headers {
  const out: Headers = {};
  for (const [name, value] of Object.entries(packet.properties?.userProperties ?? {})) {
    out[name] = Array.isArray(value) ? (value[value.length - 1] ?? "") : String(value);
  }
  return out;
}

class MqttSubscription implements Subscription {
  readonly inflight = new Inflight();
  stopped = false;

  constructor(
    private readonly transport: MqttTransport,
    readonly client: Mqtt.MqttClient,
    private readonly topic: string,
    private readonly persistent: boolean,
  ) {}

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (!this.persistent) {
      try {
        await this.client.unsubscribeAsync(this.topic);
      } catch {
        // disconnected already
      }
    }
    await this.inflight.idle();
    await this.client.endAsync();
    this.transport.forget(this);
  }
}

export class MqttTransport implements Transport {
  readonly system = "mqtt";
  private readonly subscriptions = new Set<MqttSubscription>();
  private readonly base: string;

  private constructor(
    private readonly api: MqttApi,
    readonly url: string,
    readonly client: Mqtt.MqttClient,
    private readonly options: MqttOptions,
  ) {
    this.base = options.clientId ?? `evreg-${randomUUID().slice(0, 8)}`;
  }

  static async connect(url = "mqtt://127.0.0.1:1883", options: MqttOptions = {}): Promise<MqttTransport> {
    const api = await loadClient<MqttApi>("mqtt");
    try {
      const client = await api.connectAsync(url, {
        ...options.connection,
        protocolVersion: 5,
        clientId: `${options.clientId ?? `evreg-${randomUUID().slice(0, 8)}`}-pub`,
        reconnectPeriod: 0,
      });
      return new MqttTransport(api, url, client, options);
    } catch (error) {
      throw new TransportError(`cannot connect to MQTT at ${url}: ${String(error)}`, { cause: error });
    }
  }

  async publish(subject: string, body: Uint8Array, headers: Headers, options?: PublishOptions): Promise<void> {
    try {
      await this.client.publishAsync(subject, Buffer.from(body.buffer, body.byteOffset, body.byteLength), {
        qos: options?.qos ?? this.options.qos ?? 1,
        retain: options?.retain ?? false,
        properties: { userProperties: headers, contentType: headers["content-type"] },
      });
    } catch (error) {
      throw new TransportError(`MQTT publish to ${subject} failed: ${String(error)}`, { cause: error });
    }
  }

  async subscribe(address: string, handler: DeliveryHandler, options: SubscribeOptions = {}): Promise<Subscription> {
    const topic = pattern(address, "+");
    const persistent = options.durable !== undefined;
    const filter = persistent ? `$share/${options.durable}/${topic}` : topic;
    const maxAttempts = options.maxAttempts ?? 3;
    const clientId = `${this.base}-${slug(options.durable ?? address)}`.slice(0, 200);
    let subscription: MqttSubscription | null = null;
    const pending: Array<() => void> = [];
    const onPublish: Mqtt.IClientOptions["customHandleAcks"] = (_topic, _message, packet, done) => {
      const run = () => {
        const current = subscription;
        if (current === null) return;
        void current.inflight.run(() => this.handle(current, packet, handler, options, maxAttempts, done));
      };
      if (subscription === null) pending.push(run);
      else run();
    };
    let client: Mqtt.MqttClient;
    try {
      client = await this.api.connectAsync(this.url, {
        ...this.options.connection,
        protocolVersion: 5,
        clientId,
        clean: !persistent,
        reconnectPeriod: 0,
        properties: persistent ? { sessionExpiryInterval: this.options.sessionExpiry ?? 3600 } : {},
        customHandleAcks: onPublish,
      });
      await client.subscribeAsync(filter, { qos: options.channel?.qos ?? 1 });
    } catch (error) {
      throw new TransportError(`MQTT subscribe to ${topic} failed: ${String(error)}`, { cause: error });
    }
    subscription = new MqttSubscription(this, client, filter, persistent);
    this.subscriptions.add(subscription);
    for (const run of pending.splice(0)) run();
    return subscription;
  }

  private async handle(
    subscription: MqttSubscription,
    packet: Mqtt.IPublishPacket,
    handler: DeliveryHandler,
    options: SubscribeOptions,
    maxAttempts: number,
    done: (error: Error | number, code?: number) => void,
  ): Promise<void> {
    const body = new Uint8Array(packet.payload as Buffer);
    for (let attempt = 1; ; attempt += 1) {
      const delivery: Delivery = {
        subject: packet.topic,
        body,
        headers: userProperties(packet),
        attempt,
        redeliverable: attempt < maxAttempts && !subscription.stopped,
        group: options.group,
        durable: options.durable,
        raw: packet,
      };
      try {
        await handler(delivery);
        done(0);
        return;
      } catch (error) {
        if (delivery.redeliverable) continue;
        // not acknowledged: the session hands it back when this client id connects again
        log().error(`handler failed on ${packet.topic} (attempt ${attempt}); not acknowledged, disconnecting: ${String(error)}`);
        subscription.stopped = true;
        subscription.client.end(true);
        return;
      }
    }
  }

  async deadLetter(delivery: Delivery, headers: Headers): Promise<void> {
    const topic = deadLetterSubject(this.options.deadLetterPrefix ?? "evreg/dlq", delivery.group, delivery.subject, "/");
    await this.client.publishAsync(topic, Buffer.from(delivery.body), {
      qos: 1,
      retain: false,
      properties: { userProperties: headers, contentType: headers["content-type"] },
    });
  }

  forget(subscription: MqttSubscription): void {
    this.subscriptions.delete(subscription);
  }

  async close(): Promise<void> {
    for (const subscription of [...this.subscriptions]) await subscription.stop();
    await this.client.endAsync();
  }
}
