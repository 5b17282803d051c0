// jobctl stop: SIGTERM, then SIGKILL after the grace period; waits until the job has ended.
import type { Command } from "commander";
import { jobIdToWire } from "../job-id.js";
import { durationOption } from "../options.js";
import { stopJob } from "../stop-job.js";
import { jobIdArguments, jobIdFrom, withAgent, type JobIdOptions } from "./shared.js";

interface StopOptions extends JobIdOptions {
  grace?: number;
}

export function registerStop(program: Command): void {
  jobIdArguments(program.command("stop"))
    .description("stop a job: SIGTERM, then SIGKILL after the grace period; waits until it has ended")
    .option("--grace <duration>", "time between SIGTERM and SIGKILL, e.g. 5s; 0 kills at once (default: the job's)", durationOption)
    .addHelpText(
      "after",
      `
Examples:
  jobctl stop 0b5c6a8e-6f3e-4d7a-9c1b-2e4f5a6b7c8d
  jobctl stop 0b5c6a8e-6f3e-4d7a-9c1b-2e4f5a6b7c8d --grace 0     # SIGKILL at once
  jobctl stop -j 0b5c6a8e-6f3e-4d7a-9c1b-2e4f5a6b7c8d            # also accepted: -j ID`,
    )
    .action(async (positional: string | undefined, options: StopOptions, command: Command) => {
      const id = jobIdFrom(positional, options);
      const response = await withAgent(command, (api) => stopJob(api, jobIdToWire(id), options.grace));
      const state = response.status?.JobStatus;
      // Stop on a job that has already ended succeeds and says how it ended.
      const outcome = state === undefined || state === "STOPPED" ? "stopped" : `had already ended (${state})`;
      process.stdout.write(`${id} ${outcome}\n`);
    });
}
