// jobctl get jobs|specs, and jobctl list (alias ls), get jobs' other name.
// One file per resource in this folder: jobs.ts, specs.ts.
import { Argument, type Command } from "commander";
import { UsageError } from "../../errors.js";
import { getJobs, jobListExamples, jobListOptions, type GetJobsOptions } from "./jobs.js";
import { getSpecs } from "./specs.js";

export function registerGet(program: Command): void {
  jobListOptions(program.command("get"))
    .description("list jobs or job specs: a table, or -o wide|json|yaml|name; -l filters jobs by status, owner, reason or spec")
    .addArgument(new Argument("<resource>", "what to list").choices(["jobs", "job", "specs", "spec"]))
    .addHelpText("after", `${jobListExamples("get jobs")}

Job specs (jobctl apply): NAME, READY, RESTARTS, STATUS, AGE; -o wide adds the
policy, runs, current job, last exit and source:
  jobctl get specs
  jobctl get specs -o wide
  jobctl get specs -o yaml`)
    .action((resource: string, options: GetJobsOptions, command: Command) => {
      if (!resource.startsWith("spec")) return getJobs(command, options);
      if (options.selector) throw new UsageError("-l/--selector filters jobs, not specs");
      return getSpecs(command, options.output);
    });

  jobListOptions(program.command("list"))
    .alias("ls")
    .description("list jobs (the same as get jobs)")
    .addHelpText("after", jobListExamples("list"))
    .action((options: GetJobsOptions, command: Command) => getJobs(command, options));
}
