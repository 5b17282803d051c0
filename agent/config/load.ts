// Reading and validating the configuration file: YAML, then the JSON Schema
// in config/ (with ajv), reporting every error at once with its path, line,
// the offending value and what was expected (yaml-schema.ts).
import type { ValidateFunction } from "ajv";
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { LineCounter, parseDocument } from "yaml";
import type { ConfigDocument } from "./document.js";
import { compileSchema, schemaProblems, yamlProblems } from "./yaml-schema.js";

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
  validator ??= compileSchema(SCHEMA_PATH);
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
  if (doc.errors.length > 0) throw new ConfigFileError(path, yamlProblems(doc, lines));
  const value: unknown = doc.toJS();
  const problems = schemaProblems(validate(), value, doc, lines);
  if (problems.length > 0) throw new ConfigFileError(path, problems);
  return value as ConfigDocument;
}

