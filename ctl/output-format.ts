// -o/--output for the verbs that print objects: tables for people, json and
// yaml for programs (kubectl's shapes: a List with items), name for scripts
// and shell completion (one name per line).
import { Option } from "commander";
import { stringify } from "yaml";

export type OutputFormat = "table" | "wide" | "json" | "yaml" | "name";

/** The -o option offering `formats` (commander rejects anything else as a usage error). */
export function outputOption(formats: readonly Exclude<OutputFormat, "table">[]): Option {
  return new Option("-o, --output <format>", `output format (default: a table): ${formats.join(", ")}`).choices(formats);
}

/** kubectl's wrapper for several objects. */
export function listOf(items: unknown[]): { apiVersion: string; kind: string; items: unknown[] } {
  return { apiVersion: "jobworker/v1", kind: "List", items };
}

/** JSON as kubectl indents it, or YAML with sequences flush under their key (kubectl's layout). */
export function formatStructured(value: unknown, format: "json" | "yaml"): string {
  return format === "json" ? `${JSON.stringify(value, null, 4)}\n` : stringify(value, { indentSeq: false });
}

/**
 * A message from the agent in protobuf's JSON mapping: unset messages left
 * out, Timestamps as RFC 3339 text, bytes as base64, 64-bit integers kept as
 * the decimal strings the loader gives (lossless).
 */
export function toJsonObject(value: unknown): unknown {
  if (Buffer.isBuffer(value)) return value.toString("base64");
  if (Array.isArray(value)) return value.map(toJsonObject);
  if (typeof value !== "object" || value === null) return value;
  if (isTimestamp(value)) return new Date(Number(value.seconds) * 1000 + Math.floor(value.nanos / 1e6)).toISOString();
  const out: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(value)) {
    if (field !== null && field !== undefined) out[key] = toJsonObject(field);
  }
  return out;
}

function isTimestamp(value: object): value is { seconds: string | number; nanos: number } {
  const keys = Object.keys(value);
  return keys.length === 2 && keys.includes("seconds") && keys.includes("nanos");
}

/** How a list verb shows its objects in each -o format. */
export interface ListPrinter<T> {
  /** The table, for people. */
  table: (items: readonly T[]) => string;
  /** The table with more columns (-o wide). */
  wide?: (items: readonly T[]) => string;
  /** One item's name, as -o name prints it (and shell completion reads it). */
  name?: (item: T) => string;
  /** Said on stderr instead of an empty table. */
  none: string;
}

interface Out {
  write(text: string): unknown;
}

/**
 * Prints `items` as `output` asks: kubectl's List for json and yaml, one name
 * a line, or the table. Like kubectl, an empty table is a note on stderr, so
 * that stdout stays empty for scripts.
 */
export function printList<T>(items: readonly T[], output: OutputFormat, printer: ListPrinter<T>, stdout: Out = process.stdout, stderr: Out = process.stderr): void {
  if (output === "json" || output === "yaml") {
    stdout.write(formatStructured(listOf(items.map(toJsonObject)), output));
  } else if (output === "name" && printer.name) {
    stdout.write(items.map((item) => `${printer.name!(item)}\n`).join(""));
  } else if (items.length === 0) {
    stderr.write(`${printer.none}\n`);
  } else {
    stdout.write(output === "wide" && printer.wide ? printer.wide(items) : printer.table(items));
  }
}
