// jobctl get specs: the job specs the caller may see, kubectl-get-pods style
// (NAME, READY, RESTARTS, STATUS, AGE), or -o wide|json|yaml|name. get.ts
// routes `get specs` here.
import type { Command } from "commander";
import type { SpecStatus__Output } from "../../proto/generated/workerservice/SpecStatus.js";
import { formatAge, formatTable, fromTimestamp, orDash, printable } from "../format.js";
import { formatStructured, listOf, toJsonObject, type OutputFormat } from "../output-format.js";
import { withAgent } from "./shared.js";

export async function listSpecs(command: Command, output: OutputFormat = "table"): Promise<void> {
  const { specs } = await withAgent(command, (api) => api.listSpecs());
  if (output === "json" || output === "yaml") {
    process.stdout.write(formatStructured(listOf(specs.map(toJsonObject)), output));
  } else if (output === "name") {
    process.stdout.write(specs.map((spec) => `spec/${spec.name}\n`).join(""));
  } else if (specs.length === 0) {
    process.stderr.write("No job specs found.\n");
  } else {
    process.stdout.write(output === "wide" ? formatWideSpecTable(specs, new Date()) : formatSpecTable(specs, new Date()));
  }
}

function cells(spec: SpecStatus__Output, now: Date): string[] {
  const created = fromTimestamp(spec.creationTime);
  return [spec.name, spec.ready ? "1/1" : "0/1", String(spec.restarts), spec.phase, created ? formatAge(now.getTime() - created.getTime()) : "-"];
}

export function formatSpecTable(specs: readonly SpecStatus__Output[], now: Date): string {
  return formatTable(["NAME", "READY", "RESTARTS", "STATUS", "AGE"], specs.map((spec) => cells(spec, now)));
}

/** The table plus the policy, runs, the current job, how the last run ended, and where the spec came from. */
export function formatWideSpecTable(specs: readonly SpecStatus__Output[], now: Date): string {
  const rows = specs.map((spec) => [
    ...cells(spec, now),
    spec.restartPolicy,
    String(spec.runs),
    orDash(spec.currentJobId),
    lastExit(spec),
    printable(spec.source),
  ]);
  return formatTable(["NAME", "READY", "RESTARTS", "STATUS", "AGE", "POLICY", "RUNS", "JOB", "LAST-EXIT", "SOURCE"], rows);
}

/** "Error (exit 1)", "OOMKilled (signal SIGKILL)", "-". */
export function lastExit(spec: SpecStatus__Output): string {
  const end = spec.lastEnd;
  if (!end) return "-";
  const how = end.exitCode >= 0 ? `exit ${end.exitCode}` : end.signal ? `signal ${end.signal}` : "";
  return `${orDash(printable(end.reason))}${how ? ` (${how})` : ""}`;
}
