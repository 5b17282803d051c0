// What the agent keeps about each job spec across restarts, one JSON file per
// spec in <stateDir>/specs/: where it came from, the spec itself for specs
// applied through the API (file specs are read from their files), and the
// counters that must not start over (run numbers, restarts, the back-off
// streak, how the last run ended).
import { mkdir, readdir, readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { writeFileDurably } from "../../common/durable-file.js";
import { KeyedQueue } from "../../common/keyed-queue.js";
import type { JobRecord } from "../jobs/record.js";
import type { JobSpec, SpecSource } from "./spec.js";

/** How a run ended, kept with its spec (the job's own record may have been forgotten since). */
export type LastEnd = Pick<JobRecord, "state" | "reason" | "exitCode" | "signal" | "startTime" | "endTime" | "message"> & {
  jobId: string;
  run: number;
  /** The version it ran. */
  hash: string;
};

export interface SpecState {
  name: string;
  /** This spec's identity (a UUID): its runs carry it, so a later spec of the same name adopts none of them. */
  uid: string;
  source: SpecSource;
  /**
   * The spec's current version: as applied, or as last read from its file
   * (an agent started while that file is invalid resumes this version).
   */
  spec: JobSpec;
  /** The version the counters below are for (a new version starts restarts and the streak over). */
  hash: string;
  createdAt: string;
  /** Runs started so far, over every version: the next run's number is runs + 1. */
  runs: number;
  /** Restarts of this version. */
  restarts: number;
  /** Back-off delays since the streak last reset (restart-policy.ts nextDelay). */
  consecutive: number;
  lastEnd?: LastEnd;
  /** A restart decided and not yet made: after which run's end (a job id, "" for none), and when (epoch ms). */
  pendingRestart?: { after: string; at: number };
}

const NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

export class SpecStore {
  private readonly dir: string;
  /** Saves of one spec land in order. */
  private readonly pending = new KeyedQueue();

  constructor(stateDir: string) {
    this.dir = join(stateDir, "specs");
  }

  async init(): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
  }

  /** Every readable state; unreadable files are reported, not fatal. */
  async loadAll(onError: (file: string, err: unknown) => void): Promise<SpecState[]> {
    const states: SpecState[] = [];
    for (const file of await readdir(this.dir)) {
      const name = file.replace(/\.json$/, "");
      if (!file.endsWith(".json") || !NAME.test(name)) continue;
      try {
        states.push(JSON.parse(await readFile(join(this.dir, file), "utf8")) as SpecState);
      } catch (err) {
        onError(file, err);
      }
    }
    return states;
  }

  save(state: SpecState): Promise<void> {
    return this.pending.run(state.name, () => writeFileDurably(this.path(state.name), JSON.stringify(state, null, 1), 0o600));
  }

  /** Resolves once every save and removal asked for so far has landed (or failed). */
  flush(): Promise<void> {
    return this.pending.settled();
  }

  remove(name: string): Promise<void> {
    return this.pending.run(name, () => rm(this.path(name), { force: true }));
  }

  private path(name: string): string {
    if (!NAME.test(name)) throw new Error(`not a spec name: ${JSON.stringify(name)}`); // never a path outside the directory
    return join(this.dir, `${name}.json`);
  }
}
