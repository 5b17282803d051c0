// The events the job manager and its runners emit, declared here so that
// agent/jobs depends on nobody who listens: agent/metrics counts them.
// NO_JOB_EVENTS does nothing, for library use and tests.
import type { JobRecord } from "./record.js";

export interface JobEvents {
  /** A job was created (before its command is known to execute). */
  jobStarted(record: JobRecord): void;
  /** A job reached a final state; record.reason says why. */
  jobFinished(record: JobRecord): void;
  /** Bytes of job output written to a spool (hot path: called per chunk, up to 64 KiB). */
  outputCaptured(bytes: number): void;
}

const nothing = () => {};

export const NO_JOB_EVENTS: JobEvents = {
  jobStarted: nothing,
  jobFinished: nothing,
  outputCaptured: nothing,
};
