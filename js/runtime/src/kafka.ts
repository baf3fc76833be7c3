/**
 * Kafka transport on `@confluentinc/kafka-javascript` (its KafkaJS-compatible API), following
 * the evreg wire conventions (the Python runtime's `evreg.runtime.kafka` does the same).
 *
 * The topic is the address (a parameterized address cannot be subscribed: Kafka has no
 * wildcard). When a message carries the registry schema id (`evreg-schema-id`), its value is
 * written in Confluent's wire format: byte 0, the id as 4 bytes big-endian, then the JSON
 * body, so Confluent's deserializers read it; a consumer strips the frame and sets the header.
 * A subscription with a group is the consumer group named by `wire.subscriptionName`, with
 * manual commits after the handler resolves; a failing handler is retried by this process up
 * to the max attempts, then the consumer dead-letters the record to
 * `evreg.dlq.<group>.<topic>` (value and key as received) and the offset is committed.
 *
 * `@confluentinc/kafka-javascript` is not a dependency of this package: its install downloads
 * a prebuilt librdkafka from GitHub (or builds it from sources it downloads), so it is an
 * optional peer dependency. Install it in the application that talks to Kafka.
 */

import { randomUUID } from "node:crypto";

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
import { type Headers, SCHEMA_ID, deadLetterSubject } from "./wire.js";

export const MAGIC = 0;

/** Confluent's wire format: `0x00`, the schema id (uint32 big-endian), the payload. */
export function frame(schemaId: number, payload: Uint8Array): Uint8Array {
  if (!Number.isInteger(schemaId) || schemaId < 0 || schemaId >= 2 ** 32) {
    throw new RangeError(`schema id ${schemaId} does not fit in 4 bytes`);
  }
  const out = new Uint8Array(5 + payload.byteLength);
  out[0] = MAGIC;
  new DataView(out.buffer).setUint32(1, schemaId, false);
  out.set(payload, 5);
  return out;
}

/** `[schema id, payload]`; `[null, value]` when the value is not framed (JSON never starts
 * with a zero byte, so the check is unambiguous for JSON). */
export function unframe(value: Uint8Array): [number | null, Uint8Array] {
  if (value.byteLength >= 5 && value[0] === MAGIC) {
    const view = new DataView(value.buffer, value.byteOffset, value.byteLength);
    return [view.getUint32(1, false), value.subarray(5)];
  }
  return [null, value];
}

/** The part of the KafkaJS-compatible API this transport uses (what `@confluentinc/kafka-javascript`
 * offers as `KafkaJS`), so a test can hand in another implementation. */
export interface KafkaRecord {
  key?: Buffer | null;
  value: Buffer | null;
  headers?: Record<string, Buffer | string | Array<Buffer | string> | undefined>;
  offset: string;
}
export interface KafkaProducerLike {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  send(record: { topic: string; messages: Array<{ key?: Buffer | null; value: Buffer; headers: Record<string, string> }> }): Promise<unknown>;
}
export interface KafkaConsumerLike {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  subscribe(subscription: { topics: string[] }): Promise<void>;
  run(config: { eachMessage: (payload: { topic: string; partition: number; message: KafkaRecord }) => Promise<void> }): Promise<void>;
  commitOffsets(offsets: Array<{ topic: string; partition: number; offset: string }>): Promise<void>;
}
export interface KafkaLike {
  producer(config?: Record<string, unknown>): KafkaProducerLike;
  consumer(config: Record<string, unknown>): KafkaConsumerLike;
}

export interface KafkaOptions {
  /** librdkafka / KafkaJS settings merged into the producer's and consumers' configuration. */
  config?: Record<string, unknown>;
  deadLetterPrefix?: string;
}

function text(value: Buffer | string | Array<Buffer | string> | undefined): string | undefined {
  if (value === undefined) return undefined;
  const last = Array.isArray(value) ? value[value.length - 1] : value;
  return last === undefined ? undefined : typeof last === "string" ? last : last.toString("utf8");
}

class KafkaSubscription implements Subscription {
  readonly inflight = new Inflight();
  stopped = false;

  constructor(
    private readonly transport: KafkaTransport,
    private readonly consumer: KafkaConsumerLike,
  ) {}

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await this.inflight.idle();
    await this.consumer.disconnect();
    this.transport.forget(this);
  }
}

export class KafkaTransport implements Transport {
  readonly system = "kafka";
  private readonly subscriptions = new Set<KafkaSubscription>();

  constructor(
    private readonly kafka: KafkaLike,
    private readonly producer: KafkaProducerLike,
    private readonly options: KafkaOptions = {},
  ) {}

  /** Connects a producer to `brokers` with `@confluentinc/kafka-javascript`. */
  static async connect(brokers: string[], options: KafkaOptions = {}): Promise<KafkaTransport> {
    const module = await loadClient<{ KafkaJS: { Kafka: new (config: Record<string, unknown>) => KafkaLike } }>("@confluentinc/kafka-javascript");
    const kafka = new module.KafkaJS.Kafka({ kafkaJS: { brokers } });
    return KafkaTransport.fromClient(kafka, options);
  }

  /** A transport on any KafkaJS-compatible client. */
  static async fromClient(kafka: KafkaLike, options: KafkaOptions = {}): Promise<KafkaTransport> {
    const producer = kafka.producer({
      "linger.ms": 5,
      "enable.idempotence": true,
      partitioner: "murmur2_random",
      ...options.config,
    });
    try {
      await producer.connect();
    } catch (error) {
      throw new TransportError(`cannot connect the Kafka producer: ${String(error)}`, { cause: error });
    }
    return new KafkaTransport(kafka, producer, options);
  }

  private async produce(topic: string, value: Uint8Array, headers: Headers, key: Uint8Array | string | null | undefined): Promise<void> {
    await this.producer.send({
      topic,
      messages: [
        {
          key: key === undefined || key === null ? null : Buffer.from(key),
          value: Buffer.from(value),
          headers,
        },
      ],
    });
  }

  async publish(subject: string, body: Uint8Array, headers: Headers, options?: PublishOptions): Promise<void> {
    const schemaId = headers[SCHEMA_ID];
    const value = schemaId === undefined ? body : frame(Number(schemaId), body);
    try {
      await this.produce(subject, value, headers, options?.key);
    } catch (error) {
      throw new TransportError(`Kafka produce to ${subject} failed: ${String(error)}`, { cause: error });
    }
  }

  async subscribe(address: string, handler: DeliveryHandler, options: SubscribeOptions = {}): Promise<Subscription> {
    if (/\{[^{}]+\}/.test(address)) {
      throw new TransportError(`Kafka has no wildcard: cannot subscribe to the parameterized address ${address}`);
    }
    const maxAttempts = options.maxAttempts ?? 3;
    const consumer = this.kafka.consumer({
      kafkaJS: { groupId: options.durable ?? `evreg-${randomUUID()}`, fromBeginning: options.durable !== undefined, autoCommit: false },
      ...this.options.config,
    });
    const subscription = new KafkaSubscription(this, consumer);
    try {
      await consumer.connect();
      await consumer.subscribe({ topics: [address] });
      await consumer.run({
        eachMessage: ({ topic, partition, message }) =>
          subscription.inflight.run(async () => {
            const raw = new Uint8Array(message.value ?? Buffer.alloc(0));
            const [schemaId, body] = unframe(raw);
            const headers: Headers = {};
            for (const [name, value] of Object.entries(message.headers ?? {})) {
              const decoded = text(value);
              if (decoded !== undefined) headers[name] = decoded;
            }
            if (schemaId !== null) headers[SCHEMA_ID] = String(schemaId);
            for (let attempt = 1; ; attempt += 1) {
              const delivery: Delivery = {
                subject: topic,
                body,
                headers,
                attempt,
                redeliverable: attempt < maxAttempts,
                group: options.group,
                durable: options.durable,
                key: message.key === undefined || message.key === null ? null : new Uint8Array(message.key),
                raw: message,
              };
              try {
                await handler(delivery);
                break;
              } catch (error) {
                if (delivery.redeliverable && !subscription.stopped) continue;
                log().error(`handler failed on ${topic} (attempt ${attempt}); offset not committed: ${String(error)}`);
                throw error;
              }
            }
            await consumer.commitOffsets([{ topic, partition, offset: (BigInt(message.offset) + 1n).toString() }]);
          }),
      });
    } catch (error) {
      throw new TransportError(`Kafka subscribe to ${address} failed: ${String(error)}`, { cause: error });
    }
    this.subscriptions.add(subscription);
    return subscription;
  }

  async deadLetter(delivery: Delivery, headers: Headers): Promise<void> {
    const topic = deadLetterSubject(this.options.deadLetterPrefix ?? "evreg.dlq", delivery.group, delivery.subject);
    const original = delivery.raw as KafkaRecord | undefined;
    const value = original?.value ? new Uint8Array(original.value) : delivery.body;
    await this.produce(topic, value, headers, delivery.key);
  }

  forget(subscription: KafkaSubscription): void {
    this.subscriptions.delete(subscription);
  }

  async close(): Promise<void> {
    for (const subscription of [...this.subscriptions]) await subscription.stop();
    await this.producer.disconnect();
  }
}
