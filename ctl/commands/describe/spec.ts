// jobctl describe spec NAME: a job spec in detail, kubectl-describe style:
// where it came from, what it runs and how it restarts, its status, the
// manifest with its defaults written out, and its recent runs and their ends.
import type { QueryStatusResponse__Output } from "../../../proto/generated/workerservice/QueryStatusResponse.js";
import type { SpecStatus__Output } from "../../../proto/generated/workerservice/SpecStatus.js";
import { formatAge, formatDescribe, formatLastExit, formatTable, fromTimestamp, orDash, printable, type DescribeEntry } from "../../format.js";

export function formatSpecDescription(spec: SpecStatus__Output, now: Date): string {
  const at = (date: Date | undefined) => (date ? `${date.toISOString()} (${formatAge(Math.abs(now.getTime() - date.getTime()))} ${date > now ? "from now" : "ago"})` : "-");
  const end = spec.lastEnd;
  const labels = Object.entries(spec.labels).map(([key, value]) => `${key}=${value}`);
  const entries: DescribeEntry[] = [
    ["Name", spec.name],
    ["Source", printable(spec.source)],
    ["Owner", orDash(printable(spec.owner))],
    ["Labels", labels.length > 0 ? printable(labels.join(",")) : "<none>"],
    ["Created", at(fromTimestamp(spec.creationTime))],
    ["Restart Policy", spec.restartPolicy],
    ["Status", spec.phase],
    ["Ready", spec.ready ? "true" : "false"],
    ["Restarts", String(spec.restarts)],
    ["Runs", String(spec.runs)],
    ["Current Job", spec.currentJobId ? `${spec.currentJobId} (run ${spec.currentRun})` : "-"],
    ["Next Restart", at(fromTimestamp(spec.nextRestartTime))],
    ["Message", orDash(printable(spec.message))],
    [
      "Last Run",
      end
        ? [
            ["Job", `${end.id} (run ${end.run})`],
            ["Status", end.JobStatus],
            ["Ended", `${formatLastExit(spec)}, ${at(fromTimestamp(end.endTime))}`],
            ["Message", orDash(printable(end.message))],
          ]
        : "<none>",
    ],
  ];
  return `${formatDescribe(entries)}Manifest:\n${indent(spec.manifest)}Recent Runs:\n${indent(recentRuns(spec.recentRuns, now))}`;
}

function recentRuns(runs: readonly QueryStatusResponse__Output[], now: Date): string {
  if (runs.length === 0) return "<none>\n";
  const rows = runs.map((job) => {
    const started = fromTimestamp(job.startTime);
    const how = job.exitCode >= 0 ? String(job.exitCode) : orDash(printable(job.signal));
    return [String(job.specRun), job.id, job.JobStatus, orDash(printable(job.reason)), how, started ? formatAge(now.getTime() - started.getTime()) : "-"];
  });
  return formatTable(["RUN", "JOB", "STATUS", "REASON", "EXIT", "AGE"], rows);
}

function indent(text: string): string {
  return text.split("\n").map((line) => (line ? `  ${line}` : line)).join("\n");
}
