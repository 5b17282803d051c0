// jobctl stop: SIGTERM, then SIGKILL after the grace period; waits until the job has ended.
import type { Command } from "commander";
import type { WorkerApi } from "../client.js";
import { STOP_MARGIN_MS } from "../deadlines.js";
import { jobIdToWire } from "../job-id.js";
import { REQUEST_LIMITS } from "../../common/request-limits.js";
import { durationOption, jobIdArguments, jobIdFrom, withAgent } from "./shared.js";

interface StopOptions {
  job?: string;
  grace?: number;
}

/** The agent's longest grace period: the deadline when the job's own is unknown. */
const MAX_GRACE_MS = REQUEST_LIMITS.maxGracePeriodMs;

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
  jobctl stop -j 0b5c6a8e-6f3e-4d7a-9c1b-2e4f5a6b7c8d            # seed 000's form`,
    )
    .action(async (positional: string | undefined, options: StopOptions, command: Command) => {
      const id = jobIdFrom(positional, options);
      const jobID = jobIdToWire(id);
      const response = await withAgent(command, async (api) => {
        const timeoutMs = (options.grace ?? (await jobGracePeriod(api, jobID))) + STOP_MARGIN_MS;
        return api.stop({ jobID, ...(options.grace !== undefined && { gracePeriodMs: options.grace }) }, timeoutMs);
      });
      const state = response.status?.JobStatus;
      // Stop on a job that has already ended succeeds and says how it ended.
      const outcome = state === undefined || state === "STOPPED" ? "stopped" : `had already ended (${state})`;
      process.stdout.write(`${id} ${outcome}\n`);
    });
}

/**
 * The grace period Stop will use without --grace, to size its deadline. A
 * role may be allowed to stop but not to query, so on any error assume the
 * longest and let Stop itself report what is wrong.
 */
export async function jobGracePeriod(api: WorkerApi, jobID: Buffer): Promise<number> {
  try {
    const grace = Number((await api.status(jobID)).gracePeriodMs);
    return Number.isSafeInteger(grace) ? grace : MAX_GRACE_MS;
  } catch {
    return MAX_GRACE_MS;
  }
}
