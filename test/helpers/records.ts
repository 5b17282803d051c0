// Finished job records written straight into a state directory, as an earlier
// agent would have left them: the next agent recovers them at start. Far
// faster than running a thousand jobs when a test is about what List returns.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { newJobId } from "../../agent/jobs/ids.js";
import { NO_LIMITS, type JobRecord } from "../../agent/jobs/record.js";

export interface SeededJob {
  id: string;
  owner: string;
  startTime: string;
}

/**
 * `count` EXITED jobs of the given owners (round robin), each with `argBytes`
 * of arguments in 32 KiB pieces (the wire's per-argument maximum). Start
 * times are one hour ago plus i/2 ms: pairs share one, so List's tie-break
 * on the id is exercised.
 */
export function seedFinishedJobs(stateDir: string, count: number, owners: string[], argBytes: number): SeededJob[] {
  const piece = 32 * 1024;
  const args = Array.from({ length: Math.ceil(argBytes / piece) }, (_, i) => String.fromCharCode(97 + (i % 26)).repeat(Math.min(piece, argBytes - i * piece)));
  const base = Date.now() - 3600_000;
  const jobs: SeededJob[] = [];
  for (let i = 0; i < count; i++) {
    const id = newJobId();
    const startTime = new Date(base + Math.floor(i / 2)).toISOString();
    const record: JobRecord = {
      id, owner: owners[i % owners.length], command: "echo", args, state: "EXITED", reason: "Completed", exitCode: 0, signal: null,
      startTime, endTime: new Date(base + 60_000).toISOString(), gracePeriodMs: 10_000, limits: NO_LIMITS, outputBytes: 0, outputDroppedBytes: 0,
    };
    mkdirSync(join(stateDir, "jobs", id), { recursive: true });
    writeFileSync(join(stateDir, "jobs", id, "output"), "");
    writeFileSync(join(stateDir, "jobs", id, "job.json"), JSON.stringify(record));
    jobs.push({ id, owner: record.owner, startTime });
  }
  return jobs;
}

/** The jobs in List's documented order: start time, then id. */
export function inListOrder<T extends { startTime: string; id: string }>(jobs: T[]): T[] {
  return [...jobs].sort((a, b) => (a.startTime !== b.startTime ? (a.startTime < b.startTime ? -1 : 1) : a.id < b.id ? -1 : 1));
}
