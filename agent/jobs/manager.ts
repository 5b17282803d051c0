// The job manager: the library that starts, stops, inspects and streams jobs.
// It knows nothing of gRPC, identities or roles: callers pass an owner string
// and get typed errors (../errors.ts). The lifecycle is drawn in lifecycle.ts.
import { chmod } from "node:fs/promises";
import type { Logger } from "pino";
import { NotFoundError, ResourceExhaustedError, UnavailableError } from "../errors.js";
import { newJobId } from "./ids.js";
import { isFinal, transition, type JobReason, type JobState } from "./lifecycle.js";
import { OutputSpool, type ReadOptions } from "./output-spool.js";
import { DEFAULT_SHIM_PATH, processStartTicks, signalGroup, spawnJobProcess, type ExitInfo, type SpawnedProcess } from "./process.js";
import { NO_LIMITS, type JobRecord, type ResourceLimits } from "./record.js";
import { JobStore } from "./store.js";
import { jobEnvironment } from "./environment.js";
import { Placement, type PlacedJob } from "./placement.js";
import type { CgroupStats } from "../cgroups/job-cgroup.js";
import { NO_METRICS, type MetricsHooks } from "../metrics/hooks.js";

export interface JobManagerOptions {
  stateDir: string;
  shimPath?: string;
  /** Grace period between SIGTERM and SIGKILL when a stop names none. */
  defaultGracePeriodMs: number;
  /** Output past this many bytes per job is discarded (and counted). */
  outputCapBytes: number;
  /** Jobs in STARTED or RUNNING at once; more are refused with RESOURCE_EXHAUSTED. */
  maxConcurrentJobs: number;
  retention: { maxFinishedJobs: number; maxAgeMs: number };
  /** After the command ends, how long output from processes that escaped the job may still arrive. */
  drainTimeoutMs?: number;
  /** cgroup placement; default: none (process groups only, limits refused). */
  placement?: Placement;
  /** Credentials jobs run with (the agent's own when unset). */
  runAs?: { uid: number; gid: number };
  metrics?: MetricsHooks;
  logger?: Logger;
}

export interface StartOptions {
  gracePeriodMs?: number;
  limits?: ResourceLimits;
  /** Run with the agent's own credentials instead of options.runAs (the caller has checked it may). */
  asAgentUser?: boolean;
}

interface StopIntent {
  reason: JobReason;
  message: string;
  killAt: number;
  killTimer?: NodeJS.Timeout;
}

interface ManagedJob {
  record: JobRecord;
  spool: OutputSpool;
  placed?: PlacedJob;
  /** The command has ended; only cleanup remains (stop() then signals nothing and just waits). */
  exited?: boolean;
  /** Resolves once the job is final and its output complete. */
  done: Promise<void>;
  stop?: StopIntent;
}

const GC_INTERVAL_MS = 60_000;

export class JobManager {
  private readonly jobs = new Map<string, ManagedJob>();
  private readonly store: JobStore;
  private readonly shimPath: string;
  private readonly metrics: MetricsHooks;
  readonly placement: Placement;
  private active = 0;
  private readonly launching = new Set<Promise<JobRecord>>();
  private closing = false;
  private gcTimer?: NodeJS.Timeout;

  private constructor(private readonly options: JobManagerOptions) {
    this.store = new JobStore(options.stateDir);
    this.shimPath = options.shimPath ?? DEFAULT_SHIM_PATH;
    this.metrics = options.metrics ?? NO_METRICS;
    this.placement =
      options.placement ??
      new Placement({ cgroups: { mode: "unavailable", reason: "cgroup placement is not configured" }, bestEffortLimits: false, swap: false, oomGroup: true });
  }

  /** Loads the jobs of earlier runs, recovering any left running by an agent that died. */
  static async open(options: JobManagerOptions): Promise<JobManager> {
    const manager = new JobManager(options);
    await manager.store.init();
    // Jobs running as another user must be able to reach their work/ directory under ours.
    if (options.runAs) await chmod(options.stateDir, 0o711);
    await manager.recover();
    manager.gc();
    manager.gcTimer = setInterval(() => manager.gc(), GC_INTERVAL_MS).unref();
    return manager;
  }

  async start(owner: string, command: string, args: string[], options: StartOptions = {}): Promise<JobRecord> {
    if (this.closing) throw new UnavailableError("the agent is shutting down");
    const limits = options.limits ?? NO_LIMITS;
    if (this.active >= this.options.maxConcurrentJobs) {
      throw new ResourceExhaustedError(`too many running jobs (limit ${this.options.maxConcurrentJobs})`);
    }
    const runAs = options.asAgentUser ? undefined : this.options.runAs;
    const launched = this.launch(owner, command, args, limits, options.gracePeriodMs ?? this.options.defaultGracePeriodMs, runAs);
    // Shutdown waits for starts in flight, so that it sees (and stops) every job.
    this.launching.add(launched);
    void launched.catch(() => {}).finally(() => this.launching.delete(launched));
    return launched;
  }

  /**
   * SIGTERM to the whole job, SIGKILL to whatever is left after the grace period
   * (0: SIGKILL at once). Resolves with the final record once the job has ended.
   * Stopping a job that has already ended is not an error.
   */
  async stop(id: string, gracePeriodMs?: number, why: { reason?: JobReason; message?: string } = {}): Promise<JobRecord> {
    const job = this.get(id);
    if (job.exited) await job.done; // ended by itself: its cleanup is under way, the result is its own
    if (isFinal(job.record.state)) return this.snapshot(job);
    const grace = gracePeriodMs ?? job.record.gracePeriodMs;
    const killAt = Date.now() + grace;
    if (!job.stop) {
      job.stop = { reason: why.reason ?? "Stopped", message: why.message ?? "stopped on request", killAt: Infinity };
      if (grace > 0) {
        signalGroup(job.record.pid!, "SIGTERM");
        // Also processes that left the group; a failure here must not keep the SIGKILL below from being scheduled.
        await job.placed?.signal("SIGTERM").catch((err) => this.options.logger?.warn({ err, jobId: id }, "SIGTERM to the job's cgroup failed"));
      }
    }
    if (killAt < job.stop.killAt) this.scheduleKill(job, killAt);
    await job.done;
    return this.snapshot(job);
  }

  /** Resolves with the final record once the job has ended and its output is complete. */
  async wait(id: string): Promise<JobRecord> {
    const job = this.get(id);
    await job.done;
    return this.snapshot(job);
  }

  /** Live resource usage of a running job, from its cgroup; undefined when it has ended or has no cgroup. */
  async liveStats(id: string): Promise<CgroupStats | undefined> {
    const job = this.get(id);
    if (isFinal(job.record.state)) return undefined;
    return job.placed?.stats().catch(() => undefined); // the job may end (and its cgroup go) meanwhile
  }

  status(id: string): JobRecord {
    return this.snapshot(this.get(id));
  }

  list(): JobRecord[] {
    return [...this.jobs.values()].map((job) => this.snapshot(job));
  }

  /** The job's output from an offset, live until it has ended (unless follow is false). */
  output(id: string, options: ReadOptions = {}): AsyncGenerator<Buffer> {
    return this.get(id).spool.read(options);
  }

  /** Refuses new jobs and stops the running ones, each with at most `gracePeriodMs`. */
  async shutdown(gracePeriodMs: number): Promise<void> {
    this.closing = true;
    clearInterval(this.gcTimer);
    await Promise.allSettled([...this.launching]);
    const running = [...this.jobs.values()].filter((job) => !isFinal(job.record.state));
    await Promise.all(
      running.map((job) =>
        this.stop(job.record.id, Math.min(gracePeriodMs, job.record.gracePeriodMs), {
          reason: "AgentShutdown",
          message: "stopped because the agent shut down",
        }),
      ),
    );
    // Jobs that ended just before are still being recorded: let them finish.
    await Promise.all([...this.jobs.values()].map((job) => job.done));
  }

  private async launch(
    owner: string, command: string, args: string[], limits: ResourceLimits, gracePeriodMs: number, runAs: { uid: number; gid: number } | undefined,
  ): Promise<JobRecord> {
    const id = newJobId();
    const workDir = this.store.workDir(id);
    // Counted from here, so concurrent starts cannot overshoot the limit while we await.
    this.active++;
    let spool: OutputSpool;
    let placed: PlacedJob;
    try {
      await this.store.create(id, runAs);
      placed = await this.placement.place(id, limits, workDir);
      spool = await OutputSpool.create(this.store.outputPath(id), this.options.outputCapBytes);
    } catch (err) {
      this.active--;
      await this.store.remove(id).catch(() => {});
      throw err;
    }
    const record: JobRecord = {
      id, owner, command, args, state: "STARTED", exitCode: null, signal: null,
      startTime: new Date().toISOString(), gracePeriodMs, limits, outputBytes: 0, outputDroppedBytes: 0,
      uid: runAs?.uid ?? process.getuid?.(), gid: runAs?.gid ?? process.getgid?.(),
    };
    if (placed.warning) record.message = placed.warning;
    const proc = spawnJobProcess({
      shimPath: this.shimPath, command, args, cwd: workDir, env: jobEnvironment(id, workDir),
      cgroupProcs: placed.cgroupProcs, uid: runAs?.uid, gid: runAs?.gid,
    });
    // Attach the reader before any await: Node discards the pipe's data of a
    // child that exits while nobody is reading it.
    const captured = this.capture(spool, proc);
    record.pid = proc.pid;
    record.pidStartTicks = processStartTicks(proc.pid);
    let finished!: () => void;
    const job: ManagedJob = { record, spool, placed, done: new Promise<void>((r) => (finished = r)) };
    this.jobs.set(id, job);
    // From here on supervise() owns the job, including the active count.
    void this.supervise(job, proc, captured).finally(finished);

    try {
      // Persist the pid before answering: recovery after a crash depends on it.
      await this.store.save(record);
    } catch (err) {
      this.kill(job); // a job we could not record must not run unaccounted for
      throw err;
    }
    this.options.logger?.info({ jobId: id, owner, pid: proc.pid, command }, "job started");
    this.metrics.jobStarted(record);
    return this.snapshot(job);
  }

  /** Follows one job from exec to its end: capture, state changes, cleanup. */
  private async supervise(job: ManagedJob, proc: SpawnedProcess, captured: Promise<void>): Promise<void> {
    let execError: string | undefined;
    let exit: ExitInfo = { code: null, signal: null };
    let oomKilled = false;
    try {
      execError = await proc.execError;
      if (execError === undefined && job.record.state === "STARTED") this.setState(job, "RUNNING");
      exit = await proc.exited;
      // From here on the pid may be reused: no more signals to the group (stop() just waits).
      job.exited = true;
      // Like a container's init: when the command ends, what it left behind goes too.
      signalGroup(proc.pid, "SIGKILL");
      const placement = await job.placed!.finish().catch((err) => {
        this.options.logger?.error({ err, jobId: job.record.id }, "cleaning up the job's cgroup failed");
        return { usage: undefined, oomKilled: false };
      });
      if (placement.usage) job.record.usage = placement.usage;
      oomKilled = placement.oomKilled;
      await this.drain(captured, proc);
    } catch (err) {
      this.options.logger?.error({ err, jobId: job.record.id }, "supervising the job failed; recording it as ended");
    } finally {
      // Whatever happened above, the job ends: counted, recorded, its readers released.
      clearTimeout(job.stop?.killTimer);
      this.finish(job, exit, execError, oomKilled);
      this.active--;
      // After finish(): a reader that sees the end of the output sees the final state too.
      await job.spool.close().catch((err) => this.options.logger?.error({ err, jobId: job.record.id }, "closing the output failed"));
      await this.store.save(job.record).catch((err) => this.options.logger?.error({ err, jobId: job.record.id }, "saving job record failed"));
      this.gc();
    }
  }

  private async capture(spool: OutputSpool, proc: SpawnedProcess): Promise<void> {
    try {
      for await (const chunk of proc.output) {
        await spool.append(chunk as Buffer);
        this.metrics.outputCaptured((chunk as Buffer).length);
      }
    } catch {
      // The pipe was destroyed by drain(): what arrived is kept.
    }
  }

  /** Waits for the output pipe to reach EOF, giving up on processes that escaped the group and hold it open. */
  private async drain(captured: Promise<void>, proc: SpawnedProcess): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<"timeout">((r) => (timer = setTimeout(r, this.options.drainTimeoutMs ?? 2000, "timeout")));
    const result = await Promise.race([captured, timeout]);
    clearTimeout(timer);
    if (result === "timeout") {
      this.options.logger?.warn({ pid: proc.pid }, "output still open after the job ended (a process escaped the job); closing it");
      proc.output.destroy();
      await captured;
    }
  }

  private finish(job: ManagedJob, exit: ExitInfo, execError: string | undefined, oomKilled: boolean): void {
    const record = job.record;
    record.exitCode = exit.signal ? null : exit.code;
    record.signal = exit.signal;
    record.endTime = new Date().toISOString();
    if (execError !== undefined) {
      record.exitCode = null;
      this.end(job, "FAILED", "FailedToStart", execError);
    } else if (job.stop) {
      this.end(job, "STOPPED", job.stop.reason, job.stop.message);
    } else if (oomKilled) {
      this.end(job, "EXITED", "OOMKilled", "killed by the kernel's OOM killer: the job reached its memory limit");
    } else {
      this.end(job, "EXITED", exit.code === 0 ? "Completed" : "Error");
    }
    this.options.logger?.info(
      { jobId: record.id, state: record.state, reason: record.reason, exitCode: record.exitCode, signal: record.signal },
      "job ended",
    );
    this.metrics.jobFinished(record);
  }

  private end(job: ManagedJob, state: JobState, reason: JobReason, message?: string): void {
    this.setState(job, state);
    job.record.reason = reason;
    if (message !== undefined) job.record.message = message;
    job.record.outputBytes = job.spool.length;
    job.record.outputDroppedBytes = job.spool.dropped;
  }

  private setState(job: ManagedJob, state: JobState): void {
    job.record.state = transition(job.record.state, state);
  }

  private scheduleKill(job: ManagedJob, killAt: number): void {
    const stop = job.stop!;
    clearTimeout(stop.killTimer);
    stop.killAt = killAt;
    stop.killTimer = setTimeout(() => this.kill(job), Math.max(0, killAt - Date.now()));
  }

  private kill(job: ManagedJob): void {
    if (job.exited) return;
    signalGroup(job.record.pid!, "SIGKILL");
    job.placed?.kill().catch((err) => this.options.logger?.error({ err, jobId: job.record.id }, "cgroup.kill failed"));
  }

  private get(id: string): ManagedJob {
    const job = this.jobs.get(id);
    if (!job) throw new NotFoundError(`job ${id} not found`);
    return job;
  }

  private snapshot(job: ManagedJob): JobRecord {
    return {
      ...job.record,
      args: [...job.record.args],
      outputBytes: job.spool.length,
      outputDroppedBytes: job.spool.dropped,
    };
  }

  private async recover(): Promise<void> {
    const records = await this.store.loadAll((id, err) =>
      this.options.logger?.error({ jobId: id, err }, "job record unreadable; left on disk untouched"),
    );
    for (const record of records) {
      if (!isFinal(record.state)) await this.recoverOrphan(record);
      const spool = await OutputSpool.openFinished(this.store.outputPath(record.id), record.outputDroppedBytes);
      record.outputBytes = spool.length;
      this.jobs.set(record.id, { record, spool, done: Promise.resolve() });
    }
  }

  /** A job recorded as running by an agent that died: kill what is left of it and say so. */
  private async recoverOrphan(record: JobRecord): Promise<void> {
    const pid = record.pid ?? 0;
    const ticks = pid > 0 ? processStartTicks(pid) : undefined;
    // A live process with that pid but another start time is not ours: the pid was reused.
    const ours = ticks === undefined || ticks === record.pidStartTicks;
    const groupKilled = pid > 0 && ours && signalGroup(pid, "SIGKILL");
    const cgroupKilled = await this.placement.reclaim(record.id).catch((err) => {
      this.options.logger?.error({ err, jobId: record.id }, "reclaiming the job's cgroup failed");
      return false;
    });
    const killed = groupKilled || cgroupKilled;
    record.state = "STOPPED";
    record.reason = "Orphaned";
    record.message = killed
      ? "still running after the agent that started it ended; killed when the agent restarted"
      : "the agent that started it ended while it ran; its end was not observed";
    record.endTime = new Date().toISOString();
    this.options.logger?.warn({ jobId: record.id, pid, killed }, "recovered orphaned job");
    this.metrics.jobFinished(record);
    await this.store.save(record);
  }

  /** Drops the oldest finished jobs beyond the retention count, and those older than the retention age. */
  private gc(): void {
    const { maxFinishedJobs, maxAgeMs } = this.options.retention;
    const finished = [...this.jobs.values()]
      .filter((job) => isFinal(job.record.state))
      .sort((a, b) => (a.record.endTime ?? "").localeCompare(b.record.endTime ?? ""));
    const cutoff = new Date(Date.now() - maxAgeMs).toISOString();
    finished.forEach((job, index) => {
      const tooMany = finished.length - index > maxFinishedJobs;
      if (tooMany || (job.record.endTime ?? "") < cutoff) {
        this.jobs.delete(job.record.id);
        void this.store.remove(job.record.id).catch((err) => this.options.logger?.error({ err }, "removing job failed"));
      }
    });
  }
}
