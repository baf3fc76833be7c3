/**
 * Validation with Ajv: each payload and header schema of a generated package is compiled once
 * (on first use) by the Ajv class of its JSON Schema draft, with formats from ajv-formats.
 *
 * `contract.ts` in a generated package holds a `ContractData`: the bundled schemas, examples
 * and operations (the same data a generated Python package keeps in `contract.json`). A
 * `Catalog` is built from it and shared by the package's producer and consumer.
 */

import { Ajv, type AnySchema, type AnySchemaObject, type ErrorObject, type Options, type ValidateFunction } from "ajv";
import { Ajv2019 } from "ajv/dist/2019.js";
import { Ajv2020 } from "ajv/dist/2020.js";
import AjvDraft04Module from "ajv-draft-04";
import addFormatsModule from "ajv-formats";
import { createRequire } from "node:module";

const addFormats = addFormatsModule.default;
const AjvDraft04 = AjvDraft04Module.default;
const require = createRequire(import.meta.url);

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };
export type JsonSchema = { [key: string]: JsonValue } | boolean;

export interface ContractInfo {
  title: string | null;
  version: string | null;
  source: string;
  subject: string;
  schemaType: "ASYNCAPI" | "JSON";
  fingerprint: string;
  schemaId: number | null;
  schema: string;
}

export interface Example {
  name?: string;
  payload?: JsonValue;
  headers?: JsonValue;
}

export interface MessageInfo {
  id: string;
  message: string;
  subject: string;
  payloadClass: string | null;
  headersClass: string | null;
  payloadSchema: JsonSchema | null;
  headersSchema: JsonSchema | null;
  examples: Example[];
}

export interface OperationInfo {
  side: "producer" | "consumer";
  operation: string;
  subject: string;
  action: string;
  address: string;
  method: string;
  parameters: string[];
  messages: string[];
  /** The Python producer's argument names for `parameters` (same order), when given. */
  arguments?: string[];
  /** Must the producer be given the message key (a Kafka key binding without a value)? */
  keyRequired?: boolean;
}

export interface ContractData {
  generator: string;
  contracts: ContractInfo[];
  messages: MessageInfo[];
  operations: OperationInfo[];
}

/** A value that does not match its schema: the message names each failing JSON Pointer. */
export class ValidationError extends Error {
  readonly errors: ErrorObject[];

  constructor(what: string, errors: ErrorObject[]) {
    const details = errors
      .slice(0, 10)
      .map((e) => `${e.instancePath || "/"} ${e.message ?? e.keyword}`)
      .join("; ");
    super(`${what} is invalid: ${details}`);
    this.name = "ValidationError";
    this.errors = errors;
  }
}

const OPTIONS: Options = {
  strict: false, // contracts carry keywords Ajv does not know (discriminator, x-..., example)
  allErrors: true,
  validateFormats: true,
};

type AjvLike = { compile(schema: AnySchema): ValidateFunction };

function makeAjv(draft: string): AjvLike {
  let ajv: Ajv;
  if (draft.includes("2020-12")) ajv = new Ajv2020(OPTIONS);
  else if (draft.includes("2019-09")) ajv = new Ajv2019(OPTIONS);
  else if (draft.includes("draft-04")) ajv = new AjvDraft04(OPTIONS);
  else {
    ajv = new Ajv(OPTIONS);
    if (draft.includes("draft-06")) {
      ajv.addMetaSchema(require("ajv/dist/refs/json-schema-draft-06.json") as AnySchemaObject);
    }
  }
  addFormats(ajv);
  return ajv;
}

function draftOf(schema: JsonSchema): string {
  if (typeof schema === "object" && typeof schema.$schema === "string") return schema.$schema;
  return "https://json-schema.org/draft/2020-12/schema";
}

/** Compiled validators for a set of schemas, one Ajv instance per draft. */
export class Validators {
  private readonly engines = new Map<string, AjvLike>();
  private readonly compiled = new WeakMap<object, ValidateFunction>();
  private readonly booleans = new Map<boolean, ValidateFunction>();

  validator(schema: JsonSchema): ValidateFunction {
    let found = typeof schema === "boolean" ? this.booleans.get(schema) : this.compiled.get(schema);
    if (found === undefined) {
      const draft = draftOf(schema);
      let engine = this.engines.get(draft);
      if (engine === undefined) {
        engine = makeAjv(draft);
        this.engines.set(draft, engine);
      }
      found = engine.compile(schema as AnySchema);
      if (typeof schema === "boolean") this.booleans.set(schema, found);
      else this.compiled.set(schema, found);
    }
    return found;
  }

  /** Throws `ValidationError` unless `value` matches `schema`. */
  check(schema: JsonSchema, value: unknown, what: string): void {
    const validate = this.validator(schema);
    if (!validate(value)) throw new ValidationError(what, [...(validate.errors ?? [])]);
  }

  isValid(schema: JsonSchema, value: unknown): boolean {
    return this.validator(schema)(value) === true;
  }
}

/** The contract data of a generated package, with its compiled validators. */
export class Catalog {
  readonly data: ContractData;
  readonly validators = new Validators();
  private readonly byId: Map<string, MessageInfo>;

  constructor(data: ContractData) {
    this.data = data;
    this.byId = new Map(data.messages.map((m) => [m.id, m]));
  }

  message(id: string): MessageInfo {
    const found = this.byId.get(id);
    if (found === undefined) throw new Error(`no message ${id} in the contract data`);
    return found;
  }
}
