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
