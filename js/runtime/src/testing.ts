/**
 * Helpers for the contract tests of generated packages (`node:test`): fast-check arbitraries
 * for instances of a JSON Schema, and the registry check.
 *
 * `candidates(schema)` draws values shaped by what event contracts use: types, properties and
 * required, additionalProperties, patternProperties, property counts, items and their counts,
 * enum and const, string lengths, patterns and common formats, numeric bounds and multipleOf,
 * oneOf, anyOf, allOf and local `$ref`. Most are instances of the schema, not all: a property
 * keeps the valid ones with `fc.pre(isInstance(schema, value))` (Ajv decides), so a keyword
 * this module does not model makes it draw fewer values, never an invalid one, and a schema
 * it cannot satisfy fails the run with fast-check's "too many pre-condition failures" instead
 * of looping. (The design of `evreg.runtime.testing` in Python.) Needs `fast-check` (a dev
 * dependency of generated packages).
 */

import fc from "fast-check";

import { type ContractInfo, type JsonSchema, Validators } from "./validation.js";

type Node = { [key: string]: unknown };
type Arb = fc.Arbitrary<unknown>;

const MAX_ITEMS = 4;
const MAX_DEPTH = 5;
const TYPES = ["object", "array", "string", "integer", "number", "boolean", "null"];
const SCALARS: Arb = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer({ min: -1000, max: 1000 }),
  fc.string({ unit: fc.constantFrom(..."abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"), maxLength: 8 }),
);
const ZONES = [0, 120, -330]; // minutes east of UTC
// what a schema no value satisfies draws: not JSON, so never an instance
const IMPOSSIBLE: Arb = fc.constant(Symbol("no instance"));

function pad(n: number, width = 2): string {
  return String(Math.abs(n)).padStart(width, "0");
}

function isoWithZone(date: Date, zone: number): string {
  if (zone === 0) return date.toISOString();
  const local = new Date(date.getTime() + zone * 60_000).toISOString().slice(0, -1);
  return `${local}${zone < 0 ? "-" : "+"}${pad(Math.trunc(zone / 60))}:${pad(zone % 60)}`;
}

const DATES = fc.date({ min: new Date("1970-01-01T00:00:00Z"), max: new Date("2100-01-01T00:00:00Z"), noInvalidDate: true });
const FORMATS: Record<string, fc.Arbitrary<string>> = {
  uuid: fc.uuid(),
  "date-time": fc.tuple(DATES, fc.constantFrom(...ZONES)).map(([d, z]) => isoWithZone(d, z)),
  date: DATES.map((d) => d.toISOString().slice(0, 10)),
  email: fc.stringMatching(/^[a-z]{1,8}@[a-z]{1,8}\.example$/),
  uri: fc.stringMatching(/^https:\/\/[a-z]{1,8}\.example\/[a-z0-9]{0,8}$/),
  ipv4: fc.ipV4(),
  ipv6: fc.ipV6(),
};

function regex(pattern: string): RegExp | null {
  for (const flags of ["u", ""]) {
    try {
      return new RegExp(pattern, flags);
    } catch {
      // try the next flags
    }
  }
  return null;
}

class Builder {
  constructor(private readonly root: Node) {}

  resolve(ref: string): unknown {
    let node: unknown = this.root;
    for (const raw of ref.replace(/^#/, "").split("/").slice(1)) {
      const token = raw.replace(/~1/g, "/").replace(/~0/g, "~");
      node = Array.isArray(node) ? node[Number(token)] : (node as Node | undefined)?.[token];
    }
    return node;
  }

  build(schema: unknown, depth: number): Arb {
    if (schema === true || (typeof schema === "object" && schema !== null && Object.keys(schema).length === 0)) return SCALARS;
    if (schema === false || typeof schema !== "object" || schema === null) return IMPOSSIBLE;
    const node = schema as Node;
    if (typeof node.$ref === "string") {
      const target = this.resolve(node.$ref);
      const rest = Object.fromEntries(Object.entries(node).filter(([k]) => k !== "$ref"));
      const extra = Object.keys(rest).filter((k) => k !== "description" && k !== "title");
      if (typeof target === "object" && target !== null && extra.length === 0) return this.build(target, depth + 1);
      return this.build({ allOf: [target, rest] }, depth + 1);
    }
    if ("const" in node) return fc.constant(node.const);
    if (Array.isArray(node.enum)) return fc.constantFrom(...(node.enum as unknown[]));
    for (const key of ["oneOf", "anyOf"]) {
      const branches = node[key];
      if (Array.isArray(branches)) {
        const rest = Object.fromEntries(Object.entries(node).filter(([k]) => k !== key));
        return fc.oneof(...branches.map((b) => this.build(merge([this.deref(b), rest]), depth + 1)));
      }
    }
    if (Array.isArray(node.allOf)) {
      const rest = Object.fromEntries(Object.entries(node).filter(([k]) => k !== "allOf"));
      return this.build(merge([...node.allOf.map((p) => this.deref(p)), rest]), depth + 1);
    }
    let types = node.type;
    if (typeof types === "string") types = [types];
    if (!Array.isArray(types)) {
      types = TYPES.filter((t) => hints(node, t));
      if ((types as string[]).length === 0) types = ["null", "boolean", "string"];
    }
    return fc.oneof(...(types as string[]).map((t) => this.typed(node, t, depth)));
  }

  deref(schema: unknown): unknown {
    let current = schema;
    while (typeof current === "object" && current !== null && Object.keys(current).length === 1 && typeof (current as Node).$ref === "string") {
      current = this.resolve((current as Node).$ref as string);
    }
    return current;
  }

  typed(schema: Node, kind: string, depth: number): Arb {
    switch (kind) {
      case "null":
        return fc.constant(null);
      case "boolean":
        return fc.boolean();
      case "string":
        return stringArb(schema);
      case "integer":
      case "number":
        return numberArb(schema, kind === "integer");
      case "array":
        return this.array(schema, depth);
      case "object":
        return this.object(schema, depth);
      default:
        return IMPOSSIBLE;
    }
  }

  array(schema: Node, depth: number): Arb {
    const low = typeof schema.minItems === "number" ? schema.minItems : 0;
    let high = typeof schema.maxItems === "number" ? schema.maxItems : low + MAX_ITEMS;
    high = depth < MAX_DEPTH ? Math.min(high, low + MAX_ITEMS) : low;
    const items = schema.items;
    const element = this.build(typeof items === "object" || typeof items === "boolean" ? items : true, depth + 1);
    if (schema.uniqueItems === true) {
      return fc.uniqueArray(element, { minLength: low, maxLength: high, selector: (v) => JSON.stringify(v) });
    }
    return fc.array(element, { minLength: low, maxLength: high });
  }

  object(schema: Node, depth: number): Arb {
    const properties = (typeof schema.properties === "object" && schema.properties !== null ? schema.properties : {}) as Node;
    const required = Array.isArray(schema.required) ? schema.required.filter((n): n is string => typeof n === "string") : [];
    const model: Record<string, Arb> = {};
    for (const name of required) model[name] = this.build(properties[name] ?? true, depth + 1);
    if (depth < MAX_DEPTH) {
      for (const [name, sub] of Object.entries(properties)) if (!(name in model)) model[name] = this.build(sub, depth + 1);
    }
    const known = fc.record(model, { requiredKeys: required.filter((n) => n in model), noNullPrototype: true });
    // how many more properties minProperties asks for than the required ones give
    let needed = Math.max(0, (typeof schema.minProperties === "number" ? schema.minProperties : 0) - required.length);
    const most = (): number => Math.max(needed, 2);
    const extras: Array<fc.Arbitrary<Record<string, unknown>>> = [];
    const patterns = typeof schema.patternProperties === "object" && schema.patternProperties !== null ? (schema.patternProperties as Node) : {};
    for (const [source, sub] of Object.entries(patterns)) {
      const compiled = regex(source);
      if (compiled === null || depth >= MAX_DEPTH) continue;
      const names = fc.stringMatching(compiled); // a declared name drawn here is overridden below
      extras.push(fc.dictionary(names, this.build(sub, depth + 1), { minKeys: needed, maxKeys: most(), noNullPrototype: true }));
      needed = 0;
    }
    const extra = schema.additionalProperties ?? true;
    if (extra !== false && depth < MAX_DEPTH) {
      const names = fc.string({ unit: fc.constantFrom(..."abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"), minLength: 1, maxLength: 8 });
      const value = this.build(typeof extra === "object" ? extra : true, depth + 1);
      extras.push(fc.dictionary(names, value, { minKeys: needed, maxKeys: most(), noNullPrototype: true }));
    }
    if (extras.length === 0) return known;
    return fc.tuple(known, ...extras).map(([fixed, ...more]) => Object.assign({}, ...more, fixed as object) as unknown);
  }
}

function merge(parts: unknown[]): Node {
  const out: Node = {};
  for (const part of parts) {
    if (typeof part !== "object" || part === null) continue;
    for (const [key, value] of Object.entries(part)) {
      if (key === "properties" && typeof out[key] === "object") out[key] = { ...(out[key] as Node), ...(value as Node) };
      else if (key === "required" && Array.isArray(out[key])) out[key] = [...(out[key] as unknown[]), ...(value as unknown[])];
      else if (!(key in out)) out[key] = value;
    }
  }
  return out;
}

function hints(schema: Node, kind: string): boolean {
  const keys: Record<string, string[]> = {
    object: ["properties", "required", "additionalProperties"],
    array: ["items", "prefixItems", "minItems", "maxItems"],
    string: ["pattern", "minLength", "maxLength", "format"],
    number: ["minimum", "maximum", "multipleOf"],
  };
  return (keys[kind] ?? []).some((k) => k in schema);
}

function stringArb(schema: Node): fc.Arbitrary<string> {
  const low = typeof schema.minLength === "number" ? schema.minLength : 0;
  const high = typeof schema.maxLength === "number" ? schema.maxLength : 1_000_000;
  const pattern = typeof schema.pattern === "string" ? regex(schema.pattern) : null;
  const format = typeof schema.format === "string" ? FORMATS[schema.format] : undefined;
  let base: fc.Arbitrary<string>;
  if (format !== undefined) base = format;
  else if (pattern !== null) {
    try {
      base = fc.stringMatching(pattern);
    } catch {
      base = fc.string({ minLength: low, maxLength: Math.min(high, low + 12) });
    }
  } else base = fc.string({ minLength: low, maxLength: Math.min(high, low + 12) });
  return base; // the length bounds and the pattern are Ajv's to check (isInstance)
}

function numberArb(schema: Node, integer: boolean): Arb {
  const num = (key: string): number | undefined => (typeof schema[key] === "number" ? (schema[key] as number) : undefined);
  const low = num("minimum");
  const high = num("maximum");
  const exLow = num("exclusiveMinimum");
  const exHigh = num("exclusiveMaximum");
  let step = num("multipleOf");
  if (integer) step ??= 1;
  if (step !== undefined && step > 0) {
    let first = -1_000_000;
    let last = 1_000_000;
    if (low !== undefined) first = Math.ceil(low / step);
    if (exLow !== undefined) first = Math.max(first, Math.floor(exLow / step) + 1);
    if (high !== undefined) last = Math.floor(high / step);
    if (exHigh !== undefined) last = Math.min(last, Math.ceil(exHigh / step) - 1);
    if (first > last) return IMPOSSIBLE;
    const unit = step;
    return fc.integer({ min: first, max: last }).map((k) => (Number.isInteger(unit) ? k * unit : Number((k * unit).toPrecision(15))));
  }
  const floor = Math.max(...[low, exLow, -1_000_000].filter((v): v is number => v !== undefined));
  const ceiling = Math.min(...[high, exHigh, 1_000_000].filter((v): v is number => v !== undefined));
  return fc.double({
    min: floor,
    max: ceiling,
    minExcluded: exLow !== undefined && floor === exLow,
    maxExcluded: exHigh !== undefined && ceiling === exHigh,
    noNaN: true,
    noDefaultInfinity: true,
  }).map((v) => (Object.is(v, -0) ? 0 : v));
}

const VALIDATORS = new Validators();

/** Values shaped by `schema` (a standalone schema: `$ref` only into itself); keep the ones
 * `isInstance` accepts (with `fc.pre`). */
export function candidates(schema: JsonSchema): fc.Arbitrary<unknown> {
  const root = (typeof schema === "object" ? schema : {}) as Node;
  return new Builder(root).build(schema, 0);
}

/** Whether `value` is an instance of `schema` (Ajv, formats asserted). */
export function isInstance(schema: JsonSchema, value: unknown): boolean {
  return VALIDATORS.isValid(schema, value);
}

/** How many generated values each property checks (`EVREG_CONTRACT_EXAMPLES`, default 25). */
export function exampleCount(): number {
  const wanted = Number(process.env.EVREG_CONTRACT_EXAMPLES ?? "25");
  return Number.isInteger(wanted) && wanted > 0 ? wanted : 25;
}

export type RegistryVerdict =
  | { status: "registered" }
  | { status: "compatible" }
  | { status: "not-registered" }
  | { status: "incompatible"; detail: string };

async function registry(path: string, body: unknown): Promise<[number, Record<string, unknown>]> {
  const url = `${(process.env.EVREG_URL ?? "").replace(/\/+$/, "")}${path}`;
  const headers: Record<string, string> = { "Content-Type": "application/vnd.schemaregistry.v1+json" };
  if (process.env.EVREG_TOKEN) headers.Authorization = `Bearer ${process.env.EVREG_TOKEN}`;
  const response = await fetch(url, { method: "POST", headers, body: JSON.stringify(body), signal: AbortSignal.timeout(30_000) });
  const text = await response.text();
  return [response.status, text ? (JSON.parse(text) as Record<string, unknown>) : {}];
}

/**
 * Whether `contract` is registered in the registry at `EVREG_URL` (a Confluent lookup), or
 * else compatible with its subject's latest version (`EVREG_TOKEN` is sent when set).
 */
export async function checkWithRegistry(contract: ContractInfo): Promise<RegistryVerdict> {
  const subject = encodeURIComponent(contract.subject);
  const body = { schema: contract.schema, schemaType: contract.schemaType };
  const [status, found] = await registry(`/subjects/${subject}`, body);
  if (status === 200) return { status: "registered" };
  if (found.error_code === 40401) return { status: "not-registered" };
  const [code, verdict] = await registry(`/compatibility/subjects/${subject}/versions/latest`, body);
  if (code === 200 && verdict.is_compatible === true) return { status: "compatible" };
  return { status: "incompatible", detail: `HTTP ${code} ${JSON.stringify(verdict)}` };
}
