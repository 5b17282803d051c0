/*
 * The job lifecycle, drawn once. Every change of state goes through
 * `transition()` below, which refuses any edge not drawn here.
 *
 *   start()
 *      │
 *      ▼
 *   STARTED ── exec failed (not found, not executable, ...) ──────────▶ FAILED   reason FailedToStart
 *      │ exec succeeded (the shim's status pipe closed empty)
 *      ▼
 *   RUNNING ── the command ended by itself ───────────────────────────▶ EXITED   reason Completed | Error | OOMKilled
 *      │
 *      │ stop(), agent shutdown, or recovery after an agent crash:
 *      │ SIGTERM to the whole job, SIGKILL to what is left after the grace period
 *      ▼
 *   STOPPED  reason Stopped | AgentShutdown | Orphaned
 *
 * STARTED can also go straight to STOPPED (stopped before exec was confirmed)
 * or EXITED (exec succeeded and the command ended before we saw the confirmation).
 * FAILED, EXITED and STOPPED are final.
 */

export type JobState = "STARTED" | "RUNNING" | "EXITED" | "STOPPED" | "FAILED";

export type JobReason =
  | "Completed" // exited with code 0
  | "Error" // exited non-zero, or killed by a signal nobody sent through Stop
  | "OOMKilled" // killed by the kernel's OOM killer (from the cgroup's memory.events)
  | "FailedToStart" // the command could not be executed
  | "Stopped" // ended by Stop
  | "AgentShutdown" // stopped because the agent shut down
  | "Orphaned"; // found running after an agent crash, killed on recovery

const EDGES: Record<JobState, readonly JobState[]> = {
  STARTED: ["RUNNING", "FAILED", "EXITED", "STOPPED"],
  RUNNING: ["EXITED", "STOPPED"],
  EXITED: [],
  STOPPED: [],
  FAILED: [],
};

export function isFinal(state: JobState): boolean {
  return EDGES[state].length === 0;
}

export function canTransition(from: JobState, to: JobState): boolean {
  return EDGES[from].includes(to);
}

export function transition(from: JobState, to: JobState): JobState {
  if (!canTransition(from, to)) throw new Error(`job lifecycle: no transition ${from} -> ${to}`);
  return to;
}
