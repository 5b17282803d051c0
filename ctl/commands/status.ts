// jobctl status (alias query, seed 000's verb): one job's details as "Key: value" lines.
import type { Command } from "commander";
import type { QueryStatusResponse__Output } from "../../proto/generated/workerservice/QueryStatusResponse.js";
import { commandLine, formatAge, fromTimestamp, formatLimits, formatUsage, orDash, printable, formatFields } from "../format.js";
import { jobIdToWire } from "../job-id.js";
import { jobIdArguments, jobIdFrom, withAgent, type JobIdOptions } from "./shared.js";

export function registerStatus(program: Command): void {
  jobIdArguments(program.command("status"))
    .alias("query")
    .description("show a job's status: command, owner, state, exit code or signal, times, output size")
    .addHelpText(
      "after",
      `
Examples:
  jobctl status 0b5c6a8e-6f3e-4d7a-9c1b-2e4f5a6b7c8d
  jobctl query -j 0b5c6a8e-6f3e-4d7a-9c1b-2e4f5a6b7c8d     # also accepted: query, -j ID
  jobctl status "$id" | grep '^Status:'`,
    )
    .action(async (positional: string | undefined, options: JobIdOptions, command: Command) => {
      const id = jobIdFrom(positional, options);
      const status = await withAgent(command, (api) => api.status(jobIdToWire(id)));
      process.stdout.write(formatStatus(status, new Date()));
    });
}

/** The status as aligned "Key: value" lines; empty and meaningless values (pid 0, exit code -1) are "-". */
export function formatStatus(status: QueryStatusResponse__Output, now: Date): string {
  const started = fromTimestamp(status.startTime);
  const ended = fromTimestamp(status.endTime);
  const when = (date: Date | undefined) => (date ? `${date.toISOString()} (${formatAge(now.getTime() - date.getTime())} ago)` : "-");
  const dropped = status.outputDroppedBytes !== "0" ? ` (${status.outputDroppedBytes} bytes dropped past the output cap)` : "";
  const lines: [string, string][] = [
    ["ID", status.id],
    ["Command", commandLine(status.commandName, status.arguments)],
    ["Owner", orDash(printable(status.owner))],
    ...(status.specName ? [["Spec", `${printable(status.specName)} (run ${status.specRun})`] as [string, string]] : []),
    ["Status", status.JobStatus],
    ["Reason", orDash(printable(status.reason))],
    ["Exit Code", status.exitCode < 0 ? "-" : String(status.exitCode)],
    ["Signal", orDash(printable(status.signal))],
    ["PID", status.pid > 0 ? String(status.pid) : "-"],
    ["Started", when(started)],
    ["Ended", when(ended)],
    ["Message", orDash(printable(status.message))],
    ["Output", `${status.outputBytes} bytes${dropped}`],
    ["User", `${status.uid}:${status.gid}`],
    ["Limits", formatLimits(status.limits)],
    ["Usage", formatUsage(status.usage)],
  ];
  return formatFields(lines);
}
