// jobctl get jobs (alias: jobctl list): the jobs the caller may see, oldest
// first, as a kubectl-style table, or -o wide|json|yaml|name, narrowed with
// -l (selector.ts). Every page of List is fetched (list-pages.ts).
import { Argument, type Command } from "commander";
import { UsageError } from "../errors.js";
import type { QueryStatusResponse__Output } from "../../proto/generated/workerservice/QueryStatusResponse.js";
import { formatBytes } from "../../common/quantity.js";
import { commandLine, formatAge, formatTable, fromTimestamp, orDash, printable } from "../format.js";
import { formatStructured, listOf, outputOption, toJsonObject, type OutputFormat } from "../output-format.js";
import { matchesSelector, parseSelector, type Requirement } from "../selector.js";
import { listAllJobs } from "../list-pages.js";
import { withAgent } from "./shared.js";
import { listSpecs } from "./get-specs.js";

interface GetOptions {
  output?: OutputFormat;
  selector?: Requirement[];
}

const SELECTOR_HELP = "filter on status, owner and reason: KEY=VALUE, KEY!=VALUE, KEY in (A,B), comma-separated (all must hold)";

function jobListOptions(command: Command): Command {
  return command
    .addOption(outputOption(["wide", "json", "yaml", "name"]))
    .option("-l, --selector <selector>", SELECTOR_HELP, parseSelector);
}

const EXAMPLES = (verb: string) => `
Examples:
  jobctl ${verb}
  jobctl ${verb} -o wide                                   # adds PID, EXIT, SIGNAL and the CPU and memory limits
  jobctl ${verb} -l status=RUNNING,owner=alice
  jobctl ${verb} -l 'reason in (Error,OOMKilled)' -o json
  jobctl ${verb} -o name | xargs -n1 jobctl stop             # ids, one a line
  jobctl --context viewer ${verb}

The selector is applied by jobctl to the jobs the agent lists, so it only narrows
what your role shows: users see their own jobs, admins and readonly viewers all.`;

export function registerGet(program: Command): void {
  jobListOptions(program.command("get"))
    .description("list jobs or job specs: a table, or -o wide|json|yaml|name; -l filters jobs by status, owner or reason")
    .addArgument(new Argument("<resource>", "what to list").choices(["jobs", "job", "specs", "spec"]))
    .addHelpText("after", `${EXAMPLES("get jobs")}

Job specs (jobctl apply): NAME, READY, RESTARTS, STATUS, AGE; -o wide adds the
policy, runs, current job, last exit and source:
  jobctl get specs
  jobctl get specs -o wide
  jobctl get specs -o yaml`)
    .action((resource: string, options: GetOptions, command: Command) => {
      if (!resource.startsWith("spec")) return listJobs(command, options);
      if (options.selector) throw new UsageError("-l/--selector filters jobs, not specs");
      return listSpecs(command, options.output);
    });

  jobListOptions(program.command("list"))
    .alias("ls")
    .description("list jobs (the same as get jobs)")
    .addHelpText("after", EXAMPLES("list"))
    .action((options: GetOptions, command: Command) => listJobs(command, options));
}

async function listJobs(command: Command, options: GetOptions): Promise<void> {
  const all = await withAgent(command, listAllJobs);
  const jobs = options.selector ? all.filter((job) => matchesSelector(job, options.selector!)) : all;
  const output = options.output ?? "table";
  if (output === "json" || output === "yaml") {
    process.stdout.write(formatStructured(listOf(jobs.map(toJsonObject)), output));
  } else if (output === "name") {
    process.stdout.write(jobs.map((job) => `${job.id}\n`).join(""));
  } else if (jobs.length === 0) {
    // Like kubectl: the note goes to stderr, so stdout stays empty for scripts.
    process.stderr.write("No jobs found.\n");
  } else {
    process.stdout.write(output === "wide" ? formatWideJobTable(jobs, new Date()) : formatJobTable(jobs, new Date()));
  }
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
