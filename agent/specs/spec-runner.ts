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
  /** The spec's identity; its runs carry it. */
  uid: string;
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
  private current?: { id: string; run: number; hash: string; running: boolean };
  private timer?: NodeJS.Timeout;
  private message?: string;
  private steps: Promise<unknown> = Promise.resolve();
  /** Starts and replaces queued or under way: the spec has a run coming even if none is current yet. */
  private queued = 0;
  private closed = false;
  /** Deleted: its state is not saved again (the file is gone, or is a new spec's of the same name). */
  private deleted = false;

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

  /** The spec's identity: its runs carry it. */
  get uid(): string {
    return this.state.uid;
  }

  /** The hash of the version it runs, or will run. */
  get hash(): string {
    return this.state.hash;
  }

  /** A file spec whose name moved to another file; the owner (and so its jobs') stays. */
  moveTo(source: SpecSource): void {
    this.where = source;
    this.state.source = source;
  }

  /**
   * Takes over from what the agent found: the newest running job of this
   * spec (its uid and owner) is adopted, replaced if it runs another version,
   * and any other is stopped. With none running, a restart an earlier agent
   * had decided is kept to its time; an end no agent saw is decided now.
   */
  begin(jobs: JobRecord[]): Promise<void> {
    return this.serial(async () => {
      const owner = ownerOf(this.where);
      const mine = jobs.filter((job) => job.spec?.uid === this.state.uid && job.owner === owner).sort((a, b) => a.spec!.run - b.spec!.run);
      if (this.deleted) {
        // Deleted before it began (its file went while its state was being saved): its runs stop, none is adopted.
        const running = mine.filter((job) => !isFinal(job.state));
        await Promise.all(running.map((job) => this.stopQuietly(job.id, `its spec ${this.name} was deleted`)));
        return;
      }
      if (this.closed) return; // the agent is going away: the next one begins it
      this.state.runs = Math.max(this.state.runs, ...mine.map((job) => job.spec!.run)); // a run started just before a crash
      const running = mine.filter((job) => !isFinal(job.state));
      const adopt = running.at(-1);
      for (const extra of running.slice(0, -1)) void this.stopQuietly(extra.id, `a second run of spec ${this.name}`);
      if (adopt) {
        this.current = { id: adopt.id, run: adopt.spec!.run, hash: adopt.spec!.hash, running: adopt.state === "RUNNING" };
        this.phase = "Running";
        this.follow(adopt.id);
        if (adopt.spec!.hash !== this.state.hash) await this.replaceStep(); // the spec changed while no agent ran
        return;
      }
      const lastJob = mine.at(-1);
      const lastEnd = lastJob && lastJob.spec!.run >= (this.state.lastEnd?.run ?? 0) ? toLastEnd(lastJob) : this.state.lastEnd;
      const pending = this.state.pendingRestart;
      if (pending && pending.after === (lastEnd?.jobId ?? "")) {
        this.phase = "CrashLoopBackOff";
        return this.scheduleRestart(Math.max(0, pending.at - Date.now()), pending.after);
      }
      if (!lastEnd || lastEnd.run < this.state.runs || lastEnd.hash !== this.state.hash) return this.startRun(false);
      this.state.lastEnd = lastEnd;
      this.afterEnd(lastEnd, Date.now() - Date.parse(lastEnd.endTime ?? lastEnd.startTime));
      await this.save();
    });
  }

  /**
   * A new version of the spec (or the same again). A new version is saved
   * before this resolves, then replaces the run in its own time (the old
   * run's grace period); the same version starts a run only if none runs nor
   * is coming. Never waits for a step under way.
   */
  async update(spec: JobSpec): Promise<"configured" | "unchanged" | "started"> {
    const hash = specHash(spec);
    if (hash === this.state.hash) {
      if (this.current || this.timer || this.queued > 0) return "unchanged";
      this.enqueue(() => this.startRun(false)); // ended for good (Completed, Stopped...): applying it again runs it again
      return "started";
    }
    this.spec = spec;
    this.cancelRestart();
    Object.assign(this.state, { spec, hash, restarts: 0, consecutive: 0 });
    await this.save();
    this.enqueue(() => this.replaceStep());
    return "configured";
  }

  /**
   * Ends this runner, and once `forgotten` (the removal of its saved state)
   * has settled, stops the run (its own grace period); resolves once the job
   * has ended. From the call on, nothing of this spec is saved: a save made
   * by a step under way would bring back a deleted spec's state, or overwrite
   * a new spec's of the same name.
   */
  delete(forgotten: Promise<void>): Promise<void> {
    this.closed = true; // at once: a start queued or under way starts nothing
    this.deleted = true;
    this.cancelRestart();
    return this.serial(async () => {
      this.phase = "Deleting";
      await forgotten;
      const current = this.current;
      this.current = undefined;
      if (current) await this.stopQuietly(current.id, `its spec ${this.name} was deleted`);
    });
  }

  /** The agent is going away: no more restarts; the job runs on for the next agent. */
  detach(): void {
    this.closed = true;
    clearTimeout(this.timer); // the pending restart stays saved, for the next agent
    this.timer = undefined;
  }

  status(): SpecStatus {
    const s = this.state;
    return {
      name: this.name, uid: s.uid, source: this.where, owner: ownerOf(this.where), spec: this.spec, hash: s.hash, phase: this.phase,
      ready: this.current?.running === true, restarts: s.restarts, runs: s.runs, createdAt: s.createdAt,
      ...(this.current && { currentJobId: this.current.id, currentRun: this.current.run }),
      ...(s.lastEnd && { lastEnd: s.lastEnd }),
      ...(this.timer && s.pendingRestart && { nextRestartAt: s.pendingRestart.at }),
      ...(this.message !== undefined && { message: this.message }),
    };
  }

  /** Shown in the status until the next good version (an invalid manifest file: the running job stays). */
  setProblem(message: string | undefined): void {
    this.message = message === undefined ? undefined : bounded(message);
  }

  private serial<T>(step: () => Promise<T>): Promise<T> {
    const next = this.steps.then(step, step);
    this.steps = next.catch(() => {});
    return next;
  }

  private enqueue(step: () => Promise<void>): void {
    this.queued++;
    void this.serial(step)
      .catch((err) => this.ctx.logger?.error({ spec: this.name, err }, "a job spec's step failed"))
      .finally(() => this.queued--);
  }

  /** Stops a run of an older version (if any), then starts the current one. */
  private async replaceStep(): Promise<void> {
    // Deleted or going away: the delete step stops the run; the next agent replaces an old version itself (begin).
    if (this.closed) return;
    const old = this.current;
    if (old?.hash === this.state.hash) return; // an earlier step started this version already
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
    if (this.closed || this.current) return;
    const run = this.state.runs + 1;
    const hash = this.state.hash;
    this.phase = "Starting";
    let job: JobRecord;
    try {
      job = await this.ctx.jobs.start(ownerOf(this.where), this.spec.command, this.spec.args, {
        gracePeriodMs: this.spec.gracePeriodMs,
        limits: this.ctx.limitsFor(this.spec.limits),
        spec: { name: this.name, uid: this.state.uid, run, hash },
      });
    } catch (err) {
      // Not a run: nothing started. Tried again with the back-off, whatever the policy.
      this.message = bounded(`the start was refused: ${(err as Error).message}`);
      this.ctx.logger?.warn({ spec: this.name, err }, "starting a run of a job spec was refused; trying again after the back-off");
      this.backOff(0, 0, this.state.lastEnd?.jobId ?? "");
      await this.save();
      return;
    }
    Object.assign(this.state, { runs: run, restarts: this.state.restarts + (restart ? 1 : 0) });
    delete this.state.pendingRestart;
    if (restart) this.ctx.restarted(this.name);
    this.message = undefined;
    this.current = { id: job.id, run, hash, running: job.state === "RUNNING" };
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
    if (restartsAtOnce(end)) return this.scheduleRestart(0, end.jobId);
    this.backOff(runDurationMs(end), sinceEndMs, end.jobId);
  }

  private backOff(lastRunMs: number, sinceEndMs: number, after: string): void {
    const { delayMs, consecutive } = nextDelay(this.spec.backoff, this.state.consecutive, lastRunMs);
    this.state.consecutive = consecutive;
    this.phase = "CrashLoopBackOff";
    this.scheduleRestart(Math.max(0, delayMs - sinceEndMs), after);
  }

  /** Saved (with the caller's save) so that a restarted agent keeps to the same time instead of deciding again. */
  private scheduleRestart(delayMs: number, after: string): void {
    this.cancelRestart();
    if (this.closed) return;
    this.state.pendingRestart = { after, at: Date.now() + delayMs };
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.enqueue(() => this.startRun(true));
    }, delayMs);
  }

  private cancelRestart(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    delete this.state.pendingRestart;
  }

  /** With the job's own grace period: a replaced run stops as it was told it would. */
  private async stopQuietly(id: string, message: string): Promise<JobRecord | undefined> {
    return this.ctx.jobs.stop(id, undefined, { message }).catch((err) => {
      this.ctx.logger?.warn({ spec: this.name, jobId: id, err }, "stopping a job spec's run failed");
      return undefined;
    });
  }

  private save(): Promise<void> {
    if (this.deleted) return Promise.resolve();
    return this.ctx.save(this.state).catch((err) => this.ctx.logger?.error({ spec: this.name, err }, "saving a job spec's state failed"));
  }
}

/** A status message is for people, and rides in every ListSpecs entry: at most MAX_MESSAGE characters. */
const MAX_MESSAGE = 4096;

function bounded(message: string): string {
  return message.length <= MAX_MESSAGE ? message : `${message.slice(0, MAX_MESSAGE - 15)} ... (truncated)`;
}

function toLastEnd(record: JobRecord): LastEnd {
  const end: RunEnd & Partial<LastEnd> = record;
  return {
    jobId: record.id, run: record.spec?.run ?? 0, hash: record.spec?.hash ?? "", state: end.state, reason: end.reason, exitCode: end.exitCode, signal: end.signal,
    startTime: end.startTime, endTime: end.endTime, message: record.message,
  };
}
