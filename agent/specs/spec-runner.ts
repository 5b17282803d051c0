/*
 * One SpecRunner per job spec keeps its job running by the spec's restart
 * policy (restart-policy.ts). The spec's lifecycle, drawn once:
 *
 *   applied, or found when the agent starts
 *      │  adopt the spec's running job (a restarted agent), or start run N+1
 *      ▼
 *   Starting ── the Start is refused (capacity, limits) ─────────────▶ CrashLoopBackOff ─┐
 *      │ the job runs                                                        ▲           │
 *      ▼                                                                     │ restart   │ back-off
 *   Running ── the run ends, and the policy restarts it ─────────────────────┘ wanted    │ delay
 *      │                                                                                 │
 *      │ the run ends, and the policy does not restart it          Starting ◀────────────┘
 *      ▼
 *   Completed | Failed | Stopped      (until the spec is applied again)
 *
 *   any ── a new version is applied ──▶ Replacing: the run is stopped (its grace period), then Starting
 *   any ── deleted ──▶ Deleting: the run is stopped; the spec is gone
 *
 * Each run is an ordinary job (its own id, output, status), carrying
 * { name, run, hash } so that a restarted agent finds it again. Everything a
 * runner does happens one step at a time (serial()), so an apply, a delete
 * and a run's end never interleave.
 */
import type { Logger } from "pino";
import { isFinal } from "../jobs/lifecycle.js";
import type { StartOptions } from "../jobs/manager.js";
import type { JobRecord, ResourceLimits } from "../jobs/record.js";
import { isFailure, nextDelay, restartsAtOnce, runDurationMs, wantsRestart, type RunEnd } from "./restart-policy.js";
import { ownerOf, specHash, type JobSpec, type SpecSource } from "./spec.js";
import type { LastEnd, SpecState } from "./spec-store.js";

export type SpecPhase = "Starting" | "Running" | "CrashLoopBackOff" | "Completed" | "Failed" | "Stopped" | "Replacing" | "Deleting";

/** What a runner needs of the job library (JobManager has it). */
export interface SpecJobs {
  start(owner: string, command: string, args: string[], options: StartOptions): Promise<JobRecord>;
  stop(id: string, gracePeriodMs?: number, why?: { message?: string }): Promise<JobRecord>;
  wait(id: string): Promise<JobRecord>;
}

export interface SpecContext {
  jobs: SpecJobs;
  /** The limits a run gets: the agent's defaults fill what the spec leaves unset, its maxima bound them. Throws if over. */
  limitsFor(requested: ResourceLimits): ResourceLimits;
  /** Throws (INVALID_ARGUMENT) for a spec no Start would take: its command, arguments, grace period or limits. */
  check(spec: JobSpec): void;
  save(state: SpecState): Promise<void>;
  /** A run was started again by the policy (metrics). */
  restarted(name: string): void;
  logger?: Logger;
}

export interface SpecStatus {
  name: string;
  source: SpecSource;
  owner: string;
  spec: JobSpec;
  hash: string;
  phase: SpecPhase;
  /** Its job runs now. */
  ready: boolean;
  restarts: number;
  runs: number;
  createdAt: string;
  /** The job of the run in progress. */
  currentJobId?: string;
  currentRun?: number;
  lastEnd?: LastEnd;
  /** Epoch ms of the next restart, while in CrashLoopBackOff. */
  nextRestartAt?: number;
  /** Why it is not running as specified (a refused start, an invalid file...). */
  message?: string;
}

export class SpecRunner {
  private phase: SpecPhase = "Starting";
  private current?: { id: string; run: number; running: boolean };
  private timer?: NodeJS.Timeout;
  private nextRestartAt?: number;
  private message?: string;
  private steps: Promise<unknown> = Promise.resolve();
  private closed = false;

  constructor(
    private readonly ctx: SpecContext,
    private spec: JobSpec,
    private where: SpecSource,
    private readonly state: SpecState,
  ) {}

  get name(): string {
    return this.spec.name;
  }

  get source(): SpecSource {
    return this.where;
  }

  /** A file spec whose name moved to another file; the owner (and so its jobs') stays. */
  moveTo(source: SpecSource): void {
    this.where = source;
    this.state.source = source;
  }

  /**
   * Takes over from what the agent found: the newest running job of this
   * spec's current version is adopted (others are stopped); with none, the
   * last run's end decides, as if it had just ended.
   */
  begin(jobs: JobRecord[]): Promise<void> {
    return this.serial(async () => {
      const mine = jobs.filter((job) => job.spec?.name === this.name).sort((a, b) => a.spec!.run - b.spec!.run);
      this.state.runs = Math.max(this.state.runs, ...mine.map((job) => job.spec!.run)); // a run started just before a crash
      const running = mine.filter((job) => !isFinal(job.state));
      const adopt = running.at(-1);
      for (const extra of running.slice(0, -1)) void this.stopQuietly(extra.id, `a second run of spec ${this.name}`);
      const hash = specHash(this.spec);
      if (this.state.hash !== hash) return this.replace(hash, adopt);
      if (adopt) return this.adopt(adopt);
      const lastJob = mine.at(-1);
      const lastEnd = lastJob && lastJob.spec!.run >= (this.state.lastEnd?.run ?? 0) ? toLastEnd(lastJob) : this.state.lastEnd;
      if (this.state.runs === 0 || !lastEnd || lastEnd.run < this.state.runs) return this.startRun(false);
      this.state.lastEnd = lastEnd;
      this.afterEnd(lastEnd, Date.now() - Date.parse(lastEnd.endTime ?? lastEnd.startTime));
    });
  }

  /** A new version of the spec (or the same again): replaces the run, or starts one if none runs nor is due. */
  update(spec: JobSpec): Promise<"configured" | "unchanged" | "started"> {
    return this.serial(async () => {
      const hash = specHash(spec);
      if (hash !== this.state.hash) {
        this.spec = spec;
        await this.replace(hash, this.current && { id: this.current.id });
        return "configured";
      }
      if (this.current || this.timer) return "unchanged";
      await this.startRun(false); // ended for good (Completed, Stopped...): applying it again runs it again
      return "started";
    });
  }

  /** Stops the run (its grace period) and ends this runner; resolves once the job has ended. */
  delete(): Promise<void> {
    return this.serial(async () => {
      this.closed = true;
      this.cancelRestart();
      this.phase = "Deleting";
      if (this.current) await this.stopQuietly(this.current.id, `its spec ${this.name} was deleted`);
      this.current = undefined;
    });
  }

  /** The agent is going away: no more restarts; the job runs on for the next agent. */
  detach(): void {
    this.closed = true;
    this.cancelRestart();
  }

  status(): SpecStatus {
    const s = this.state;
    return {
      name: this.name, source: this.where, owner: ownerOf(this.where), spec: this.spec, hash: s.hash, phase: this.phase,
      ready: this.current?.running === true, restarts: s.restarts, runs: s.runs, createdAt: s.createdAt,
      ...(this.current && { currentJobId: this.current.id, currentRun: this.current.run }),
      ...(s.lastEnd && { lastEnd: s.lastEnd }),
      ...(this.nextRestartAt !== undefined && { nextRestartAt: this.nextRestartAt }),
      ...(this.message !== undefined && { message: this.message }),
    };
  }

  /** Shown in the status until the next good version (an invalid manifest file: the running job stays). */
  setProblem(message: string | undefined): void {
    this.message = message;
  }

  private serial<T>(step: () => Promise<T>): Promise<T> {
    const next = this.steps.then(step, step);
    this.steps = next.catch(() => {});
    return next;
  }

  private adopt(job: JobRecord): void {
    this.current = { id: job.id, run: job.spec!.run, running: job.state === "RUNNING" };
    this.phase = "Running";
    this.follow(job.id);
  }

  /** Stops the run of an older version (if any), then starts this one with its counters reset. */
  private async replace(hash: string, old: { id: string } | undefined): Promise<void> {
    this.cancelRestart();
    Object.assign(this.state, { hash, restarts: 0, consecutive: 0 });
    if (this.where.kind === "api") this.state.spec = this.spec;
    if (old) {
      this.phase = "Replacing";
      this.current = undefined; // its end is not this spec's any more: no restart decision on it
      const ended = await this.stopQuietly(old.id, `replaced by a new version of spec ${this.name}`);
      if (ended?.spec) this.state.lastEnd = toLastEnd(ended);
    }
    await this.startRun(false);
  }

  private async startRun(restart: boolean): Promise<void> {
    this.cancelRestart();
    if (this.closed) return;
    const run = this.state.runs + 1;
    this.phase = "Starting";
    let job: JobRecord;
    try {
      job = await this.ctx.jobs.start(ownerOf(this.where), this.spec.command, this.spec.args, {
        gracePeriodMs: this.spec.gracePeriodMs,
        limits: this.ctx.limitsFor(this.spec.limits),
        spec: { name: this.name, run, hash: this.state.hash },
      });
    } catch (err) {
      // Not a run: nothing started. Tried again with the back-off, whatever the policy.
      this.message = `the start was refused: ${(err as Error).message}`;
      this.ctx.logger?.warn({ spec: this.name, err }, "starting a run of a job spec was refused; trying again after the back-off");
      this.backOff(0);
      await this.save();
      return;
    }
    Object.assign(this.state, { runs: run, restarts: this.state.restarts + (restart ? 1 : 0) });
    if (restart) this.ctx.restarted(this.name);
    this.message = undefined;
    this.current = { id: job.id, run, running: job.state === "RUNNING" };
    this.phase = job.state === "RUNNING" ? "Running" : "Starting"; // FAILED: its end comes through follow()
    this.ctx.logger?.info({ spec: this.name, run, jobId: job.id, restart }, "job spec run started");
    this.follow(job.id);
    await this.save();
  }

  private follow(id: string): void {
    void this.ctx.jobs.wait(id).then(
      (record) => this.serial(async () => this.ended(record)),
      (err) => this.ctx.logger?.error({ spec: this.name, jobId: id, err }, "following a job spec's run failed"),
    );
  }

  private async ended(record: JobRecord): Promise<void> {
    if (this.closed || record.id !== this.current?.id) return; // a replaced run, or the agent is going away
    this.current = undefined;
    const end = toLastEnd(record);
    this.state.lastEnd = end;
    this.afterEnd(end, 0);
    await this.save();
  }

  /** The run ended: restart it after the back-off (less what has passed since), or settle. */
  private afterEnd(end: LastEnd, sinceEndMs: number): void {
    if (!wantsRestart(this.spec, end)) {
      this.phase = end.reason === "Completed" ? "Completed" : end.state === "STOPPED" && !isFailure(end) ? "Stopped" : "Failed";
      return;
    }
    if (restartsAtOnce(end)) return void this.scheduleRestart(0);
    this.backOff(runDurationMs(end), sinceEndMs);
  }

  private backOff(lastRunMs: number, sinceEndMs = 0): void {
    const { delayMs, consecutive } = nextDelay(this.spec.backoff, this.state.consecutive, lastRunMs);
    this.state.consecutive = consecutive;
    this.phase = "CrashLoopBackOff";
    this.scheduleRestart(Math.max(0, delayMs - sinceEndMs));
  }

  private scheduleRestart(delayMs: number): void {
    this.cancelRestart();
    if (this.closed) return;
    this.nextRestartAt = Date.now() + delayMs;
    this.timer = setTimeout(() => void this.serial(() => this.startRun(true)), delayMs);
  }

  private cancelRestart(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.nextRestartAt = undefined;
  }

  private async stopQuietly(id: string, message: string): Promise<JobRecord | undefined> {
    return this.ctx.jobs.stop(id, this.spec.gracePeriodMs, { message }).catch((err) => {
      this.ctx.logger?.warn({ spec: this.name, jobId: id, err }, "stopping a job spec's run failed");
      return undefined;
    });
  }

  private save(): Promise<void> {
    return this.ctx.save(this.state).catch((err) => this.ctx.logger?.error({ spec: this.name, err }, "saving a job spec's state failed"));
  }
}

function toLastEnd(record: JobRecord): LastEnd {
  const end: RunEnd & Partial<LastEnd> = record;
  return {
    jobId: record.id, run: record.spec?.run ?? 0, state: end.state, reason: end.reason, exitCode: end.exitCode, signal: end.signal,
    startTime: end.startTime, endTime: end.endTime, message: record.message,
  };
}
