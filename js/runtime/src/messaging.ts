/**
 * What generated producers and consumers are built on: specs, validation, headers, retries.
 *
 * A generated `Producer` has one method per send operation; each calls `BaseProducer.send`
 * with a module-level `OperationSpec`. A generated `Consumer` has one `on...` method per
 * receive operation; each calls `BaseConsumer.register`. Everything contract-specific is in
 * the specs and the package's contract data (`Catalog`), so the generated code stays
 * declarative. The semantics are the Python runtime's (`evreg.runtime.messaging`).
 */

import { AsyncLocalStorage } from "node:async_hooks";
import { randomUUID } from "node:crypto";

import { log } from "./log.js";
import { InMemoryTransport } from "./memory.js";
import { type TraceScope, processing, publishing } from "./tracing.js";
import { type Delivery, type PublishOptions, type Subscription, type Transport, TransportError } from "./transport.js";
import { type Catalog, type JsonSchema, type MessageInfo, ValidationError } from "./validation.js";
import {
  CONTENT_TYPE,
  type DeadReason,
  type Headers,
  MESSAGE,
  SCHEMA_ID,
  checkGroup,
  deadLetterHeaders,
  keyFrom,
  now,
  subscriptionName,
} from "./wire.js";

export type AutoHeader = "event_id" | "correlation_id" | "timestamp" | "content_type" | "schema_id";

/** One message of an operation: where its schemas are, and the headers evreg fills in. */
export interface MessageSpec {
  /** The message's id in the contract data (`<subject>:<message key>`). */
  readonly id: string;
  readonly name: string;
  readonly contentType?: string;
  readonly schemaId?: number;
  /** Declared header (wire name) -> what evreg fills in. */
  readonly autoHeaders?: Readonly<Record<string, AutoHeader>>;
}

/** One operation: where it sends or receives, and which messages. */
export interface OperationSpec {
  readonly operation: string;
  /** The channel address; may hold `{parameters}`. */
  readonly address: string;
  readonly messages: readonly MessageSpec[];
  /** What the channel's and operation's bindings ask of every publish and subscription. */
  readonly options?: PublishOptions | undefined;
  /** Where the Kafka key comes from when the caller gives none (`$message.payload#/orderId`). */
  readonly key?: string | undefined;
}

/** The concrete address of `spec`, its `{name}` placeholders filled from `parameters`. */
export function subjectOf(spec: OperationSpec, parameters: Readonly<Record<string, string>> = {}): string {
  return spec.address.replace(/\{([^{}]+)\}/g, (placeholder, name: string) => {
    const value = parameters[name];
    if (value === undefined) {
      throw new TypeError(`${spec.operation}: no value for address parameter ${placeholder}`);
    }
    if (value === "" || /[./*>+# \t\r\n]/.test(value)) {
      throw new TypeError(`${spec.operation}: ${placeholder} = ${JSON.stringify(value)} is not one token`);
    }
    return value;
  });
}

export interface SendOptions<H = Record<string, unknown>, P = Record<string, string>> {
  /** Declared headers, by wire name; evreg fills in event id, correlation id, timestamp. */
  headers?: Partial<H> | undefined;
  /** The correlation id (else the one of the message being handled, else a new UUID). */
  correlationId?: string | undefined;
  /** The values of the address's `{parameters}`. */
  parameters?: P | undefined;
  /** The Kafka record key. */
  key?: string | undefined;
}

export interface Published {
  readonly subject: string;
  readonly body: Uint8Array;
  readonly headers: Headers;
  readonly key?: string | undefined;
}

/** The message a handler is running for (its second argument, and `currentMessage()`). */
export interface Received<H = unknown> {
  readonly subject: string;
  readonly message: string;
  readonly headers: Headers;
  readonly parsedHeaders: H | null;
  readonly attempt: number;
}

/** A message that was not handled: invalid, or its handler kept failing. */
export interface DeadLetter {
  readonly reason: DeadReason;
  readonly operation: string;
  readonly delivery: Delivery;
  readonly error: unknown;
  /** The headers as written in the broker's dead-letter place. */
  readonly headers: Headers;
}

export type DeadLetterHook = (dead: DeadLetter) => Promise<void> | void;
export type Handler<E, H = unknown> = (event: E, message: Received<H>) => Promise<void> | void;

const CURRENT = new AsyncLocalStorage<{ received: Received; scope: TraceScope }>();

/** Inside a consumer handler: the message being handled (headers, subject, attempt). */
export function currentMessage(): Received | undefined {
  return CURRENT.getStore()?.received;
}

/** Publish retries: `attempts` in all, exponential backoff with jitter between them (ms). */
export class RetryPolicy {
  constructor(
    readonly attempts = 5,
    readonly initialDelay = 50,
    readonly maxDelay = 2000,
    readonly multiplier = 2,
  ) {}

  delays(): number[] {
    const out: number[] = [];
    let delay = this.initialDelay;
    for (let i = 0; i < Math.max(this.attempts - 1, 0); i += 1) {
      out.push(Math.min(delay, this.maxDelay) * (0.5 + Math.random() / 2));
      delay *= this.multiplier;
    }
    return out;
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const ENCODER = new TextEncoder();
const DECODER = new TextDecoder("utf-8", { fatal: true });

function wireValue(value: unknown): string {
  return typeof value === "string" ? value : JSON.stringify(value);
}

function isCorrelation(name: string): boolean {
  return name.replace(/[-_]/g, "").toLowerCase() === "correlationid";
}

type SchemaObject = { [key: string]: unknown };

function resolveLocal(root: SchemaObject, node: unknown): SchemaObject | null {
  let current = node;
  for (let depth = 0; depth < 32; depth += 1) {
    if (typeof current !== "object" || current === null) return null;
    const ref = (current as SchemaObject).$ref;
    if (typeof ref !== "string" || !ref.startsWith("#")) return current as SchemaObject;
    let target: unknown = root;
    for (const raw of ref.slice(1).split("/").slice(1)) {
      const token = raw.replace(/~1/g, "/").replace(/~0/g, "~");
      target = typeof target === "object" && target !== null ? (target as SchemaObject)[token] : undefined;
    }
    current = target;
  }
  return null;
}

/** The properties a headers schema declares (its own, and those of `allOf` members). */
export function declaredHeaders(schema: JsonSchema | null): Map<string, SchemaObject> {
  const out = new Map<string, SchemaObject>();
  if (typeof schema !== "object" || schema === null) return out;
  const root = schema as SchemaObject;
  const visit = (node: unknown, depth: number): void => {
    const resolved = resolveLocal(root, node);
    if (resolved === null || depth > 16) return;
    const properties = resolved.properties;
    if (typeof properties === "object" && properties !== null) {
      for (const [name, sub] of Object.entries(properties)) {
        out.set(name, resolveLocal(root, sub) ?? {});
      }
    }
    if (Array.isArray(resolved.allOf)) for (const part of resolved.allOf) visit(part, depth + 1);
  };
  visit(root, 0);
  return out;
}

/** A header's wire text as the value its schema describes: JSON unless typed as a string. */
function headerValue(text: string, schema: SchemaObject): unknown {
  const type = schema.type;
  const types = Array.isArray(type) ? type : type === undefined ? [] : [type];
  if (types.includes("string") || (types.length === 0 && schema.enum === undefined && schema.const === undefined)) {
    return text;
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text; // left as text: validation names the header
  }
}

export interface ProducerOptions {
  retry?: RetryPolicy;
}

/** Validates, serialises and publishes; generated subclasses add one method per operation. */
export class BaseProducer {
  readonly transport: Transport;
  readonly retry: RetryPolicy;
  protected readonly catalog: Catalog;

  constructor(catalog: Catalog, transport?: Transport, options: ProducerOptions = {}) {
    this.catalog = catalog;
    this.transport = transport ?? new InMemoryTransport();
    this.retry = options.retry ?? new RetryPolicy();
  }

  async close(): Promise<void> {
    await this.transport.close();
  }

  protected async send(spec: OperationSpec, event: unknown, options: SendOptions<object, object> = {}): Promise<Published> {
    const text = JSON.stringify(event);
    if (text === undefined) throw new TypeError(`${spec.operation}: the event is not JSON (${typeof event})`);
    // validate what goes on the wire, not the object: JSON.stringify drops undefined values,
    // turns Dates into strings and NaN into null, so the text is what counts
    const wire = JSON.parse(text) as unknown;
    const message = this.choose(spec, wire);
    const headers = this.headers(spec, message, options.headers as Record<string, unknown> | undefined, options.correlationId);
    const subject = subjectOf(spec, options.parameters as Record<string, string> | undefined);
    const body = ENCODER.encode(text);
    const scope = CURRENT.getStore()?.scope;
    const key = options.key ?? (spec.key === undefined ? undefined : keyFrom(spec.key, body, headers)) ?? spec.options?.key;
    const publish: PublishOptions | undefined = spec.options === undefined && key === undefined ? undefined : { ...spec.options, key };
    await publishing(this.transport.system, subject, message.name, headers, scope, () => this.publish(subject, body, headers, publish));
    return { subject, body, headers, key };
  }

  private choose(spec: OperationSpec, wire: unknown): MessageSpec {
    const errors: string[] = [];
    for (const message of spec.messages) {
      const schema = this.catalog.message(message.id).payloadSchema;
      if (schema === null) continue;
      try {
        this.catalog.validators.check(schema, wire, `${message.name} payload`);
        return message;
      } catch (error) {
        if (spec.messages.length === 1) throw error;
        errors.push(String((error as Error).message));
      }
    }
    throw new ValidationError(`${spec.operation}: the event matches none of its messages (${errors.join(" | ")})`, []);
  }

  private headers(
    spec: OperationSpec,
    message: MessageSpec,
    given: Record<string, unknown> | undefined,
    correlationId: string | undefined,
  ): Headers {
    const contentType = message.contentType ?? "application/json";
    const wire: Headers = { [CONTENT_TYPE]: contentType, [MESSAGE]: message.name };
    if (message.schemaId !== undefined) wire[SCHEMA_ID] = String(message.schemaId);
    const info = this.catalog.message(message.id);
    if (info.headersSchema === null) {
      if (given !== undefined && Object.keys(given).length > 0) {
        throw new TypeError(`${spec.operation}: ${message.name} declares no headers, yet headers were given: ${Object.keys(given).join(", ")}`);
      }
      return wire;
    }
    const values: Record<string, unknown> = {};
    for (const [name, kind] of Object.entries(message.autoHeaders ?? {})) {
      const auto = this.auto(kind, message, correlationId);
      if (auto !== undefined) values[name] = auto;
    }
    for (const [name, value] of Object.entries(given ?? {})) {
      if (value !== undefined) values[name] = value;
    }
    this.catalog.validators.check(info.headersSchema, values, `${message.name} headers`);
    for (const [name, value] of Object.entries(values)) {
      if (value !== null) wire[name] = wireValue(value);
    }
    return wire;
  }

  private auto(kind: AutoHeader, message: MessageSpec, correlationId: string | undefined): string | undefined {
    switch (kind) {
      case "event_id":
        return randomUUID();
      case "correlation_id": {
        if (correlationId !== undefined) return correlationId;
        const received = currentMessage(); // propagate the one of the message being handled
        if (received !== undefined) {
          for (const [key, value] of Object.entries(received.headers)) if (isCorrelation(key)) return value;
        }
        return randomUUID();
      }
      case "timestamp":
        return now();
      case "content_type":
        return message.contentType ?? "application/json";
      case "schema_id":
        return message.schemaId === undefined ? undefined : String(message.schemaId);
    }
  }

  private async publish(subject: string, body: Uint8Array, headers: Headers, options: PublishOptions | undefined): Promise<void> {
    const delays = this.retry.delays();
    for (let attempt = 0; ; attempt += 1) {
      try {
        await this.transport.publish(subject, body, headers, options);
        return;
      } catch (error) {
        const delay = delays[attempt];
        if (!(error instanceof TransportError) || delay === undefined) throw error;
        log().warn(`publish to ${subject} failed (${error.message}); retry ${attempt + 1} of ${delays.length} in ${Math.round(delay)} ms`);
        await sleep(delay);
      }
    }
  }
}

/** The default dead-letter hook: an error log (the letter is already in the broker's place). */
export function logDeadLetter(dead: DeadLetter): void {
  log().error(`dead letter (${dead.reason}) on ${dead.delivery.subject} for ${dead.operation}: ${String(dead.error)}`);
}

interface Route {
  spec: OperationSpec;
  handler: Handler<unknown, unknown>;
}

export interface ConsumerOptions {
  /** The consumer group (`[A-Za-z0-9_-]+`): members of one group share the messages. */
  group?: string;
  /** Called after a message went to the broker's dead-letter place (default: an error log). */
  deadLetter?: DeadLetterHook;
  /** How many times a message is handed to its handler before it is dead-lettered. */
  maxAttempts?: number;
}

/**
 * Decodes, validates and dispatches; generated subclasses add one `on...` method per operation.
 *
 * An invalid message (bad JSON, schema violation, unknown message, bad declared headers) is
 * dead-lettered at once; a handler that rejects is redelivered while the broker can and
 * `maxAttempts` allows, then dead-lettered. A dead letter goes to the broker's dead-letter
 * place (`Transport.deadLetter`), then to the `deadLetter` hook; if either fails, the message
 * is not acknowledged.
 */
export class BaseConsumer {
  readonly transport: Transport;
  readonly group: string | undefined;
  readonly maxAttempts: number;
  readonly deadLetter: DeadLetterHook;
  protected readonly catalog: Catalog;
  private readonly routes: Route[] = [];
  private subscriptions: Subscription[] = [];

  constructor(catalog: Catalog, transport?: Transport, options: ConsumerOptions = {}) {
    this.catalog = catalog;
    this.transport = transport ?? new InMemoryTransport();
    this.group = options.group === undefined ? undefined : checkGroup(options.group);
    this.deadLetter = options.deadLetter ?? logDeadLetter;
    this.maxAttempts = options.maxAttempts ?? 3;
  }

  protected register<E, H>(spec: OperationSpec, handler: Handler<E, H>): void {
    if (this.subscriptions.length > 0) throw new Error("register handlers before start()");
    if (this.routes.some((route) => route.spec === spec)) {
      throw new Error(`a handler for ${spec.operation} is already registered`);
    }
    // the consumer validated the event and headers against the schemas E and H come from
    this.routes.push({ spec, handler: handler as Handler<unknown, unknown> });
  }

  /** Subscribe every registered handler, one subscription per channel. */
  async start(): Promise<void> {
    if (this.subscriptions.length > 0) return;
    try {
      for (const route of this.routes) {
        const durable = this.group === undefined ? undefined : subscriptionName(this.group, route.spec.address);
        const subscription = await this.transport.subscribe(route.spec.address, (delivery) => this.dispatch(route, delivery), {
          group: this.group,
          durable,
          maxAttempts: this.maxAttempts,
          channel: route.spec.options,
        });
        this.subscriptions.push(subscription);
      }
    } catch (error) {
      await this.stop();
      throw error;
    }
  }

  /** Stop receiving; resolves once the handlers already running have finished. */
  async stop(): Promise<void> {
    const subscriptions = this.subscriptions;
    this.subscriptions = [];
    for (const subscription of subscriptions) await subscription.stop();
  }

  /** The message and its validated payload; throws `ValidationError` when invalid. */
  decode(spec: OperationSpec, delivery: Delivery): { message: MessageSpec; payload: unknown } {
    let payload: unknown;
    try {
      payload = JSON.parse(DECODER.decode(delivery.body)) as unknown;
    } catch (error) {
      throw new ValidationError(`the body on ${delivery.subject} is not JSON (${(error as Error).message})`, []);
    }
    const named = delivery.headers[MESSAGE];
    const candidates = spec.messages.filter((m) => m.name === named);
    const tried = candidates.length > 0 ? candidates : spec.messages;
    const errors: string[] = [];
    for (const message of tried) {
      const schema = this.catalog.message(message.id).payloadSchema;
      if (schema === null) continue;
      try {
        this.catalog.validators.check(schema, payload, `${message.name} payload`);
        return { message, payload };
      } catch (error) {
        if (tried.length === 1) throw error;
        errors.push((error as Error).message);
      }
    }
    throw new ValidationError(`matches none of the messages of ${spec.operation}: ${errors.join(" | ")}`, []);
  }

  /** The declared headers of `message` in `delivery`, validated; null when none are declared. */
  decodeHeaders(message: MessageSpec, delivery: Delivery): Record<string, unknown> | null {
    const info: MessageInfo = this.catalog.message(message.id);
    if (info.headersSchema === null) return null;
    const declared: Record<string, unknown> = {};
    for (const [name, schema] of declaredHeaders(info.headersSchema)) {
      const text = delivery.headers[name];
      if (text !== undefined) declared[name] = headerValue(text, schema);
    }
    this.catalog.validators.check(info.headersSchema, declared, `${message.name} headers`);
    return declared;
  }

  private dispatch(route: Route, delivery: Delivery): Promise<void> {
    const { system } = this.transport;
    return processing(system, delivery.subject, delivery.headers, this.group, delivery.attempt, (scope) => this.handle(route, delivery, scope));
  }

  private async handle(route: Route, delivery: Delivery, scope: TraceScope): Promise<void> {
    let message: MessageSpec;
    let payload: unknown;
    let parsedHeaders: Record<string, unknown> | null;
    try {
      ({ message, payload } = this.decode(route.spec, delivery));
      parsedHeaders = this.decodeHeaders(message, delivery);
    } catch (error) {
      await this.dead("invalid", route, delivery, error);
      return;
    }
    if (delivery.attempt > this.maxAttempts) {
      // an earlier attempt ended with no outcome: its consumer stopped or died while handling it
      const error = new Error(`attempt ${delivery.attempt} of at most ${this.maxAttempts}: an earlier attempt ended without an outcome (its consumer stopped or died)`);
      await this.dead("handler-failed", route, delivery, error);
      return;
    }
    const received: Received = {
      subject: delivery.subject,
      message: message.name,
      headers: delivery.headers,
      parsedHeaders,
      attempt: delivery.attempt,
    };
    try {
      await CURRENT.run({ received, scope }, () => route.handler(payload, received));
    } catch (error) {
      if (delivery.redeliverable && delivery.attempt < this.maxAttempts) {
        log().warn(`handler for ${route.spec.operation} failed (attempt ${delivery.attempt}): ${String(error)}; redelivery requested`);
        throw error;
      }
      await this.dead("handler-failed", route, delivery, error);
    }
  }

  private async dead(reason: DeadReason, route: Route, delivery: Delivery, error: unknown): Promise<void> {
    const headers = deadLetterHeaders(delivery.headers, {
      reason,
      error,
      operation: route.spec.operation,
      subject: delivery.subject,
      group: this.group,
      attempt: delivery.attempt,
    });
    try {
      await this.transport.deadLetter(delivery, headers);
      await this.deadLetter({ reason, operation: route.spec.operation, delivery, error, headers });
    } catch (failure) {
      log().error(`dead-lettering failed for ${delivery.subject}; not acknowledged: ${String(failure)}`);
      throw failure;
    }
  }
}
