// YAML checked against a JSON Schema (ajv), for every declarative file the
// agent reads (the AgentConfig, job specs): every problem at once, one line
// each, "line N: /json/pointer: got X, expected Y", with the schema's own
// description of what was expected.
import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";
import { readFileSync } from "node:fs";
import type { Document, LineCounter } from "yaml";

/** The schema at path, with the schemas its $refs name (by their $id). */
export function compileSchema(path: string, ...referenced: string[]): ValidateFunction {
  // verbose: errors carry their schema, whose description says what was expected.
  const ajv = new Ajv({ allErrors: true, verbose: true, strict: true });
  for (const other of referenced) ajv.addSchema(JSON.parse(readFileSync(other, "utf8")));
  return ajv.compile(JSON.parse(readFileSync(path, "utf8")));
}

/** The document's YAML syntax errors, with their lines. */
export function yamlProblems(doc: Document, lines: LineCounter): string[] {
  return doc.errors.map((e) => `line ${lines.linePos(e.pos[0]).line}: YAML: ${e.message.split("\n")[0]}`);
}

/** What is wrong with value (the document's content) by the schema; none if it is valid. */
export function schemaProblems(validate: ValidateFunction, value: unknown, doc: Document, lines: LineCounter): string[] {
  return validate(value) ? [] : describe(validate.errors ?? [], doc, lines);
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

export function lineOf(doc: Document, lines: LineCounter, pointer: string): number | undefined {
  const keys = pointer.split("/").slice(1).map((k) => k.replace(/~1/g, "/").replace(/~0/g, "~"));
  for (let n = keys.length; n >= 0; n--) {
    const node = doc.getIn(keys.slice(0, n).map((k) => (/^\d+$/.test(k) ? Number(k) : k)), true) as { range?: [number, number, number] } | undefined;
    if (node?.range) return lines.linePos(node.range[0]).line;
  }
  return undefined;
}
