/**
 * AMQP 0-9-1 transport for RabbitMQ (the `amqplib` npm package), following the evreg wire
 * conventions (the Python runtime's `evreg.runtime.amqp` does the same).
 *
 * Messages are published persistent to a durable topic exchange (`evreg` by default) with the
 * subject as routing key, with publisher confirms: `publish` resolves once the broker has the
 * message. A subscription with a group uses the durable quorum queue named by
 * `wire.subscriptionName`, shared by every member of the group, dead-lettering (as a backstop,
 * `x-delivery-limit`) to the direct exchange `<exchange>.dlx` with the queue's name as routing
 * key; `<name>.dlq` holds the dead letters. Without a group, an exclusive queue that goes away
 * with the connection, and dead letters go to the durable queue `<exchange>.dlq` (key `_`). A message is acked after its handler resolves, requeued when it
 * rejects (attempts counted by the quorum queue's `x-delivery-count`).
 */

import type * as Amqp from "amqplib";

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
import { type Headers, pattern } from "./wire.js";

type AmqpApi = typeof Amqp;

export interface AmqpOptions {
  /** The topic exchange messages are published to (default `evreg`). */
  exchange?: string;
  /** Unacknowledged messages a subscription holds at once (default 16). */
  prefetch?: number;
}

/** The dead-letter routing key of a subscription without a group. */
export const NO_GROUP = "_";

/** A subject pattern as an AMQP topic binding (`>` -> `#`). */
export function bindingKey(subject: string): string {
  return subject
    .split(".")
    .map((token) => (token === ">" ? "#" : token))
    .join(".");
}

function textHeaders(raw: Record<string, unknown> | undefined): Headers {
  const out: Headers = {};
  for (const [name, value] of Object.entries(raw ?? {})) {
    if (typeof value === "string") out[name] = value;
    else if (Buffer.isBuffer(value)) out[name] = value.toString("utf8");
    else if (typeof value === "number" || typeof value === "bigint") out[name] = String(value);
  }
  return out;
}

class AmqpSubscription implements Subscription {
  readonly inflight = new Inflight();
  tag: string | null = null;

  constructor(
    private readonly transport: AmqpTransport,
    private readonly channel: Amqp.Channel,
  ) {}

  async stop(): Promise<void> {
    if (this.tag !== null) {
      const tag = this.tag;
      this.tag = null;
      try {
        await this.channel.cancel(tag);
      } catch {
        // the channel is gone already
      }
    }
    await this.inflight.idle();
    try {
      await this.channel.close();
    } catch {
      // already closed
    }
    this.transport.forget(this);
  }
}

export class AmqpTransport implements Transport {
  readonly system = "rabbitmq";
  readonly exchange: string;
  private readonly subscriptions = new Set<AmqpSubscription>();
  private readonly dlx: string;
  private noGroupQueue = false;
  private readonly exchanges = new Set<string>();

  private constructor(
    readonly connection: Amqp.ChannelModel,
    private readonly channel: Amqp.ConfirmChannel,
    private readonly options: AmqpOptions,
  ) {
    this.exchange = options.exchange ?? "evreg";
    this.dlx = `${this.exchange}.dlx`;
  }

  static async connect(url = "amqp://guest:guest@127.0.0.1:5672/", options: AmqpOptions = {}): Promise<AmqpTransport> {
    const api = await loadClient<AmqpApi>("amqplib");
    try {
      const connection = await api.connect(url);
      const channel = await connection.createConfirmChannel();
      const exchange = options.exchange ?? "evreg";
      await channel.assertExchange(exchange, "topic", { durable: true });
      await channel.assertExchange(`${exchange}.dlx`, "direct", { durable: true });
      return new AmqpTransport(connection, channel, options);
    } catch (error) {
      throw new TransportError(`cannot connect to AMQP at ${url}: ${String(error)}`, { cause: error });
    }
  }

  private confirm(exchange: string, routingKey: string, body: Uint8Array, headers: Headers): Promise<void> {
    return new Promise((resolve, reject) => {
      this.channel.publish(
        exchange,
        routingKey,
        Buffer.from(body.buffer, body.byteOffset, body.byteLength),
        { persistent: true, headers, contentType: headers["content-type"] },
        (error: unknown) => (error ? reject(error instanceof Error ? error : new Error(String(error))) : resolve()),
      );
    });
  }

  /** The transport's exchange, or the one a channel's binding names (asserted durable, of the
   * binding's type, else topic, the first time). */
  private async exchangeFor(channel: Amqp.Channel, options: PublishOptions | undefined): Promise<string> {
    const name = options?.exchange;
    if (name === undefined || name === "") return this.exchange;
    if (!this.exchanges.has(name)) {
      await channel.assertExchange(name, options?.exchangeType ?? "topic", { durable: true });
      this.exchanges.add(name);
    }
    return name;
  }

  async publish(subject: string, body: Uint8Array, headers: Headers, options?: PublishOptions): Promise<void> {
    try {
      const exchange = await this.exchangeFor(this.channel, options);
      const keys = options?.routingKeys ?? [];
      // RabbitMQ's sender-selected distribution: the other routing keys in CC
      const sent: Record<string, unknown> = keys.length > 1 ? { ...headers, CC: keys.slice(1) } : headers;
      await this.confirm(exchange, keys[0] ?? subject, body, sent as Headers);
    } catch (error) {
      throw new TransportError(`AMQP publish to ${subject} failed: ${String(error)}`, { cause: error });
    }
  }

  async subscribe(address: string, handler: DeliveryHandler, options: SubscribeOptions = {}): Promise<Subscription> {
    const subject = pattern(address, "*");
    const maxAttempts = options.maxAttempts ?? 3;
    let channel: Amqp.Channel;
    let queue: string;
    // a channel binding's queue is the queue of a consumer without a group
    const durable = options.durable ?? options.channel?.queue;
    try {
      channel = await this.connection.createChannel();
      await channel.prefetch(this.options.prefetch ?? 16);
      const exchange = await this.exchangeFor(channel, options.channel);
      if (durable !== undefined) {
        queue = durable;
        await channel.assertQueue(queue, {
          durable: true,
          arguments: {
            "x-queue-type": "quorum",
            "x-dead-letter-exchange": this.dlx,
            "x-dead-letter-routing-key": queue,
            "x-delivery-limit": maxAttempts,
          },
        });
        await channel.assertQueue(`${queue}.dlq`, { durable: true, arguments: { "x-queue-type": "quorum" } });
        await channel.bindQueue(`${queue}.dlq`, this.dlx, queue);
      } else {
        queue = (await channel.assertQueue("", { exclusive: true, autoDelete: true })).queue;
      }
      const keys = options.channel?.routingKeys ?? [];
      for (const key of keys.length > 0 ? keys : [bindingKey(subject)]) await channel.bindQueue(queue, exchange, key);
    } catch (error) {
      throw new TransportError(`AMQP subscribe to ${subject} failed: ${String(error)}`, { cause: error });
    }
    const subscription = new AmqpSubscription(this, channel);
    const reply = await channel.consume(queue, (message) => {
      if (message === null) return; // cancelled by the broker
      void subscription.inflight.run(() => this.handle(channel, message, handler, { ...options, durable }, maxAttempts));
    });
    subscription.tag = reply.consumerTag;
    this.subscriptions.add(subscription);
    return subscription;
  }

  private async handle(
    channel: Amqp.Channel,
    message: Amqp.ConsumeMessage,
    handler: DeliveryHandler,
    options: SubscribeOptions,
    maxAttempts: number,
  ): Promise<void> {
    const raw = message.properties.headers as Record<string, unknown> | undefined;
    const count = raw?.["x-delivery-count"];
    const attempt = typeof count === "number" ? count + 1 : message.fields.redelivered ? 2 : 1;
    const delivery: Delivery = {
      subject: message.fields.routingKey,
      body: new Uint8Array(message.content),
      headers: textHeaders(raw),
      attempt,
      redeliverable: typeof count === "number" || options.durable !== undefined ? attempt < maxAttempts : !message.fields.redelivered && maxAttempts > 1,
      group: options.group,
      durable: options.durable,
      raw: message,
    };
    try {
      await handler(delivery);
    } catch (error) {
      if (delivery.redeliverable) {
        channel.nack(message, false, true);
        return;
      }
      log().error(`handler failed on ${delivery.subject}; message rejected: ${String(error)}`);
      channel.nack(message, false, false);
      return;
    }
    channel.ack(message);
  }

  async deadLetter(delivery: Delivery, headers: Headers): Promise<void> {
    if (delivery.durable === undefined && !this.noGroupQueue) {
      // without a group: the durable queue `<exchange>.dlq`, routing key `_` (as in Python)
      await this.channel.assertQueue(`${this.exchange}.dlq`, { durable: true, arguments: { "x-queue-type": "quorum" } });
      await this.channel.bindQueue(`${this.exchange}.dlq`, this.dlx, NO_GROUP);
      this.noGroupQueue = true;
    }
    await this.confirm(this.dlx, delivery.durable ?? NO_GROUP, delivery.body, headers);
  }

  forget(subscription: AmqpSubscription): void {
    this.subscriptions.delete(subscription);
  }

  async close(): Promise<void> {
    for (const subscription of [...this.subscriptions]) await subscription.stop();
    try {
      await this.connection.close();
    } catch {
      // already closed
    }
  }
}
