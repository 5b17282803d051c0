// jobctl get jobs (and jobctl list): the jobs the caller may see, oldest
// first, as a kubectl-style table, or -o wide|json|yaml|name, narrowed with
// -l (selector.ts). Every page of List is fetched (list-pages.ts).
import type { Command } from "commander";
import type { QueryStatusResponse__Output } from "../../../proto/generated/workerservice/QueryStatusResponse.js";
import { formatBytes } from "../../../common/quantity.js";
import { commandLine, formatAge, formatTable, fromTimestamp, orDash, printable } from "../../format.js";
import { listAllJobs } from "../../list-pages.js";
import { outputOption, printList, type OutputFormat } from "../../output-format.js";
import { matchesSelector, parseSelector, type Requirement } from "../../selector.js";
import { withAgent } from "../shared.js";

export interface GetJobsOptions {
  output?: OutputFormat;
  selector?: Requirement[];
}

const SELECTOR_HELP = "filter on status, owner, reason and spec: KEY=VALUE, KEY!=VALUE, KEY in (A,B), comma-separated (all must hold)";

/** -o and -l, for get and list. */
export function jobListOptions(command: Command): Command {
  return command
    .addOption(outputOption(["wide", "json", "yaml", "name"]))
    .option("-l, --selector <selector>", SELECTOR_HELP, parseSelector);
}

/** The examples of get and list, `verb` being the words that list jobs ("get jobs", "list"). */
export function jobListExamples(verb: string): string {
  return `
Examples:
  jobctl ${verb}
  jobctl ${verb} -o wide                                   # adds PID, EXIT, SIGNAL and the CPU and memory limits
  jobctl ${verb} -l status=RUNNING,owner=alice
  jobctl ${verb} -l 'reason in (Error,OOMKilled)' -o json
  jobctl ${verb} -l spec=web                               # the runs of job spec web
  jobctl ${verb} -o name | xargs -n1 jobctl stop             # ids, one a line
  jobctl --context viewer ${verb}

The selector is applied by jobctl to the jobs the agent lists, so it only narrows
what your role shows: users see their own jobs, admins and readonly viewers all.`;
}

export async function getJobs(command: Command, options: GetJobsOptions): Promise<void> {
  const all = await withAgent(command, listAllJobs);
  const jobs = options.selector ? all.filter((job) => matchesSelector(job, options.selector!)) : all;
  printList(jobs, options.output ?? "table", {
    table: (items) => formatJobTable(items, new Date()),
    wide: (items) => formatWideJobTable(items, new Date()),
    name: (job) => job.id,
    none: "No jobs found.",
  });
}

function commonCells(job: QueryStatusResponse__Output, now: Date): string[] {
  const started = fromTimestamp(job.startTime);
  return [job.id, orDash(printable(job.owner)), job.JobStatus, orDash(printable(job.reason)), started ? formatAge(now.getTime() - started.getTime()) : "-"];
}

export function formatJobTable(jobs: readonly QueryStatusResponse__Output[], now: Date): string {
  const rows = jobs.map((job) => [...commonCells(job, now), commandLine(job.commandName, job.arguments)]);
  return formatTable(["ID", "OWNER", "STATUS", "REASON", "AGE", "COMMAND"], rows);
}

/** The table plus what a job's process is and was allowed: PID, EXIT, SIGNAL, CPU-LIMIT, MEM-LIMIT. */
export function formatWideJobTable(jobs: readonly QueryStatusResponse__Output[], now: Date): string {
  const rows = jobs.map((job) => [
    ...commonCells(job, now),
    job.pid > 0 ? String(job.pid) : "-",
    job.exitCode >= 0 ? String(job.exitCode) : "-",
    orDash(printable(job.signal)),
    job.limits && job.limits.cpuCores > 0 ? String(job.limits.cpuCores) : "-",
    job.limits && job.limits.memoryBytes !== "0" ? formatBytes(Number(job.limits.memoryBytes)) : "-",
    commandLine(job.commandName, job.arguments),
  ]);
  return formatTable(["ID", "OWNER", "STATUS", "REASON", "AGE", "PID", "EXIT", "SIGNAL", "CPU-LIMIT", "MEM-LIMIT", "COMMAND"], rows);
}
