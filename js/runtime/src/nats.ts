/**
 * NATS transport (the `nats` npm package), core NATS or JetStream, following the evreg wire
 * conventions (the Python runtime's `evreg.runtime.nats` does the same).
 *
 * Core NATS (`jetstream: false`): at most once. A subscription with a group is a queue group
 * named by `wire.subscriptionName`; a failing handler cannot be redelivered, so the consumer
 * dead-letters it at once.
 *
 * JetStream (`jetstream: true`): at least once. `publish` waits for the stream's ack (and sets
 * `Nats-Msg-Id` from the event id header when there is one, so the stream drops duplicates).
 * A subscription with a group is a durable pull consumer named by `wire.subscriptionName`
 * (filter subject: the address pattern, explicit acks, `max_deliver` = max attempts + 1); a
 * message is acked after its handler resolves, `nak`-ed with a delay when it rejects. Without
 * a group, an ephemeral consumer gets every event. The stream must cover the channel
 * (`ensureStream`).
 *
 * Dead letters are published through JetStream (when the server has it) to
 * `evreg.dlq.<group>.<subject>`, kept by the stream `EVREG_DLQ` over `evreg.dlq.>`.
 */

import type * as Nats from "nats";

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
import { type Headers, deadLetterSubject, pattern } from "./wire.js";

type NatsApi = typeof Nats;

const EVENT_ID_HEADERS = ["eventId", "event_id", "event-id", "messageId", "message-id", "id"];

export interface NatsOptions {
  /** At least once through JetStream (default: core NATS, at most once). */
  jetstream?: boolean;
  /** Delay before a failed message is redelivered (JetStream), in ms. */
  nakDelay?: number;
  /** How long an unacknowledged message waits before redelivery (JetStream), in ms. */
  ackWait?: number;
  /** Messages a member fetches at once from a durable consumer (JetStream). */
  batch?: number;
  /** Subject prefix and stream of dead letters. */
  deadLetterPrefix?: string;
  deadLetterStream?: string;
  /** Passed to `nats.connect` (servers, credentials, names...). */
  connection?: Partial<Nats.ConnectionOptions>;
}

function headersOf(api: NatsApi, headers: Headers): Nats.MsgHdrs {
  const out = api.headers();
  for (const [name, value] of Object.entries(headers)) out.set(name, value);
  return out;
}

function readHeaders(raw: Nats.MsgHdrs | undefined): Headers {
  const out: Headers = {};
  if (raw === undefined) return out;
  for (const name of raw.keys()) out[name] = raw.get(name);
  return out;
}

function deliveryOf(msg: Nats.Msg | Nats.JsMsg, attempt: number, redeliverable: boolean, options: SubscribeOptions): Delivery {
  const { group, durable } = options;
  return { subject: msg.subject, body: msg.data, headers: readHeaders(msg.headers), attempt, redeliverable, group, durable, raw: msg };
}

class NatsSubscription implements Subscription {
  readonly inflight = new Inflight();
  loop: Promise<void> = Promise.resolve();
  stopping = false;

  constructor(
    private readonly transport: NatsTransport,
    private readonly halt: () => Promise<void>,
  ) {}

  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    try {
      await this.halt();
    } catch {
      // already closed
    }
    await this.loop;
    await this.inflight.idle();
    this.transport.forget(this);
  }
}

export class NatsTransport implements Transport {
  readonly system = "nats";
  private readonly subscriptions = new Set<NatsSubscription>();
  private dlqReady: Promise<void> | null = null;

  private constructor(
    private readonly api: NatsApi,
    readonly connection: Nats.NatsConnection,
    private readonly options: NatsOptions,
    private readonly jsm: Nats.JetStreamManager | null,
  ) {}

  static async connect(url = "nats://127.0.0.1:4222", options: NatsOptions = {}): Promise<NatsTransport> {
    const api = await loadClient<NatsApi>("nats");
    let connection: Nats.NatsConnection;
    try {
      connection = await api.connect({ ...options.connection, servers: url });
    } catch (error) {
      throw new TransportError(`cannot connect to NATS at ${url}: ${String(error)}`, { cause: error });
    }
    let jsm: Nats.JetStreamManager | null = null;
    try {
      jsm = await connection.jetstreamManager();
    } catch (error) {
      if (options.jetstream) {
        await connection.close();
        throw new TransportError(`NATS at ${url} has no JetStream: ${String(error)}`, { cause: error });
      }
    }
    return new NatsTransport(api, connection, options, jsm);
  }

  private get jetstream(): boolean {
    return this.options.jetstream === true;
  }

  private manager(): Nats.JetStreamManager {
    if (this.jsm === null) throw new TransportError("this NATS server has no JetStream");
    return this.jsm;
  }

  /** Create the JetStream stream `name` over `subjects` unless it exists. */
  async ensureStream(name: string, subjects: string[]): Promise<void> {
    const jsm = this.manager();
    try {
      await jsm.streams.info(name);
    } catch {
      await jsm.streams.add({ name, subjects });
    }
  }

  async publish(subject: string, body: Uint8Array, headers: Headers, _options?: PublishOptions): Promise<void> {
    try {
      if (this.jetstream) {
        const eventId = EVENT_ID_HEADERS.map((k) => headers[k]).find((v) => v !== undefined);
        const opts: Partial<Nats.JetStreamPublishOptions> = { headers: headersOf(this.api, headers) };
        if (eventId !== undefined) opts.msgID = headers["Nats-Msg-Id"] ?? eventId;
        await this.connection.jetstream().publish(subject, body, opts);
      } else {
        this.connection.publish(subject, body, { headers: headersOf(this.api, headers) });
        await this.connection.flush();
      }
    } catch (error) {
      throw new TransportError(`NATS publish to ${subject} failed: ${String(error)}`, { cause: error });
    }
  }

  async subscribe(address: string, handler: DeliveryHandler, options: SubscribeOptions = {}): Promise<Subscription> {
    const subject = pattern(address, "*");
    try {
      return this.jetstream
        ? await this.subscribeJetStream(subject, handler, options)
        : this.subscribeCore(subject, handler, options);
    } catch (error) {
      if (error instanceof TransportError) throw error;
      throw new TransportError(`NATS subscribe to ${subject} failed: ${String(error)}`, { cause: error });
    }
  }

  private subscribeCore(subject: string, handler: DeliveryHandler, options: SubscribeOptions): Subscription {
    const queue = options.durable ?? options.group;
    const raw = this.connection.subscribe(subject, queue === undefined ? {} : { queue });
    const subscription = new NatsSubscription(this, () => raw.drain());
    subscription.loop = (async () => {
      for await (const msg of raw) {
        const delivery = deliveryOf(msg, 1, false, options);
        await subscription.inflight.run(async () => {
          try {
            await handler(delivery);
          } catch (error) {
            log().error(`handler failed on ${msg.subject}; message dropped (core NATS cannot redeliver): ${String(error)}`);
          }
        });
      }
    })();
    this.subscriptions.add(subscription);
    return subscription;
  }

  private async subscribeJetStream(subject: string, handler: DeliveryHandler, options: SubscribeOptions): Promise<Subscription> {
    const jsm = this.manager();
    const stream = await jsm.streams.find(subject);
    // one delivery more than the attempts: an attempt that ended without an outcome (its member
    // died) still reaches a consumer, which dead-letters it (as the Python runtime does)
    const maxDeliver = (options.maxAttempts ?? 3) + 1;
    const config: Partial<Nats.ConsumerConfig> = {
      filter_subject: subject,
      ack_policy: this.api.AckPolicy.Explicit,
      max_deliver: maxDeliver,
      ack_wait: this.api.nanos(this.options.ackWait ?? 30_000),
    };
    let name: string;
    if (options.durable !== undefined) {
      name = options.durable;
      try {
        await jsm.consumers.info(stream, name);
      } catch {
        await jsm.consumers.add(stream, { ...config, durable_name: name });
      }
    } else {
      const info = await jsm.consumers.add(stream, {
        ...config,
        deliver_policy: this.api.DeliverPolicy.New,
        inactive_threshold: this.api.nanos(60_000),
      });
      name = info.name;
    }
    const consumer = await this.connection.jetstream().consumers.get(stream, name);
    const messages = await consumer.consume({ max_messages: this.options.batch ?? 64 });
    const subscription = new NatsSubscription(this, async () => {
      await messages.close();
    });
    subscription.loop = (async () => {
      for await (const msg of messages) {
        const attempt = msg.info.deliveryCount;
        const delivery = deliveryOf(msg, attempt, attempt < maxDeliver, options);
        await subscription.inflight.run(async () => {
          try {
            await handler(delivery);
          } catch (error) {
            if (delivery.redeliverable) {
              msg.nak(this.options.nakDelay ?? 500);
              return;
            }
            log().error(`handler failed on ${msg.subject}; message terminated: ${String(error)}`);
            msg.term();
            return;
          }
          await msg.ackAck();
        });
      }
    })();
    this.subscriptions.add(subscription);
    return subscription;
  }

  /** Publishes the dead letter without `Nats-Msg-Id` (the dead-letter stream would take a
   * second group's letter for the same event as a duplicate). */
  async deadLetter(delivery: Delivery, original: Headers): Promise<void> {
    const subject = deadLetterSubject(this.options.deadLetterPrefix ?? "evreg.dlq", delivery.group, delivery.subject);
    const headers = Object.fromEntries(Object.entries(original).filter(([name]) => name !== "Nats-Msg-Id"));
    if (this.jsm === null) {
      this.connection.publish(subject, delivery.body, { headers: headersOf(this.api, headers) });
      await this.connection.flush();
      return;
    }
    this.dlqReady ??= this.ensureStream(this.options.deadLetterStream ?? "EVREG_DLQ", [`${this.options.deadLetterPrefix ?? "evreg.dlq"}.>`]);
    await this.dlqReady;
    await this.connection.jetstream().publish(subject, delivery.body, { headers: headersOf(this.api, headers) });
  }

  forget(subscription: NatsSubscription): void {
    this.subscriptions.delete(subscription);
  }

  async close(): Promise<void> {
    for (const subscription of [...this.subscriptions]) await subscription.stop();
    try {
      await this.connection.drain();
    } catch {
      // already closed
    }
  }
}
