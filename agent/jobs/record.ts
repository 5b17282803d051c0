// What the agent knows and keeps about a job. Persisted as JSON next to the
// job's output so that status and output survive an agent restart.
import type { JobReason, JobState } from "./lifecycle.js";

/** Resource limits; 0 means unlimited / agent default. Enforced by the cgroup layer. */
export interface ResourceLimits {
  cpuCores: number;
  memoryBytes: number;
  ioReadBps: number;
  ioWriteBps: number;
  ioReadIops: number;
  ioWriteIops: number;
  pids: number;
}

export const NO_LIMITS: ResourceLimits = Object.freeze({
  cpuCores: 0,
  memoryBytes: 0,
  ioReadBps: 0,
  ioWriteBps: 0,
  ioReadIops: 0,
  ioWriteIops: 0,
  pids: 0,
});

/** What the job used, from its cgroup when it ended. */
export interface JobUsage {
  cpuSeconds: number;
  cpuUserSeconds: number;
  cpuSystemSeconds: number;
  memoryPeakBytes: number;
  ioReadBytes: number;
  ioWriteBytes: number;
  oomKills: number;
}

/** What a job started for a job spec carries: the label that ties the run to its spec. */
export interface JobSpecRun {
  name: string;
  /** The spec's identity: a spec deleted and created again under the same name is another spec, and takes over nothing of this one. */
  uid: string;
  run: number;
  /** The version of the spec the run was started from. */
  hash: string;
}

export interface JobRecord {
  id: string;
  owner: string;
  command: string;
  args: string[];
  state: JobState;
  reason?: JobReason;
  /** Human-readable detail: why it failed to start, who stopped it, ... */
  message?: string;
  /** FAILED: which step of becoming the job failed, and its errno name (what callers decide on; message is for people). */
  startFailure?: { step: string; errnoName: string };
  pid?: number;
  /** The process's start time in clock ticks since boot (/proc/PID/stat field 22):
   * with the pid it identifies the process across pid reuse, for recovery. */
  pidStartTicks?: string;
  /** Exit code, or null while running or when ended by a signal. */
  exitCode: number | null;
  /** Terminating signal name, e.g. "SIGKILL", or null. */
  signal: string | null;
  startTime: string;
  endTime?: string;
  gracePeriodMs: number;
  limits: ResourceLimits;
  outputBytes: number;
  outputDroppedBytes: number;
  /** Final resource usage; absent without cgroup v2. */
  usage?: JobUsage;
  /** Who the job ran as. */
  uid?: number;
  gid?: number;
  /** The uid and gid were allocated to this job alone (from the agent's uid range). */
  ownUid?: boolean;
  /** Its working directory could not be removed when it ended: its uid stays taken until it is. */
  workDirLeft?: boolean;
  /** A Stop under way (saved, so that an agent restart does not forget it): killAt is epoch ms. */
  stopRequest?: { reason: JobReason; message: string; killAt: number };
  /** A run of a declarative job spec (agent/specs): its name, identity, run number (1, 2, ...) and the spec version's hash. */
  spec?: JobSpecRun;
  /** The job's monitor (jobworker-monitor): pid and start time identify it across pid reuse. */
  monitorPid?: number;
  monitorStartTicks?: string;
}
