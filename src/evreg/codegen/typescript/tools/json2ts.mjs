// evreg's driver of json-schema-to-typescript: reads {"schema": ..., "name": ...} as JSON on
// stdin and writes the TypeScript declarations on stdout. Options are fixed here, in one place:
// every one of them shows in the generated code. No file is read or written.
import { compile } from "json-schema-to-typescript";

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const { schema, name } = JSON.parse(Buffer.concat(chunks).toString("utf8"));

const text = await compile(schema, name, {
  bannerComment: "",
  additionalProperties: true, // as JSON Schema says: an object accepts other properties unless it forbids them
  declareExternallyReferenced: true,
  enableConstEnums: false,
  format: true,
  ignoreMinAndMaxItems: false,
  maxItems: 8,
  strictIndexSignatures: false,
  unknownAny: true,
  unreachableDefinitions: false,
  style: { printWidth: 100, singleQuote: false, trailingComma: "all", semi: true, useTabs: false, tabWidth: 2 },
  $refOptions: { resolve: { file: false, http: false } },
});
process.stdout.write(text);
