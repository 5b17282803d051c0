// jobctl describe job ID: everything known about one job, kubectl-describe
// style: what it runs and as whom, how it ended, when, its limits and (with
// cgroup v2, once it has ended) what it used.
import type { QueryStatusResponse__Output } from "../../../proto/generated/workerservice/QueryStatusResponse.js";
import { formatBytes } from "../../../common/quantity.js";
import { formatDuration } from "../../../common/duration.js";
import { commandLine, formatAge, formatDescribe, fromTimestamp, orDash, printable, type DescribeEntry } from "../../format.js";
import { hasEnded } from "../../job-exit.js";

export function formatDescription(job: QueryStatusResponse__Output, now: Date): string {
  const started = fromTimestamp(job.startTime);
  const ended = fromTimestamp(job.endTime);
  const when = (date: Date | undefined) => (date ? `${date.toISOString()} (${formatAge(now.getTime() - date.getTime())} ago)` : "-");
  const ran = started ? formatSeconds(((ended ?? now).getTime() - started.getTime()) / 1000) + (ended ? "" : " so far") : "-";
  const entries: DescribeEntry[] = [
    ["ID", job.id],
    ["Command", commandLine(job.commandName, job.arguments)],
    ["Owner", orDash(printable(job.owner))],
    ...(job.specName ? [["Spec", `${printable(job.specName)} (run ${job.specRun})`] as [string, string]] : []),
    ["User", `${job.uid}:${job.gid}`],
    ["Status", job.JobStatus],
    ["Reason", orDash(printable(job.reason))],
    ["Message", orDash(printable(job.message))],
    ["PID", job.pid > 0 ? String(job.pid) : "-"],
    ["Exit Code", job.exitCode >= 0 ? String(job.exitCode) : "-"],
    ["Signal", orDash(printable(job.signal))],
    ["Started", when(started)],
    ["Ended", when(ended)],
    ["Duration", ran],
    ["Grace Period", formatDuration(Number(job.gracePeriodMs))],
    ["Output", `${job.outputBytes} bytes${job.outputDroppedBytes !== "0" ? ` (${job.outputDroppedBytes} more dropped past the output cap)` : ""}`],
    limitsSection(job),
    usageSection(job),
  ];
  return formatDescribe(entries);
}

function limitsSection(job: QueryStatusResponse__Output): DescribeEntry {
  const l = job.limits;
  const bytes = (value: string | undefined, unit = "") => (value && value !== "0" ? `${formatBytes(Number(value))}${unit}` : "-");
  const count = (value: string | undefined, unit = "") => (value && value !== "0" ? `${value}${unit}` : "-");
  if (!l || (l.cpuCores === 0 && [l.memoryBytes, l.ioReadBps, l.ioWriteBps, l.ioReadIops, l.ioWriteIops, l.pids].every((v) => v === "0"))) {
    return ["Limits", "<none>"];
  }
  return [
    "Limits",
    [
      ["CPU", l.cpuCores > 0 ? `${l.cpuCores} cores` : "-"],
      ["Memory", bytes(l.memoryBytes)],
      ["IO Read", bytes(l.ioReadBps, "/s")],
      ["IO Write", bytes(l.ioWriteBps, "/s")],
      ["IO Read Ops", count(l.ioReadIops, "/s")],
      ["IO Write Ops", count(l.ioWriteIops, "/s")],
      ["PIDs", count(l.pids)],
    ],
  ];
}

/** What the job used, read from its cgroup when it ended; the agent reports nothing while it runs or without cgroup v2. */
function usageSection(job: QueryStatusResponse__Output): DescribeEntry {
  const u = job.usage;
  if (!u) return ["Usage", hasEnded(job) ? "<none> (needs cgroup v2 on the agent)" : "<none> (recorded when the job ends; jobctl top shows it live)"];
  return [
    "Usage",
    [
      ["CPU", `${formatSeconds(u.cpuSeconds)} (user ${formatSeconds(u.cpuUserSeconds)}, system ${formatSeconds(u.cpuSystemSeconds)})`],
      ["Memory Peak", formatBytes(Number(u.memoryPeakBytes))],
      ["IO Read", `${u.ioReadBytes} bytes`],
      ["IO Write", `${u.ioWriteBytes} bytes`],
      ["OOM Kills", u.oomKills],
    ],
  ];
}

function formatSeconds(seconds: number): string {
  return `${seconds.toFixed(3)}s`;
}
