// jobctl get specs: the job specs the caller may see, kubectl-get-pods style
// (NAME, READY, RESTARTS, STATUS, AGE), or -o wide|json|yaml|name.
import type { Command } from "commander";
import type { SpecStatus__Output } from "../../../proto/generated/workerservice/SpecStatus.js";
import { formatAge, formatLastExit, formatTable, fromTimestamp, orDash, printable } from "../../format.js";
import { printList, type OutputFormat } from "../../output-format.js";
import { withAgent } from "../shared.js";

export async function getSpecs(command: Command, output: OutputFormat = "table"): Promise<void> {
  const { specs } = await withAgent(command, (api) => api.listSpecs());
  printList(specs, output, {
    table: (items) => formatSpecTable(items, new Date()),
    wide: (items) => formatWideSpecTable(items, new Date()),
    name: (spec) => `spec/${spec.name}`,
    none: "No job specs found.",
  });
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
    formatLastExit(spec),
    printable(spec.source),
  ]);
  return formatTable(["NAME", "READY", "RESTARTS", "STATUS", "AGE", "POLICY", "RUNS", "JOB", "LAST-EXIT", "SOURCE"], rows);
}
