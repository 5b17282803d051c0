// A job spec: what the agent keeps running, by name, and how it restarts it.
// The declarative layer above the job library: each run of a spec is an
// ordinary job (agent/jobs), labelled with the spec's name and run number.
import { createHash } from "node:crypto";
import type { ResourceLimits } from "../jobs/record.js";

export type RestartPolicy = "Always" | "OnFailure" | "Never";

export interface Backoff {
  /** Delay before the first restart; doubled for each one after it. */
  initialMs: number;
  /** The delay never exceeds this. */
  maxMs: number;
  /** A run that lasted this long starts the doubling over. */
  resetAfterMs: number;
}

/** kubelet's CrashLoopBackOff: 10 s doubling to 5 minutes, reset after 10 minutes of running. */
export const DEFAULT_BACKOFF: Readonly<Backoff> = Object.freeze({ initialMs: 10_000, maxMs: 300_000, resetAfterMs: 600_000 });

/** Shorter back-offs would let a crashing job spin the agent (systemd's RestartSec defaults to 100 ms). */
export const MIN_BACKOFF_MS = 100;
/**
 * The cap may not be lower than this: a crash loop settles at one start a
 * second per spec at most. (Measured in review: 10 specs of /bin/true at
 * 100 ms made 47-58 job starts a second on the 2-core dev machine.)
 */
export const MIN_BACKOFF_MAX_MS = 1000;

export interface JobSpec {
  name: string;
  labels: Record<string, string>;
  command: string;
  args: string[];
  /** As a Start asks: 0 is unset (the agent's defaultLimits apply at each start). */
  limits: ResourceLimits;
  /** Unset: the agent's default grace period. */
  gracePeriodMs?: number;
  restartPolicy: RestartPolicy;
  backoff: Backoff;
  restartPreventExitCodes: number[];
}

/** Where a spec comes from: applied through the API by an owner, or a file in the manifest directory. */
export type SpecSource = { kind: "api"; owner: string } | { kind: "file"; path: string };

/** The owner of file specs' jobs: visible to roles that see every job (admin, readonly), never to a user's own scope. */
export const FILE_SPEC_OWNER = "system:manifests";

export function ownerOf(source: SpecSource): string {
  return source.kind === "api" ? source.owner : FILE_SPEC_OWNER;
}

/** Identifies a version of a spec: a run started from another version is replaced. */
export function specHash(spec: JobSpec): string {
  return createHash("sha256").update(JSON.stringify(canonical(spec))).digest("hex").slice(0, 16);
}

/** The spec with its keys in one order, so equal specs hash alike however they were written. */
function canonical(spec: JobSpec): unknown {
  const labels = Object.fromEntries(Object.entries(spec.labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  return [spec.name, labels, spec.command, spec.args, spec.limits, spec.gracePeriodMs ?? null, spec.restartPolicy, spec.backoff, [...spec.restartPreventExitCodes].sort((a, b) => a - b)];
}
