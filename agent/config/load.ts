// Reading and validating the configuration file: YAML, then the JSON Schema
// in config/ (with ajv), reporting every error at once with its path, line,
// the offending value and what was expected.
import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";
import { readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { LineCounter, parseDocument, type Document } from "yaml";
import type { ConfigDocument } from "./document.js";

/** The schema, from the compiled module (dist/agent/config/load.js) back to the source tree. */
export const SCHEMA_PATH = fileURLToPath(new URL("../../../config/agent-config.schema.json", import.meta.url));

/** The file is unusable: every problem found, one line each. */
export class ConfigFileError extends Error {
  constructor(
    readonly path: string,
    readonly problems: string[],
  ) {
    super(`${path}: ${problems.length} problem(s):\n${problems.map((p) => `  ${p}`).join("\n")}`);
  }
}

let validator: ValidateFunction | undefined;

function validate(): ValidateFunction {
  // verbose: errors carry their schema, whose description says what was expected.
  validator ??= new Ajv({ allErrors: true, verbose: true, strict: true }).compile(JSON.parse(readFileSync(SCHEMA_PATH, "utf8")));
  return validator;
}

export async function loadConfigFile(path: string): Promise<ConfigDocument> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    throw new ConfigFileError(path, [`cannot read the file: ${(err as Error).message}`]);
  }
  return parseConfig(path, text);
}

export function parseConfig(path: string, text: string): ConfigDocument {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  if (doc.errors.length > 0) {
    throw new ConfigFileError(path, doc.errors.map((e) => `line ${lines.linePos(e.pos[0]).line}: YAML: ${e.message.split("\n")[0]}`));
  }
  const value: unknown = doc.toJS();
  const check = validate();
  if (!check(value)) throw new ConfigFileError(path, describe(check.errors ?? [], doc, lines));
  return value as ConfigDocument;
}

/** One line per problem: "line N: /json/pointer: got X, expected Y". */
function describe(errors: ErrorObject[], doc: Document, lines: LineCounter): string[] {
  // An anyOf failure also reports each branch's failure; keep only the anyOf line for that path.
  const anyOfPaths = new Set(errors.filter((e) => e.keyword === "anyOf").map((e) => e.instancePath));
  const kept = errors.filter((e) => e.keyword === "anyOf" || !anyOfPaths.has(e.instancePath));
  const seen = new Set<string>();
  const problems: string[] = [];
  for (const error of kept) {
    const path = error.keyword === "additionalProperties" ? `${error.instancePath}/${(error.params as { additionalProperty: string }).additionalProperty}` : error.instancePath;
    const line = lineOf(doc, lines, path);
    const text = `${line ? `line ${line}: ` : ""}${path || "/"}: ${explain(error)}`;
    if (!seen.has(text)) problems.push(text);
    seen.add(text);
  }
  return problems;
}

function explain(error: ErrorObject): string {
  const got = `got ${JSON.stringify(error.data)}`;
  const description = (error.parentSchema as { description?: string } | undefined)?.description;
  switch (error.keyword) {
    case "additionalProperties":
      return "unknown key (not in the schema)";
    case "required":
      return `missing required key "${(error.params as { missingProperty: string }).missingProperty}"`;
    case "enum":
      return `${got}, expected one of ${(error.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(", ")}`;
    case "const":
      return `${got}, expected ${JSON.stringify((error.params as { allowedValue: unknown }).allowedValue)}`;
    case "pattern":
    case "anyOf":
      return `${got}, expected ${description ?? error.message}`;
    case "dependencies": {
      const { property, deps } = error.params as { property: string; deps: string };
      return property === "allowedClientNames" ? `${error.message} (${property} needs ${deps})` : `${error.message} (caFile, certFile and keyFile go together)`;
    }
    default:
      return `${got}, ${error.message}`;
  }
}

function lineOf(doc: Document, lines: LineCounter, pointer: string): number | undefined {
  const keys = pointer.split("/").slice(1).map((k) => k.replace(/~1/g, "/").replace(/~0/g, "~"));
  for (let n = keys.length; n >= 0; n--) {
    const node = doc.getIn(keys.slice(0, n).map((k) => (/^\d+$/.test(k) ? Number(k) : k)), true) as { range?: [number, number, number] } | undefined;
    if (node?.range) return lines.linePos(node.range[0]).line;
  }
  return undefined;
}
