// jobctl list: the jobs the caller may see, oldest first, as a kubectl-style table.
import type { Command } from "commander";
import type { QueryStatusResponse__Output } from "../../proto/generated/workerservice/QueryStatusResponse.js";
import { commandLine, formatAge, formatTable, fromTimestamp, orDash, printable } from "../format.js";
import { withAgent } from "./shared.js";

export function registerList(program: Command): void {
  program
    .command("list")
    .alias("ls")
    .description("list the jobs you may see (admins and readonly: all; users: their own)")
    .addHelpText(
      "after",
      `
Examples:
  jobctl list
  jobctl --context viewer list
  jobctl list | awk '$3 == "RUNNING" {print $1}'     # ids of running jobs`,
    )
    .action(async (_options: object, command: Command) => {
      const { jobs } = await withAgent(command, (api) => api.list());
      if (jobs.length === 0) {
        // Like kubectl: the note goes to stderr, so stdout stays empty for scripts.
        process.stderr.write("No jobs found.\n");
        return;
      }
      process.stdout.write(formatJobTable(jobs, new Date()));
    });
}

export function formatJobTable(jobs: readonly QueryStatusResponse__Output[], now: Date): string {
  const rows = jobs.map((job) => {
    const started = fromTimestamp(job.startTime);
    return [
      job.id,
      orDash(printable(job.owner)),
      job.JobStatus,
      orDash(printable(job.reason)),
      started ? formatAge(now.getTime() - started.getTime()) : "-",
      commandLine(job.commandName, job.arguments),
    ];
  });
  return formatTable(["ID", "OWNER", "STATUS", "REASON", "AGE", "COMMAND"], rows);
}
