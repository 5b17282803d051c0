// The job manager: the library that starts, stops, inspects and streams jobs.
// It knows nothing of gRPC, identities or roles: callers pass an owner string
// and get typed errors (../errors.ts).
//
// The manager keeps the registry, admission (admission.ts: running jobs per
// owner and in all; uids) and shutdown;
// one JobRunner per job owns its start, following, stop and end (job-runner.ts);
// recovery.ts reattaches the jobs of earlier agents; retention.ts says which
// finished jobs to forget. The lifecycle is drawn in lifecycle.ts.
import { chmod } from "node:fs/promises";
import type { Logger } from "pino";
import { NotFoundError, ResourceExhaustedError, UnavailableError } from "../errors.js";
import { Admission } from "./admission.js";
import { newJobId } from "./ids.js";
import { JobRunner, type RunnerContext } from "./job-runner.js";
import { NO_JOB_EVENTS, type JobEvents } from "./events.js";
import { DEFAULT_MONITOR_PATH, UidInUseError } from "./monitor.js";
import { MonitorWatch, DEFAULT_PIDWATCH_PATH } from "./monitor-watch.js";
import { Launcher, DEFAULT_LAUNCHER_PATH } from "./launcher.js";
import { OwnedJobs } from "./owned-jobs.js";
import type { ReadOptions } from "./output-spool.js";
import { Placement } from "./placement.js";
import { NO_LIMITS, type JobRecord, type JobSpecRun, type ResourceLimits } from "./record.js";
import { recoverJobs } from "./recovery.js";
import { overCount, expiredJobs, type Retention } from "./retention.js";
import { StateLock, DEFAULT_LOCK_HELPER_PATH } from "./state-lock.js";
import { JobStore } from "./store.js";
import { jobEnvironment } from "./environment.js";
import type { UidPool } from "./uid-pool.js";
import type { CgroupStats } from "../cgroups/job-cgroup.js";
import { isFinal } from "./lifecycle.js";
import { cleanUpAfter, jobUserOf } from "./cleanup.js";
import { isClaimedElsewhere, looksClaimed } from "./uid-claims.js";
import { defaultOwnerShare } from "./owner-share.js";

/** Who jobs run as: the agent's own user, one fixed user, or a uid of their own each. */
export type JobUsers =
  | { kind: "agent" }
  | { kind: "fixed"; uid: number; gid: number }
  | { kind: "perJob"; pool: UidPool; /** Host-wide uid claims (uid-claims.ts); unset: none (tests of one agent). */ claimDir?: string };

export interface JobManagerOptions {
  stateDir: string;
  /** The state directory's lock, if the caller took it already (the agent does, before anything else). */
  lock?: StateLock;
  /** The C helpers (dist/bin/ by default). */
  helpers?: { monitor?: string; pidwatch?: string; lock?: string; launcher?: string };
  /** Grace period between SIGTERM and SIGKILL when a stop names none. */
  defaultGracePeriodMs: number;
  /** Output past this many bytes per job is discarded (and counted). */
  outputCapBytes: number;
  /** Jobs in STARTED or RUNNING at once; more are refused with RESOURCE_EXHAUSTED. */
  maxConcurrentJobs: number;
  /** The same, per owner; default half of maxConcurrentJobs, rounded up (owner-share.ts). */
  maxConcurrentJobsPerOwner?: number;
  retention: Retention;
  /** After the command ends, how long output from processes that escaped the job may still arrive. */
  drainTimeoutMs?: number;
  /** cgroup placement; default: none (process groups only, limits refused). */
  placement?: Placement;
  /** Default: the agent's own user. */
  users?: JobUsers;
  /** Who hears of jobs starting, finishing and writing output (agent/metrics); default: nobody. */
  metrics?: JobEvents;
  logger?: Logger;
}

export interface StartOptions {
  gracePeriodMs?: number;
  limits?: ResourceLimits;
  /** Run with the agent's own credentials instead of options.users (the caller has checked it may). */
  asAgentUser?: boolean;
  /** The job is a run of a job spec (agent/specs). */
  spec?: JobSpecRun;
}

const GC_INTERVAL_MS = 60_000;
/** After a finished job's files could not be removed. */
const FORGET_RETRY_MS = 10 * 60_000;
/** Tries with another uid when the monitor finds one taken by someone else (systemd's DynamicUser tries 100). */
const UID_ATTEMPTS = 16;

export class JobManager {
  private readonly runners = new Map<string, JobRunner>();
  /** Jobs not yet final, per owner and in all: the concurrency counts. */
  private readonly admission: Admission;
  private readonly store: JobStore;
  private readonly metrics: JobEvents;
  private readonly monitors: MonitorWatch;
  private readonly launcher: Launcher;
  private readonly ctx: RunnerContext;
  private readonly users: JobUsers;
  readonly placement: Placement;
  private readonly launching = new Set<Promise<JobRecord>>();
  private closing = false;
  /** The finished jobs among runners, with their owners: what retention counts. */
  private readonly finished = new OwnedJobs();
  /** When to try again to remove finished jobs whose files could not be removed. */
  private readonly retryForgetAt = new Map<string, number>();
  private gcTimer?: NodeJS.Timeout;
  private lock?: StateLock;

  private constructor(private readonly options: JobManagerOptions) {
    this.store = new JobStore(options.stateDir);
    this.metrics = options.metrics ?? NO_JOB_EVENTS;
    this.users = options.users ?? { kind: "agent" };
    this.admission = new Admission({
      global: options.maxConcurrentJobs,
      perOwner: options.maxConcurrentJobsPerOwner ?? defaultOwnerShare(options.maxConcurrentJobs),
    });
    this.monitors = new MonitorWatch(options.helpers?.pidwatch ?? DEFAULT_PIDWATCH_PATH);
    this.launcher = new Launcher(options.helpers?.launcher ?? DEFAULT_LAUNCHER_PATH);
    this.placement =
      options.placement ??
      new Placement({ cgroups: { mode: "unavailable", reason: "cgroup placement is not configured" }, bestEffortLimits: false, swap: false, oomGroup: true });
    this.ctx = {
      store: this.store,
      placement: this.placement,
      monitors: this.monitors,
      launcher: this.launcher,
      monitorPath: options.helpers?.monitor ?? DEFAULT_MONITOR_PATH,
      uidClaimDir: this.users.kind === "perJob" ? this.users.claimDir : undefined,
      outputCapBytes: options.outputCapBytes,
      drainTimeoutMs: options.drainTimeoutMs ?? 2000,
      metrics: this.metrics,
      logger: options.logger,
      ended: (runner) => this.ended(runner),
    };
  }

  /**
   * Takes the state directory (one agent per directory: a second one is
   * FAILED_PRECONDITION before it touches any job), then reattaches the jobs
   * of earlier agents.
   */
  static async open(options: JobManagerOptions): Promise<JobManager> {
    const manager = new JobManager(options);
    await manager.store.init();
    manager.lock = options.lock ?? (await StateLock.acquire(options.stateDir, options.helpers?.lock ?? DEFAULT_LOCK_HELPER_PATH));
    try {
      // Jobs running as other users must be able to reach their work/ directory under ours.
      if (manager.users.kind !== "agent") await chmod(options.stateDir, 0o711);
      const pool = manager.users.kind === "perJob" ? manager.users.pool : undefined;
      for (const runner of await recoverJobs(manager.ctx, pool, (record) => manager.admission.add(record.id, record.owner))) {
        manager.runners.set(runner.id, runner);
        if (isFinal(runner.record.state)) manager.finished.add(runner.id, runner.record.owner); // the others come through ended()
      }
    } catch (err) {
      await manager.close();
      throw err;
    }
    manager.gc();
    manager.gcTimer = setInterval(() => manager.gc(), GC_INTERVAL_MS).unref();
    return manager;
  }

  /** Resolves once the job's command is executing (RUNNING) or could not be executed (it then ends FAILED). */
  async start(owner: string, command: string, args: string[], options: StartOptions = {}): Promise<JobRecord> {
    if (this.closing) throw new UnavailableError("the agent is shutting down");
    this.admission.check(owner);
    const launched = this.launch(owner, command, args, options);
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
  stop(id: string, gracePeriodMs?: number, why: { reason?: JobRecord["reason"]; message?: string } = {}): Promise<JobRecord> {
    const runner = this.get(id);
    return runner.stop(gracePeriodMs ?? runner.record.gracePeriodMs, why);
  }

  /** Resolves with the final record once the job has ended and its output is complete. */
  async wait(id: string): Promise<JobRecord> {
    const runner = this.get(id);
    await runner.done;
    return runner.snapshot();
  }

  /** Live resource usage of a running job, from its cgroup; undefined when it has ended or has no cgroup. */
  liveStats(id: string): Promise<CgroupStats | undefined> {
    return this.get(id).liveStats();
  }

  status(id: string): JobRecord {
    return this.get(id).snapshot();
  }

  list(): JobRecord[] {
    return [...this.runners.values()].map((runner) => runner.snapshot());
  }

  /** The job's output from an offset, live until it has ended (unless follow is false). */
  output(id: string, options: ReadOptions = {}): AsyncGenerator<Buffer> {
    return this.get(id).output(options);
  }

  /** Refuses new jobs and stops the running ones, each with at most `gracePeriodMs`, then lets go of the state directory. */
  async shutdown(gracePeriodMs: number): Promise<void> {
    this.closing = true;
    await Promise.allSettled([...this.launching]);
    const stopping = [...this.runners.values()].filter((runner) => !isFinal(runner.record.state));
    await Promise.all(
      stopping.map((runner) =>
        runner.stop(Math.min(gracePeriodMs, runner.record.gracePeriodMs), { reason: "AgentShutdown", message: "stopped because the agent shut down" }),
      ),
    );
    await this.close();
  }

  /**
   * Refuses new jobs and lets go of the running ones, which keep running: the
   * next agent on this state directory reattaches to them. Jobs whose end is
   * being recorded right now are recorded first.
   */
  async close(): Promise<void> {
    this.closing = true;
    clearInterval(this.gcTimer);
    await Promise.allSettled([...this.launching]);
    for (const runner of this.runners.values()) runner.detach();
    await Promise.all([...this.runners.values()].filter((r) => r.ended).map((r) => r.done));
    await this.store.flush(); // e.g. a stop request: the next agent must see it
    this.monitors.close();
    this.launcher.close();
    await this.lock?.release();
    this.lock = undefined;
  }

  private async launch(owner: string, command: string, args: string[], options: StartOptions): Promise<JobRecord> {
    for (let attempt = 1; ; attempt++) {
      const id = newJobId();
      const user = this.allocateUser(options);
      const record: JobRecord = {
        id, owner, command, args, state: "STARTED", exitCode: null, signal: null,
        startTime: new Date().toISOString(), gracePeriodMs: options.gracePeriodMs ?? this.options.defaultGracePeriodMs,
        limits: options.limits ?? NO_LIMITS, outputBytes: 0, outputDroppedBytes: 0,
        uid: user.uid ?? process.getuid?.(), gid: user.gid ?? process.getgid?.(), ...(user.ownIds ? { ownUid: true } : {}),
        ...(options.spec && { spec: { ...options.spec } }),
      };
      // Counted from here, so concurrent starts cannot overshoot the limit while we await.
      this.admission.add(id, owner);
      try {
        const runner = await JobRunner.launch(this.ctx, record, { command, args, env: jobEnvironment(id, this.store.workDir(id), options.spec), ...user });
        this.runners.set(id, runner);
        this.options.logger?.info({ jobId: id, owner, pid: record.pid, uid: record.uid, command }, "job started");
        this.metrics.jobStarted(record);
        return runner.snapshot();
      } catch (err) {
        this.admission.remove(id);
        if (user.ownIds) this.releaseUid(user.uid);
        if (!(err instanceof UidInUseError)) throw err;
        if (attempt >= UID_ATTEMPTS) throw new ResourceExhaustedError(`no usable job uid after ${UID_ATTEMPTS} tries (the last: ${err.message})`);
        // Someone else's uid (a user added to NSS in our range, or a stray process): never again in this run.
        // One another monitor holds comes free when its job ends (and is skipped while its claim file is there).
        if (this.users.kind === "perJob" && user.uid !== undefined && !isClaimedElsewhere(err.message)) this.users.pool.quarantine(user.uid);
        this.options.logger?.warn({ uid: user.uid, reason: err.message }, "job uid taken by someone else; trying another");
      }
    }
  }

  private allocateUser(options: StartOptions): { uid?: number; gid?: number; ownIds?: boolean; uidClaimDir?: string } {
    if (options.asAgentUser || this.users.kind === "agent") return {};
    if (this.users.kind === "fixed") return { uid: this.users.uid, gid: this.users.gid };
    const { pool, claimDir } = this.users;
    const uid = pool.allocate(claimDir ? (candidate) => looksClaimed(claimDir, candidate) : undefined);
    return { uid, gid: uid, ownIds: true, uidClaimDir: claimDir };
  }

  private releaseUid(uid: number | undefined): void {
    if (uid !== undefined && this.users.kind === "perJob") this.users.pool.release(uid);
  }

  /** A job reached its final state: by then its monitor has killed what ran as its uid and removed its files. */
  private ended(runner: JobRunner): void {
    this.admission.remove(runner.id);
    if (runner.record.ownUid && !runner.record.workDirLeft) this.releaseUid(runner.record.uid);
    this.finished.add(runner.id, runner.record.owner);
    // Only a count can have gone over (an age limit is the periodic pass's): no pass over every job at each end.
    // Measured (npm run bench -- --only fleet, 1,000 jobs stopped at once): that pass was 1.3 s of the agent's 8.2 s.
    if (!this.closing && overCount(this.finished, runner.record.owner, this.options.retention)) this.gc();
  }

  private get(id: string): JobRunner {
    const runner = this.runners.get(id);
    if (!runner) throw new NotFoundError(`job ${id} not found`);
    return runner;
  }

  private gc(): void {
    const now = Date.now();
    const candidates = [...this.runners.values()].map((r) => r.record).filter((r) => (this.retryForgetAt.get(r.id) ?? 0) <= now);
    for (const id of expiredJobs(candidates, this.options.retention)) {
      const runner = this.get(id);
      this.runners.delete(id); // gone from the API at once; back if its files cannot be removed
      this.finished.remove(id);
      void this.forget(runner.record)
        .then(() => this.retryForgetAt.delete(id))
        .catch((err) => {
          // Kept (and its uid, if its files are still there); tried again later, not at every job's end.
          this.options.logger?.error({ err, jobId: id }, "removing a finished job failed; kept, tried again in 10 minutes");
          this.retryForgetAt.set(id, Date.now() + FORGET_RETRY_MS);
          this.runners.set(id, runner);
          this.finished.add(id, runner.record.owner);
        });
    }
  }

  /** A finished job's files go; a working directory its monitor could not remove is tried again (as the job's user) first. */
  private async forget(record: JobRecord): Promise<void> {
    if (record.workDirLeft) {
      // The uid is still this job's (workDirLeft keeps it taken): killing what runs as it can hit nothing else.
      if (!(await cleanUpAfter(this.ctx.monitorPath, jobUserOf(record), this.store.workDir(record.id), this.ctx.uidClaimDir))) {
        throw new Error(`the working directory of job ${record.id} still cannot be removed`);
      }
      record.workDirLeft = false;
      if (record.ownUid) this.releaseUid(record.uid);
    }
    await this.store.remove(record.id);
  }
}
