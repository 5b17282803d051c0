// jobctl describe job ID | spec NAME: one object in detail, kubectl-describe
// style. One file per resource in this folder: job.ts, spec.ts.
import { Argument, type Command } from "commander";
import { jobIdToWire, parseJobId } from "../../job-id.js";
import { withAgent } from "../shared.js";
import { formatDescription } from "./job.js";
import { formatSpecDescription } from "./spec.js";

export function registerDescribe(program: Command): void {
  program
    .command("describe")
    .description("show a job (command, user, state, exit details, times, limits, usage) or a job spec (status, manifest, recent runs) in detail")
    .addArgument(new Argument("<resource>", "what to describe").choices(["job", "jobs", "spec", "specs"]))
    .argument("<id>", "job id, or spec name")
    .addHelpText(
      "after",
      `
Examples:
  jobctl describe job 0b5c6a8e-6f3e-4d7a-9c1b-2e4f5a6b7c8d
  jobctl get jobs -l status=EXITED -o name | xargs -n1 jobctl describe job
  jobctl describe spec web`,
    )
    .action(async (resource: string, id: string, _options: object, command: Command) => {
      if (resource.startsWith("spec")) {
        process.stdout.write(formatSpecDescription(await withAgent(command, (api) => api.getSpec(id)), new Date()));
        return;
      }
      const jobID = jobIdToWire(parseJobId(id));
      process.stdout.write(formatDescription(await withAgent(command, (api) => api.status(jobID)), new Date()));
    });
}
