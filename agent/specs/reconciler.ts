// One reconciler for both sources of job specs, the API (Apply, DeleteSpec)
// and the manifest directory: it keeps one SpecRunner per spec name, and
// creates, updates and deletes them as the sources change. Names are unique
// per agent: a name belongs to the source that defined it first.
import { randomUUID } from "node:crypto";
import type { Logger } from "pino";
import { FailedPreconditionError, NotFoundError, UnavailableError } from "../errors.js";
import type { JobRecord } from "../jobs/record.js";
import { isFinal } from "../jobs/lifecycle.js";
import type { ConfigFileError } from "../config/load.js";
import { specHash, type JobSpec, type SpecSource } from "./spec.js";
import { SpecRunner, type SpecContext, type SpecStatus } from "./spec-runner.js";
import type { SpecState, SpecStore } from "./spec-store.js";

export type ApplyOutcome = "created" | "configured" | "unchanged" | "started";

/** A scan of the manifest directory: each file's specs, or why it was rejected. */
export type ManifestScan = Map<string, JobSpec[] | ConfigFileError>;

export interface ReconcilerOptions {
  ctx: SpecContext;
  store: SpecStore;
  /** The jobs the agent has now (after recovery): each spec adopts its own running job. */
  jobs: () => JobRecord[];
  logger?: Logger;
}

export class Reconciler {
  private readonly runners = new Map<string, SpecRunner>();
  /** The names each manifest file defines now. */
  private readonly files = new Map<string, Set<string>>();
  /** Saved states of file specs, until the first scan of the directory says which still exist. */
  private unclaimed = new Map<string, SpecState>();
  private scanned = false;
  /** The agent is going away: no more changes (a spec applied now would start a run nobody follows). */
  private closed = false;
  /** Names whose saved states could not be read: their running jobs are left alone rather than taken for orphans. */
  private readonly unreadable = new Set<string>();

  private constructor(private readonly options: ReconcilerOptions) {}

  /** Loads the saved specs; those applied through the API resume at once, file specs at the first scan. */
  static async open(options: ReconcilerOptions): Promise<Reconciler> {
    const reconciler = new Reconciler(options);
    await options.store.init();
    const states = await options.store.loadAll((file, err) => {
      reconciler.unreadable.add(file.replace(/\.json$/, ""));
      options.logger?.error({ file, err }, "unreadable job spec state: ignored, and its running jobs left alone");
    });
    for (const state of states) {
      if (state.source.kind === "api") await reconciler.run(state.spec, state.source, state);
      else reconciler.unclaimed.set(state.name, state);
    }
    return reconciler;
  }

  /**
   * Creates or updates each spec, under the source given with it (an update
   * keeps the spec's owner). Checked first, all or nothing: a file's spec
   * cannot be changed here, and limits over the agent's maxima are refused.
   */
  async apply(entries: { spec: JobSpec; source: SpecSource }[]): Promise<ApplyOutcome[]> {
    if (this.closed) throw shuttingDown();
    for (const { spec } of entries) {
      const existing = this.runners.get(spec.name);
      if (existing?.source.kind === "file") throw readOnly(spec.name, existing.source.path);
      this.options.ctx.check(spec); // INVALID_ARGUMENT before anything changes
    }
    return Promise.all(entries.map(async ({ spec, source }) => {
      const existing = this.runners.get(spec.name);
      if (existing) return existing.update(spec);
      await this.run(spec, source, this.newState(spec, source));
      return "created" as const;
    }));
  }

  /** Stops the spec's run and forgets the spec; resolves, with its last status, once its job has ended. */
  async delete(name: string): Promise<SpecStatus> {
    if (this.closed) throw shuttingDown();
    const runner = this.get(name);
    if (runner.source.kind === "file") throw readOnly(name, runner.source.path);
    await this.remove(runner);
    return runner.status();
  }

  /** Where the spec came from; undefined if there is none by that name. */
  sourceOf(name: string): SpecSource | undefined {
    return this.runners.get(name)?.source;
  }

  status(name: string): SpecStatus {
    return this.get(name).status();
  }

  list(): SpecStatus[] {
    return [...this.runners.values()].map((runner) => runner.status()).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /**
   * The manifest directory as scanned now: new files' specs start, changed
   * ones replace their runs, removed ones stop. A rejected file changes
   * nothing that runs: its specs keep their runs and show its problems.
   */
  async syncFiles(scan: ManifestScan): Promise<void> {
    if (this.closed) return;
    if (!this.scanned) this.resumeRejected(scan);
    const claims = this.claims(scan);
    for (const [path, result] of scan) {
      if (!Array.isArray(result)) {
        for (const name of this.files.get(path) ?? []) {
          this.fileRunner(name, path)?.setProblem(`${path} was rejected, so the last good version runs: ${result.problems.join("; ")}`);
        }
        continue;
      }
      const names = new Set<string>();
      for (const spec of result) {
        if (this.closed) return; // the agent began to go away while this scan awaited a save
        const apiHolds = this.runners.get(spec.name)?.source.kind === "api";
        if (claims.get(spec.name) !== path || apiHolds) {
          const by = apiHolds ? "a spec applied through the API" : (claims.get(spec.name) ?? "a spec applied through the API");
          this.options.logger?.error({ file: path, spec: spec.name, definedBy: by }, "a job spec in the manifest directory reuses a name already taken: ignored");
          continue;
        }
        const refused = this.refusal(spec);
        if (refused) {
          names.add(spec.name);
          this.options.logger?.error({ file: path, spec: spec.name, problem: refused }, "a job spec in the manifest directory was refused; what it defined keeps running as it was");
          this.resumeSaved(spec.name, path); // an agent started since: the last good version, as saved
          this.fileRunner(spec.name, path)?.setProblem(`${path}: ${refused}`);
          continue;
        }
        await this.fromFile(spec, path);
        names.add(spec.name);
      }
      this.files.set(path, names);
    }
    // Not awaited: a run's grace period must not hold up the rest of the directory.
    for (const runner of [...this.runners.values()]) {
      if (runner.source.kind === "file" && !claims.has(runner.name)) void this.remove(runner).catch((err) => this.options.logger?.error({ spec: runner.name, err }, "removing a job spec failed"));
    }
    for (const path of [...this.files.keys()]) if (!scan.has(path)) this.files.delete(path);
    if (!this.scanned) await this.dropGone();
    this.scanned = true;
  }

  /**
   * Which file each file spec's name belongs to after this scan. A name stays
   * with the file that has it now while that file still defines it (or was
   * rejected: its last good version stays); other names go to the first file
   * by path that defines them. Names applied through the API are never a file's.
   */
  private claims(scan: ManifestScan): Map<string, string> {
    const definedBy = (path: string): Iterable<string> => {
      const result = scan.get(path);
      return result === undefined ? [] : Array.isArray(result) ? result.map((spec) => spec.name) : (this.files.get(path) ?? []);
    };
    const claims = new Map<string, string>();
    for (const runner of this.runners.values()) {
      if (runner.source.kind === "file" && [...definedBy(runner.source.path)].includes(runner.name)) claims.set(runner.name, runner.source.path);
    }
    for (const path of [...scan.keys()].sort()) {
      for (const name of definedBy(path)) {
        if (!claims.has(name) && this.runners.get(name)?.source.kind !== "api") claims.set(name, path);
      }
    }
    return claims;
  }

  /**
   * At the first scan: the specs of a file that is rejected now resume the
   * version an earlier agent saved, so that an invalid file changes nothing
   * that runs, across an agent restart too.
   */
  private resumeRejected(scan: ManifestScan): void {
    for (const [path, result] of scan) {
      if (Array.isArray(result)) continue;
      const saved = [...this.unclaimed.values()].filter((state) => state.source.kind === "file" && state.source.path === path);
      for (const state of saved) this.resumeSaved(state.name, path);
      if (saved.length > 0) this.files.set(path, new Set(saved.map((state) => state.name)));
    }
  }

  private resumeSaved(name: string, path: string): void {
    const state = this.unclaimed.get(name);
    if (!state || this.runners.has(name)) return;
    this.unclaimed.delete(name);
    void this.run(state.spec, { kind: "file", path }, { ...state, source: { kind: "file", path } });
  }

  /** The agent is going away: no more starts or restarts; the jobs run on for the next agent. Resolves once the saves made so far have landed. */
  async close(): Promise<void> {
    this.closed = true;
    for (const runner of this.runners.values()) runner.detach();
    await this.options.store.flush();
  }

  private refusal(spec: JobSpec): string | undefined {
    try {
      this.options.ctx.check(spec);
      return undefined;
    } catch (err) {
      return (err as Error).message;
    }
  }

  /** The runner of a name, if this file is where it comes from. */
  private fileRunner(name: string, path: string): SpecRunner | undefined {
    const runner = this.runners.get(name);
    return runner?.source.kind === "file" && runner.source.path === path ? runner : undefined;
  }

  /** Not for a name an API spec holds (syncFiles checks that after every await: an Apply may land while a save is awaited). */
  private async fromFile(spec: JobSpec, path: string): Promise<void> {
    const source: SpecSource = { kind: "file", path };
    const runner = this.runners.get(spec.name);
    if (runner) {
      runner.moveTo(source); // the same name, moved to another file: the same spec
      runner.setProblem(undefined);
      // Only a changed file replaces anything: a re-list must not run again a spec that ended for good.
      if (specHash(spec) !== runner.hash) void runner.update(spec);
      return;
    }
    const saved = this.unclaimed.get(spec.name);
    this.unclaimed.delete(spec.name);
    await this.run(spec, source, saved ? asVersion({ ...saved, source }, spec) : this.newState(spec, source));
  }

  /** Registers the runner at once (a name is taken synchronously), saves its state, then lets it begin. */
  private async run(spec: JobSpec, source: SpecSource, state: SpecState): Promise<void> {
    const runner = new SpecRunner(this.options.ctx, spec, source, state);
    this.runners.set(spec.name, runner);
    if (this.closed) runner.detach(); // registered, so the next agent finds its state; it starts nothing now
    await this.options.ctx.save(state).catch((err) => this.options.logger?.error({ spec: spec.name, err }, "saving a job spec's state failed"));
    void runner.begin(this.options.jobs()).catch((err) => this.options.logger?.error({ spec: spec.name, err }, "starting a job spec failed"));
  }

  private newState(spec: JobSpec, source: SpecSource): SpecState {
    return {
      name: spec.name, uid: randomUUID(), source, spec, hash: specHash(spec),
      createdAt: new Date().toISOString(), runs: 0, restarts: 0, consecutive: 0,
    };
  }

  /**
   * Forgets the spec first, then stops its run: an agent that stops or
   * crashes during the run's grace period must not find the spec again and
   * restart it. (The next agent stops a run whose spec is gone: dropGone.)
   * The removal is queued before any save of a spec that takes the name next.
   */
  private async remove(runner: SpecRunner): Promise<void> {
    this.runners.delete(runner.name);
    const removal = this.options.store.remove(runner.name);
    // Saves nothing from here on; stops the run once the state is gone, or failed to go (the caller asked for the stop).
    await runner.delete(removal.catch(() => {}));
    await removal; // a failure is the caller's to know: the spec's state is still on disk, so the next agent has it again
  }

  /**
   * At the first scan, once every spec is known: file specs saved by an
   * earlier agent whose files are gone lose their states, and every running
   * job of a spec that is gone (those, or one deleted while an earlier agent
   * stopped its run) is stopped.
   */
  private async dropGone(): Promise<void> {
    const gone = this.unclaimed;
    this.unclaimed = new Map();
    for (const name of gone.keys()) {
      if (this.runners.has(name)) continue;
      await this.options.store.remove(name).catch((err) => this.options.logger?.error({ spec: name, err }, "removing a job spec's state failed"));
    }
    const live = new Set([...this.runners.values()].map((runner) => runner.uid));
    const fileGone = new Set([...gone.values()].map((state) => state.uid));
    for (const job of this.options.jobs()) {
      if (!job.spec || isFinal(job.state) || live.has(job.spec.uid) || this.unreadable.has(job.spec.name)) continue;
      const message = fileGone.has(job.spec.uid) ? `its spec ${job.spec.name}'s manifest file is gone` : `its spec ${job.spec.name} was deleted`;
      void this.options.ctx.jobs.stop(job.id, undefined, { message }).catch(() => {});
    }
  }

  private get(name: string): SpecRunner {
    const runner = this.runners.get(name);
    if (!runner) throw new NotFoundError(`job spec ${name} not found`);
    return runner;
  }
}

/** A saved state taken on by what may be a newer version of its spec (a file edited while no agent ran). */
function asVersion(state: SpecState, spec: JobSpec): SpecState {
  const hash = specHash(spec);
  if (hash === state.hash) return { ...state, spec };
  const { pendingRestart: _dropped, ...rest } = state;
  return { ...rest, spec, hash, restarts: 0, consecutive: 0 };
}

function shuttingDown(): UnavailableError {
  return new UnavailableError("the agent is shutting down: job specs cannot be changed now; try again on the next agent");
}

function readOnly(name: string, path: string): FailedPreconditionError {
  return new FailedPreconditionError(`job spec ${name} comes from the manifest file ${path}: edit or remove that file instead`);
}
