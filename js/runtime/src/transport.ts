/**
 * The `Transport` interface: what generated producers and consumers need from a broker.
 *
 * A transport moves bytes with string headers on a subject (a NATS subject, an AMQP routing
 * key, a Kafka topic, an MQTT topic). Acknowledgement is the transport's business and follows
 * one rule: a delivery handler that resolves is acknowledged; one that rejects is handed back
 * to the broker for redelivery when it can be redelivered (`Delivery.redeliverable`).
 * Consumers built on `BaseConsumer` never let a message reach that point without a decision:
 * when it is invalid, or its last attempt failed, they hand it to `Transport.deadLetter` first,
 * which puts it in the broker's dead-letter place (see `wire.ts`), and only then resolve.
 */

import type { Headers } from "./wire.js";

/** Publishing or subscribing failed in the broker client (the cause is attached). */
export class TransportError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "TransportError";
  }
}

/** A broker client is not installed; the message names the npm package that provides it. */
export class MissingClientError extends Error {
  readonly client: string;

  constructor(client: string, options?: { cause?: unknown }) {
    super(`${client} is not installed: this transport needs it. Install it with: npm install ${client}`, options);
    this.name = "MissingClientError";
    this.client = client;
  }
}

/** One received message, as a transport hands it to a handler. */
export interface Delivery {
  readonly subject: string;
  readonly body: Uint8Array;
  readonly headers: Headers;
  /** 1 for the first delivery, 2 for the first redelivery... */
  readonly attempt: number;
  /** Will the broker deliver it again if the handler rejects? */
  readonly redeliverable: boolean;
  /** The consumer group it was received for. */
  readonly group?: string | undefined;
  /** The (group, channel) subscription name (`wire.subscriptionName`). */
  readonly durable?: string | undefined;
  /** The Kafka record key, when there is one. */
  readonly key?: Uint8Array | null | undefined;
  /** The client library's message. */
  readonly raw?: unknown;
}

export type DeliveryHandler = (delivery: Delivery) => Promise<void>;

/** What a channel's bindings ask of one publish; unset leaves the transport's default. */
export interface PublishOptions {
  /** Kafka record key. */
  key?: string | undefined;
  /** MQTT QoS. */
  qos?: 0 | 1 | 2 | undefined;
  /** MQTT retain flag. */
  retain?: boolean | undefined;
  /** AMQP exchange instead of the transport's. */
  exchange?: string | undefined;
  /** Its type: topic (default), direct, fanout, headers. */
  exchangeType?: string | undefined;
  /** AMQP queue a consumer without a group reads. */
  queue?: string | undefined;
  /** AMQP routing keys instead of the subject (published with the first, the others in CC). */
  routingKeys?: readonly string[] | undefined;
}

export interface SubscribeOptions {
  /** The consumer group: each message goes to one member of the group. */
  group?: string | undefined;
  /** The shared subscription of the group on this channel (`wire.subscriptionName`). */
  durable?: string | undefined;
  /** How many times a message is handed to a handler before it is dead-lettered. */
  maxAttempts?: number | undefined;
  /** What the channel's bindings ask of the subscription (exchange, queue, routing keys, QoS). */
  channel?: PublishOptions | undefined;
}

export interface Subscription {
  /** Stop receiving; resolve once the handlers already running have finished. */
  stop(): Promise<void>;
}

export interface Transport {
  /** For logs and traces: "nats", "rabbitmq", "kafka", "mqtt", "memory". */
  readonly system: string;
  /** Send one message; resolve once the broker has it (or reject with `TransportError`). */
  publish(subject: string, body: Uint8Array, headers: Headers, options?: PublishOptions): Promise<void>;
  /**
   * Call `handler` for each message on `address` (a channel address: each `{parameter}` is
   * one level of the broker's wildcard).
   */
  subscribe(address: string, handler: DeliveryHandler, options?: SubscribeOptions): Promise<Subscription>;
  /**
   * Put `delivery`'s body with `headers` in the broker's dead-letter place; resolve once the
   * broker has it (or reject, and the delivery is not acknowledged).
   */
  deadLetter(delivery: Delivery, headers: Headers): Promise<void>;
  /** Stop every subscription gracefully and release the connection. */
  close(): Promise<void>;
}

/** Counts the handlers running for a subscription, so `stop()` can wait for them. */
export class Inflight {
  private count = 0;
  private waiters: Array<() => void> = [];

  async run<T>(work: () => Promise<T>): Promise<T> {
    this.count += 1;
    try {
      return await work();
    } finally {
      this.count -= 1;
      if (this.count === 0) for (const wake of this.waiters.splice(0)) wake();
    }
  }

  idle(): Promise<void> {
    if (this.count === 0) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }
}

/**
 * Loads a broker client by its npm name (its CommonJS exports when it is a CommonJS module),
 * or throws `MissingClientError` naming it.
 */
export async function loadClient<T>(name: string): Promise<T> {
  try {
    const loaded = (await import(name)) as { default?: unknown };
    const api = loaded.default !== undefined && typeof loaded.default === "object" ? loaded.default : loaded;
    return api as T;
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === "ERR_MODULE_NOT_FOUND" || code === "MODULE_NOT_FOUND") {
      throw new MissingClientError(name, { cause: error });
    }
    throw error;
  }
}
