/*
 * The job lifecycle, drawn once. Every change of state goes through
 * `transition()` below, which refuses any edge not drawn here.
 *
 *   start(): the job's monitor is started and reports the exec outcome
 *      │
 *      ▼
 *   STARTED ── exec failed (not found, not executable, ...) ──────────▶ FAILED   reason FailedToStart
 *      │ exec succeeded
 *      ▼
 *   RUNNING ── the command ended by itself (the monitor's exit file) ─▶ EXITED   reason Completed | Error | OOMKilled
 *      │  ▲
 *      │  └── reattached: an agent restarted (or crashed) and the next one
 *      │      found the job's monitor alive; nothing about the job changes
 *      │
 *      │ stop() or, if so configured, agent shutdown:
 *      │ SIGTERM to the whole job, SIGKILL to what is left after the grace period
 *      ▼
 *   STOPPED  reason Stopped | AgentShutdown
 *
 *   STARTED or RUNNING ── lost: the monitor is gone and left no exit file;
 *                         what is left of the job is killed ──────────▶ STOPPED  reason Lost
 *
 * STARTED can also go straight to STOPPED (stopped before exec was confirmed)
 * or EXITED (exec succeeded, and the job ended while no agent was watching).
 * A job that ended while no agent ran is recorded, when the next agent starts,
 * exactly as if it had been watched: its exit file says how it ended.
 * FAILED, EXITED and STOPPED are final.
 */

export type JobState = "STARTED" | "RUNNING" | "EXITED" | "STOPPED" | "FAILED";

export type JobReason =
  | "Completed" // exited with code 0
  | "Error" // exited non-zero, or killed by a signal nobody sent through Stop
  | "OOMKilled" // killed by the kernel's OOM killer (from the cgroup's memory.events)
  | "FailedToStart" // the command could not be executed
  | "Stopped" // ended by Stop
  | "AgentShutdown" // stopped because the agent shut down (only when configured to stop jobs)
  | "Lost" // its monitor died without recording the end; what was left of the job was killed
  | "Orphaned"; // written by agents before the per-job monitor: found running after a crash and killed

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
