// Whether a spec's run that ended is started again, and after how long.
// Pure functions of the spec and the run's final record: the spec runner
// decides with them, the tests check them without a clock.
import type { JobRecord } from "../jobs/record.js";
import type { Backoff, JobSpec } from "./spec.js";

/** What of a run's final record the policy reads. */
export type RunEnd = Pick<JobRecord, "state" | "reason" | "exitCode" | "signal" | "startTime" | "endTime">;

/**
 * A failure, for OnFailure: it exited non-zero, was killed by a signal nobody
 * sent through Stop (the agent's own shutdown included), was OOM-killed,
 * could not start, or was lost. A run that exited 0, or that a caller
 * stopped through the API, did not fail.
 */
export function isFailure(end: RunEnd): boolean {
  if (end.state === "EXITED") return end.reason !== "Completed";
  if (end.state === "STOPPED") return end.reason !== "Stopped";
  return end.state === "FAILED";
}

/** Whether the spec's policy starts another run after this one. */
export function wantsRestart(spec: Pick<JobSpec, "restartPolicy" | "restartPreventExitCodes">, end: RunEnd): boolean {
  if (end.exitCode !== null && spec.restartPreventExitCodes.includes(end.exitCode)) return false;
  switch (spec.restartPolicy) {
    case "Always":
      return true;
    case "OnFailure":
      return isFailure(end);
    case "Never":
      return false;
  }
}

/**
 * A run that did not crash but was stopped, by a caller through the API or by
 * the agent's own shutdown, is restarted at once where the policy restarts it:
 * no back-off delay, and the streak is left as it was.
 */
export function restartsAtOnce(end: RunEnd): boolean {
  return end.state === "STOPPED" && (end.reason === "Stopped" || end.reason === "AgentShutdown");
}

/** How long the run lasted, in ms (0 if it never started). */
export function runDurationMs(end: RunEnd): number {
  if (!end.endTime) return 0;
  return Math.max(0, Date.parse(end.endTime) - Date.parse(end.startTime));
}

/**
 * Exponential back-off between restarts: initial, doubled per restart, capped
 * at max; a run that lasted resetAfter or longer starts the doubling over.
 * `consecutive` is how many back-off delays have passed since the last reset.
 */
export function nextDelay(backoff: Backoff, consecutive: number, lastRunMs: number): { delayMs: number; consecutive: number } {
  const streak = lastRunMs >= backoff.resetAfterMs ? 0 : consecutive;
  // 2^streak overflows to Infinity long after max is reached; min() keeps it finite.
  const delayMs = Math.min(backoff.maxMs, backoff.initialMs * 2 ** Math.min(streak, 52));
  return { delayMs, consecutive: streak + 1 };
}
