/**
 * An in-memory transport: the default, for tests and local runs. No broker, same semantics.
 *
 * A subscription to an address gets the messages published to it, each `{parameter}` standing
 * for any value (one token: no `.`, `/` or wildcard in it). Each subscription has
 * its own queue, so handlers run one at a time per subscription and a slow handler never
 * blocks `publish`. A handler that rejects is retried (`attempt` + 1) until `maxAttempts`.
 * Members of one group share a subscription: each message goes to one of them (round robin).
 * `published` keeps every message sent and `deadLetters` every dead letter, for assertions;
 * `drain()` waits until every queued message is handled.
 */

import { log } from "./log.js";
import {
  type Delivery,
  type DeliveryHandler,
  type PublishOptions,
  type SubscribeOptions,
  type Subscription,
  type Transport,
  TransportError,
} from "./transport.js";
import type { Headers } from "./wire.js";

/** A matcher of the subjects an address stands for (`{parameter}`: one token). */
export function addressMatcher(address: string): (subject: string) => boolean {
  const parts = address.split(/\{[^{}]+\}/).map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
  const regex = new RegExp(`^${parts.join("[^./*>+#\\s]+")}$`);
  return (subject) => regex.test(subject);
}

class Member implements Subscription {
  private readonly queue: Delivery[] = [];
  private running: Promise<void> | null = null;
  private stopped = false;
  pending = 0;

  constructor(
    private readonly transport: InMemoryTransport,
    readonly address: string,
    readonly matches: (subject: string) => boolean,
    private readonly handler: DeliveryHandler,
    readonly group: string | undefined,
    readonly durable: string | undefined,
    private readonly maxAttempts: number,
  ) {}

  deliver(sent: Delivery, attempt = 1): void {
    this.pending += 1;
    this.queue.push({
      ...sent,
      attempt,
      redeliverable: attempt < this.maxAttempts,
      group: this.group,
      durable: this.durable,
    });
    this.running ??= this.run();
  }

  private async run(): Promise<void> {
    await Promise.resolve(); // let publish() return first, as a broker would
    for (let next = this.queue.shift(); next !== undefined; next = this.queue.shift()) {
      try {
        await this.handler(next);
      } catch (error) {
        if (next.redeliverable && !this.stopped) this.deliver(next, next.attempt + 1);
        else log().error(`handler failed on ${next.subject} (attempt ${next.attempt}); message dropped: ${String(error)}`);
      } finally {
        this.pending -= 1;
      }
    }
    this.running = null;
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.transport.remove(this);
    await this.idle();
  }

  async idle(): Promise<void> {
    while (this.running !== null) await this.running;
  }
}

export class InMemoryTransport implements Transport {
  readonly system = "memory";
  readonly published: Delivery[] = [];
  readonly deadLetters: Delivery[] = [];
  private members: Member[] = [];
  private readonly turns = new Map<string, number>();
  private closed = false;

  async publish(subject: string, body: Uint8Array, headers: Headers, options?: PublishOptions): Promise<void> {
    if (this.closed) throw new TransportError("the in-memory transport is closed");
    const key = options?.key === undefined ? null : new TextEncoder().encode(options.key);
    const sent: Delivery = { subject, body: Uint8Array.from(body), headers: { ...headers }, attempt: 1, redeliverable: false, key };
    this.published.push(sent);
    const groups = new Map<string, Member[]>();
    for (const member of this.members) {
      if (!member.matches(subject)) continue;
      if (member.durable === undefined) member.deliver(sent);
      else {
        const name = `${member.address}\u0000${member.durable}`;
        groups.set(name, [...(groups.get(name) ?? []), member]);
      }
    }
    for (const [name, members] of groups) {
      const turn = this.turns.get(name) ?? 0;
      this.turns.set(name, turn + 1);
      members[turn % members.length]?.deliver(sent);
    }
  }

  async subscribe(address: string, handler: DeliveryHandler, options: SubscribeOptions = {}): Promise<Subscription> {
    if (this.closed) throw new TransportError("the in-memory transport is closed");
    const durable = options.durable ?? options.group;
    const member = new Member(this, address, addressMatcher(address), handler, options.group, durable, options.maxAttempts ?? 3);
    this.members.push(member);
    return member;
  }

  /** Keeps the dead letter in `deadLetters` (body as received, `headers` given). */
  async deadLetter(delivery: Delivery, headers: Headers): Promise<void> {
    this.deadLetters.push({ ...delivery, headers: { ...headers }, redeliverable: false, raw: undefined });
  }

  /** Resolves once every message published so far (and its retries) has been handled. */
  async drain(): Promise<void> {
    while (this.members.some((m) => m.pending > 0)) {
      await Promise.all(this.members.map((m) => m.idle()));
    }
  }

  remove(member: Member): void {
    this.members = this.members.filter((m) => m !== member);
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const member of [...this.members]) await member.stop();
  }
}
