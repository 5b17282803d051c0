// One runner per job: it starts the job's monitor (or reattaches to one an
// earlier agent started), follows the output and the end through the files
// the monitor writes, stops the job on request, and records how it ended.
// The manager above keeps the registry, admission and shutdown; the states
// and their edges are drawn in lifecycle.ts.
import { watch, type FSWatcher } from "node:fs";
import { lstat } from "node:fs/promises";
import type { Logger } from "pino";
import { isFinal, transition, type JobReason, type JobState } from "./lifecycle.js";
import { readExitFile, readMonitorFile, startMonitor, type ExitInfo, type MonitorInfo, type MonitorSpec } from "./monitor.js";
import type { MonitorWatch, WatchOutcome } from "./monitor-watch.js";
import type { Launcher } from "./launcher.js";
import { OutputSpool, type ReadOptions } from "./output-spool.js";
import type { JobEvents } from "./events.js";
import { NOTHING, type PlacedJob, type Placement } from "./placement.js";
import { isSameProcess, isStillRunning, signalGroup } from "./process.js";
import type { JobRecord } from "./record.js";
import type { JobStore } from "./store.js";
import type { CgroupStats } from "../cgroups/job-cgroup.js";
import { cleanUpAfter, jobUserOf } from "./cleanup.js";
import { UnavailableError } from "../errors.js";

/** What every runner shares: where jobs live and how they are placed, watched and reported. */
export interface RunnerContext {
  store: JobStore;
  placement: Placement;
  monitors: MonitorWatch;
  /** Starts monitors without forking the agent. */
  launcher: Launcher;
  monitorPath: string;
  /** Where monitors claim job uids host-wide, when jobs get uids of their own. */
  uidClaimDir?: string;
  outputCapBytes: number;
  drainTimeoutMs: number;
  metrics: JobEvents;
  logger?: Logger;
  /** Called once when the job has reached its final state and it is saved. */
  ended(runner: JobRunner): void;
}

/** How to run the job's command: the parts of the monitor spec the manager decides. */
export type LaunchSpec = Pick<MonitorSpec, "command" | "args" | "env" | "uid" | "gid" | "ownIds" | "uidClaimDir">;

/** How often a monitor that cannot be watched through a pidfd is checked for life (a fallback only). */
const MONITOR_CHECK_MS = 5000;

interface StopIntent {
  reason: JobReason;
  message: string;
  killAt: number;
  killTimer?: NodeJS.Timeout;
}

export class JobRunner {
  /** Resolves once the job is final, saved, and its output complete. */
  readonly done: Promise<void>;
  private resolveDone!: () => void;
  private stopping?: StopIntent;
  private watcher?: FSWatcher;
  private livenessTimer?: NodeJS.Timeout;
  private ending?: Promise<void>;
  private detached = false;

  private constructor(
    private readonly ctx: RunnerContext,
    readonly record: JobRecord,
    readonly spool: OutputSpool,
    private placed: PlacedJob,
  ) {
    this.done = new Promise<void>((resolve) => (this.resolveDone = resolve));
  }

  get id(): string {
    return this.record.id;
  }

  /**
   * Starts the job: its directory, its cgroup leaf, a saved record (so that a
   * crash from here on leaves a job the next agent can find), then its monitor.
   * Resolves once the command executes (RUNNING) or could not (it then ends FAILED).
   */
  static async launch(ctx: RunnerContext, record: JobRecord, spec: LaunchSpec): Promise<JobRunner> {
    const { store, placement } = ctx;
    const jobDir = store.jobDir(record.id);
    let placed: PlacedJob | undefined;
    try {
      await store.create(record.id, spec.uid !== undefined ? { uid: spec.uid, gid: spec.gid ?? spec.uid } : undefined);
      placed = await placement.place(record.id, record.limits, store.workDir(record.id));
      if (placed.warning) record.message = placed.warning;
      await store.save(record);
      const info = await startMonitor({
        ...spec,
        monitorPath: ctx.monitorPath, jobDir, workDir: store.workDir(record.id),
        jobCgroup: placed.cgroupDir, monitorProcs: placement.monitorProcs,
        outputCapBytes: ctx.outputCapBytes, drainTimeoutMs: ctx.drainTimeoutMs,
      }, ctx.launcher);
      const runner = new JobRunner(ctx, record, OutputSpool.following(store.outputPath(record.id)), placed);
      runner.adopt(info);
      if (!info.execError) runner.setState("RUNNING");
      // Not awaited: the answer need not wait for this fsync. Saves of a job land in order, and an agent
      // that crashes before it lands finds the STARTED record and the monitor file, and adopts the job as RUNNING.
      void store.save(record).catch((err) => ctx.logger?.error({ err, jobId: record.id }, "saving the job record failed; its monitor file still names it"));
      runner.follow(info);
      return runner;
    } catch (err) {
      // Nothing runs (a monitor that reported an error has exited): undo what was made.
      await placed?.finish().catch(() => {});
      await store.remove(record.id).catch(() => {});
      throw err;
    }
  }

  /** A job an earlier agent started and recorded as running: follow it, or record how it ended meanwhile, or that it was lost. */
  static async attach(ctx: RunnerContext, record: JobRecord): Promise<JobRunner> {
    const jobDir = ctx.store.jobDir(record.id);
    const spool = OutputSpool.following(ctx.store.outputPath(record.id));
    await spool.measure(); // what an earlier agent already saw captured: not counted again here
    const runner = new JobRunner(ctx, record, spool, await ctx.placement.existing(record.id));
    const info = (await readMonitorFile(jobDir).catch(() => undefined)) ?? monitorOf(record);
    if (info) runner.adopt(info);
    if (info && !info.execError && record.state === "STARTED") runner.setState("RUNNING");
    // Alive first, then the exit file: a monitor that writes it and exits in between is then seen to have ended, not lost.
    const alive = info !== undefined && isStillRunning(info.monitorPid, info.monitorStartTicks);
    const exit = await readExitFile(jobDir).catch(() => undefined);
    runner.resumeStop(); // a Stop an earlier agent had under way is this job's stop, however it ended
    if (exit) runner.ending = runner.end(exit);
    else if (info && alive) {
      ctx.logger?.info({ jobId: record.id, monitorPid: info.monitorPid }, "reattached to a running job");
      runner.resumeKill();
      runner.follow(info);
    } else runner.ending = runner.lose(info ? "its monitor is gone" : "its monitor never reported");
    return runner;
  }

  /** A job that had ended before this agent started. */
  static async finished(ctx: RunnerContext, record: JobRecord): Promise<JobRunner> {
    const spool = await OutputSpool.finished(ctx.store.outputPath(record.id), record.outputDroppedBytes);
    record.outputBytes = spool.length;
    const runner = new JobRunner(ctx, record, spool, NOTHING);
    runner.resolveDone();
    return runner;
  }

  snapshot(): JobRecord {
    return { ...this.record, args: [...this.record.args], outputBytes: this.spool.length, outputDroppedBytes: this.spool.dropped };
  }

  output(options: ReadOptions = {}): AsyncGenerator<Buffer> {
    return this.spool.read(options);
  }

  /** Live usage from the job's cgroup; undefined once it has ended or without one. */
  async liveStats(): Promise<CgroupStats | undefined> {
    if (isFinal(this.record.state)) return undefined;
    return this.placed.stats().catch(() => undefined); // the job may end (and its cgroup go) meanwhile
  }

  /**
   * SIGTERM to the whole job, SIGKILL to whatever is left after the grace period
   * (0: SIGKILL at once). Resolves with the final record once the job has ended.
   * Stopping a job that has already ended is not an error.
   */
  async stop(gracePeriodMs: number, why: { reason?: JobReason; message?: string } = {}): Promise<JobRecord> {
    // Ended by itself (its end is being recorded, or its command is gone already): the result is its own.
    const commandEnded = this.record.pid !== undefined && !isStillRunning(this.record.pid, this.record.pidStartTicks);
    if (isFinal(this.record.state) || this.ending || (commandEnded && !this.stopping)) {
      await this.done;
      return this.snapshot();
    }
    const killAt = Date.now() + gracePeriodMs;
    const first = !this.stopping;
    this.stopping ??= { reason: why.reason ?? "Stopped", message: why.message ?? "stopped on request", killAt: Infinity };
    if (killAt < this.stopping.killAt) {
      // Saved before any signal, so that an agent restarting from here on still kills when due and records a stop.
      this.record.stopRequest = { reason: this.stopping.reason, message: this.stopping.message, killAt };
      await this.ctx.store.save(this.record).catch((err) => this.ctx.logger?.warn({ err, jobId: this.id }, "saving the stop request failed"));
      this.scheduleKill(this.stopping, killAt);
    }
    if (first && gracePeriodMs > 0) await this.signal("SIGTERM");
    await this.done;
    return this.snapshot();
  }

  /** A Stop an earlier agent had under way: the job's end is then recorded as that stop. */
  private resumeStop(): void {
    const request = this.record.stopRequest;
    if (request) this.stopping = { reason: request.reason, message: request.message, killAt: Infinity };
  }

  /** ...and, if the job still runs, its SIGKILL comes when it was due (at once if overdue). */
  private resumeKill(): void {
    const request = this.record.stopRequest;
    if (request && this.stopping) this.scheduleKill(this.stopping, request.killAt);
  }

  /** Resolves once the end found at attach (ended while no agent ran, or lost) is recorded; at once for a job being followed. */
  async settled(): Promise<void> {
    if (this.ending) await this.done;
  }

  /** True once the job's end is being recorded (or has been). */
  get ended(): boolean {
    return this.ending !== undefined || isFinal(this.record.state);
  }

  /** Stops following (the agent is going away); the job and its monitor go on. */
  detach(): void {
    this.detached = true;
    this.watcher?.close();
    clearInterval(this.livenessTimer);
    clearTimeout(this.stopping?.killTimer);
    // A follower resumes from its offset on the next agent (GetOutputRequest.offset).
    if (!this.ended) this.spool.abandon(new UnavailableError("the agent is shutting down; the job keeps running: resume from your offset on the next agent"));
  }

  private adopt(info: MonitorInfo): void {
    Object.assign(this.record, {
      pid: info.jobPid, pidStartTicks: info.jobStartTicks, monitorPid: info.monitorPid, monitorStartTicks: info.monitorStartTicks,
    });
  }

  /** Output growth and the exit file, from inotify on the job's directory; the monitor's death from the pidfd helper. */
  private follow(monitor: MonitorInfo): void {
    const jobDir = this.ctx.store.jobDir(this.id);
    try {
      this.watcher = watch(jobDir, (_event, name) => {
        if (name === "output" || name === null) void this.measure();
        if (name === "exit" || name === null) void this.checkEnd(false);
      });
      this.watcher.on("error", (err) => this.ctx.logger?.warn({ err, jobId: this.id }, "watching the job directory failed"));
    } catch (err) {
      this.ctx.logger?.error({ err, jobId: this.id }, "cannot watch the job directory (inotify watches exhausted?): its end is noticed when its monitor exits");
    }
    void this.ctx.monitors
      .gone(monitor.monitorPid, monitor.monitorStartTicks)
      .catch((): WatchOutcome => "unwatchable")
      .then((outcome) => this.monitorGone(monitor, outcome));
    // Whatever happened before the watch was in place.
    void this.measure();
    void this.checkEnd(false);
  }

  /** The pidfd helper says the monitor is gone, or cannot watch it (then it is checked every few seconds instead). */
  private monitorGone(monitor: MonitorInfo, outcome: WatchOutcome): void {
    if (this.ended || this.detached) return;
    if (outcome === "gone") return void this.checkEnd(true);
    this.ctx.logger?.warn({ jobId: this.id, monitorPid: monitor.monitorPid }, "cannot watch the job's monitor through a pidfd; checking it every 5 s instead");
    this.livenessTimer = setInterval(() => {
      if (isStillRunning(monitor.monitorPid, monitor.monitorStartTicks)) return;
      clearInterval(this.livenessTimer);
      void this.checkEnd(true);
    }, MONITOR_CHECK_MS).unref();
  }

  private async measure(): Promise<void> {
    const grown = await this.spool.measure().catch(() => 0);
    if (grown > 0) this.ctx.metrics.outputCaptured(grown);
  }

  /** Once: the exit file is there (the job ended), or the monitor is gone without one (the job is lost). */
  private async checkEnd(monitorGone: boolean): Promise<void> {
    if (this.ending || this.detached) return;
    const exit = await readExitFile(this.ctx.store.jobDir(this.id)).catch(() => undefined);
    if (this.ending || this.detached) return;
    if (exit) this.ending = this.end(exit);
    else if (monitorGone) this.ending = this.lose("its monitor exited");
  }

  private async signal(signal: NodeJS.Signals): Promise<void> {
    // The group only while its leader is the job's own process: a pid the monitor has reaped may be reused.
    const { pid, pidStartTicks } = this.record;
    if (pid !== undefined && isSameProcess(pid, pidStartTicks)) signalGroup(pid, signal);
    // Also processes that left the group; a failure here must not keep a later SIGKILL from being scheduled.
    await this.placed.signal(signal).catch((err) => this.ctx.logger?.warn({ err, jobId: this.id }, `${signal} to the job's cgroup failed`));
  }

  private scheduleKill(stop: StopIntent, killAt: number): void {
    clearTimeout(stop.killTimer);
    stop.killAt = killAt;
    stop.killTimer = setTimeout(() => void this.signal("SIGKILL").then(() => this.placed.kill()).catch(() => {}), Math.max(0, killAt - Date.now()));
  }

  /** The job has ended and the monitor has drained its output: record it as the exit file says. */
  private async end(exit: ExitInfo): Promise<void> {
    await this.settle(async () => {
      const { usage, oomKilled } = await this.finishPlacement();
      const record = this.record;
      if (usage) record.usage = usage;
      record.exitCode = exit.exitCode;
      record.signal = exit.signal;
      record.endTime = exit.endTime.toISOString();
      const grown = this.spool.close(exit.outputBytes, exit.droppedBytes);
      if (grown > 0) this.ctx.metrics.outputCaptured(grown);
      if (exit.execError !== undefined) {
        this.setEnd("FAILED", "FailedToStart", exit.execError);
        if (exit.startFailure) record.startFailure = exit.startFailure;
      }
      else if (this.stopping) this.setEnd("STOPPED", this.stopping.reason, this.stopping.message);
      else if (oomKilled) this.setEnd("EXITED", "OOMKilled", "killed by the kernel's OOM killer: the job reached its memory limit");
      else this.setEnd("EXITED", exit.exitCode === 0 ? "Completed" : "Error");
      if (!exit.cleaned || (await this.workDirExists())) this.keepUid("its monitor");
      if (exit.writeError) {
        const lost = `output incomplete: ${exit.writeError} (${exit.droppedBytes} bytes dropped)`;
        record.message = record.message ? `${record.message}; ${lost}` : lost;
      }
    });
  }

  /**
   * The monitor is gone and left no exit file: kill what is left of the job and
   * say so. Callers read the exit file only after seeing the monitor gone (it
   * writes the file before it exits), so its absence then is final.
   */
  private async lose(why: string): Promise<void> {
    await this.settle(async () => {
      const record = this.record;
      await this.signal("SIGKILL");
      await this.placed.kill().catch(() => {});
      const { usage } = await this.finishPlacement();
      if (usage) record.usage = usage;
      const cleaned = await cleanUpAfter(this.ctx.monitorPath, jobUserOf(record), this.ctx.store.workDir(this.id), this.ctx.uidClaimDir).catch((err) => {
        this.ctx.logger?.error({ err, jobId: this.id }, "the cleanup after a lost job failed");
        return false;
      });
      if (!cleaned || (await this.workDirExists())) this.keepUid("the agent");
      await this.measure();
      this.spool.close(this.spool.length, 0);
      record.endTime = new Date().toISOString();
      this.setEnd("STOPPED", "Lost", `${why} without recording how the job ended; what was left of the job was killed`);
      this.ctx.logger?.warn({ jobId: this.id, why }, "job lost");
    });
  }

  /** The common end: the final state is saved and reported, waiters released, whatever went wrong on the way. */
  private async settle(recordEnd: () => Promise<void>): Promise<void> {
    this.watcher?.close();
    clearInterval(this.livenessTimer);
    clearTimeout(this.stopping?.killTimer);
    try {
      await recordEnd();
    } catch (err) {
      this.ctx.logger?.error({ err, jobId: this.id }, "recording the job's end failed");
      if (!isFinal(this.record.state)) this.setEnd("STOPPED", "Lost", `recording the end failed: ${(err as Error).message}`);
      if (await this.workDirExists()) this.keepUid("the agent");
    }
    const record = this.record;
    delete record.stopRequest;
    record.outputBytes = this.spool.length;
    record.outputDroppedBytes = this.spool.dropped;
    if (!this.spool.closed) this.spool.close(this.spool.length, this.spool.dropped);
    await this.ctx.store.save(record).catch((err) => this.ctx.logger?.error({ err, jobId: this.id }, "saving the job record failed"));
    this.ctx.logger?.info({ jobId: this.id, state: record.state, reason: record.reason, exitCode: record.exitCode, signal: record.signal }, "job ended");
    this.ctx.metrics.jobFinished(record);
    this.ctx.ended(this);
    this.resolveDone();
  }

  private async finishPlacement(): Promise<{ usage?: JobRecord["usage"]; oomKilled: boolean }> {
    return this.placed.finish().catch((err) => {
      this.ctx.logger?.error({ err, jobId: this.id }, "cleaning up the job's cgroup failed");
      return { oomKilled: false };
    });
  }

  /** Whatever the cleanup said: a uid is free only once its job's working directory is really gone. */
  private async workDirExists(): Promise<boolean> {
    return lstat(this.ctx.store.workDir(this.id)).then(() => true, (err: NodeJS.ErrnoException) => err.code !== "ENOENT");
  }

  /** The job's working directory could not be removed: its uid stays taken until retention manages to. */
  private keepUid(who: string): void {
    this.record.workDirLeft = true;
    this.ctx.logger?.warn({ jobId: this.id, uid: this.record.uid }, `${who} could not remove the job's working directory; its uid stays taken`);
  }

  private setEnd(state: JobState, reason: JobReason, message?: string): void {
    this.setState(state);
    this.record.reason = reason;
    if (message !== undefined) this.record.message = message;
  }

  private setState(state: JobState): void {
    this.record.state = transition(this.record.state, state);
  }
}

/** The monitor as recorded in an older save of the record, when its file cannot be read. */
function monitorOf(record: JobRecord): MonitorInfo | undefined {
  if (!record.monitorPid || !record.pid) return undefined;
  return { monitorPid: record.monitorPid, monitorStartTicks: record.monitorStartTicks ?? "", jobPid: record.pid, jobStartTicks: record.pidStartTicks ?? "" };
}
