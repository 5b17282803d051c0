// The exit code `jobctl run` ends with, from the job's final status, so that
// `jobctl run -- make test && deploy` behaves as `make test && deploy` would.
import { constants } from "node:os";
import type { QueryStatusResponse__Output } from "../proto/generated/workerservice/QueryStatusResponse.js";
import { RunExit } from "./exit-codes.js";

export interface JobExit {
  code: number;
  /** A line for stderr when the code alone does not say what happened (failed to start, OOM, unknown signal). */
  note?: string;
}

/**
 * FAILED -> 127 when exec found no such command (startFailure exec/ENOENT;
 * from an agent older than that field, exec's own "No such file" message,
 * as a shell's "command not found"), else 126 (could not execute: not
 * executable, or a step before exec failed), with the agent's message; OOMKilled -> 250; ended by a signal -> 128 + its number; else the
 * exit code. Order matters: an OOM kill is also a SIGKILL.
 */
export function jobExit(status: QueryStatusResponse__Output): JobExit {
  if (status.JobStatus === "FAILED") {
    const failure = status.startFailure;
    // An agent older than startFailure (during an upgrade, or a record it wrote) only says it in the message.
    const notFound = failure ? failure.step === "exec" && failure.errnoName === "ENOENT" : /^exec .*: No such file or directory$/.test(status.message);
    return { code: notFound ? RunExit.NotFound : RunExit.CannotExecute, note: `job ${status.id} failed to start: ${status.message || status.reason}` };
  }
  if (status.reason === "OOMKilled") return { code: RunExit.OomKilled, note: `job ${status.id} was OOM-killed (memory limit)` };
  if (status.signal) {
    const number = (constants.signals as Record<string, number | undefined>)[status.signal];
    if (number !== undefined) return { code: RunExit.SignalBase + number };
    return { code: RunExit.SignalBase, note: `job ${status.id} was ended by ${status.signal}, a signal this host does not number` };
  }
  if (status.exitCode >= 0) return { code: status.exitCode };
  return { code: 1, note: `job ${status.id} has no exit code (status ${status.JobStatus})` };
}

/** True once the job has ended (the status is final). */
export function hasEnded(status: QueryStatusResponse__Output): boolean {
  return status.JobStatus !== "RUNNING" && status.JobStatus !== "STARTED" && status.JobStatus !== "UNKNOWN";
}
