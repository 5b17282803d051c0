// Text formatting for status and list output. Strings from the agent (command
// lines, owner names from certificates, messages) are made printable first:
// an escape sequence in someone's job arguments must not drive the terminal
// of the admin who lists the jobs.
import { formatBytes } from "../common/quantity.js";
import type { Timestamp__Output } from "../proto/generated/google/protobuf/Timestamp.js";
import type { JobUsage__Output } from "../proto/generated/workerservice/JobUsage.js";
import type { ResourceLimits__Output } from "../proto/generated/workerservice/ResourceLimits.js";
import type { SpecStatus__Output } from "../proto/generated/workerservice/SpecStatus.js";

// C0 controls, DEL and C1 controls.
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;
const NAMED_ESCAPES: Record<string, string> = { "\n": "\\n", "\r": "\\r", "\t": "\\t", "\\": "\\\\" };

function escapeControl(char: string): string {
  const code = char.charCodeAt(0);
  return NAMED_ESCAPES[char] ?? (code < 0x80 ? `\\x${code.toString(16).padStart(2, "0")}` : `\\u${code.toString(16).padStart(4, "0")}`);
}

/** The text with control characters shown as escapes (\n, \x1b, ...). */
export function printable(text: string): string {
  return text.replace(CONTROL, escapeControl);
}

const SAFE_WORD = /^[A-Za-z0-9_@%+=:,./-]+$/;

/** One word quoted for a POSIX shell (bash's $'...' when it holds control characters), so it can be pasted back. */
export function shellQuote(word: string): string {
  if (SAFE_WORD.test(word)) return word;
  if (/[\u0000-\u001f\u007f-\u009f]/.test(word)) {
    return `$'${word.replace(/[\\']/g, (c) => `\\${c}`).replace(CONTROL, escapeControl)}'`;
  }
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

export function commandLine(command: string, args: readonly string[]): string {
  return [command, ...args].map(shellQuote).join(" ");
}

/** A protobuf Timestamp as a Date, or undefined when unset. */
export function fromTimestamp(ts: Timestamp__Output | null | undefined): Date | undefined {
  if (!ts) return undefined;
  return new Date(Number(ts.seconds) * 1000 + Math.floor(ts.nanos / 1e6));
}

/** kubectl-style age: 5s, 3m, 2h, 4d (whole units, rounded down). */
export function formatAge(ms: number): string {
  const seconds = Math.max(0, Math.floor(ms / 1000));
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return `${hours}h`;
  return `${Math.floor(hours / 24)}d`;
}

/** Rows as kubectl-style columns: each padded to its widest cell, three spaces apart, the last one not padded. */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const all = [header, ...rows];
  const widths = header.map((_, col) => Math.max(...all.map((row) => (row[col] ?? "").length)));
  return all
    .map((row) => row.map((cell, col) => (col === row.length - 1 ? cell : cell.padEnd(widths[col]!))).join("   "))
    .map((line) => `${line}\n`)
    .join("");
}

/** "-" for an empty value, so every line and column keeps its shape. */
export function orDash(value: string): string {
  return value === "" ? "-" : value;
}

/** "cpu=0.5 memory=256Mi pids=100", or "none". */
export function formatLimits(limits: ResourceLimits__Output | null): string {
  if (!limits) return "none";
  const parts: string[] = [];
  if (limits.cpuCores > 0) parts.push(`cpu=${limits.cpuCores}`);
  const sizes: [string, string][] = [["memory", limits.memoryBytes], ["io-read-bps", limits.ioReadBps], ["io-write-bps", limits.ioWriteBps]];
  for (const [name, value] of sizes) if (value !== "0") parts.push(`${name}=${formatBytes(Number(value))}`);
  const counts: [string, string][] = [["io-read-iops", limits.ioReadIops], ["io-write-iops", limits.ioWriteIops], ["pids", limits.pids]];
  for (const [name, value] of counts) if (value !== "0") parts.push(`${name}=${value}`);
  return parts.length > 0 ? parts.join(" ") : "none";
}

/** Final usage from the job's cgroup, or "-" (running, or no cgroup v2). */
export function formatUsage(usage: JobUsage__Output | null): string {
  if (!usage) return "-";
  const oom = usage.oomKills !== "0" ? ` oom_kills=${usage.oomKills}` : "";
  return `cpu=${usage.cpuSeconds.toFixed(3)}s memory_peak=${formatBytes(Number(usage.memoryPeakBytes))} io_read=${usage.ioReadBytes}B io_write=${usage.ioWriteBytes}B${oom}`;
}

/** Aligned "Key: value" lines, as kubectl describe prints them. */
export function formatFields(lines: [string, string][]): string {
  const width = Math.max(...lines.map(([key]) => key.length)) + 2;
  return lines.map(([key, value]) => `${`${key}:`.padEnd(width)}${value}\n`).join("");
}

/** A field list with nested sections, as kubectl describe prints it: keys aligned per level, sections indented two spaces. */
export type DescribeEntry = [key: string, value: string | DescribeEntry[]];

export function formatDescribe(entries: readonly DescribeEntry[], indent = ""): string {
  const width = Math.max(...entries.filter(([, value]) => typeof value === "string").map(([key]) => key.length), 0) + 2;
  return entries
    .map(([key, value]) =>
      typeof value === "string" ? `${indent}${`${key}:`.padEnd(width)}${value}\n` : `${indent}${key}:\n${formatDescribe(value, `${indent}  `)}`,
    )
    .join("");
}

/** An approximate size for live numbers: 512Ki, 1.5Mi, 45Mi, 2.1Gi (one decimal below 10). */
export function formatApproxBytes(bytes: number): string {
  const units: [string, number][] = [["Gi", 2 ** 30], ["Mi", 2 ** 20], ["Ki", 2 ** 10]];
  for (const [unit, size] of units) {
    if (bytes >= size) {
      const value = bytes / size;
      return `${value < 10 ? Math.round(value * 10) / 10 : Math.round(value)}${unit}`;
    }
  }
  return String(bytes);
}

/** How a spec's last run ended: "Error (exit 1)", "OOMKilled (signal SIGKILL)", "-". */
export function formatLastExit(spec: SpecStatus__Output): string {
  const end = spec.lastEnd;
  if (!end) return "-";
  const how = end.exitCode >= 0 ? `exit ${end.exitCode}` : end.signal ? `signal ${end.signal}` : "";
  return `${orDash(printable(end.reason))}${how ? ` (${how})` : ""}`;
}
