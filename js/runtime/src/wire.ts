/**
 * The wire conventions every evreg runtime follows (the Python runtime, `evreg.runtime.wire`,
 * and this one): header names, the name of each (group, channel) subscription, dead-letter
 * places and headers. /work/coord/runtime-conventions.md in the evreg repository, and
 * docs/codegen.md, describe them.
 */

import { createHash } from "node:crypto";

/** Headers every producer writes beside the ones the contract declares. */
export const CONTENT_TYPE = "content-type";
export const SCHEMA_ID = "evreg-schema-id";
export const MESSAGE = "evreg-message";

/** Headers a dead letter carries beside the original ones. */
export const DEAD_REASON = "evreg-dead-letter-reason";
export const DEAD_ERROR = "evreg-dead-letter-error";
export const DEAD_OPERATION = "evreg-dead-letter-operation";
export const DEAD_SUBJECT = "evreg-dead-letter-subject";
export const DEAD_GROUP = "evreg-dead-letter-group";
export const DEAD_ATTEMPTS = "evreg-dead-letter-attempts";
export const DEAD_AT = "evreg-dead-letter-at";
export const MAX_ERROR_TEXT = 2000;

export type DeadReason = "invalid" | "handler-failed";
export type Headers = Record<string, string>;

const GROUP = /^[A-Za-z0-9_-]+$/;
const MAX_NAME = 200;

/** The current time, UTC, RFC 3339 with `Z`. */
export function now(): string {
  return new Date().toISOString();
}

/** `group` if it is a valid group name (`[A-Za-z0-9_-]+`), else a `TypeError`. */
export function checkGroup(group: string): string {
  if (!GROUP.test(group)) {
    throw new TypeError(`group ${JSON.stringify(group)}: use letters, digits, '_' and '-' only`);
  }
  return group;
}

/** Each run of characters outside `[A-Za-z0-9_-]` as one `-`, ends stripped. */
export function slug(address: string): string {
  return address.replace(/[^A-Za-z0-9_-]+/g, "-").replace(/^-+|-+$/g, "") || "-";
}

/**
 * The queue / durable consumer / Kafka group shared by `group`'s members on `address`:
 * `<group>__<slug(address)>`; over 200 characters, its first 191 characters, `-` and the
 * first 8 hex digits of the SHA-256 of the whole name.
 */
export function subscriptionName(group: string, address: string): string {
  const name = `${checkGroup(group)}__${slug(address)}`;
  if (name.length <= MAX_NAME) return name;
  const digest = createHash("sha256").update(name, "utf8").digest("hex").slice(0, 8);
  return `${name.slice(0, MAX_NAME - 9)}-${digest}`;
}

/** The address with each `{parameter}` replaced by the broker's one-level `wildcard`. */
export function pattern(address: string, wildcard: string): string {
  return address.replace(/\{[^{}]+\}/g, wildcard);
}

/** `<Type>: <message>` of an error, as the dead-letter error header holds it. */
export function errorText(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return `Error: ${String(error)}`;
}

export interface DeadLetterFacts {
  reason: DeadReason;
  error: unknown;
  operation: string;
  subject: string;
  group: string | undefined;
  attempt: number;
}

/** The original headers plus the `evreg-dead-letter-*` ones. */
export function deadLetterHeaders(original: Headers, facts: DeadLetterFacts): Headers {
  return {
    ...original,
    [DEAD_REASON]: facts.reason,
    [DEAD_ERROR]: errorText(facts.error).slice(0, MAX_ERROR_TEXT),
    [DEAD_OPERATION]: facts.operation,
    [DEAD_SUBJECT]: facts.subject,
    [DEAD_GROUP]: facts.group ?? "",
    [DEAD_ATTEMPTS]: String(facts.attempt),
    [DEAD_AT]: now(),
  };
}

/** `<prefix><sep><group><sep><subject>` (`_` standing for no group). */
/** The value a runtime expression (`$message.payload#/a/b`, `$message.header#/h`) points at in
 * a message, as a string; undefined when it points at nothing (as `wire.key_from` in Python). */
export function keyFrom(expression: string, body: Uint8Array, headers: Headers): string | undefined {
  const at = expression.indexOf("#");
  const where = at < 0 ? expression : expression.slice(0, at);
  const pointer = at < 0 ? "" : expression.slice(at + 1);
  let node: unknown;
  if (where === "$message.header") node = headers;
  else if (where === "$message.payload") node = JSON.parse(new TextDecoder().decode(body)) as unknown;
  else throw new TypeError(`key ${JSON.stringify(expression)}: not $message.payload#... or $message.header#...`);
  const tokens = pointer === "" || pointer === "/" ? [] : pointer.replace(/^\//, "").split("/");
  for (const raw of tokens) {
    const token = raw.replace(/~1/g, "/").replace(/~0/g, "~");
    if (Array.isArray(node) && /^\d+$/.test(token) && Number(token) < node.length) node = node[Number(token)];
    else if (node !== null && typeof node === "object" && !Array.isArray(node) && Object.hasOwn(node, token)) node = (node as Record<string, unknown>)[token];
    else return undefined;
  }
  if (node === undefined || node === null) return undefined;
  return typeof node === "string" ? node : JSON.stringify(node);
}

/** Where a dead letter came from and its original headers (as `wire.replay` in Python). */
export function replay(letter: Headers): [string, Headers] {
  const subject = letter[DEAD_SUBJECT];
  if (!subject) throw new TypeError(`not a dead letter: no ${DEAD_SUBJECT} header`);
  const own = ["evreg-dead-letter-", "x-death", "x-first-death", "x-last-death", "nats-"];
  const headers: Headers = {};
  for (const [name, value] of Object.entries(letter)) {
    if (!own.some((prefix) => name.toLowerCase().startsWith(prefix))) headers[name] = value;
  }
  return [subject, headers];
}

export function deadLetterSubject(
  prefix: string,
  group: string | undefined,
  subject: string,
  separator = ".",
): string {
  return [prefix, group || "_", subject].join(separator);
}
