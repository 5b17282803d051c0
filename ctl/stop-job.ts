// Stopping a job and waiting for it to end (stop, and run's second Ctrl-C).
// Stop answers once the job has ended, so its deadline must cover the grace
// period the agent will wait between SIGTERM and SIGKILL.
import type { StopResponse__Output } from "../proto/generated/workerservice/StopResponse.js";
import { REQUEST_LIMITS } from "../common/request-limits.js";
import type { WorkerApi } from "./client.js";
import { STOP_MARGIN_MS } from "./deadlines.js";

/** The agent's longest grace period: the deadline when the job's own is unknown. */
const MAX_GRACE_MS = REQUEST_LIMITS.maxGracePeriodMs;

/** Stops the job: with `graceMs`, that grace period instead of the job's own. */
export async function stopJob(api: WorkerApi, jobID: Buffer, graceMs?: number): Promise<StopResponse__Output> {
  const timeoutMs = (graceMs ?? (await jobGracePeriod(api, jobID))) + STOP_MARGIN_MS;
  return api.stop({ jobID, ...(graceMs !== undefined && { gracePeriodMs: graceMs }) }, timeoutMs);
}

/**
 * The grace period Stop will use without --grace, to size its deadline. A
 * role may be allowed to stop but not to query, so on any error assume the
 * longest and let Stop itself report what is wrong.
 */
async function jobGracePeriod(api: WorkerApi, jobID: Buffer): Promise<number> {
  try {
    const grace = Number((await api.status(jobID)).gracePeriodMs);
    return Number.isSafeInteger(grace) ? grace : MAX_GRACE_MS;
  } catch {
    return MAX_GRACE_MS;
  }
}
