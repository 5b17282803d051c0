// jobctl top: live CPU, memory and process counts of the running jobs the
// caller may see, from their cgroups (the Top RPC), kubectl-top style.
// Without cgroup v2 on the agent there are no live numbers: the jobs are
// still listed, with "-", and a note says why.
import type { Command } from "commander";
import type { JobTop__Output } from "../../proto/generated/workerservice/JobTop.js";
import { formatApproxBytes, formatTable, printable, shellQuote } from "../format.js";
import { outputOption, printList } from "../output-format.js";
import { withAgent } from "./shared.js";

export const NO_CGROUP_NOTE = "Note: live usage needs cgroup v2 on the agent; jobs marked - have none (jobctl info says why).";

export function registerTop(program: Command): void {
  program
    .command("top")
    .description("show live CPU and memory use of running jobs (needs cgroup v2 on the agent)")
    .addOption(outputOption(["json", "yaml"]))
    .addHelpText(
      "after",
      `
Examples:
  jobctl top
  watch -n 2 jobctl top          # CPU is averaged since the previous top (or over a short sample)
  jobctl top -o json | jq '.items[] | select(.cpuCores > 0.5) | .id'

Columns: CPU(cores) in millicores (250m = a quarter of a core), MEMORY and PEAK in
bytes (Ki, Mi, Gi), PIDS the job's processes and threads.`,
    )
    .action(async (options: { output?: "json" | "yaml" }, command: Command) => {
      const { jobs } = await withAgent(command, (api) => api.top());
      printList(jobs, options.output ?? "table", { table: formatTopTable, none: "No running jobs." });
      if (!options.output && jobs.some((job) => !job.available)) process.stderr.write(`${NO_CGROUP_NOTE}\n`);
    });
}

export function formatTopTable(jobs: readonly JobTop__Output[]): string {
  const rows = jobs.map((job) => {
    const numbers = job.available
      ? [`${Math.round(job.cpuCores * 1000)}m`, formatApproxBytes(Number(job.memoryBytes)), formatApproxBytes(Number(job.memoryPeakBytes)), job.pids]
      : ["-", "-", "-", "-"];
    return [job.id, printable(job.owner) || "-", ...numbers, shellQuote(job.commandName)];
  });
  return formatTable(["ID", "OWNER", "CPU(cores)", "MEMORY", "PEAK", "PIDS", "COMMAND"], rows);
}
